"""The ``gradviz`` command as a terminal tool: arguments, usage, errors, colour, and the text it prints."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from gradviz import cli
from gradviz.text import render

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"


def _gradviz(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    env.pop("NO_COLOR", None)
    env.pop("FORCE_COLOR", None)
    return subprocess.run(
        [sys.executable, "-m", "gradviz", *args], capture_output=True, text=True, timeout=180, env=env, cwd=cwd
    )


# ------------------------------------------------------------------ arguments
@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        # options before the script are gradviz's; what follows the script is the script's
        (
            ["run", "--json", "o.json", "s.py", "--epochs", "3"],
            ["run", "--json", "o.json", "--", "s.py", "--epochs", "3"],
        ),
        # gradviz's own options after the script stay gradviz's (the documented `run SCRIPT --json FILE`)
        (["run", "s.py", "--json", "o.json", "-n", "2"], ["run", "--json", "o.json", "--", "s.py", "-n", "2"]),
        (["run", "s.py", "--max-ops=10", "--all", "x"], ["run", "--max-ops=10", "--all", "--", "s.py", "x"]),
        # ... unless they follow `--`: then they are the script's, verbatim
        (["run", "s.py", "--", "--json", "theirs"], ["run", "--", "s.py", "--json", "theirs"]),
        (["run", "--all", "--", "s.py", "--all"], ["run", "--all", "--", "s.py", "--all"]),
        (["demo", "--json", "d.json"], ["demo", "--json", "d.json"]),
    ],
)
def test_options_before_the_script_are_gradvizs_and_the_rest_the_scripts(argv: list[str], expected: list[str]) -> None:
    assert cli._reorder(argv) == expected


def test_no_arguments_print_the_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([]) == 2
    out = capsys.readouterr().out
    assert out.startswith("usage: gradviz run [")
    assert "gradviz demo" in out


def test_run_without_a_script_says_so_in_one_sentence(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(["run", "--all"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("usage: gradviz run [")
    assert err[-1] == "gradviz: which script? `gradviz run` needs the path of a Python script"


def test_run_help_is_help(capsys: pytest.CaptureFixture[str]) -> None:
    for flag in ("-h", "--help"):
        with pytest.raises(SystemExit) as exit_:
            cli.main(["run", flag])
        assert exit_.value.code == 0
        out = capsys.readouterr().out
        assert out.startswith("usage: gradviz run [") and "--max-ops" in out


def test_a_missing_script_and_a_bad_bound_are_one_sentence_each(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["run", "no_such_script.py"]) == 2
    assert capsys.readouterr().err.strip() == "gradviz: no such script: no_such_script.py"
    with pytest.raises(SystemExit):
        cli.main(["run", "--max-ops", "0", "s.py"])
    assert capsys.readouterr().err.splitlines()[-1] == "gradviz: --max-ops 0: at least 1 op must be kept"


def test_a_syntax_error_is_shown_as_one_and_nothing_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    script = tmp_path / "broken.py"
    script.write_text("import tensorflow as tf\nx = (\n")
    assert cli.main(["run", str(script)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("gradviz: broken.py has a syntax error, so nothing ran.\n")
    assert f'File "{script}", line 2' in err
    assert "SyntaxError: '(' was never closed" in err
    assert "Traceback" not in err and "runpy" not in err and "gradviz/" not in err


def test_a_report_into_a_missing_folder_is_refused_before_the_script_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = tmp_path / "loud.py"
    script.write_text("print('the script ran')\n")
    target = tmp_path / "no" / "such" / "report.html"
    assert cli.main(["run", "--report", str(target), str(script)]) == 2
    captured = capsys.readouterr()
    assert "the script ran" not in captured.out
    assert captured.err.strip() == f"gradviz: --report {target}: the folder {target.parent} does not exist."
    assert not (tmp_path / "no").exists()


def test_colour_follows_no_color_and_force_color(monkeypatch: pytest.MonkeyPatch) -> None:
    class Tty:
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    assert cli.use_color(Tty()) is True
    assert cli.use_color(sys.__stderr__ if not sys.__stderr__.isatty() else object()) is False
    monkeypatch.setenv("NO_COLOR", "1")
    assert cli.use_color(Tty()) is False
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert cli.use_color(Tty()) is False  # NO_COLOR wins
    monkeypatch.delenv("NO_COLOR")
    assert cli.use_color(object()) is True


def test_the_script_gets_its_arguments_and_its_traceback_without_gradviz_frames(tmp_path: Path) -> None:
    script = tmp_path / "train.py"
    script.write_text(
        textwrap.dedent(
            """\
            import sys
            print("argv", sys.argv[1:])

            def fail():
                raise RuntimeError("failed on purpose")

            fail()
            """
        )
    )
    out = tmp_path / "doc.json"
    r = _gradviz("run", str(script), "--epochs", "3", "--json", str(out), "--", "--all", cwd=tmp_path)
    assert r.returncode == 1, r.stderr
    assert "argv ['--epochs', '3', '--all']" in r.stdout
    assert json.loads(out.read_text())["meta"]["error"] == "RuntimeError: failed on purpose"
    tb = r.stderr[r.stderr.index("Traceback") :]
    assert f'File "{script}", line 7, in <module>' in tb
    assert f'File "{script}", line 5, in fail' in tb
    assert "gradviz" not in tb and "runpy" not in tb
    assert "\033[" not in r.stdout + r.stderr  # not a terminal: no colour


# ------------------------------------------------------------------ the text
def test_text_groups_a_layers_variables_into_one_finding_and_counts_the_connected() -> None:
    doc = json.loads((SNAPSHOTS / "keras_mlp_unused_head.json").read_text())
    text = render(doc)
    lines = text.splitlines()
    assert lines[0] == "gradviz: 2 of 6 gradients are None."
    findings = [line for line in lines if line.startswith("  None")]
    assert findings == ["  None  kernel, bias (layer aux)  unused_variable at keras_mlp_unused_head.py:11"]
    assert text.count("why:") == 1 and text.count("fix:") == 1
    assert lines[-1] == "  ok    4 sources connected"
    verbose = render(doc, verbose=True).splitlines()
    assert [line for line in verbose if line.startswith("  ok")] == [
        "  ok    model.trainable_variables[0] (hidden/kernel)",
        "  ok    model.trainable_variables[1] (hidden/bias)",
        "  ok    model.trainable_variables[2] (main/kernel)",
        "  ok    model.trainable_variables[3] (main/bias)",
    ]


def test_text_shows_each_group_of_the_document_as_one_finding() -> None:
    doc = json.loads((SNAPSHOTS / "keras_mlp_unused_head.json").read_text())
    call = doc["gradient_calls"][0]
    call["sources"][5]["culprit_line"] = 99  # the bias, now broken elsewhere: a group of its own
    call["groups"] = [[4], [5]]
    call["group_labels"] = ["model.trainable_variables[4] (aux/kernel)", "model.trainable_variables[5] (aux/bias)"]
    findings = [line for line in render(doc).splitlines() if line.startswith("  None")]
    assert len(findings) == 2
    assert findings[0].startswith("  None  model.trainable_variables[4] (aux/kernel)  unused_variable")
    assert findings[1].endswith("at keras_mlp_unused_head.py:99")


def test_text_of_a_gan_cut_at_the_loss_lines_matches_its_snapshot(request: pytest.FixtureRequest) -> None:
    """A grouped diagnosis as the terminal shows it: one finding per model (four variables in two
    layers), the fix written with the user's own tape names. Regenerate with --overwrite-snapshots."""
    doc = json.loads((SNAPSHOTS / "gan_loss_after_tape.json").read_text())
    text = render(doc) + "\n"
    path = SNAPSHOTS / "gan_loss_after_tape.txt"
    if request.config.getoption("--overwrite-snapshots"):
        path.write_text(text)
    assert text == path.read_text()
    findings = [line for line in text.splitlines() if line.startswith("  None")]
    assert [f.split("  ")[2] for f in findings] == [
        "4 variables in 2 layers of generator: g1, g2",
        "4 variables in 2 layers of discriminator: d1, d2",
    ]
    assert "`with tf.GradientTape() as d_tape:`" in text and "`g_tape.gradient`" in text


