"""The rules for a source with no captured path to the target: a re-created variable, a rebound
name, a value that left TensorFlow, a TensorArray write whose result was dropped, an unused source
(named as the user's code names what it dropped), or a target that depends on none of the sources
-- each claimed only when the target's computation was captured whole, else ``unexplained``."""

from __future__ import annotations

import networkx as nx

from . import graph as gr
from . import source
from . import trace as T
from ._view import GraphView, Verdict, _at_level, _base_name, _suffix_level
from .result import Evidence
from .source import Location

# Ops that return an updated container instead of changing it in place (TensorArray.write).
_CONTAINER_WRITES = frozenset(
    {"TensorListSetItem", "TensorListPushBack", "TensorListScatterIntoExistingList", "TensorArrayWriteV3",
     "TensorArrayScatterV3"}
)  # fmt: skip


class AbsenceRules(GraphView):
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
            handle = self.outer_value(handle) if handle is not None else None
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

    def _why_no_maker(self) -> str:
        """Why a value an op made has no maker in the graph: the ops the capture did not keep were
        dropped by the op bound, or left out with a loop's repeated steps (``repeats.py``), or both."""
        left_out = sum(run.ops for run in self.trace.repeated_steps)
        bound = self.trace.ops_dropped > left_out
        repeated = "made in a repeated step of a loop, left out of the capture (see the capture notes)"
        if left_out:
            return f"dropped by the op bound (--max-ops), or {repeated}" if bound else repeated
        return "dropped by the op bound (--max-ops)" if bound else "made by an op gradviz did not see"

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
                out.append((n, self._why_no_maker()))
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
        derived = {n for n in nx.descendants(G, node) if self.while_asked(n, call, tape)} if node in G else set()
        ends = [
            n for n in derived
            if G.nodes[n]["kind"] == "tensor" and gr.is_floating(G, n) and not any(v in derived for v in G.successors(n))
        ]  # fmt: skip
        if not ends:
            evidence.append(Evidence(f"Nothing computed from `{expr}` was used while the tape recorded.", ()))
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
            return Verdict("unused_variable", line, evidence=evidence, subject=key, path=self.path(node, derived),
                           hint="compile_loss")  # fmt: skip
        culprit, name = self.dropped_at(end, call, tape, anc)
        label = f"`{name}`" if name else self.describe(end)
        evidence.append(Evidence(f"What `{expr}` computed ends in {label}, which nothing on the way to the "
                                 "target uses.", (end,)))  # fmt: skip
        return Verdict("unused_variable", culprit or self.target_line(targets, tape), evidence=evidence,
                       subject=name, path=self.path(node, derived))  # fmt: skip

    def while_asked(self, n: str, call: T.GradientCallRecord, tape: T.TapeRecord) -> bool:
        """Whether ``n`` was computed by the time the gradient was asked and, in the tape's own
        context, after the tape opened: a weight printed after ``fit`` or a warm-up ``model(x)``
        before the tape is not where the target left the source out."""
        G = self.G
        op = n if G.nodes[n]["kind"] == "op" else self.producer(n)
        if op is None:
            return True
        d = G.nodes[op]
        return d["seq"] <= call.seq and (d["graph"] != tape.graph or d["seq"] >= tape.entered)

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
        live = _suffix_level(self.trace.frame(call.frame), callers) is not None
        name = call.names.get(int(end[2:])) if live else None
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
