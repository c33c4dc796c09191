"""The tour notebook (``notebooks/tour.ipynb``) runs top to bottom, and its diagnoses are right.

The notebook is executed with nbclient in a fresh kernel that runs *this* interpreter (a kernelspec
written to a temporary ``JUPYTER_PATH``, checked from inside the kernel) with this checkout first on
``PYTHONPATH``. Each case cell carries a marker comment (``# tour: outside_tape``); the expectations
below are keyed by it and come from what TensorFlow 2.21 does (``/work/shared/notes/capture-facts.md``),
not from the notebook's prose. The culprit line is given as the code of that line and turned into a
line number in the cell as shown (the ``%%gradtape`` line is line 1), then looked for in the cell's
own text output.
"""

from __future__ import annotations

import dataclasses
import json
import os
import pathlib
import re
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

PROJECT = pathlib.Path(__file__).resolve().parents[1]
TOUR = PROJECT / "notebooks" / "tour.ipynb"
MARKER = re.compile(r"^# tour: (\w+)\s*$", re.M)
EXECUTABLE_PROBE = 'import sys\nprint("KERNEL_EXECUTABLE=" + sys.executable)'


@dataclasses.dataclass(frozen=True)
class Expect:
    expr: str  # the source as gradviz names it (the Python expression, or the variable's name)
    status: str  # "ok", "none" or "zero"
    cause: str | None = None  # a label from CAUSES.md (None: not checked)
    culprit: str | None = None  # the code of the culprit line, exactly as in the cell


# What TF 2.21 does in each situation, and where the path breaks.
CASES: dict[str, list[Expect]] = {
    # z computed after the `with` block: None.
    "outside_tape": [
        Expect(
            "w", "none", "outside_tape", "loss = tf.reduce_mean(tf.square(pred))  # after the with block: not recorded"
        )
    ],
    # trainable variables used inside the tape are watched automatically: real gradients.
    "variables_are_watched": [Expect("w", "ok"), Expect("b", "ok")],
    # a tf.constant source is not watched (None); with tape.watch it is (ok).
    "not_watched_tensor": [
        Expect("x", "none", "not_watched_tensor", "x = tf.constant([0.0, 0.5, 1.0, 1.5])"),
        Expect("x", "ok"),
    ],
    # an op under tape.stop_recording() is not recorded: None for what feeds only through it.
    "stop_recording": [Expect("w", "ok"), Expect("log_sigma", "none", "stop_recording", "sigma = tf.exp(log_sigma)")],
    # ArgMax / Round have gradient functions returning None; Cast to int returns None.
    "non_differentiable_op": [
        Expect(
            "w_class",
            "none",
            "non_differentiable_op",
            "predicted_class = tf.cast(tf.argmax(x @ w_class, axis=1), tf.float32)",
        ),
        Expect("w_round", "none", "non_differentiable_op", "quantized = tf.round(x @ w_round)"),
        Expect("w_count", "none", "non_differentiable_op", "as_int = tf.cast(x @ w_count, tf.int32)"),
    ],
    # tf.sign's gradient is zeros, not None.
    "sign_zero": [Expect("w", "zero", None, "hidden = tf.sign(x @ w)")],
    # the value leaves TF at .numpy() and comes back as a new tensor: None.
    "numpy_roundtrip": [Expect("w", "none", "numpy_roundtrip", "p = pred.numpy()  # the value leaves TensorFlow here")],
    # a layer whose output never reaches the loss: None for its variables (Keras only warns).
    "unused_variable": [
        Expect("regressor/body/kernel", "ok"),
        Expect("regressor/head/kernel", "ok"),
        Expect("regressor/aux_head/kernel", "none", "unused_variable", "return self.head(h)"),
        Expect("regressor/aux_head/bias", "none", "unused_variable", "return self.head(h)"),
    ],
}

# Diagnoses known to be wrong today: (case, what) -> reason. Strict: the test fails once fixed.
KNOWN_WRONG: dict[tuple[str, str], str] = {}  # (case, "cause"|"culprit") -> why, marked xfail(strict)


@dataclasses.dataclass
class CellRun:
    source: str
    execution_count: int
    stdout: str
    stderr: str
    outputs: list[Any]


