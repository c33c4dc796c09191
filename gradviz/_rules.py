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

import dataclasses
from collections import deque

from . import graph as gr
from . import source
from . import trace as T
from ._absence import AbsenceRules
from ._view import Break, Verdict
from .result import Evidence
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


# What the tape never watched or cannot differentiate: no path the gradient takes, whatever the edges.
_UNWATCHED = frozenset({"not_watched_tensor", "non_trainable_variable", "watch_accessed_variables_false",
                        "integer_dtype"})  # fmt: skip
# Causes that stand without a broken edge: what the tape watched, the dtypes, a zero-gradient op.
_NO_EDGE_NEEDED = _UNWATCHED | {"non_differentiable_op"}


class Rules(AbsenceRules):
    """Explains the sources of every gradient call of one captured program."""

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
                if node not in anc:
                    return self.not_connected(call, src, node, targets, anc, expr)
                if not any(i == src.id for _, i in tape.watched):
                    return Verdict(
                        "not_watched_tensor", self.creation_line(src, node),
                        evidence=[Evidence(f"The target depends on `{expr}`, a plain tensor the tape never "
                                           "watched.", (node,))],
                    )  # fmt: skip
                # Watched, yet nothing the tape recorded flows from it (a loop body's tape watching an
                # outer tensor it reaches only through a capture): the cut below says where it breaks.
            watched_at = [seq for seq, i in tape.watched if i == src.id]
            # Uses in the tape's own graph: a use in an enclosing graph (the tensor reaches a loop body's
            # tape only through a capture) is not a watch that came too late.
            uses = [v for v in G.successors(node)
                    if v in anc and G.nodes[v]["kind"] == "op" and G.nodes[v]["graph"] == tape.graph]  # fmt: skip
            if watched_at and uses and all(G.nodes[v]["seq"] <= min(watched_at) for v in uses):
                return Verdict(
                    "not_watched_tensor", self.creation_line(src, node),
                    evidence=[Evidence(f"tape.watch(`{expr}`) ran after every op that uses it on the way to the "
                                       "target.", (node, *uses))],
                )  # fmt: skip
        if node not in G:
            return self.not_connected(call, src, node, targets, anc, expr)
        # 3. follow what the tape can differentiate
        reach = gr.forward(G, self.as_asked(node, tape), tape, self.cache)
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

    def structural_zero(self, call: T.GradientCallRecord, src: T.SourceRecord, node: str, expr: str) -> Verdict | None:
        """Inside a tf.function TensorFlow's gradient is a graph tensor whose values gradviz never
        sees. It is zero for every input when the graph leaves no way around: every path crosses an
        op whose gradient is zero (``tf.sign``), or a definite break that TensorFlow turned into
        zeros (``unconnected_gradients=ZERO``, a loop body). Then the verdict for a zero; else None."""
        G = self.G
        if src.value_known or node not in G:
            return None
        tape = self.trace.tapes[call.tape]
        targets = [f"t:{t}" for t in call.targets]
        v = self.verdict(call, dataclasses.replace(src, status="zero"), node, expr)
        reach = gr.forward(G, self.as_asked(node, tape), tape, self.cache)
        if (
            v.cause not in _UNWATCHED
            and any(t in reach for t in targets)
            and self.reaches_around_zeros(node, targets, tape)
        ):
            return None
        if v.cause in (None, "unexplained", "float16_underflow", "unused_variable", "target_not_connected"):
            return None
        if v.cause not in _NO_EDGE_NEEDED and not v.broken:
            return None  # a cut cause must show its cut
        v.evidence.insert(0, Evidence(
            f"Inside a tf.function gradviz does not see the values of the gradient TensorFlow gave for `{expr}`; "
            "the graph leaves it no way to the target that carries a nonzero gradient, so it is zero for every input.",
            (node,),
        ))  # fmt: skip
        return v

    def as_asked(self, node: str, tape: T.TapeRecord) -> list[str]:
        """The source as the gradient call sees it: itself, and the placeholders that capture it into the
        tape's traced body (or one around it). A tape or tf.gradients inside a loop body that names an
        outer tensor gets that capture, so a path from it is no loop_body_capture break."""
        G = self.G
        out = [node]
        for v in G.successors(node):
            d = G.edges[node, v]
            if d["kind"] == "capture" and (d.get("into") == tape.graph or d.get("into") in tape.enclosing):
                out.append(v)
        return out

    def reaches_around_zeros(self, node: str, targets: list[str], tape: T.TapeRecord) -> bool:
        """Whether a gradient can reach a target from ``node`` without crossing a zero-gradient op."""
        G = self.G
        starts = self.as_asked(node, tape)
        seen, queue = set(starts), deque(starts)
        while queue:
            u = queue.popleft()
            for v in G.successors(u):
                if v in seen or G.nodes[v].get("grad") == T.GRAD_ZERO or gr.edge_break(G, u, v, tape) is not None:
                    continue
                seen.add(v)
                queue.append(v)
        return any(t in seen for t in targets)

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
            left = self.left_inside_py_function(path, expr)
            if left is not None:
                return left
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

    def left_inside_py_function(self, path: list[str], expr: str) -> Verdict | None:
        """A ``tf.py_function`` on the path whose body took a value out of TensorFlow (``.numpy()``)
        while it ran: TensorFlow then gives a zero gradient through it."""
        G = self.G
        for op in path:
            d = G.nodes[op]
            if d["kind"] != "op" or d["op_type"] != "EagerPyFunc":
                continue
            started = max((G.nodes[p].get("seq", -1) for i in G.predecessors(op) for p in G.predecessors(i)),
                          default=-1)  # fmt: skip
            called_at = tuple(d.get("frame") or ())
            inside = [
                e for e in self.trace.exports
                if started <= e.seq <= d["seq"] and _runs_inside(self.trace.frame(e.frame), called_at)
            ]  # fmt: skip
            if inside:
                e = inside[0]
                line = self.frame_line(e.frame)
                return Verdict(
                    "numpy_roundtrip", line, path=path,
                    evidence=[Evidence(f"The path from `{expr}` runs through a tf.py_function ({self.describe(op)}), "
                                       f"whose body took the value out of TensorFlow at {source.where(line)} "
                                       f"({e.how}); TensorFlow gives a zero gradient through such a body.", (op,))],
                )  # fmt: skip
        return None

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
        mends = {
            c: any(t in gr.forward(G, self.as_asked(node, tape), tape, self.cache, also_pass=c) for t in targets)
            for c in causes
        }
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
            further = self.cut(
                tape, gr.forward(G, self.as_asked(node, tape), tape, self.cache, also_pass=cause), targets
            )
            if further:
                evidence.append(
                    Evidence(f"Mending this alone is not enough: further on, {self.break_fact(further[0], expr)}",
                             further[0][:2])
                )  # fmt: skip
        hint = None
        if cause == "non_differentiable_op":
            lookup = self.lookup_using(u)
            if lookup is not None:  # float ids cast back to integers for an embedding lookup
                evidence.append(Evidence(f"The integer values become the indices of {self.describe(lookup)}.",
                                         (lookup,)))  # fmt: skip
                hint = "embedding_ids"
        return Verdict(cause, culprit, cut, evidence, ran_at=ran_at, path=[], hint=hint)

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


def _runs_inside(stack: T.Frame, call: T.Frame) -> bool:
    """Whether a user stack ran inside the call whose stack is ``call`` (a function it called)."""
    return bool(call) and len(stack) > len(call) and tuple(stack[len(stack) - len(call) :]) == call
