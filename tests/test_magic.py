"""The %%gradtape cell magic through IPython's own shell (no browser, no Jupyter server)."""

from __future__ import annotations

import pytest
from IPython.core.error import UsageError
from IPython.testing.globalipapp import get_ipython

import gradviz.magic as magic

OUTSIDE_TAPE = """import tensorflow as tf
x = tf.Variable(3.0)
with tf.GradientTape() as tape:
    y = x * x
z = y * 2
g = tape.gradient(z, x)
"""


@pytest.fixture(scope="module")
def ip():
    shell = get_ipython()
    shell.run_line_magic("load_ext", "gradviz")
    return shell


def test_cell_runs_in_the_user_namespace_and_is_diagnosed(ip, capsys) -> None:
    ip.run_cell_magic("gradtape", "--no-widget", OUTSIDE_TAPE)
    assert ip.user_ns["g"] is None  # what TensorFlow returned, unchanged
    assert float(ip.user_ns["z"]) == 18.0  # names the cell defines stay defined
    out = capsys.readouterr().out
    assert "outside_tape" in out
    (finding,) = magic.last_diagnosis().findings
    assert (finding.expr, finding.cause) == ("x", "outside_tape")
    # line numbers count the cell as shown, the %%gradtape line being line 1
    assert finding.culprit[1] == OUTSIDE_TAPE.splitlines().index("z = y * 2") + 2


def test_functions_from_earlier_cells_point_at_those_cells(ip) -> None:
    ip.run_cell("import tensorflow as tf\ndef square(v):\n    return v * v\n", store_history=True)
    ip.run_cell_magic(
        "gradtape",
        "--no-widget",
        "w = tf.Variable(2.0)\nwith tf.GradientTape() as t:\n    pass\nloss = square(w)\nt.gradient(loss, w)\n",
    )
    (finding,) = magic.last_diagnosis().findings
    assert finding.cause == "outside_tape"
    # the line a person edits is the call in the cell that holds the tape; the op ran in the helper
    file, line = finding.culprit
    assert line == 5
    ran_file, ran_line = finding.ran_at
    assert ran_file != file and ran_line == 3
    import linecache

    assert linecache.getline(file, line).strip() == "loss = square(w)"
    assert linecache.getline(ran_file, ran_line).strip() == "return v * v"


def test_exception_is_reraised_after_the_diagnosis(ip, capsys) -> None:
    cell = OUTSIDE_TAPE + "raise KeyError('boom')\n"
    with pytest.raises(KeyError, match="boom"):
        ip.run_cell_magic("gradtape", "--no-widget", cell)
    assert "outside_tape" in capsys.readouterr().out
    assert magic.last_diagnosis().capture.error == "KeyError: 'boom'"


def test_widget_is_displayed_and_reachable(ip) -> None:
    ip.run_cell_magic("gradtape", "", OUTSIDE_TAPE)
    w = magic.last_widget()
    assert w is not None and w.document["summary"]["missing"] == 1
    assert "outside_tape" in repr(w)


def test_report_option_writes_a_file(ip, tmp_path) -> None:
    path = tmp_path / "r.html"
    ip.run_cell_magic("gradtape", f"--no-widget --report {path}", OUTSIDE_TAPE)
    assert path.read_text().startswith("<!DOCTYPE html>")


def test_cell_without_a_gradient_call_says_so(ip, capsys) -> None:
    ip.run_cell_magic("gradtape", "--no-widget", "a = 1 + 1\n")
    assert "gradviz: this cell ran no TensorFlow op, so there is no gradient to explain." in capsys.readouterr().out
    assert ip.user_ns["a"] == 2


def test_a_cell_whose_calls_gradviz_could_not_see_says_gradviz_once(ip, capsys, monkeypatch) -> None:
    from gradviz import pipeline

    real = pipeline.Capture.__exit__

    def with_a_gap(self, *exc):  # a hook that could not be installed, as with a moved private API
        self.trace.capture_gaps.append("tf.example (moved)")
        return real(self, *exc)

    monkeypatch.setattr(pipeline.Capture, "__exit__", with_a_gap)
    ip.run_cell_magic("gradtape", "--no-widget", "a = 1 + 1\n")
    out = capsys.readouterr().out
    assert "gradviz could not watch this cell: tf.example (moved)" in out
    assert "gradviz: gradviz" not in out


@pytest.mark.parametrize("line", ["--max-nodes", "--bogus", "--max-ops 10"])
def test_bad_options_get_one_clear_message(ip, line) -> None:
    with pytest.raises(UsageError, match="%%gradtape"):
        ip.run_cell_magic("gradtape", line, "a = 1\n")


def test_final_expression_is_displayed_as_without_the_magic(ip, capsys) -> None:
    ip.run_cell_magic("gradtape", "--no-widget", OUTSIDE_TAPE + "float(z) + 1\n")
    out = capsys.readouterr().out
    assert "19.0" in out  # the cell's value, shown by IPython's display hook
    assert ip.user_ns["_"] == 19.0


def test_cell_run_without_a_magic_line_counts_lines_as_the_cell_shows_them(ip, capsys) -> None:
    # What JupyterLab's "Diagnose gradients" button runs: the cell's source as it is, no magic line.
    code = f"import gradviz.magic\ngradviz.magic.run_cell(get_ipython(), {OUTSIDE_TAPE!r}, header=None)"
    result = ip.run_cell(code, store_history=True)
    assert ip.user_ns["g"] is None
    (finding,) = magic.last_diagnosis().findings
    file, line = finding.culprit
    assert line == OUTSIDE_TAPE.splitlines().index("z = y * 2") + 1
    # Compiled under the name the kernel gives this very source, so the culprit maps back to the cell.
    assert file == ip.compile.get_code_name(OUTSIDE_TAPE, OUTSIDE_TAPE, result.execution_count)
    assert "outside_tape" in capsys.readouterr().out


def test_cells_are_labelled_with_the_count_their_prompt_shows(ip, capsys) -> None:
    result = ip.run_cell(
        f"get_ipython().run_cell_magic('gradtape', '--no-widget', {OUTSIDE_TAPE!r})", store_history=True
    )
    (finding,) = magic.last_diagnosis().findings
    assert f"cell [{result.execution_count}]:{finding.culprit[1]}" in capsys.readouterr().out


def test_evidence_names_cells_as_the_notebook_does(ip, capsys) -> None:
    """The diagnosis's own sentences say `cell [N]:5`, never the temporary file a cell is compiled to."""
    ip.run_cell_magic("gradtape", "--no-widget", OUTSIDE_TAPE)
    (finding,) = magic.last_diagnosis().findings
    facts = " ".join(e.fact for e in finding.evidence)
    assert "cell [" in facts and ".py" not in facts, facts
