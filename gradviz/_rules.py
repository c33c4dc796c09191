"""The diagnose stage's rules: for one source of one gradient call, the cause, the culprit line and
the evidence, derived from the captured graph alone (never from names or comments).

How a missing gradient is explained, in order:

1. an integer source or target (``integer_dtype``);
2. a source the tape never watched: a non-trainable variable, a tape with
   ``watch_accessed_variables=False``, a plain tensor (or a Python name rebound to one);
3. follow every edge a gradient can pass from the source. If the target is reached, the graph
   sees a connected path: a zero is explained by a piecewise-constant op or float16 underflow, and
   a None that the graph cannot explain is ``unexplained``;
4. otherwise the edges where the gradient stops short of the target ("the cut") say why. Breaks
   on float-carrying paths come first (an integer side branch such as ``tf.shape`` never outranks
   the real break); among them, the cause whose mending alone would connect the target wins;
5. no path at all: a variable re-created on each call, a rebound name, a value that left
   TensorFlow unseen, an unused source, or a target that depends on none of the sources -- each
   claimed only when the target's computation was captured whole; otherwise ``unexplained``,
   saying what was seen and what is missing.
"""

from __future__ import annotations

import ast
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

# When several causes are each enough to connect the target (or none is), the most specific wins;
# a numpy round trip matched by value is weaker evidence than an op seen on the path.
PRIORITY = (
    "loop_body_capture",
    "stop_gradient",
    "non_differentiable_op",
    "custom_gradient_returns_none",
    "unassigned_tensorarray_write",
    "dataset_boundary",
    "variable_assign",
    "numpy_roundtrip",
    "integer_dtype",
    "stop_recording",
    "outside_tape",
    "unexplained",
)
_TAPE_CAUSES = frozenset({"outside_tape", "stop_recording"})
# Ops that return an updated container instead of changing it in place (TensorArray.write).
_CONTAINER_WRITES = frozenset(
    {"TensorListSetItem", "TensorListPushBack", "TensorListScatterIntoExistingList", "TensorArrayWriteV3",
     "TensorArrayScatterV3"}
)  # fmt: skip
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


