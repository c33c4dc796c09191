"""The ``gradviz`` command: ``gradviz run [options] SCRIPT [args]`` and ``gradviz demo``.

A thin entry point: it runs the script under :func:`gradviz.capture`, then diagnoses and writes.

Arguments: gradviz's options come before the script; what follows the script is the script's
own (``sys.argv[1:]``), as with ``python -m cProfile``. For compatibility with the documented
``gradviz run SCRIPT --json FILE``, gradviz's own options (``--json``, ``--report``, ``--all``,
``--max-ops``, ``--verbose``) written after the script are still gradviz's, unless a ``--`` comes
first (before the script or after it): what follows it goes to the script untouched.
"""

from __future__ import annotations

import argparse
import os
import runpy
import sys
import time
import traceback
from importlib import resources
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .schema import Document
    from .workers import Task

USAGE = (
    "gradviz run [--json FILE] [--report FILE] [--all] [--verbose] [--max-ops N] SCRIPT.py [script args ...]\n"
    "       gradviz demo [--json FILE] [--report FILE]"
)
# gradviz's own options (for `run` and `demo`): the parser and the reordering of `run`'s arguments read them here.
_OPTIONS: tuple[tuple[tuple[str, ...], dict], ...] = (
    (("--json",), dict(metavar="FILE", help="write the diagnosis document (JSON) here")),
    (("--report",), dict(metavar="FILE", help="write a self-contained HTML report here")),
    (("--all",), dict(action="store_true", help="keep the whole captured graph, not only the relevant part")),
    (("--verbose", "-v"), dict(action="store_true", help="list connected sources one by one")),
    (("--max-ops",), dict(type=int, default=50_000, help="bound on the op log (default 50000)")),
)
_FLAGS = tuple(f for flags, kw in _OPTIONS if kw.get("action") == "store_true" for f in flags)
_VALUED = tuple(f for flags, kw in _OPTIONS if kw.get("action") != "store_true" for f in flags)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one sentence and the usage, exit 2
        sys.stderr.write(f"usage: {USAGE}\ngradviz: {message}\n")
        raise SystemExit(2)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="gradviz",
        usage=USAGE,
        description="Explain why tf.GradientTape.gradient returned None, and show it.",
    )
    sub = p.add_subparsers(dest="command", metavar="{run,demo}", parser_class=_Parser)
    run = sub.add_parser("run", usage=USAGE.splitlines()[0], help="run a script under capture and diagnose it")
    run.add_argument("script", help="the Python script to run (as __main__)")
    run.add_argument("script_args", nargs=argparse.REMAINDER, help="the script's own arguments")
    demo = sub.add_parser("demo", usage=USAGE.splitlines()[1].strip(), help="diagnose a bundled example")
    for q in (run, demo):
        for flags, keywords in _OPTIONS:
            q.add_argument(*flags, **keywords)
    return p


def _reorder(argv: list[str]) -> list[str]:
    """Move gradviz's own options written after the script (before any ``--``) in front of it."""
    if not argv or argv[0] != "run":
        return argv
    head, i = ["run"], 1
    while i < len(argv) and argv[i].startswith("-") and argv[i] != "--":  # options before the script
        takes = argv[i] in _VALUED
        head += argv[i : i + 1 + takes]
        i += 1 + takes
    if any(a in ("-h", "--help") for a in head):
        return head  # argparse prints run's help
    if i >= len(argv) or (argv[i] == "--" and i + 1 >= len(argv)):
        _parser().error("which script? `gradviz run` needs the path of a Python script")
    if argv[i] == "--":  # the end of gradviz's options: all after the script is the script's
        return [*head, *argv[i:]]
    script, rest, i = argv[i], [], i + 1
    while i < len(argv):
        a = argv[i]
        if a == "--":
            rest += argv[i + 1 :]
            break
        if a in _VALUED and i + 1 < len(argv):
            head += [a, argv[i + 1]]
            i += 2
            continue
        if a in _FLAGS or a.startswith(tuple(k + "=" for k in _VALUED)):
            head.append(a)
        else:
            rest.append(a)
        i += 1
    return [*head, "--", script, *rest]


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = _parser()
    if not argv:
        parser.print_help()
        return 2
    args = parser.parse_args(_reorder(argv))
    if args.max_ops < 1:
        parser.error(f"--max-ops {args.max_ops}: at least 1 op must be kept")
    options = dict(json_path=args.json, report_path=args.report, all_nodes=args.all, verbose=args.verbose)
    if args.command == "run":
        return run(args.script, args.script_args, max_ops=args.max_ops, **options)
    script = resources.files("gradviz") / "examples" / "demo.py"
    with resources.as_file(script) as path:
        return run(str(path), [], max_ops=args.max_ops, **options)


