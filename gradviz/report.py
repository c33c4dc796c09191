"""Report stage: one self-contained HTML file that draws a :class:`~gradviz.schema.Document` offline.

The file inlines the renderer bundle (``gradviz/static/report.js``, built from ``js/`` by
``npm run build``), the document as JSON, and a few lines that stand in for the Jupyter kernel,
so it opens from ``file://`` or an e-mail attachment with no server and no network.

Safety rests on three things, each enough on its own for the case it covers:

* Every string Python writes into the HTML (title, program path, headline, versions) is
  HTML-escaped; the document goes into a ``<script type="application/gzip">`` block as base64 of
  its gzip-compressed JSON, so no value can close the tag (and a 10k-op graph is 0.5 MB of page,
  not 7 MB for the browser's HTML parser to scan). The renderer must put names on the page as
  text, never as markup. :func:`read_report` gives the document back.
* A Content-Security-Policy allows exactly the two inline scripts below (by SHA-256 hash, which
  also turns off inline event handlers such as ``onerror=``), inline styles, ``data:`` images and
  the renderer's Blob-URL layout worker. Every fetch, image, font, frame or form target elsewhere
  is refused, so the page cannot reach the network even if asked to.
* The renderer's stand-in model (``gradviz.localModel``) never talks to anything: ``send``
  is a no-op and export is switched off.
"""

from __future__ import annotations

import base64
import datetime as _dt
import gzip
import hashlib
import html
import json
import pathlib
import re
from importlib import resources
from typing import Any

from .document import to_json
from .errors import BundleMissingError, GradvizError
from .schema import Document
from .workers import summary_lines

__all__ = ["read_report", "report_html", "save_report"]

_DOCUMENT_ELEMENT_ID = "gradviz-document"
_ROOT_ELEMENT_ID = "gradviz-root"
# The document's element: base64 follows it (see document_payload), then "</script>".
_DOCUMENT_OPENING = f'<script type="application/gzip" id="{_DOCUMENT_ELEMENT_ID}">'

# UTF-8 cannot hold a lone surrogate; JSON can, as an escape.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")

# Draws the document with the renderer's own kernel-less model (`gradviz.localModel`, in the
# bundle): same methods as the anywidget model, `send` goes nowhere, export is off. Kept free of
# "</" so it can sit inside a <script> element as is.
_BOOTSTRAP_JS = """\
(function () {
  "use strict";
  var root = document.getElementById("ROOT_ID");
  function fail(err) {
    var p = document.createElement("p");
    p.className = "gv-report-error";
    p.textContent = "gradviz could not draw this report: " + err;
    root.appendChild(p);
    throw err;
  }
  function draw(doc) {
    var model = globalThis.gradviz.localModel({
      document: doc, selected_node: "", selected_finding: "", export_enabled: false
    });
    globalThis.gradvizReportModel = model;
    globalThis.gradviz.render(root, model);
    document.documentElement.classList.add("gv-drawn");
  }
  function bytes(text) {
    if (Uint8Array.fromBase64) return Uint8Array.fromBase64(text);
    var s = atob(text), out = new Uint8Array(s.length);
    for (var i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  }
  try {
    var gz = new Blob([bytes(document.getElementById("DOCUMENT_ID").textContent.trim())]);
    new Response(gz.stream().pipeThrough(new DecompressionStream("gzip"))).json()
      .then(draw).catch(fail);
  } catch (err) {
    fail(err);
  }
})();
""".replace("ROOT_ID", _ROOT_ELEMENT_ID).replace("DOCUMENT_ID", _DOCUMENT_ELEMENT_ID)

# The renderer draws its own header (program, time, versions, headline) below the title; the
# page's copy of those is for viewers that run no script or a renderer that failed, and hides
# once the drawing is up.
_STYLE = """\
:root { color-scheme: light dark; }
html, body { height: 100%; margin: 0; }
body { display: flex; flex-direction: column;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; }
.gv-report-header { padding: 6px 14px; border-bottom: 1px solid #8884; }
.gv-report-header h1 { font-size: 15px; margin: 0; overflow-wrap: anywhere; }
.gv-report-header .gv-headline { font-size: 15px; margin: 6px 0; font-weight: 600; }
.gv-report-header dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px;
  margin: 0 0 4px; font-size: 12px; }
.gv-report-header dt { font-weight: 600; }
.gv-report-header dd { margin: 0; overflow-wrap: anywhere; }
.gv-drawn .gv-report-header .gv-fallback { display: none; }
#gradviz-root { flex: 1; min-height: 0; }
#gradviz-root > .gradviz-root { height: 100%; }
.gv-report-error, .gv-report-header .gv-run-error { color: #c62828; }
.gv-report-header .gv-capture-warning { margin: 2px 0 4px; padding-left: 6px; border-left: 3px solid #c98200;
  font-size: 12px; overflow-wrap: anywhere; }
.gv-noscript { padding: 12px 20px; }
.gv-report-header .gv-workers { margin: 4px 0; font-size: 12px; white-space: pre-wrap; }
"""