class Rules:
    """Explains the sources of every gradient call of one captured program."""

    def __init__(self, G: nx.DiGraph, trace: T.Trace, tapes: dict[int, TapeView]) -> None:
        self.G = G
        self.trace = trace
        self.tapes = tapes
        self.cache: dict[Any, set[str]] = {}
        self._anc: dict[tuple[str, ...], set[str]] = {}
        self._recorded: dict[int, frozenset[str]] = {}
        self.doubts = _capture_doubts(trace)

    # ---------------------------------------------------------------- small helpers
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
        """A gather/embedding lookup that takes this integer value (or one made from it) as indices."""
        if node not in self.G:
            return None
        seen, queue = {node}, deque([(node, 0)])
        while queue:
            n, depth = queue.popleft()
            for v in self.G.successors(n):
                d = self.G.nodes[v]
                if d["kind"] == "op" and "Gather" in d["op_type"] and self.G.edges[n, v].get("index") == 1:
                    return v
                if v not in seen and depth < 6 and not gr.is_floating(self.G, v if d["kind"] != "op" else n):
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

    # ---------------------------------------------------------------- one source
    def verdict(self, call: T.GradientCallRecord, src: T.SourceRecord, node: str, expr: str) -> Verdict:
        G = self.G
        tape = self.trace.tapes[call.tape]
        targets = [f"t:{t}" for t in call.targets]
        anc = self.ancestors(targets)
        # 1. integers carry no gradient
        if src.dtype not in gr.FLOATING and src.dtype not in ("unknown", "resource"):
            lookup = self.lookup_using(node)
            evidence = [Evidence(f"`{expr}` has dtype {src.dtype}.", (node,) if node in G else ())]
            if lookup is not None:
                evidence.append(Evidence(f"It is used as the indices of {self.describe(lookup)}.", (lookup,)))
            return Verdict("integer_dtype", self.creation_line(src, node), evidence=evidence,
                           hint="embedding_ids" if lookup is not None else None)  # fmt: skip
        for t, dt in zip(targets, call.target_dtypes):
            if dt not in gr.FLOATING:
                return Verdict(
                    "integer_dtype", self.line_of(self.producer(t) if t in G else None),
                    evidence=[Evidence(f"The target has dtype {dt}.", (t,) if t in G else ())],
                )  # fmt: skip
        # 2. was the source watched at all?
        if src.is_variable:
            if src.id not in call.watched_variables:
                explicit = any(i == src.id for _, i in tape.watched)
                if not explicit and src.trainable is False:
                    return Verdict(
                        "non_trainable_variable", self.creation_line(src, node),
                        evidence=[Evidence(f"`{expr}` was created with trainable=False and never passed to "
                                           "tape.watch.", (node,) if node in G else ())],
                    )  # fmt: skip
                if not explicit and not tape.watch_accessed_variables:
                    return Verdict(
                        "watch_accessed_variables_false", self.frame_line(tape.frame),
                        evidence=[Evidence(f"The tape was made with watch_accessed_variables=False and "
                                           f"`{expr}` was never passed to tape.watch.", (node,) if node in G else ())],
                    )  # fmt: skip
        else:
            tracked = self.tapes[tape.id].recorded
            if node not in tracked:
                rebound = self.rebinding(node, expr)
                if rebound is not None:
                    return Verdict(
                        "python_reassignment", rebound,
                        evidence=[Evidence(f"The name `{expr}` was bound at {source.where(rebound)} to a new "
                                           "tensor computed from a variable.", (node,))],
                    )  # fmt: skip
                if node in anc:
                    return Verdict(
                        "not_watched_tensor", self.creation_line(src, node),
                        evidence=[Evidence(f"The target depends on `{expr}`, a plain tensor the tape never "
                                           "watched.", (node,))],
                    )  # fmt: skip
                return self.not_connected(call, src, node, targets, anc, expr)
            watched_at = [seq for seq, i in tape.watched if i == src.id]
            uses = [v for v in G.successors(node) if v in anc and G.nodes[v]["kind"] == "op"]
            if watched_at and uses and all(G.nodes[v]["seq"] <= min(watched_at) for v in uses):
                return Verdict(
                    "not_watched_tensor", self.creation_line(src, node),
                    evidence=[Evidence(f"tape.watch(`{expr}`) ran after every op that uses it on the way to the "
                                       "target.", (node, *uses))],
                )  # fmt: skip
        if node not in G:
            return self.not_connected(call, src, node, targets, anc, expr)
        # 3. follow what the tape can differentiate
        reach = gr.forward(G, [node], tape, self.cache)
        if any(t in reach for t in targets):
            return self.connected(call, src, node, reach, anc, expr)
        # 4. the cut between what the gradient reaches and what the target needs
        cut = self.cut(tape, reach, targets)
        if cut:
            v = self.choose_break(call, tape, node, targets, cut, expr)
            if not v.path:
                v.path = self.path(node, (reach & anc) | {n for e in v.broken for n in e[:2]})
            return v
        return self.not_connected(call, src, node, targets, anc, expr)

    # ---------------------------------------------------------------- connected (zero, or unseen)
    def connected(
        self, call: T.GradientCallRecord, src: T.SourceRecord, node: str, reach: set[str], anc: set[str], expr: str
    ) -> Verdict:
        path = self.path(node, reach & anc)
        if src.status == "zero":
            zeros = [n for n in reach & anc if self.G.nodes[n].get("grad") == T.GRAD_ZERO]
            if zeros:
                op = min(zeros, key=lambda n: self.G.nodes[n]["seq"])
                return Verdict(
                    "non_differentiable_op", self.line_of(op), path=[op],
                    evidence=[Evidence(f"The path from `{expr}` crosses {self.describe(op)}, whose gradient is "
                                       "zero almost everywhere.", (op,))],
                )  # fmt: skip
            half = [n for n in path if self.G.nodes[n].get("dtype") == "float16"]
            scaled = {f"t:{t}" for t in self.trace.scaled_losses} & anc
            if half and not scaled:
                return Verdict(
                    "float16_underflow", self.frame_line(call.frame), path=path,
                    evidence=[
                        Evidence(f"The path from `{expr}` to the target is connected and computed in float16 "
                                 f"({len(half)} float16 values on it, e.g. {self.describe(half[0])}).", tuple(half[:10])),
                        Evidence("The loss was not scaled (no LossScaleOptimizer.scale_loss on the way to the "
                                 "target), so small backward values round to exactly 0 in float16.", ()),
                    ],
                )  # fmt: skip
            return Verdict(None, path=path)  # a real zero: connected, and the numbers happen to be 0
        seen = f"gradviz sees a connected path from `{expr}` to the target ({len(path)} nodes)"
        missing = "but TensorFlow returned None, so something on that path is not in the captured graph"
        return Verdict(
            "unexplained", self.frame_line(call.frame), path=path,
            evidence=[Evidence(f"{seen}, {missing}.", tuple(path[:20])), *self.doubts],
        )  # fmt: skip

    # ---------------------------------------------------------------- the cut
    def cut(self, tape: T.TapeRecord, reach: set[str], targets: list[str]) -> list[Break]:
        """Broken edges from what the gradient reaches to what the target needs. Those on a
        float-carrying way to the target come first; integer side branches only when there are none."""
        G = self.G
        beyond = self.beyond(targets, reach, floating_only=False)
        edges = []
        for u in reach:
            for v in G.successors(u):
                if v in reach or v not in beyond:
                    continue
                why = gr.edge_break(G, u, v, tape)
                if why is not None:
                    edges.append((u, v, why))
        if not edges:
            return []
        floating = self.beyond(targets, reach, floating_only=True)
        first_tier = [e for e in edges if e[1] in floating]
        chosen = first_tier or edges
        chosen.sort(key=lambda e: (self.edge_seq(e), gr.order_key(G, e[0]), gr.order_key(G, e[1])))
        return chosen

    def beyond(self, targets: list[str], reach: set[str], *, floating_only: bool) -> set[str]:
        """What the targets are computed from, outside ``reach``; with ``floating_only``, only along
        edges that carry floating-point values (the ways a gradient could come back)."""
        G = self.G
        seen = {t for t in targets if t in G and t not in reach}
        queue = deque(seen)
        while queue:
            n = queue.popleft()
            n_is_op = G.nodes[n]["kind"] == "op"
            for p in G.predecessors(n):
                if p in seen or p in reach:
                    continue
                if floating_only and not gr.is_floating(G, p if n_is_op else n):
                    continue
                seen.add(p)
                queue.append(p)
        return seen

    def choose_break(
        self, call: T.GradientCallRecord, tape: T.TapeRecord, node: str, targets: list[str], cut: list[Break], expr: str
    ) -> Verdict:
        G = self.G
        causes = {c for _, _, c in cut}
        if causes <= _TAPE_CAUSES:
            other = self.other_tape_recorded(tape, node, targets)
            if other is not None:
                return Verdict(
                    "wrong_tape", self.frame_line(call.frame), cut,
                    evidence=[Evidence(f"The tape opened at {source.where(self.frame_line(tape.frame))} did not "
                                       f"record the path from `{expr}`; the tape opened at "
                                       f"{source.where(self.frame_line(other.frame))} did.", ())],
                )  # fmt: skip
        mends = {c: any(t in gr.forward(G, [node], tape, self.cache, also_pass=c) for t in targets) for c in causes}
        enough = [c for c in PRIORITY if mends.get(c)]
        cause = enough[0] if enough else next(c for c in PRIORITY if c in causes)
        chosen = [e for e in cut if e[2] == cause]
        depth = self.depths(node, {u for u, _, _ in chosen})
        first = min(chosen, key=lambda e: (depth.get(e[0], len(depth)), self.edge_seq(e)))
        culprit, ran_at = self.edge_culprit(first, tape)
        if cause in ("unexplained", "loop_body_capture"):
            culprit, ran_at = self.frame_line(call.frame), None
        u, v, _ = first
        op = G.edges[u, v].get("op") or v
        evidence = [Evidence(self.break_fact(first, expr), (u, v, op))]
        if len(chosen) > 1:
            evidence.append(Evidence(f"{len(chosen)} edges on the way to the target break the same way.", ()))
        for other in sorted(causes - {cause}, key=PRIORITY.index):
            e = next(e for e in cut if e[2] == other)
            evidence.append(Evidence(f"Another way to the target is also cut: {self.break_fact(e, expr)}", e[:2]))
        if not enough:
            further = self.cut(tape, gr.forward(G, [node], tape, self.cache, also_pass=cause), targets)
            if further:
                evidence.append(
                    Evidence(f"Mending this alone is not enough: further on, {self.break_fact(further[0], expr)}",
                             further[0][:2])
                )  # fmt: skip
        return Verdict(cause, culprit, cut, evidence, ran_at=ran_at, path=[])

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

    def break_fact(self, edge: Break, expr: str) -> str:
        u, v, cause = edge
        d = self.G.edges[u, v]
        op = d.get("op")
        what = self.describe(op) if op is not None else self.describe(v)
        if d["kind"] == "output" and cause == "non_differentiable_op":
            return f"{what} returns {self.describe(v)}: integer values (indices, positions) carry no gradient."
        if d["kind"] == "capture":
            return (f"{self.describe(v)} is the traced body's own copy of {self.describe(u)} (a captured value); "
                    "the gradient asked inside the body stops there.")  # fmt: skip
        if d["kind"] == "numpy":
            e = self.trace.exports[d["export"]]
            return (f"the value left TensorFlow at {source.where(self.frame_line(e.frame))} ({e.how}) and came back "
                    f"as {self.describe(v)}.")  # fmt: skip
        return {
            "outside_tape": f"{what} ran while the tape was not recording.",
            "stop_recording": f"{what} ran inside tape.stop_recording().",
            "stop_gradient": f"{what} stops the gradient.",
            "non_differentiable_op": f"{what} has no gradient for this input.",
            "numpy_roundtrip": f"{what} runs NumPy code, which TensorFlow cannot differentiate.",
            "variable_assign": f"{what} writes a variable's state, which carries no gradient.",
            "integer_dtype": f"{what} takes an integer value.",
            "dataset_boundary": f"{what} is a tf.data op: its functions run where no tape records.",
            "unassigned_tensorarray_write": f"{what} writes into a TensorArray whose result is dropped.",
            "custom_gradient_returns_none": f"{what} is a custom-gradient function whose gradient is None here.",
            "unexplained": f"{what} puts the value into a resource (a queue, a table) and a later op takes it out; "
            "gradients do not cross such state, and gradviz has no more specific cause for it.",
        }.get(cause, f"{what} breaks the path ({cause}).")

    def edge_culprit(self, edge: Break, tape: T.TapeRecord) -> tuple[Location | None, Location | None]:
        """(the line a person edits, where the op ran when that is another line)."""
        u, v, cause = edge
        d = self.G.edges[u, v]
        if d["kind"] == "numpy":
            return self.frame_line(self.trace.exports[d["export"]].frame), None
        if d["kind"] == "state":
            return self.line_of(u), None
        op = d.get("op") or v
        if cause == "custom_gradient_returns_none":
            where = self.G.nodes[op].get("grad_fn")
            line = source.return_line(*where) if where else None
            return (line or self.line_of(op)), None
        if cause == "outside_tape":
            stack = gr.node_frame(self.G, op)
            line = self.in_tape_function(stack, tape)
            ran = stack[0] if stack else None
            return line, (ran if ran != line else None)
        return self.line_of(op), None

    def other_tape_recorded(self, tape: T.TapeRecord, start: str, targets: list[str]) -> T.TapeRecord | None:
        """Another tape that recorded a connected path from ``start`` to the targets."""
        candidates: set[int] = set()
        for n in self.ancestors(targets):
            d = self.G.nodes[n]
            if d["kind"] == "op":
                candidates.update(d["recording"])
        candidates.discard(tape.id)
        for other in (self.trace.tapes[i] for i in sorted(candidates)):
            if start not in self.recorded(other):
                continue
            if any(t in gr.forward(self.G, [start], other, self.cache) for t in targets):
                return other
        return None

    # ---------------------------------------------------------------- no path at all
    def not_connected(
        self, call: T.GradientCallRecord, src: T.SourceRecord, node: str, targets: list[str], anc: set[str], expr: str
    ) -> Verdict:
        G = self.G
        tape = self.trace.tapes[call.tape]
        if src.is_variable:
            recreated = self.recreated(src, node, tape, anc)
            if recreated is not None:
                return recreated
        else:
            rebound = self.rebinding(node, expr)
            if rebound is not None:
                return Verdict(
                    "python_reassignment", rebound,
                    evidence=[Evidence(f"The name `{expr}` was bound at {source.where(rebound)} to a new tensor "
                                       "computed from a variable.", (node,) if node in G else ())],
                )  # fmt: skip
        left = self.left_tensorflow(call, node, anc) or self.numpy_by_source(node, anc, expr)
        if left is not None:
            return left
        dropped = self.dropped_write(node, anc, expr)
        if dropped is not None:
            return dropped
        holes = self.holes(targets, anc)
        if holes or self.doubts:
            return self.unexplained_absence(call, expr, targets, holes)
        sources = [f"v:{s.id}" if s.is_variable else f"t:{s.id}" for s in call.sources]
        used = [s for s in sources if s in anc]
        if not used:
            culprit = self.parting_line(node, targets, anc, tape)
            return Verdict(
                "target_not_connected", culprit,
                evidence=[Evidence("The target's computation was captured whole and none of the sources is in it.",
                                   tuple(targets))],
            )  # fmt: skip
        return self.unused(call, src, node, targets, anc, expr)

    def dropped_write(self, node: str, anc: set[str], expr: str) -> Verdict | None:
        """A TensorArray write computed from the source whose result (the new TensorArray) nothing
        used, while the target reads the TensorArray from before that write."""
        G = self.G
        if node not in G:
            return None
        for n in sorted(nx.descendants(G, node), key=lambda n: gr.order_key(G, n)):
            d = G.nodes[n]
            if d["kind"] != "op" or d["op_type"] not in _CONTAINER_WRITES:
                continue
            outs = [t for t in G.successors(n) if G.edges[n, t]["kind"] == "output"]
            handle = next((p for p in G.predecessors(n) if G.edges[p, n].get("index") == 0), None)
            if outs and all(not G.out_degree(t) for t in outs) and handle in anc:
                return Verdict(
                    "unassigned_tensorarray_write", self.line_of(n),
                    evidence=[
                        Evidence(f"{self.describe(n)} writes a value computed from `{expr}` and returns a new "
                                 "TensorArray that nothing uses.", (n, *outs)),
                        Evidence("The target reads the TensorArray from before that write.", (handle,)),
                    ],
                )  # fmt: skip
        return None

    def holes(self, targets: list[str], anc: set[str]) -> list[tuple[str, str]]:
        """Values the target depends on whose making gradviz did not see: (node, why)."""
        G = self.G
        out = []
        for n in anc:
            d = G.nodes[n]
            if d["kind"] != "tensor" or G.in_degree(n):
                continue
            origin = d.get("origin")
            if origin == "function_input":
                out.append((n, "an input of a traced function that gradviz could not link to its caller"))
            elif origin == "op":
                why = (
                    "dropped by the op bound (--max-ops)"
                    if self.trace.ops_dropped
                    else "made by an op gradviz did not see"
                )
                out.append((n, why))
            elif origin == "unknown":
                out.append((n, "made where gradviz could not see (another thread, or before capture)"))
        return sorted(out, key=lambda h: gr.order_key(G, h[0]))

    def unexplained_absence(
        self, call: T.GradientCallRecord, expr: str, targets: list[str], holes: list[tuple[str, str]]
    ) -> Verdict:
        evidence = [Evidence(f"No captured path leads from `{expr}` to the target.", tuple(targets))]
        for n, why in holes[:5]:
            evidence.append(Evidence(f"The target depends on {self.describe(n)}, {why}.", (n,)))
        if len(holes) > 5:
            evidence.append(Evidence(f"... and {len(holes) - 5} more such values.", ()))
        evidence.extend(self.doubts)
        return Verdict("unexplained", self.frame_line(call.frame), evidence=evidence)

    def parting_line(self, node: str, targets: list[str], anc: set[str], tape: T.TapeRecord) -> Location | None:
        """Where the target's computation parts from the source's: the first op of the target's
        computation that reads what the source was also computed from (a second forward pass),
        else the line that made the target (a constant, another tensor)."""
        G = self.G
        if node in G:
            common = (nx.ancestors(G, node) | {node}) & anc
            own = nx.ancestors(G, node) | nx.descendants(G, node) | {node}
            firsts = [
                v for c in common for v in G.successors(c)
                if v in anc and v not in own and G.nodes[v]["kind"] == "op"
            ]  # fmt: skip
            if firsts:
                op = min(firsts, key=lambda n: G.nodes[n]["seq"])
                return self.in_tape_function(gr.node_frame(G, op), tape)
        return self.target_line(targets, tape)

    def target_line(self, targets: list[str], tape: T.TapeRecord) -> Location | None:
        """The line in the tape's function that computed the target."""
        if not targets or targets[0] not in self.G:
            return None
        p = self.producer(targets[0])
        if p is None:
            return self.line_of(targets[0])
        return self.in_tape_function(gr.node_frame(self.G, p), tape)

    def unused(
        self, call: T.GradientCallRecord, src: T.SourceRecord, node: str, targets: list[str], anc: set[str], expr: str
    ) -> Verdict:
        """The source took no part: name the line a person edits -- where its output is left out,
        or the branch that skips its layer -- and the output as the user's code names it."""
        G = self.G
        tape = self.trace.tapes[call.tape]
        evidence = [Evidence(f"No captured path leads from `{expr}` to the target, which uses other sources.",
                             tuple(targets))]  # fmt: skip
        derived = nx.descendants(G, node) if node in G else set()
        ends = [n for n in derived if G.nodes[n]["kind"] == "tensor" and not G.out_degree(n) and gr.is_floating(G, n)]
        if not ends:
            evidence.append(Evidence(f"Nothing computed from `{expr}` was used while the program ran.", ()))
            skip = self.skipped_layer_branch(src)
            if skip is not None:
                line, attr = skip
                evidence.append(Evidence(f"Its layer `self.{attr}` is called only under the condition at "
                                         f"{source.where(line)}, which did not hold.", ()))  # fmt: skip
                return Verdict("unused_variable", line, evidence=evidence, subject=attr, hint="skipped_branch")
            used = [f"v:{s.id}" for s in call.sources if s.is_variable and f"v:{s.id}" in anc]
            culprit = self.sibling_line(used, anc, tape) or self.target_line(targets, tape)
            return Verdict("unused_variable", culprit, evidence=evidence)
        end = max(ends, key=lambda n: gr.order_key(G, n))
        lossless = self.output_without_loss(end)
        if lossless is not None:
            line, key = lossless
            evidence.append(
                Evidence(
                    f"What `{expr}` computed ends in the model output `{key}`, and the loss "
                    f"given to compile() at {source.where(line)} has no entry for `{key}`.",
                    (end,),
                )
            )
            return Verdict("unused_variable", line, evidence=evidence, subject=key, path=self.path(node, derived))
        culprit, name = self.dropped_at(end, call, tape, anc)
        label = f"`{name}`" if name else self.describe(end)
        evidence.append(Evidence(f"What `{expr}` computed ends in {label}, which nothing on the way to the "
                                 "target uses.", (end,)))  # fmt: skip
        return Verdict("unused_variable", culprit or self.target_line(targets, tape), evidence=evidence,
                       subject=name, path=self.path(node, derived))  # fmt: skip

    def dropped_at(
        self, end: str, call: T.GradientCallRecord, tape: T.TapeRecord, anc: set[str]
    ) -> tuple[Location | None, str | None]:
        """Where an output nothing used was left out, and the user's name for it.

        Walk out from the line that computed it: while its function returns it, go to the caller
        (following its place in a returned tuple). Where it stops: a caller that takes another
        element (``encoder(ids)[0]``) drops it on that very line; otherwise a name holds it, and
        the line a person edits is the last line at that level that computes the target's part
        (the loss that leaves it out).
        """
        G = self.G
        producer = self.producer(end)
        stack = gr.node_frame(G, producer) if producer is not None else ()
        if not stack:
            return None, call.names.get(int(end[2:]))
        level, loc = 0, stack[0]
        bound = source.bound_names(*loc)
        inner_name = bound[0] if len(bound) == 1 else None
        while level + 1 < len(stack) and source.returned(*loc, bound):
            position = source.return_position(*loc, bound)
            level, loc = level + 1, stack[level + 1]
            if position is not None and source.drops_element(*loc, position):
                return loc, inner_name  # the caller keeps another element: dropped right here
            bound = source.bound_names(*loc)
            if position is not None and len(bound) > position:
                bound = [bound[position]]
        callers = stack[level + 1 :]
        name = call.names.get(int(end[2:])) if _suffix_level(self.trace.frame(call.frame), callers) else None
        if not bound and name is None:
            return loc, inner_name  # never held by a name: left out on this line
        last = None
        end_seq = G.nodes[end]["seq"]
        for n in anc:
            d = G.nodes[n]
            if d["kind"] != "op" or d["seq"] <= end_seq:
                continue
            here = _at_level(d.get("frame") or (), callers)
            if here is not None and source.same_function(loc, here) and (last is None or d["seq"] > last[0]):
                last = (d["seq"], here)
        subject = name or (bound[0] if len(bound) == 1 else inner_name)
        return (last[1] if last else loc), subject

    def output_without_loss(self, end: str) -> tuple[Location, str] | None:
        """A Keras model output that compile()'s loss dict leaves out, when ``end`` is made by it."""
        producer = self.producer(end)
        scope = self.G.nodes[producer].get("scope", "") if producer is not None else ""
        parts = {_base_name(p) for p in scope.split("/")}
        for c in reversed(self.trace.compiles):
            if c.loss_keys is None:
                continue
            for key, layer in c.outputs.items():
                if key not in c.loss_keys and layer in parts:
                    line = self.frame_line(c.frame)
                    return (line, key) if line else None
        return None

    def skipped_layer_branch(self, src: T.SourceRecord) -> tuple[Location, str] | None:
        """For a Keras weight whose layer never ran: the `if` line under which the owner's code
        calls it, and the attribute that holds the layer."""
        var = self.trace.variables.get(src.id)
        made = self.frame_line(var.frame) if var is not None and var.frame >= 0 else None
        if made is None:
            return None
        line = source.conditional_call_of_attribute(*made)
        attr = source.assigned_attribute(*made)
        return (line, attr) if line is not None and attr else None

    def sibling_line(self, used: list[str], anc: set[str], tape: T.TapeRecord) -> Location | None:
        """The line where the other sources were last used on the way to the target: where the
        computation that leaves this one out is written."""
        G = self.G
        best = None
        for s in used:
            for _, _, d in G.out_edges(s, data=True):
                op = d.get("op")
                if op is not None and op in anc and (best is None or G.nodes[op]["seq"] > G.nodes[best]["seq"]):
                    best = op
        return self.in_tape_function(gr.node_frame(G, best), tape) if best is not None else None

    def recreated(self, src: T.SourceRecord, node: str, tape: T.TapeRecord, anc: set[str]) -> Verdict | None:
        var = self.trace.variables.get(src.id)
        if var is None or var.frame < 0:
            return None
        site = self.frame_line(var.frame)
        for other in anc:
            if not other.startswith("v:") or other == node:
                continue
            o = self.trace.variables.get(int(other[2:]))
            if (
                o is not None and o.frame >= 0 and self.frame_line(o.frame) == site
                and var.seq < tape.entered <= o.seq and _base_name(o.name) == _base_name(var.name)
            ):  # fmt: skip
                return Verdict(
                    "recreated_variable", site,
                    evidence=[Evidence(f"{source.where(site)} made a new variable `{o.name}` after the one asked "
                                       "about; the target uses the new one.", (node, other))],
                )  # fmt: skip
        return None

    def left_tensorflow(self, call: T.GradientCallRecord, node: str, anc: set[str]) -> Verdict | None:
        """Where a value computed from the source left TensorFlow, when the target depends on a
        tensor that appeared from outside TensorFlow after that, while the same tape recorded."""
        G = self.G
        tape = self.trace.tapes[call.tape]
        if node not in G:
            return None
        derived = nx.descendants(G, node) | {node}
        end = tape.exited if tape.exited >= 0 else call.seq
        for e in reversed(self.trace.exports):
            if not (tape.entered <= e.seq <= end) or not any(f"t:{t}" in derived for t in e.tensors):
                continue
            for n in anc:
                d = G.nodes[n]
                if (
                    d["kind"] == "tensor" and d.get("origin") in ("constant", "numpy", "input")
                    and d["seq"] >= e.seq and d.get("dtype") in gr.FLOATING
                ):  # fmt: skip
                    line = self.frame_line(e.frame)
                    return Verdict(
                        "numpy_roundtrip", line,
                        evidence=[Evidence(f"A value computed from the source left TensorFlow at {source.where(line)} "
                                           f"({e.how}); later the target used {self.describe(n)} that no op made.",
                                           (n,))],
                    )  # fmt: skip
        return None

    def numpy_by_source(self, node: str, anc: set[str], expr: str) -> Verdict | None:
        """A NumPy function applied to a tensor reads it through the buffer protocol, unseen. Read
        the user's lines instead: the target uses a value no op made, at a line that reads a name
        bound by a NumPy call on a name bound where ops computed from the source ran."""
        G = self.G
        if node not in G:
            return None
        derived = nx.descendants(G, node) | {node}
        lines = {loc for n in derived if G.nodes[n]["kind"] == "op" for loc in gr.node_frame(G, n)}
        for b in sorted(anc, key=lambda n: gr.order_key(G, n)):
            d = G.nodes[b]
            if d["kind"] != "tensor" or G.in_degree(b) or d.get("origin") not in ("input", "constant"):
                continue
            for born in gr.node_frame(G, b)[:3]:
                found = self._numpy_line(born, lines, depth=2)
                if found is not None:
                    line, call_text, name = found
                    return Verdict(
                        "numpy_roundtrip", line,
                        evidence=[Evidence(f"At {source.where(line)}, `{call_text}` turns `{name}`, a tensor computed "
                                           f"from `{expr}`, into a NumPy value; at {source.where(born)} it comes back "
                                           f"as {self.describe(b)} that no op made.", (b,))],
                    )  # fmt: skip
        return None

    def _numpy_line(self, loc: Location, lines: set[Location], depth: int) -> tuple[Location, str, str] | None:
        """(the line that left TensorFlow, the NumPy call, the tensor's name) behind ``loc``."""
        file, line = loc
        call_text = source.numpy_call(file, line)
        for name in source.names_read(file, line):
            bound = source.binding_before(file, line, name)
            if bound is None:
                continue
            if call_text is not None and (file, bound) in lines:
                return loc, call_text, name
            if depth > 0:
                found = self._numpy_line((file, bound), lines, depth - 1)
                if found is not None:
                    return found
        return None

    # ---------------------------------------------------------------- lines
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
        where = ", ".join(source.where((f, int(n))) for f, _, n in (w.rpartition(":") for w in trace.other_threads))
        out.append(Evidence(f"TensorFlow also ran on other threads (at {where}); gradviz records only the thread "
                            "that started the capture, and a tape only records its own thread.", ()))  # fmt: skip
    return out


