"""The JSON document (:class:`gradviz.schema.Document`) of a diagnosis: the end of the diagnose stage.

Only serialises what :func:`gradviz.diagnose.diagnose` decided: converts every value to plain
JSON types and collects the source text of every line the document points at. :func:`to_json`
is the one JSON writer (``--json``, the report, the widget's export).
"""

from __future__ import annotations

import json
from typing import Any, Protocol

import networkx as nx

from . import schema, source
from . import trace as T
from .errors import GradvizError
from .result import CallDiagnosis, CaptureSummary, Finding, TapeView
from .source import Location

_DIFFERENTIABLE = frozenset({T.GRAD_OK, T.GRAD_ZERO, T.GRAD_CALL, T.GRAD_READ})


class _Diagnosis(Protocol):
    graph: nx.DiGraph
    calls: list[CallDiagnosis]
    tapes: dict[int, TapeView]
    shown: list[str]
    passes: dict[tuple[str, str], list[int]]
    states: dict[str, dict[int, str]]
    capture: CaptureSummary
    headline: str
    all_connected: bool


def tape_id(i: int) -> str:
    return f"tape:{i}"


class _Lines:
    """The source text of every referenced line, collected while serialising."""

    def __init__(self) -> None:
        self.text: dict[str, dict[str, str]] = {}

    def __call__(self, loc: Location | None) -> tuple[str | None, int | None]:
        if not loc:
            return None, None
        file, line = loc
        known = self.text.setdefault(file, {})
        if str(line) not in known:
            known[str(line)] = source.line(file, line)
        return file, line


def build_document(d: _Diagnosis) -> schema.Document:
    G = d.graph
    lines = _Lines()
    views = d.tapes
    nodes = [_node(G, n, views, d.states, lines) for n in d.shown]
    edges: list[schema.EdgeData] = []
    for u, v, a in G.subgraph(d.shown).edges(data=True):
        op = a.get("op")
        differentiable = a["kind"] not in ("numpy", "assign", "state") and (
            op is None or G.nodes[op]["grad"] in _DIFFERENTIABLE
        )
        edges.append(
            {
                "source": u,
                "target": v,
                "kind": a["kind"],
                "index": int(a.get("index", 0)),
                "recorded_by": [tape_id(t) for t in d.passes.get((u, v), ())],
                "differentiable": bool(differentiable),
            }  # fmt: skip
        )
    calls = [_call(c, lines) for c in d.calls]
    findings = [f for c in d.calls for f in c.findings]
    cap = d.capture
    return {
        "schema_version": schema.SCHEMA_VERSION,
        "meta": {
            "program": cap.program,
            "started": cap.started,
            "duration_s": float(cap.duration_s),
            "gradviz": cap.versions.get("gradviz") or "",
            "tensorflow": cap.versions.get("tensorflow") or "",
            "keras": cap.versions.get("keras"),
            "python": cap.versions.get("python") or "",
            "ops_seen": cap.ops_seen,
            "ops_kept": cap.ops_kept,
            "ops_dropped": cap.ops_dropped,
            "error": cap.error,
            "internal_errors": {"count": cap.internal_error_count, "first": list(cap.internal_errors)},
            "capture_gaps": list(cap.capture_gaps),
            **({"capture_notes": list(cap.notes)} if cap.notes else {}),
        },
        "source_lines": lines.text,
        "summary": {
            "headline": d.headline,
            "gradient_calls": len(d.calls),
            "missing": sum(f.status == "none" for f in findings),
            "zero": sum(f.status == "zero" for f in findings),
            "all_connected": d.all_connected,
        },
        "gradient_calls": calls,
        "graph": {
            "directed": True,
            "multigraph": False,
            "graph": {"tapes": [_tape(v, lines) for _, v in sorted(views.items())]},
            "nodes": nodes,
            "edges": edges,
        },
    }