def report_html(document: Document, *, title: str | None = None) -> str:
    """Return the report for ``document`` as one self-contained HTML page.

    ``title`` defaults to ``"gradviz: <program>"``. Raises :class:`~gradviz.errors.BundleMissingError`
    when the renderer bundle has not been built, and :class:`~gradviz.errors.GradvizError` when the
    document is not plain JSON (NumPy scalars, NaN).
    """
    meta: dict[str, Any] = dict(document.get("meta") or {})
    if title is None:
        title = f"gradviz: {meta.get('program') or 'report'}"
    bundle = _script_text(read_bundle("report.js"))
    bootstrap = _BOOTSTRAP_JS
    csp = "; ".join(
        [
            "default-src 'none'",
            f"script-src {_csp_hash(bundle)} {_csp_hash(bootstrap)}",
            "style-src 'unsafe-inline'",
            "img-src data:",
            "font-src data:",
            "worker-src blob:",
            "connect-src 'none'",
            "base-uri 'none'",
            "form-action 'none'",
        ]
    )
    esc = html.escape
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{esc(csp)}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="gradviz {esc(str(meta.get("gradviz") or ""))}">
<title>{esc(title)}</title>
<style>
{_STYLE}</style>
</head>
<body>
{_header_html(document, title)}
<main id="{_ROOT_ELEMENT_ID}"></main>
{_noscript_html(document)}
{_DOCUMENT_OPENING}{document_payload(document)}</script>
<script>{bundle}</script>
<script>{bootstrap}</script>
</body>
</html>
"""


def save_report(document: Document, path: str | pathlib.Path, *, title: str | None = None) -> pathlib.Path:
    """Write :func:`report_html` to ``path`` (UTF-8) and return the path, parent folders created."""
    path = pathlib.Path(path)
    text = report_html(document, title=title)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="")
    return path


def read_bundle(name: str) -> str:
    """Return the text of a built front-end file in ``gradviz/static/`` (``widget.js``, ``report.js``)."""
    try:
        return resources.files("gradviz").joinpath("static").joinpath(name).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BundleMissingError(
            f"gradviz's front end is not built: gradviz/static/{name} is missing. "
            "In a source checkout run `npm ci && npm run build` in js/ "
            "(installed wheels ship it built)."
        ) from None


def document_payload(document: Document) -> str:
    """``document`` as base64 of its gzip-compressed compact JSON, for the report's ``<script>``.

    Lone surrogates, which UTF-8 cannot hold, are written as ``\\uXXXX`` escapes; ``mtime=0``
    keeps the page byte-identical for the same document.
    """
    text = _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", to_json(document, indent=None))
    return base64.b64encode(gzip.compress(text.encode("utf-8"), compresslevel=6, mtime=0)).decode("ascii")


def read_report(path: str | pathlib.Path) -> Document:
    """Return the document a report written by :func:`save_report` draws."""
    page = pathlib.Path(path).read_text(encoding="utf-8")
    found = re.search(f"{re.escape(_DOCUMENT_OPENING)}([^<]*)</script>", page)
    if found is None:
        raise GradvizError(f"{path} is not a gradviz report (no document in it).")
    document: Document = json.loads(gzip.decompress(base64.b64decode(found.group(1))))
    return document


def suggested_filename(document: Document) -> str:
    """A file name for the report of ``document``: ``gradviz-<program stem>.html``."""
    program = str((document.get("meta") or {}).get("program") or "")
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", pathlib.PurePath(program).stem).strip("-.")
    return f"gradviz-{stem or 'report'}.html"


def _script_text(code: str) -> str:
    # The HTML parser normalises CRLF before the browser hashes a script, and "</script" would
    # end the element early; bundlers already escape it inside strings, this covers comments.
    code = code.replace("\r\n", "\n").replace("\r", "\n")
    return re.sub(r"</(script)", r"<\\/\1", code, flags=re.IGNORECASE)


def _csp_hash(code: str) -> str:
    digest = hashlib.sha256(code.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def _header_html(document: Document, title: str) -> str:
    esc = html.escape
    meta: dict[str, Any] = dict(document.get("meta") or {})
    summary: dict[str, Any] = dict(document.get("summary") or {})
    rows: list[tuple[str, str]] = []
    if meta.get("program"):
        rows.append(("Program", str(meta["program"])))
    if meta.get("started"):
        when = _friendly_time(str(meta["started"]))
        if meta.get("duration_s") is not None:
            when += f" (ran {float(meta['duration_s']):.2f} s)"
        rows.append(("Run", when))
    versions = [
        f"{label} {meta[key]}"
        for key, label in (
            ("gradviz", "gradviz"),
            ("tensorflow", "TensorFlow"),
            ("keras", "Keras"),
            ("python", "Python"),
        )
        if meta.get(key)
    ]
    if versions:
        rows.append(("Versions", " \u00b7 ".join(versions)))
    if meta.get("ops_seen") is not None:
        ops = f"{meta.get('ops_kept', meta['ops_seen'])} shown of {meta['ops_seen']} seen"
        if meta.get("ops_dropped"):
            ops += f" ({meta['ops_dropped']} dropped)"
        rows.append(("Ops", ops))
    details = "\n".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in rows)
    error = ""
    if meta.get("error"):
        error = f'<dt>Error</dt><dd class="gv-run-error">{esc(str(meta["error"]))}</dd>'
    headline = summary.get("headline") or ""
    warnings = ""
    for text, tip in _capture_warnings(meta):
        title_attr = f' title="{esc(tip)}"' if tip else ""
        warnings += f'\n<p class="gv-capture-warning"{title_attr}>{esc(text)}</p>'
    return f"""<header class="gv-report-header">