def use_color(stream) -> bool:
    """Colour on a terminal, unless ``NO_COLOR`` is set; ``FORCE_COLOR`` forces it (no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return bool(getattr(stream, "isatty", lambda: False)())


def run(
    script: str,
    script_args: list[str],
    *,
    json_path: str | None = None,
    report_path: str | None = None,
    all_nodes: bool = False,
    verbose: bool = False,
    max_ops: int = 50_000,
) -> int:
    """Run a script as ``__main__`` under capture; print the diagnosis; return the exit code."""
    path = Path(script).resolve()
    if not path.is_file():
        print(f"gradviz: no such script: {script}", file=sys.stderr)
        return 2
    try:
        compile(path.read_bytes(), str(path), "exec")  # runpy compiles it again, as `python SCRIPT` would
    except SyntaxError as e:  # nothing ran: say so as Python would, without gradviz's frames
        print(f"gradviz: {path.name} has a syntax error, so nothing ran.", file=sys.stderr)
        traceback.print_exception(type(e), e, None, file=sys.stderr)
        return 1
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from . import workers
    from .errors import OptionError, TensorFlowMissingError
    from .pipeline import check_output_path, run_and_diagnose, write_json
    from .text import render

    started, task = time.time(), workers.task_from_env()

    exit_code = 0

    def body() -> None:
        nonlocal exit_code
        try:
            runpy.run_path(str(path), run_name="__main__")
        except SystemExit as e:
            code = e.code
            exit_code = code if isinstance(code, int) else (0 if code is None else 1)

    old_argv, old_path = sys.argv, list(sys.path)
    sys.argv = [str(path), *script_args]
    sys.path.insert(0, str(path.parent))
    try:
        check_output_path(json_path, "--json")
        check_output_path(report_path, "--report")
        outcome = run_and_diagnose(body, program=str(path), max_ops=max_ops, all_nodes=all_nodes)
    except OptionError as e:
        print(f"gradviz: {e}", file=sys.stderr)
        return 2
    except TensorFlowMissingError as e:  # before anything ran
        print(f"gradviz: {e}", file=sys.stderr)
        return 1
    finally:
        sys.argv, sys.path[:] = old_argv, old_path
    sys.stdout.flush()
    failure = outcome.failure
    if failure is not None:
        exit_code = 1
    out = sys.stderr if failure is not None else sys.stdout
    document = outcome.document
    wrote: list[str] = []  # the files first: the document is what a failure further on must not lose
    if task is not None:  # a worker of a multi-worker run: its own document, named by its task
        wrote += _write_task_documents(document, task, json_path, report_path)
        if not task.is_chief:
            json_path = report_path = None
        else:
            others = ", ".join(t for t in task.tasks if t != task.name)
            wait_s = workers.wait_seconds()
            print(f"gradviz: {task.name} is the chief: waiting up to {wait_s:g} s for the documents of {others}",
                  file=sys.stderr)  # fmt: skip
            document["meta"]["workers"] = workers.gather(document, task, json_path, since=started, wait_s=wait_s)
    if json_path:
        write_json(document, json_path)
        wrote.append(json_path)
    if report_path:
        from .report import save_report

        save_report(document, report_path)
        wrote.append(report_path)
    message = outcome.nothing_to_explain(path.name)
    text = render(document, color=use_color(out), verbose=verbose)
    if message and document["meta"].get("workers"):  # the chief made no call, but the others may have
        message = "\n\n".join([message, "\n".join(workers.summary_lines(document))])
    print("\n" + (message or text), file=out)
    if task is not None and not task.is_chief:
        print(f"gradviz: the chief, {task.chief}, summarises which workers made which calls", file=sys.stderr)
    for name in wrote:
        print(f"gradviz: wrote {name}", file=sys.stderr)
    if failure is not None:
        print("\nThe script raised (the diagnosis above is of what ran until then):", file=sys.stderr)
        traceback.print_exception(type(failure), failure, _user_frames(failure.__traceback__), file=sys.stderr)
    return exit_code


def _write_task_documents(document: Document, task: Task, json_path: str | None, report_path: str | None) -> list[str]:
    """A multi-worker run: this task's document (and report) under names that carry its task."""
    from . import workers

    document["meta"]["task"] = task.name
    wrote = [str(workers.write_document(document, workers.document_path(json_path, task, task.name)))]
    if report_path:
        from .report import save_report

        wrote.append(str(save_report(document, workers.task_path(report_path, task.name))))
    return wrote


def _user_frames(tb: TracebackType | None) -> TracebackType | None:
    """The traceback from the first frame outside gradviz and runpy: the user's own frames."""
    here = str(Path(__file__).resolve().parent)
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if not (name.startswith(here) or name.startswith("<frozen runpy>") or name.endswith("runpy.py")):
            return tb
        tb = tb.tb_next
    return None
