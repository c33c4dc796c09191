"""Widget stage: the gradient-dependency graph of a :class:`~gradviz.schema.Document` in Jupyter.

The drawing is done by the anywidget front end in ``gradviz/static/widget.js`` (built from
``js/``); this module syncs the document and the small UI state, and answers the front end's
"Export HTML" request with the offline report of :mod:`gradviz.report`.
"""

from __future__ import annotations

import pathlib
from typing import Any

import anywidget
import traitlets

from .errors import GradvizError
from .report import read_bundle, report_html, save_report, suggested_filename
from .schema import SCHEMA_VERSION, Document
from .source import short_name

__all__ = ["FINDINGS_MIME", "GraphWidget"]

#: The output type that carries a widget's findings to the JupyterLab extension (js/src/lab/findings.ts).
FINDINGS_MIME = "application/vnd.gradviz.findings+json"


class GraphWidget(anywidget.AnyWidget):
    """The graph of what fed each ``tape.gradient`` call, with why each missing gradient is missing.

    ``GraphWidget(document)`` draws one :class:`~gradviz.schema.Document`; ``%%gradtape`` and
    ``gradviz.diagnose`` build one for you. Synced state: ``document``, ``selected_node`` (a graph
    node id, ``""`` for none), ``selected_finding`` (``"<call index>:<source index>"`` or ``""``) and
    ``export_enabled``; set them from Python to drive the view, read them to see what the user
    picked. ``to_html()`` / ``save_html(path)`` give the same drawing as a self-contained HTML
    file that works offline.

    Visual encoding (the same in the widget and the HTML report; drawn by ``js/src/render.ts``):

    * Sources are coloured by gradient status: green with a check mark when the gradient exists,
      red with a cross when it is None, amber with ``0`` when it is zero.
    * Variables are pill-shaped boxes (name, shape, dtype, "non-trainable"); ops are
      square-cornered boxes labelled with their op type; the few tensors kept as nodes (sources,
      targets, constants and converted Python values, NumPy-born values) are small white pills.
      A tensor with one producer is drawn as the edge it travels along.
    * Ops the selected call's tape recorded are solid blue-grey; ops it did not record are hollow
      grey (subtitled "paused" under ``tape.stop_recording()``); ops that ran while that tape was
      not open are dashed violet boxes subtitled "outside tape".
    * The target (the loss) has a heavy outline and a TARGET tag.
    * A broken edge -- where the path from a source to the target is cut -- is red and dashed,
      with a red badge naming the cause (``outside_tape``, ``stop_gradient``...); a break gradviz
      cannot explain (``unexplained``) is grey, as is its finding's card. Grey dotted edges are
      not differentiable, amber dotted edges are NumPy round trips, faint edges carry no
      gradient for the selected tape. Dash-dotted edges are ``capture`` edges (an outer tensor a
      traced body captured); round-dotted edges carry state (``state``: a variable's stored
      value; ``resource``: a queue, table or iterator filled by one op, read by a later one).
    * A collapsed layer / name scope is a stacked box with its op and variable counts and one dot
      per source inside (status colours); a red ``!`` badge (or a count) means broken edges are
      hidden inside, a violet line counts its ops run outside the tape. Click it to expand; click
      an expanded scope's title bar to collapse it.
    * Selecting a finding dims everything but its path and broken edges (or, for one of its
      evidence facts, what that fact is about); search matches glow yellow; the selected node has
      an accent outline.
    * A line under the header warns when gradviz had internal errors while capturing or could
      not install a hook (``meta.internal_errors``, ``meta.capture_gaps``).
    """

    document = traitlets.Dict().tag(sync=True)
    selected_node = traitlets.Unicode("").tag(sync=True)
    selected_finding = traitlets.Unicode("").tag(sync=True)
    export_enabled = traitlets.Bool(True).tag(sync=True)

    @property
    def _esm(self) -> str:
        # Read when a widget is made, not at import: `import gradviz` works in a source checkout
        # that has not built the front end, and the error then says how to build it.
        return read_bundle("widget.js")

    def __init__(self, document: Document, **kwargs: Any) -> None:
        version = document.get("schema_version") if isinstance(document, dict) else None
        if version != SCHEMA_VERSION:
            raise GradvizError(
                f"GraphWidget draws schema_version {SCHEMA_VERSION} documents, got {version!r}; "
                "make the document with the same gradviz version that draws it"
            )
        super().__init__(document=document, **kwargs)
        self.on_msg(self._on_custom_message)

    def to_html(self, *, title: str | None = None) -> str:
        """The offline HTML report of this widget's document (see :func:`gradviz.report.report_html`)."""
        return report_html(self.document, title=title)

    def save_html(self, path: str | pathlib.Path, *, title: str | None = None) -> pathlib.Path:
        """Write :meth:`to_html` to ``path`` and return it (see :func:`gradviz.report.save_report`)."""
        return save_report(self.document, path, title=title)

    def __repr__(self) -> str:
        calls = self.document.get("gradient_calls") or []
        missing = [s for c in calls for s in c.get("sources") or [] if s.get("status") == "none"]
        zero = [s for c in calls for s in c.get("sources") or [] if s.get("status") == "zero"]
        labels = (self.document.get("meta") or {}).get("file_labels") or {}
        parts = [_plural(len(calls), "gradient call")]
        if not missing and not zero:
            parts.append("all connected" if calls else "nothing to check")
        if missing:
            parts.append(f"{_plural(len(missing), 'missing gradient')}{_where(missing, labels)}")
        if zero:
            parts.append(f"{_plural(len(zero), 'zero gradient')}{_where(zero, labels)}")
        return f"<GraphWidget: {', '.join(parts)}>"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """The widget view, plus the document without its graph under :data:`FINDINGS_MIME`.

        Front ends render only the richest type they know (the widget); the notebook keeps every
        type in the output, which is where gradviz's JupyterLab extension reads the findings for
        its side panel and its jump-to-line (a widget cannot reach the application, ipywidgets#3827).
        """
        bundle = super()._repr_mimebundle_(**kwargs)
        if not bundle:
            return bundle
        data, metadata = bundle
        graph = self.document.get("graph") or {}
        data[FINDINGS_MIME] = {**self.document, "graph": {**graph, "nodes": [], "edges": []}}
        return data, metadata

    def _on_custom_message(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if not isinstance(content, dict) or content.get("type") != "export_html":
            return
        if not self.export_enabled:
            return
        try:
            html = self.to_html()
        except GradvizError as exc:
            self.send({"type": "export_html", "error": str(exc)})
            return
        self.send({"type": "export_html", "html": html, "filename": suggested_filename(self.document)})


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _where(findings: list[dict[str, Any]], labels: dict[str, str]) -> str:
    """`` (outside_tape at train.py:5)`` for the first finding, ``, +N more`` for the rest."""
    first = findings[0]
    where = str(first.get("cause") or "no cause found")
    if first.get("culprit_line") is not None:
        where += f" at {short_name(first.get('culprit_file'), labels)}:{first['culprit_line']}"
    if len(findings) > 1:
        where += f", +{len(findings) - 1} more"
    return f" ({where})"