def _kernelspec(jupyter_dir: pathlib.Path) -> None:
    """A ``python3`` kernelspec that runs this very interpreter; JUPYTER_PATH makes it win."""
    spec = jupyter_dir / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "Python 3 (gradviz tests)",
                "language": "python",
            }
        )
    )


@pytest.fixture(scope="module")
def tour(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The tour executed once: its cells by marker, the probe's output, and the run time."""
    base = tmp_path_factory.mktemp("tour")
    work, kernel_tmp, ipython_dir, jupyter_dir = (base / n for n in ("work", "tmp", "ipython", "jupyter"))
    for d in (work, kernel_tmp, ipython_dir):
        d.mkdir()
    _kernelspec(jupyter_dir)
    nb = nbformat.read(TOUR, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(EXECUTABLE_PROBE))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(
            "JUPYTER_PATH", os.pathsep.join([str(jupyter_dir), os.environ.get("JUPYTER_PATH", "")]).rstrip(os.pathsep)
        )
        mp.setenv("IPYTHONDIR", str(ipython_dir))  # no user profile or startup files
        mp.setenv("TMPDIR", str(kernel_tmp))  # the export cell's temp dir lands here, not in /tmp
        mp.setenv("PYTHONPATH", os.pathsep.join([str(PROJECT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep))
        mp.setenv("TF_CPP_MIN_LOG_LEVEL", "3")
        client = nbclient.NotebookClient(
            nb, kernel_name="python3", timeout=300, resources={"metadata": {"path": str(work)}}
        )
        start = time.monotonic()
        client.execute()  # raises CellExecutionError (with the traceback) if any cell fails
        elapsed = time.monotonic() - start
    print(f"\ntour.ipynb executed in {elapsed:.1f} s (kernel start included)")
    runs = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        streams = {"stdout": "", "stderr": ""}
        for out in cell.outputs:
            if out.output_type == "stream":
                streams[out.name] += out.text
        runs.append(CellRun(cell.source, cell.execution_count, streams["stdout"], streams["stderr"], cell.outputs))
    by_marker: dict[str, CellRun] = {}
    for run in runs:
        for m in MARKER.findall(run.source):
            assert m not in by_marker, f"two cells are marked '# tour: {m}'"
            by_marker[m] = run
    yield {"probe": runs[0], "runs": runs[1:], "cases": by_marker, "elapsed": elapsed, "kernel_tmp": kernel_tmp}


def _line_of(cell: CellRun, code: str) -> int:
    """The 1-based line of ``code`` in the cell as shown (``%%gradtape`` is line 1)."""
    hits = [i for i, text in enumerate(cell.source.splitlines(), 1) if text.strip() == code]
    assert len(hits) == 1, f"expected exactly one line `{code}` in the cell, found {len(hits)}:\n{cell.source}"
    return hits[0]


def _source_lines(cell: CellRun, expr: str) -> list[str]:
    """The diagnosis lines that name one source: '  None  w, b  outside_tape at cell [3]:7' and the like.

    Connected sources are counted, not named ('  ok    2 sources connected'): a count line stands
    for any source that no None or zero line names.
    """
    out = []
    for ln in cell.stdout.splitlines():
        m = re.match(r"^\s+(ok|None|zero)\s+(.+?)(?:  |$)", ln)
        if not m:
            continue
        said = m.group(2).removesuffix(" connected")
        layer = re.search(r" \(layer ([^)]+)\)$", said)  # 'kernel, bias (layer dense_1)': names inside it
        if layer:
            said = said[: layer.start()]
        names = [n.split(" (")[0].strip() for n in said.split(",")]
        if layer:
            names += [f"{layer.group(1)}/{n}" for n in names]
        counted = m.group(1) == "ok" and re.fullmatch(r"\d+ sources", said)
        if expr in names or counted:
            out.append(ln)
    return out


# ----------------------------------------------------------------------------------- static


def test_notebook_is_saved_without_outputs() -> None:
    nb = nbformat.read(TOUR, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code), "clear the outputs before saving"


def test_every_case_has_one_gradtape_cell() -> None:
    nb = nbformat.read(TOUR, as_version=4)
    marked = {m: c.source for c in nb.cells if c.cell_type == "code" for m in MARKER.findall(c.source)}
    assert set(marked) == set(CASES)
    for name, source in marked.items():
        assert source.startswith("%%gradtape"), f"case {name} is not a %%gradtape cell"


# ----------------------------------------------------------------------------------- executed


@pytest.mark.slow
def test_runs_in_a_kernel_of_this_interpreter(tour: dict[str, Any]) -> None:
    probe = tour["probe"].stdout
    m = re.search(r"KERNEL_EXECUTABLE=(.+)", probe)
    assert m, probe
    assert os.path.realpath(m.group(1).strip()) == os.path.realpath(sys.executable)
    for run in tour["runs"]:
        assert not [o for o in run.outputs if o.output_type == "error"], run.source


@pytest.mark.slow
@pytest.mark.parametrize("case", list(CASES))
def test_case_status_and_cause(tour: dict[str, Any], case: str) -> None:
    cell = tour["cases"][case]
    found = {e.expr: _source_lines(cell, e.expr) for e in CASES[case]}
    for e in CASES[case]:
        lines = found[e.expr]
        want = {"ok": "ok", "none": "None", "zero": "zero"}[e.status]
        matching = [ln for ln in lines if ln.split()[0] == want and (e.cause is None or f" {e.cause} at " in ln + " ")]
        assert matching, f"{case}: expected `{want}  {e.expr}` with cause {e.cause} in:\n{cell.stdout}"
        lines.remove(matching[0])  # the same expr may appear in two calls (not_watched_tensor)
    if all(e.status == "ok" for e in CASES[case]):
        assert "All gradients are connected" in cell.stdout, cell.stdout
        assert not re.search(r"^\s+(None|zero)\s", cell.stdout, re.M), cell.stdout


@pytest.mark.slow
@pytest.mark.parametrize(
    "case",
    [
        pytest.param(c, marks=pytest.mark.xfail(strict=True, reason=KNOWN_WRONG[(c, "culprit")]))
        if (c, "culprit") in KNOWN_WRONG
        else c
        for c in CASES
        if any(e.culprit for e in CASES[c])
    ],
)
def test_case_culprit_line(tour: dict[str, Any], case: str) -> None:
    cell = tour["cases"][case]
    for e in CASES[case]:
        if not e.culprit:
            continue
        line = _line_of(cell, e.culprit)
        want = {"none": "None", "zero": "zero"}[e.status]
        lines = [ln for ln in _source_lines(cell, e.expr) if ln.split()[0] == want]
        assert any(re.search(rf" at .+:{line}$", ln) for ln in lines), (
            f"{case}: expected the culprit of {e.expr} at line {line} (`{e.culprit}`), got {lines}"
        )
        # the culprit's own code is echoed under it
        assert re.search(rf"^\s+{line} \| {re.escape(e.culprit)}$", cell.stdout, re.M), cell.stdout


@pytest.mark.slow
def test_trainable_variables_are_watched_without_tape_watch(tour: dict[str, Any]) -> None:
    cell = tour["cases"]["variables_are_watched"]
    assert "tape.watch(" not in cell.source.replace("# no tape.watch", "")
    assert "gradviz: All gradients are connected (2 sources)." in cell.stdout, cell.stdout


@pytest.mark.slow
def test_keras_warns_only_and_fit_trains(tour: dict[str, Any]) -> None:
    cell = tour["cases"]["unused_variable"]
    assert "Gradients do not exist for variables" in cell.stderr, cell.stderr
    assert "aux_head" in cell.stderr


@pytest.mark.slow
def test_report_is_exported_outside_the_repo(tour: dict[str, Any]) -> None:
    last = tour["runs"][-1]
    m = re.search(r"^wrote (\S+\.html)", last.stdout, re.M)
    assert m, last.stdout
    path = pathlib.Path(m.group(1))
    assert path.is_file() and path.stat().st_size > 10_000
    assert tour["kernel_tmp"] in path.parents and PROJECT not in path.parents
    assert "unused_variable" in path.read_text(encoding="utf-8")
