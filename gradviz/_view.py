"""What every diagnosis rule reads: the graph, the trace and the tapes, and small questions about
them (a node's line, who made a tensor, the line in the tape's function, what a tape recorded).
Part of the diagnose stage; :mod:`gradviz._rules` and :mod:`gradviz._absence` build on it."""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from . import graph as gr
from . import source
from . import trace as T
from .result import Evidence, TapeView
from .source import Location

_MAX_PATH = 500
Break = tuple[str, str, str]  # (u, v, cause)


@dataclass
class Verdict:
    cause: str | None
    culprit: Location | None = None
    broken: list[Break] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    ran_at: Location | None = None
    subject: str | None = None
    path: list[str] = field(default_factory=list)
    hint: str | None = None


class GraphView:
    """The captured graph as the rules see it."""

    def __init__(self, G: nx.DiGraph, trace: T.Trace, tapes: dict[int, TapeView]) -> None:
        self.G = G
        self.trace = trace
        self.tapes = tapes
        self.cache: dict[Any, set[str]] = {}
        self._anc: dict[tuple[str, ...], set[str]] = {}
        self._recorded: dict[int, frozenset[str]] = {}
        self.doubts = _capture_doubts(trace)

    def recorded(self, tape: T.TapeRecord) -> frozenset[str]:
        """What a tape recorded (also for tapes no gradient was asked of)."""
        view = self.tapes.get(tape.id)
        if view is not None:
            return view.recorded
        if tape.id not in self._recorded:
            self._recorded[tape.id] = frozenset(gr.tracked(self.G, self.trace, tape))
        return self._recorded[tape.id]

    def ancestors(self, targets: list[str]) -> set[str]:
        key = tuple(targets)
        if key not in self._anc:
            anc: set[str] = set()
            for t in targets:
                if t in self.G:
                    anc |= nx.ancestors(self.G, t)
                    anc.add(t)
            self._anc[key] = anc
        return self._anc[key]

    def line_of(self, node: str | None) -> Location | None:
        if node is None or node not in self.G:
            return None
        frame = gr.node_frame(self.G, node)
        if not frame and node.startswith("t:"):
            p = self.producer(node)
            if p is not None:
                frame = gr.node_frame(self.G, p)
        return frame[0] if frame else None

    def frame_line(self, index: int) -> Location | None:
        frame = self.trace.frame(index)
        return frame[0] if frame else None

    def producer(self, node: str) -> str | None:
        for p in self.G.predecessors(node):
            if self.G.edges[p, node]["kind"] in ("output", "call"):
                return p
        return None

    def outer_value(self, node: str) -> str:
        """The value a traced body's placeholder stands for: follow capture and loop-variable edges
        out to the tensor the enclosing code passed in."""
        seen = {node}
        while True:
            into = [p for p in self.G.predecessors(node) if self.G.edges[p, node]["kind"] in ("capture", "call")]
            if len(into) != 1 or into[0] in seen:
                return node
            node = into[0]
            seen.add(node)

    def describe(self, node: str) -> str:
        """A node in the user's words: "`Mul` at train.py:12", "variable `w`", "a float32[8, 4] tensor"."""
        d = self.G.nodes[node]
        loc = self.line_of(node)
        at = f" at {source.where(loc)}" if loc else ""
        if d["kind"] == "op":
            return f"`{d['op_type']}`{at}"
        if d["kind"] == "variable":
            return f"variable `{d['name']}`"
        shape = list(d["shape"]) if d.get("shape") is not None else "?"
        return f"a {d.get('dtype', '?')}{shape} tensor{at}"

    def lookup_using(self, node: str) -> str | None:
        """A gather/embedding lookup that takes this value as indices, through the index plumbing a
        layer adds (Keras casts ids to float and back, wraps negative ids): integer values, and
        values that casts made."""
        G = self.G
        if node not in G:
            return None
        seen, queue = {node}, deque([(node, 0)])
        while queue:
            n, depth = queue.popleft()
            for v in G.successors(n):
                d = G.nodes[v]
                if d["kind"] == "op" and "Gather" in d["op_type"] and G.edges[n, v].get("index") == 1:
                    return v
                if v in seen or depth >= 12:
                    continue
                plumbing = d["kind"] == "op" or not gr.is_floating(G, v) or G.nodes[n].get("op_type") == "Cast"
                if plumbing:
                    seen.add(v)
                    queue.append((v, depth + 1))
        return None

    def in_tape_function(self, stack: T.Frame, tape: T.TapeRecord) -> Location | None:
        """The entry of ``stack`` that lies in the function holding the tape (its `with` line's
        function): for an op run inside a helper, the line in the tape's function that called it."""
        if not stack:
            return None
        callers = self.trace.frame(tape.frame)[1:]
        n = len(callers)
        if n == 0:
            return stack[-1]
        if len(stack) > n and tuple(stack[-n:]) == tuple(callers):
            return stack[-n - 1]
        return stack[0]

    def edge_seq(self, edge: Break) -> int:
        u, v, _ = edge
        d = self.G.edges[u, v]
        op = d.get("op")
        if op is not None:
            return self.G.nodes[op]["seq"]
        if d["kind"] == "numpy":
            return self.trace.exports[d["export"]].seq
        return self.G.nodes[v].get("seq", 0)

    def depths(self, start: str, wanted: set[str]) -> dict[str, int]:
        """Steps from ``start`` to each wanted node (along any edge): the break nearest the source
        is where its own path breaks, when several breaks of one cause lie on different paths."""
        out: dict[str, int] = {}
        seen, frontier, d = {start}, [start], 0
        while frontier and len(out) < len(wanted) and d < 10_000:
            for n in frontier:
                if n in wanted:
                    out[n] = d
            nxt = []
            for n in frontier:
                for m in self.G.successors(n):
                    if m not in seen:
                        seen.add(m)
                        nxt.append(m)
            frontier, d = nxt, d + 1
        return out

    def creation_line(self, src: T.SourceRecord, node: str) -> Location | None:
        if src.is_variable:
            var = self.trace.variables.get(src.id)
            if var is not None and var.frame >= 0:
                return self.frame_line(var.frame)
            return None
        if node in self.G:
            p = self.producer(node)
            return self.line_of(p if p is not None else node)
        return None

    def rebinding(self, node: str, expr: str) -> Location | None:
        """The line `x = <something with x>` that made the source a new tensor, if a variable fed it."""
        if node not in self.G:
            return None
        p = self.producer(node)
        loc = self.line_of(p) if p is not None else None
        if loc is None or expr not in source.rebinds_itself(*loc):
            return None
        for n in nx.ancestors(self.G, node) | {node}:
            if self.G.nodes[n]["kind"] == "variable":
                for _, _, e in self.G.out_edges(n, data=True):
                    op = e.get("op")
                    if op is not None and self.line_of(op) == loc:
                        return loc
        return None

    def path(self, node: str, nodes: set[str]) -> list[str]:
        """Nodes from the source towards the target, for highlighting (bounded)."""
        if node not in self.G:
            return []
        return sorted(nodes | {node}, key=lambda n: gr.order_key(self.G, n))[:_MAX_PATH]


