"""The ``gradviz`` command: ``gradviz run SCRIPT [args] [--json FILE] [--report FILE]`` and ``gradviz demo``.

A thin entry point: it runs the script under :func:`gradviz.capture`, then diagnoses and writes.
"""

from __future__ import annotations

import argparse
import os
import runpy
import sys
import traceback
from importlib import resources
from pathlib import Path

USAGE = "gradviz run SCRIPT.py [script args ...] [--json FILE] [--report FILE] [--all]\n       gradviz demo"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="gradviz",
        description="Explain why tf.GradientTape.gradient returned None, and show it.",
        usage=USAGE,
    )
    sub = p.add_subparsers(dest="command")
    run = sub.add_parser("run", help="run a script under capture and diagnose its gradient calls")
    run.add_argument("script", help="the Python script to run (as __main__)")
    run.add_argument("--json", metavar="FILE", help="write the diagnosis document (JSON) here")
    run.add_argument("--report", metavar="FILE", help="write a self-contained HTML report here")
    run.add_argument("--all", action="store_true", help="keep the whole captured graph, not only the relevant part")
    run.add_argument("--max-ops", type=int, default=50_000, help="bound on the op log (default 50000)")
    demo = sub.add_parser("demo", help="run a bundled example and print its diagnosis")
    demo.add_argument("--json", metavar="FILE")
    demo.add_argument("--report", metavar="FILE")
    return p


def _split(argv: list[str]) -> tuple[list[str], list[str]]:
    """gradviz's own options may come before or after the script; everything else is the script's."""
    if not argv or argv[0] != "run":
        return argv, []
    ours, theirs = ["run"], []
    i = 1
    script_seen = False
    takes_value = {"--json", "--report", "--max-ops"}
    while i < len(argv):
        a = argv[i]
        if a in takes_value and i + 1 < len(argv):
            ours += [a, argv[i + 1]]
            i += 2
            continue
        if a == "--all" or a in ("-h", "--help"):
            ours.append(a)
        elif any(a.startswith(k + "=") for k in takes_value):
            ours.append(a)
        elif not script_seen:
            ours.append(a)
            script_seen = True
        else:
            theirs.append(a)
        i += 1
    return ours, theirs


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    ours, script_args = _split(argv)
    args = _parser().parse_args(ours)
    if args.command == "run":
        return run(
            args.script,
            script_args,
            json_path=args.json,
            report_path=args.report,
            all_nodes=args.all,
            max_ops=args.max_ops,
        )
    if args.command == "demo":
        script = resources.files("gradviz") / "examples" / "demo.py"
        with resources.as_file(script) as path:
            return run(str(path), [], json_path=args.json, report_path=args.report)
    _parser().print_help()
    return 2


def run(
    script: str,
    script_args: list[str],
    *,
    json_path: str | None = None,
    report_path: str | None = None,
    all_nodes: bool = False,
    max_ops: int = 50_000,
) -> int:
    """Run a script as ``__main__`` under capture; print the diagnosis; return the exit code."""
    path = Path(script).resolve()
    if not path.is_file():
        print(f"gradviz: no such script: {script}", file=sys.stderr)
        return 2
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from .errors import OptionError
    from .pipeline import check_output_path, run_and_diagnose, write_json

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
    finally:
        sys.argv, sys.path[:] = old_argv, old_path
    sys.stdout.flush()
    failure = outcome.failure
    if failure is not None:
        exit_code = 1
    out = sys.stderr if failure is not None else sys.stdout
    message = outcome.nothing_to_explain(path.name)
    print("\n" + (f"gradviz: {message}" if message else outcome.diagnosis.to_text(color=out.isatty())), file=out)
    if json_path:
        write_json(outcome.document, json_path)
        print(f"gradviz: wrote {json_path}", file=sys.stderr)
    if report_path:
        from .report import save_report

        save_report(outcome.document, report_path)
        print(f"gradviz: wrote {report_path}", file=sys.stderr)
    if failure is not None:
        print("\nThe script raised (diagnosis above is of what ran until then):", file=sys.stderr)
        traceback.print_exception(failure, file=sys.stderr)
    return exit_code
