"""The JSON document (:class:`gradviz.schema.Document`) for a diagnosis: the end of the diagnose stage.

Keeps the part of the graph a reader needs (each gradient call's target and everything it was
computed from, the sources, their paths and broken edges), converts every value to plain JSON
types, and collects the source text of every line it points at.
"""

from __future__ import annotations

import linecache
from typing import TYPE_CHECKING, Any

import networkx as nx

from . import graph as gr
from . import schema
from . import trace as T

if TYPE_CHECKING:
    from .diagnose import Diagnosis

_DIFFERENTIABLE = frozenset({T.GRAD_OK, T.GRAD_ZERO, T.GRAD_CALL, T.GRAD_READ})


def _tape_id(i: int) -> str:
    return f"tape:{i}"


def build_document(d: Diagnosis, *, all_nodes: bool, max_nodes: int, version: str) -> schema.Document:
    G = d.graph
    trace = d.trace
    keep = _relevant(d, all_nodes=all_nodes, max_nodes=max_nodes)
    tapes = {c.call.tape: trace.tapes[c.call.tape] for c in d.calls}
    tracked = {}
    for c in d.calls:
        tape = tapes[c.call.tape]
        if tape.id not in tracked:
            tracked[tape.id] = gr.tracked(G, tape, c.call.watched_variables)
    lines: dict[str, dict[str, str]] = {}

    def loc(frame: Any) -> tuple[str | None, int | None]:
        if not frame:
            return None, None
        file, line = frame[0]
        known = lines.setdefault(file, {})
        if str(line) not in known:
            known[str(line)] = linecache.getline(file, line).rstrip("\n")
        return file, line

    nodes: list[schema.NodeData] = []
    for n in sorted(keep, key=lambda n: gr.order_key(G, n)):
        a = G.nodes[n]
        file, line = loc(a.get("frame"))
        base: dict[str, Any] = {"id": n, "kind": a["kind"], "file": file, "line": line, "seq": int(a.get("seq", -1))}
        if a["kind"] == "op":
            graph_name = trace.graphs[a["graph"] - 1].name if a["graph"] else None
            base.update(
                label=a["op_type"], op_type=a["op_type"], scope=a.get("scope") or "", function=graph_name,
                phase="backward" if a["backward"] else "forward",
                tape_state={_tape_id(t.id): gr.tape_state(G, n, t) for t in tapes.values() if a["graph"] == t.graph},
                recorded_by=[_tape_id(t) for t, s in tracked.items() if n in s],
                differentiable=a["grad"] in _DIFFERENTIABLE,
            )  # fmt: skip
        elif a["kind"] == "tensor":
            shape = a.get("shape")
            base.update(
                label=f"{a['dtype']}{list(shape) if shape is not None else ''}", dtype=a["dtype"],
                shape=list(shape) if shape is not None else None, origin=a.get("origin", "unknown"),
                scope=_scope_of(G, n), watched_by=[_tape_id(t.id) for t in tapes.values() if any(i == int(n[2:]) for _, i in t.watched)],
                recorded_by=[_tape_id(t) for t, s in tracked.items() if n in s],
            )  # fmt: skip
        else:
            shape = a.get("shape")
            base.update(
                label=a["name"], name=a["name"], dtype=a["dtype"], trainable=bool(a["trainable"]),
                shape=list(shape) if shape is not None else None, scope=a["name"].rpartition("/")[0],
                recorded_by=[_tape_id(t) for t, s in tracked.items() if n in s],
            )  # fmt: skip
        nodes.append(base)  # type: ignore[arg-type]

    edges: list[schema.EdgeData] = []
    for u, v, a in G.subgraph(keep).edges(data=True):
        rec = [_tape_id(t.id) for t in tapes.values() if u in tracked[t.id] and gr.edge_break(G, u, v, t) is None]
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
                "recorded_by": rec,
                "differentiable": bool(differentiable),
            }  # fmt: skip
        )

    calls: list[schema.GradientCall] = []
    for c in d.calls:
        sources = []
        for f in c.findings:
            s = f.to_dict()
            if s["culprit_file"] and s["culprit_line"]:
                lines.setdefault(s["culprit_file"], {})[str(s["culprit_line"])] = s["culprit_code"] or ""
            s["path"] = [p for p in s["path"] if p in keep]
            sources.append(s)
        if c.file and c.line:
            lines.setdefault(c.file, {})[str(c.line)] = linecache.getline(c.file, c.line).rstrip("\n")
        calls.append(
            {
                "id": c.index,
                "file": c.file,
                "line": c.line,
                "code": linecache.getline(c.file, c.line).strip() if c.file and c.line else None,
                "tape": _tape_id(c.call.tape),
                "target": c.target,
                "target_nodes": [f"t:{t}" for t in c.call.targets if f"t:{t}" in keep],
                "count": c.call.count,
                "unconnected_gradients": "zero" if c.call.unconnected_zero else "none",
                "sources": sources,
            }  # fmt: skip
        )
    missing = sum(f.status == "none" for f in d.findings)
    zero = sum(f.status == "zero" for f in d.findings)
    versions = trace.versions
    graph_doc: schema.GraphDoc = {
        "directed": True,
        "multigraph": False,
        "graph": {
            "tapes": [
                dict(
                    zip(("file", "line"), loc(trace.frame(t.frame))),
                    id=_tape_id(t.id),
                    persistent=t.persistent,
                    watch_accessed_variables=t.watch_accessed_variables,
                )
                for t in trace.tapes
                if t.id in tapes
            ]
        },
        "nodes": nodes,
        "edges": edges,
    }
    return {
        "schema_version": schema.SCHEMA_VERSION,
        "meta": {
            "program": trace.program,
            "started": trace.started,
            "duration_s": float(trace.duration_s),
            "gradviz": version,
            "tensorflow": versions.get("tensorflow") or "",
            "keras": versions.get("keras"),
            "python": versions.get("python") or "",
            "ops_seen": int(trace.ops_seen),
            "ops_kept": len(trace.ops),
            "ops_dropped": int(trace.ops_dropped),
            "error": trace.error,
        },
        "source_lines": lines,
        "summary": {
            "headline": d.headline,
            "gradient_calls": len(d.calls),
            "missing": missing,
            "zero": zero,
            "all_connected": d.all_connected,
        },
        "gradient_calls": calls,
        "graph": graph_doc,
    }


def _scope_of(G: nx.DiGraph, n: str) -> str:
    for p in G.predecessors(n):
        if G.nodes[p]["kind"] == "op":
            return G.nodes[p].get("scope") or ""
    return ""


def _relevant(d: Diagnosis, *, all_nodes: bool, max_nodes: int) -> set[str]:
    """Each call's target and what it came from, plus sources, paths and broken edges; bounded."""
    G = d.graph
    if all_nodes:
        return set(list(G.nodes)[:max_nodes]) if len(G) > max_nodes else set(G.nodes)
    must: set[str] = set()
    rest: set[str] = set()
    for c in d.calls:
        targets = [f"t:{t}" for t in c.call.targets if f"t:{t}" in G]
        must.update(targets)
        for f in c.findings:
            if f.node:
                must.add(f.node)
            must.update(f.path)
            for u, v, _ in f.broken_edges:
                must.update((u, v))
        for t in targets:
            rest |= nx.ancestors(G, t)
    rest = {n for n in rest - must if not G.nodes[n].get("backward")}
    if len(must) + len(rest) > max_nodes:
        room = max(0, max_nodes - len(must))
        rest = set(sorted(rest, key=lambda n: gr.order_key(G, n), reverse=True)[:room])
    return must | rest