def _base_name(name: str) -> str:
    """A variable's name without TensorFlow's and Keras' uniquifying suffixes (`w_1`, `Variable:0`)."""
    return re.sub(r"(_\d+)?(:\d+)?(?=/|$)", "", name)


def call_exprs(file: str | None, line: int | None, paths: list[tuple[Any, ...]]) -> tuple[str, list[str | None]] | None:
    """The target and each flattened source as written in the `tape.gradient(...)` call.

    A source written as one expression that holds several (`model.trainable_variables`, a dict)
    gets one entry per element, by its place in the structure: `vs["dense"]`, `params[2]`.
    """
    n = len(paths)
    tree = source.module(file) if file and line else None
    if tree is None or line is None or file is None:
        return None
    best = None
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("gradient", "gradients", "jacobian", "batch_jacobian")
            and node.lineno <= line <= (node.end_lineno or node.lineno)
        ):  # fmt: skip
            if best is None or node.lineno >= best.lineno:
                best = node
    if best is None:
        return None
    args = list(best.args)
    kw = {k.arg: k.value for k in best.keywords}
    target = args[0] if args else kw.get("target", kw.get("ys"))
    sources = args[1] if len(args) > 1 else kw.get("sources", kw.get("xs"))
    if target is None or sources is None:
        return None
    flat: list[ast.AST] = []

    def walk(e: ast.AST) -> None:
        if isinstance(e, (ast.List, ast.Tuple)):
            for x in e.elts:
                walk(x)
        else:
            flat.append(e)

    walk(sources)
    if len(flat) == n:
        exprs: list[str | None] = [source.segment(file, e) for e in flat]
    elif len(flat) == 1:
        base = source.segment(file, flat[0])
        if not isinstance(flat[0], (ast.Name, ast.Attribute, ast.Subscript, ast.Call)):
            base = f"({base})"
        exprs = [base + "".join(f"[{k!r}]" for k in path) for path in paths]
    else:
        exprs = [None] * n
    return source.segment(file, target), exprs