<h1>{esc(title)}</h1>
<div class="gv-fallback">
<p class="gv-headline">{esc(str(headline))}</p>
<dl>
{details}{error}
</dl>{warnings}
</div>{_workers_html(document)}
</header>"""


def _workers_html(document: Document) -> str:
    """A multi-worker run's chief: which workers made which calls. The renderer does not draw
    this, so it stays on the page (outside the fallback)."""
    lines = "\n".join(summary_lines(document))
    return f'\n<pre class="gv-workers">{html.escape(lines)}</pre>' if lines else ""


def _capture_warnings(meta: dict[str, Any]) -> list[tuple[str, str]]:
    """(line, tooltip) for gradviz's own trouble while capturing, as the renderer's header says it.

    They sit in the header's fallback, which viewers without scripts see too, so the
    ``<noscript>`` list does not repeat them.
    """
    out = []
    errors = meta.get("internal_errors") or {}
    count = int(errors.get("count") or 0)
    if count > 0:
        first = "\n".join(str(m) for m in errors.get("first") or [])
        out.append(
            (
                f"gradviz had {count} internal error{'' if count == 1 else 's'} while capturing; "
                "the graph may be incomplete",
                f"first: {first}" if first else "",
            )
        )
    gaps = [str(g) for g in meta.get("capture_gaps") or []]
    if gaps:
        out.append(
            (
                f"gradviz could not hook: {'; '.join(gaps)}; causes that need those hooks may go unseen",
                "\n".join(gaps),
            )
        )
    return out


def _noscript_html(document: Document) -> str:
    """The findings as plain text for viewers that run no scripts (mail previews, some IDEs)."""
    esc = html.escape
    items = []
    for call in document.get("gradient_calls") or []:
        for source in call.get("sources") or []:
            if source.get("status") == "ok":
                continue
            where = ""
            if source.get("culprit_line") is not None:
                where = f" at {source.get('culprit_file') or '?'}:{source['culprit_line']}"
            if source.get("ran_line") is not None:
                where += f", ran at {source.get('ran_file') or source.get('culprit_file') or '?'}:{source['ran_line']}"
            code = source.get("culprit_code")
            facts = "".join(f"<li>{esc(str(e.get('fact') or ''))}</li>" for e in source.get("evidence") or [])
            seen = "What gradviz saw" if source.get("cause") == "unexplained" else "Evidence"
            items.append(
                "<li>"
                f"<code>{esc(str(source.get('expr')))}</code>: {esc(str(source.get('status')))} "
                f"({esc(str(source.get('cause')))}{esc(where)})"
                + (f"<br><code>{esc(str(code).strip())}</code>" if code else "")
                + f"<br>{esc(str(source.get('explanation') or ''))}"
                + (f"<br>{seen}:<ul>{facts}</ul>" if facts else "<br>")
                + f"Fix: {esc(str(source.get('fix') or ''))}</li>"
            )
    body = f"<ul>{''.join(items)}</ul>" if items else "<p>All gradients are connected.</p>"
    return f'<noscript><div class="gv-noscript">{body}</div></noscript>'


def _friendly_time(iso: str) -> str:
    try:
        when = _dt.datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    if when.tzinfo is not None:
        when = when.astimezone(_dt.timezone.utc)
        return when.strftime("%Y-%m-%d %H:%M:%S UTC")
    return when.strftime("%Y-%m-%d %H:%M:%S")