def _node(
    G: nx.DiGraph, n: str, views: dict[int, TapeView], states: dict[str, dict[int, str]], lines: _Lines
) -> schema.NodeData:
    a = G.nodes[n]
    frame = a.get("frame") or ()
    file, line = lines(frame[0] if frame else None)
    recorded_by = [tape_id(t) for t, view in views.items() if n in view.recorded]
    base: dict[str, Any] = {"id": n, "kind": a["kind"], "file": file, "line": line, "seq": int(a.get("seq", -1))}
    if a["kind"] == "op":
        base.update(
            label=a["op_type"], op_type=a["op_type"], scope=a.get("scope") or "", function=a.get("function"),
            phase="backward" if a["backward"] else "forward",
            tape_state={tape_id(t): state for t, state in states.get(n, {}).items()},
            recorded_by=recorded_by, differentiable=a["grad"] in _DIFFERENTIABLE,
        )  # fmt: skip
    elif a["kind"] == "tensor":
        shape = a.get("shape")
        tid = int(n[2:])
        base.update(
            label=f"{a['dtype']}{list(shape) if shape is not None else ''}", dtype=a["dtype"],
            shape=list(shape) if shape is not None else None, origin=a.get("origin", "unknown"),
            scope=_scope_of(G, n),
            watched_by=[tape_id(t) for t, v in views.items() if any(i == tid for _, i in v.record.watched)],
            recorded_by=recorded_by,
        )  # fmt: skip
    else:
        shape = a.get("shape")
        base.update(
            label=a["name"], name=a["name"], dtype=a["dtype"], trainable=bool(a["trainable"]),
            shape=list(shape) if shape is not None else None, scope=a.get("scope", ""),
            recorded_by=recorded_by,
        )  # fmt: skip
    return base  # type: ignore[return-value]


def _scope_of(G: nx.DiGraph, n: str) -> str:
    for p in G.predecessors(n):
        if G.nodes[p]["kind"] == "op":
            return G.nodes[p].get("scope") or ""
    return ""


def _tape(view: TapeView, lines: _Lines) -> schema.TapeDoc:
    file, line = lines(view.location)
    return {
        "id": tape_id(view.record.id),
        "file": file,
        "line": line,
        "persistent": view.record.persistent,
        "watch_accessed_variables": view.record.watch_accessed_variables,
    }


def _call(c: CallDiagnosis, lines: _Lines) -> schema.GradientCall:
    file, line = lines(c.location)
    return {
        "id": c.index,
        "file": file,
        "line": line,
        "code": c.code or None,
        "tape": tape_id(c.call.tape),
        "target": c.target,
        "target_nodes": [n for n in c.target_nodes if n in set(c.nodes)],
        "count": c.call.count,
        "replicas": c.call.replicas,
        "unconnected_gradients": "zero" if c.call.unconnected_zero else "none",
        "sources": [_finding(f, lines) for f in c.findings],
        "groups": c.groups,
        "group_labels": c.group_labels,
        "nodes": list(c.nodes),
    }


def _finding(f: Finding, lines: _Lines) -> schema.SourceFinding:
    file, line = lines(f.culprit)
    ran_file, ran_line = lines(f.ran_at)
    return {
        "expr": f.expr,
        "name": f.name,
        "node": f.node,
        "status": f.status,  # type: ignore[typeddict-item]
        "cause": f.cause,
        "culprit_file": file,
        "culprit_line": line,
        "culprit_code": source.line(file, line) if file and line else None,
        "ran_file": ran_file,
        "ran_line": ran_line,
        "subject": f.subject,
        "layer": f.layer,
        "explanation": f.explanation,
        "fix": f.fix,
        "evidence": [{"fact": e.fact, "nodes": list(e.nodes)} for e in f.evidence],
        "broken_edges": [{"source": u, "target": v, "cause": c} for u, v, c in f.broken_edges],
        "path": list(f.path),
    }


def to_json(doc: schema.Document, *, indent: int | None = 1) -> str:
    """The document as strict JSON text (UTF-8 names kept). NumPy scalars become plain numbers;
    NaN and Infinity, which JSON does not have, are refused with :class:`GradvizError`."""
    separators = (",", ":") if indent is None else None
    try:
        return json.dumps(doc, indent=indent, ensure_ascii=False, allow_nan=False, separators=separators,
                          default=_plain)  # fmt: skip
    except (TypeError, ValueError) as exc:
        raise GradvizError(
            f"the document is not plain JSON ({exc}); convert NumPy/TensorFlow values and NaN/Infinity "
            "before they reach it"
        ) from exc


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()  # NumPy scalars
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON-serialisable")