def test_text_says_how_many_replicas_made_a_call() -> None:
    doc = json.loads((SNAPSHOTS / "outside_tape.json").read_text())
    call = doc["gradient_calls"][0]
    heading = lambda: next(line for line in render(doc).splitlines() if line.startswith("tape.gradient"))  # noqa: E731
    call["count"], call["replicas"] = 2, 2
    assert "(on 2 replicas)" in heading()
    call["count"] = 40
    assert "(ran 40 times, on 2 replicas)" in heading()
    call["count"], call["replicas"] = 3, 0
    assert "(ran 3 times)" in heading()


def test_text_of_an_unexplained_finding_says_each_fact_once() -> None:
    """The explanation of `unexplained` already says its first facts; "seen" adds only the rest."""
    doc = json.loads((SNAPSHOTS / "outside_tape.json").read_text())
    source = doc["gradient_calls"][0]["sources"][0]
    facts = [f"fact-{i}." for i in range(5)]  # short: the text wraps long lines
    source["cause"] = "unexplained"
    source["evidence"] = [{"fact": fact, "nodes": []} for fact in facts]
    source["explanation"] = "gradviz could not see why the gradient is missing. " + " ".join(facts[:3])
    text = render(doc)
    assert [text.count(fact) for fact in facts] == [1, 1, 1, 1, 1]
    assert text.count("seen: ") == 2
