"""The ``%%gradtape`` cell magic: a thin entry point over capture -> diagnose -> widget | report.

``%load_ext gradviz`` registers it. The cell runs in the user's namespace exactly as it would
without the magic; gradviz only watches. Its own output still appears; then the diagnosis (text
and the interactive graph) is shown. If the cell raises, the diagnosis of what ran is shown first
and the original exception is re-raised.
"""

from __future__ import annotations

import ast
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring

from . import source

_last: dict[str, Any] = {}


def last_widget() -> Any:
    """The widget the most recent ``%%gradtape`` cell displayed (None before the first)."""
    return _last.get("widget")


def last_diagnosis() -> Any:
    """The :class:`~gradviz.diagnose.Diagnosis` of the most recent ``%%gradtape`` cell."""
    return _last.get("diagnosis")


@magics_class
class GradtapeMagics(Magics):
    @magic_arguments()
    @argument("--report", metavar="FILE", help="also write a self-contained HTML report to FILE")
    @argument("--no-widget", action="store_true", help="show the text diagnosis only, no graph widget")
    @argument(
        "--all", action="store_true", help="show the whole captured graph, not only what feeds the gradient calls"
    )
    @argument("--max-nodes", type=int, default=5000, metavar="N", help="draw at most N graph nodes (default 5000)")
    @argument("--max-ops", type=int, default=50_000, metavar="N", help="keep at most N ops in the log (default 50000)")
    @cell_magic
    def gradtape(self, line: str, cell: str) -> None:
        """Run the cell, then explain every ``tape.gradient`` result that is None (or zero).

        Shows a short text diagnosis and an interactive graph from the loss back to the
        variables, with broken edges in red. The widget is also available afterwards as
        ``gradviz.magic.last_widget()``.
        """
        try:
            args = parse_argstring(self.gradtape, line)
        except UsageError as e:
            raise UsageError(
                f"%%gradtape: {e}. Options: --report FILE, --no-widget, --all, --max-nodes N, --max-ops N."
            ) from None
        run_cell(
            self.shell,
            cell,
            header=f"%%gradtape {line}".rstrip(),
            report=args.report,
            widget=not args.no_widget,
            all_nodes=args.all,
            max_nodes=args.max_nodes,
            max_ops=args.max_ops,
        )


def run_cell(
    shell: Any,
    cell: str,
    *,
    header: str | None = "%%gradtape",
    report: str | None = None,
    widget: bool = True,
    all_nodes: bool = False,
    max_nodes: int = 5000,
    max_ops: int = 50_000,
) -> None:
    """Run ``cell`` under capture in ``shell``'s namespace, then show (and return nothing of) its diagnosis.

    ``header`` is the magic line above the cell, which counts as line 1 as the notebook shows it;
    ``None`` when the cell is run as it is, without a magic line (JupyterLab's "Diagnose gradients"
    button): lines then count from the cell's first line, and the cell is compiled under the name
    the kernel gives that source (ipykernel: the hash of the cell's text), so culprits map back to
    the cell. If the cell raises, the diagnosis is shown and the exception re-raised.
    """
    from IPython.display import display

    from .errors import OptionError, TensorFlowMissingError
    from .pipeline import check_output_path, run_and_diagnose

    # Line numbers as the user sees the cell, magic line included; linecache holds its real text.
    shown = cell if header is None else f"{header}\n{cell}"
    filename = shell.compile.cache(shown, _execution_count(shell))
    try:
        check_output_path(report, "--report")
        with source.labelled(_all_cell_labels(shell)):
            outcome = run_and_diagnose(
                lambda: _run(shell, cell, code_name=filename, first_line=1 if header is None else 2),
                program="notebook cell",
                max_ops=max_ops,
                all_nodes=all_nodes,
                max_nodes=max_nodes,
            )
    except (OptionError, TensorFlowMissingError) as e:  # the cell did not run
        raise UsageError(f"%%gradtape: {e}") from None
    _last["diagnosis"] = outcome.diagnosis
    doc = outcome.document
    doc["meta"]["file_labels"] = _cell_labels(shell, doc)
    message = outcome.nothing_to_explain("this cell")
    if message:
        print(message)
    else:
        from .text import render

        print(render(doc, brief=widget))
        if widget:
            from .widget import GraphWidget

            w = GraphWidget(doc)
            _last["widget"] = w
            display(w)
    if report:
        from .report import save_report

        path = save_report(doc, report)
        print(f"gradviz: wrote {path}")
    if outcome.failure is not None:
        raise outcome.failure


def _run(shell: Any, cell: str, *, code_name: str, first_line: int) -> None:
    """Run the cell as IPython would: statements, then the value of a final expression displayed.

    ``first_line`` is the line number of the cell's first line (2 under a magic line).
    """
    tree = ast.parse("\n" * (first_line - 1) + cell, code_name)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    exec(shell.compile(tree, code_name, "exec"), shell.user_ns)
    if last is not None:
        value = eval(shell.compile(ast.Expression(last.value), code_name, "eval"), shell.user_ns)
        if value is not None:
            shell.displayhook(value)


def _execution_count(shell: Any) -> int:
    """The execution count of the cell running now, the number its prompt shows.

    Not ``shell.execution_count``: IPython 9 already counts the next cell while one runs (IPython 8
    counts after). The running cell's own result has the number either way.
    """
    count = getattr(getattr(getattr(shell, "displayhook", None), "exec_result", None), "execution_count", None)
    return count if isinstance(count, int) else shell.execution_count


def _all_cell_labels(shell: Any) -> dict[str, str]:
    """Every cell compiled so far, by its execution count ("cell [3]")."""
    return {f: f"cell [{n}]" for f, n in getattr(shell.compile, "_filename_map", {}).items()}


def _cell_labels(shell: Any, doc: Any) -> dict[str, str]:
    """Notebook cells by their execution count ("cell [3]") instead of a temporary file name."""
    numbers = getattr(shell.compile, "_filename_map", {})
    return {f: f"cell [{numbers[f]}]" for f in doc["source_lines"] if f in numbers}


def register(ipython: Any) -> None:
    ipython.register_magics(GradtapeMagics)


__all__ = ["GradtapeMagics", "last_diagnosis", "last_widget", "register", "run_cell"]