def _at_level(stack: T.Frame, callers: T.Frame) -> Location | None:
    """The entry of ``stack`` in the function whose callers are ``callers`` (None if not there)."""
    i = _suffix_level(stack, callers)
    return stack[i] if i is not None else None


def _suffix_level(stack: T.Frame, callers: T.Frame) -> int | None:
    """The index in ``stack`` of the frame whose callers are ``callers`` (None if none is)."""
    n = len(callers)
    if len(stack) > n and tuple(stack[len(stack) - n :]) == tuple(callers):
        return len(stack) - n - 1
    return None


def _capture_doubts(trace: T.Trace) -> list[Evidence]:
    """Reasons the captured graph may be incomplete: gradviz's own errors and hooks it could not install."""
    out = []
    if trace.internal_error_count:
        first = trace.internal_errors[0] if trace.internal_errors else ""
        out.append(Evidence(f"Capture had {trace.internal_error_count} internal error(s), so part of the program "
                            f"may be missing from the graph (first: {first}).", ()))  # fmt: skip
    for gap in trace.capture_gaps:
        out.append(Evidence(f"gradviz could not hook {gap}.", ()))
    if trace.other_threads:
        where = ", ".join(_thread_place(w) for w in trace.other_threads)
        out.append(Evidence(f"TensorFlow also ran on other threads (at {where}); gradviz records only the thread "
                            "that started the capture, and a tape only records its own thread.", ()))  # fmt: skip
    return out


def _thread_place(where: str) -> str:
    """``file:line`` as the user reads it; other notes (``library code``) as they are."""
    file, _, line = where.rpartition(":")
    return source.where((file, int(line))) if file and line.isdigit() else where


def _base_name(name: str) -> str:
    """A variable's name without TensorFlow's and Keras' uniquifying suffixes (`w_1`, `Variable:0`)."""
    return re.sub(r"(_\d+)?(:\d+)?(?=/|$)", "", name)
