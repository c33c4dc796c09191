"""Stage 2, graph: turn a :class:`~gradviz.trace.Trace` into a networkx dependency graph.

No TensorFlow here. Nodes are ops (``op:<seq>``), tensors (``t:<id>``) and variables (``v:<id>``);
edges carry the data flow with a ``kind`` (see :mod:`gradviz.schema`). Whether a gradient can pass
along an edge depends on the tape asking, so it is not stored on the graph: :func:`edge_break`
answers it for one tape, :func:`forward` follows what a tape can differentiate, and
:func:`tracked` gives everything a tape recorded.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from typing import Any

import networkx as nx

from . import trace as T

# dtypes a gradient can flow through ("variant": TensorList handles, which carry TensorArray values)
FLOATING = frozenset({"float16", "bfloat16", "float32", "float64", "complex64", "complex128", "variant"})
_OPAQUE = frozenset({"resource", "unknown", None})
_LOOPS = frozenset({"While", "StatelessWhile"})
_BRANCHES = frozenset({"If", "StatelessIf", "Case", "StatelessCase"})
_SKIP_OPS = frozenset({"VarHandleOp", "NoOp", "Placeholder", "DestroyResourceOp"})
Edge = tuple[str, str]


def op_node(seq: int) -> str:
    return f"op:{seq}"


def build_graph(trace: T.Trace) -> nx.DiGraph:
    """The dependency graph of everything captured."""
    # Collected in plain dicts and added in bulk: networkx's per-call overhead dominates otherwise.
    nodes: dict[str, dict[str, Any]] = {}
    edges: list[tuple[str, str, dict[str, Any]]] = []
    variables = trace.variables
    # A captured variable (or other resource) is the same object inside and out: merge the inner
    # placeholder into it. A captured tensor gets an edge of its own, since a tape or tf.gradients
    # inside the body sees only the body's copy.
    outer: dict[int, int] = {}
    tensor_captures: list[tuple[int, int, int]] = []  # (outer, inner, graph)
    for gi, g in enumerate(trace.graphs, 1):
        for inner, out in g.captures.items():
            info = trace.tensors.get(out)
            if out in variables or info is None or info.dtype == "resource":
                outer[inner] = out
            else:
                tensor_captures.append((out, inner, gi))

    def resolve(tid: int) -> int:
        seen = 0
        while tid in outer and seen < 8:
            tid = outer[tid]
            seen += 1
        return tid

    def tensor(tid: int) -> str:
        node = f"t:{tid}"
        if node not in nodes:
            info = trace.tensors.get(tid)
            frame = trace.frame(info.frame) if info is not None else ()
            nodes[node] = dict(
                kind="tensor", dtype=info.dtype if info else "unknown",
                shape=info.shape if info else None, origin=info.origin if info else "unknown",
                seq=info.seq if info else -1, frame=frame,
            )  # fmt: skip
        return node

    def variable(vid: int) -> str:
        node = f"v:{vid}"
        if node not in nodes:
            v = variables[vid]
            nodes[node] = dict(
                kind="variable", name=v.name, dtype=v.dtype, shape=v.shape,
                trainable=v.trainable, seq=v.seq, frame=trace.frame(v.frame),
            )  # fmt: skip
        return node

    reads: dict[int, list[tuple[int, int, str]]] = {}  # variable -> (graph, seq, reading node)
    read_scopes: dict[int, list[str]] = {}  # variable -> the name scopes of the ops that read it, in order
    assigns: dict[int, list[tuple[int, int, str]]] = {}  # variable -> (graph, seq, assign op node)
    resources: dict[int, list[tuple[int, int, str]]] = {}  # other resource -> (graph, seq, op writing it)
    from_backward: set[int] = set()  # tensors computed from a gradient (optimizer updates)
    from_variables: set[int] = set()  # tensors computed from a variable's value
    overridden: dict[int, str] = {}  # tensor -> the custom-gradient op that re-records it as its output
    for op in trace.ops:
        if op.backward or (from_backward and not from_backward.isdisjoint(op.inputs)):
            from_backward.update(op.outputs)
        if op.grad == T.GRAD_READ or op.hidden_reads or not from_variables.isdisjoint(op.inputs):
            from_variables.update(op.outputs)
        if op.op_type in _SKIP_OPS:
            if op.op_type == "Placeholder":
                for tid in op.outputs:  # a traced function's input: linked to its caller by call edges
                    nodes[tensor(tid)]["origin"] = "function_input"
            continue
        ins = [resolve(t) for t in op.inputs]
        initial = op.grad == T.GRAD_ASSIGN and bool(ins) and ins[0] in variables and variables[ins[0]].seq == op.seq
        if initial and from_variables.isdisjoint(ins[1:]):
            continue  # the variable's own initial value (kept when computed from other variables)
        bodies = _linked_bodies(op, trace)
        node = op_node(op.seq)
        nodes[node] = dict(
            kind="op", op_type=op.op_type, seq=op.seq, frame=trace.frame(op.frame),
            scope=op.scope, graph=op.graph, grad=op.grad, backward=op.backward,
            recording=op.recording, paused=op.paused, name=op.name,
            function=trace.graphs[op.graph - 1].name if op.graph else None,
        )  # fmt: skip
        for i, tid in enumerate(ins):
            if op.callee or bodies:
                break  # arguments flow into the function's placeholders (the call edges below)
            if tid in variables:
                if op.grad == T.GRAD_ASSIGN and i == 0:
                    if initial or from_backward.isdisjoint(op.inputs[1:]):  # not an optimizer step
                        assigns.setdefault(tid, []).append((op.graph, op.seq, node))
                elif op.grad in (T.GRAD_READ, T.GRAD_CALL, T.GRAD_DATASET):
                    edges.append((variable(tid), node, dict(kind="read", index=i, op=node)))
                    reads.setdefault(tid, []).append((op.graph, op.seq, node))
                    read_scopes.setdefault(tid, []).append(op.scope)
                continue
            info = trace.tensors.get(tid)
            if info is not None and info.dtype == "resource":
                # iterators, queues, tables: state that flows from the op that fills it to the
                # ops that read it (below)
                if not op.outputs:  # fills it: MakeIterator, QueueEnqueue, LookupTableInsert
                    resources.setdefault(tid, []).append((op.graph, op.seq, node))
                    nodes[node]["fills_resource"] = True
                else:  # reads it: IteratorGetNext, QueueDequeue, LookupTableFind
                    for graph, wseq, writer in reversed(resources.get(tid, ())):
                        if graph == op.graph and wseq < op.seq:
                            edges.append((writer, node, dict(kind="resource", index=i, op=node)))
                            break
                continue
            kind = "assign" if op.grad == T.GRAD_ASSIGN else "input"
            edges.append((tensor(tid), node, dict(kind=kind, index=i, op=node)))
        for vid, tid in op.hidden_reads:
            if vid in variables:
                t = tensor(tid)
                edges.append((variable(vid), t, dict(kind="read", index=0, op=node)))
                reads.setdefault(vid, []).append((op.graph, op.seq, t))
                read_scopes.setdefault(vid, []).append(op.scope)
        if op.grad == T.GRAD_CUSTOM:  # the tape takes these outputs from the custom op, not their first maker
            overridden.update((t, node) for t in op.outputs)
            custom = trace.custom_gradients.get(op.seq)
            nodes[node]["none_inputs"] = custom.none_inputs if custom and custom.none_inputs is not None else ()
            nodes[node]["grad_fn"] = custom.grad_fn if custom else None
        for i, tid in enumerate(op.outputs):
            edges.append((node, tensor(tid), dict(kind="output", index=i, op=node)))
        for callee, args in ([(op.callee, ins)] if op.callee else []) + bodies:
            fn = trace.graphs[callee - 1]
            for i, (a, b) in enumerate(zip(args, fn.inputs)):
                info = trace.tensors.get(a)
                if a not in variables and info is not None and info.dtype != "resource":
                    edges.append((tensor(a), tensor(b), dict(kind="call", index=i, op=node)))
            for i, (a, b) in enumerate(zip(fn.outputs, op.outputs)):
                edges.append((tensor(a), f"t:{b}", dict(kind="call", index=i, op=node)))

    for out, inner, gi in tensor_captures:
        if f"t:{inner}" in nodes:
            edges.append((tensor(resolve(out)), f"t:{inner}", dict(kind="capture", index=0, op=None, into=gi)))

    for call in trace.calls:  # targets and sources no op consumed still belong in the graph
        for tid in call.targets:
            tensor(tid)
        for src in call.sources:
            if src.is_variable and src.id in variables:
                variable(src.id)
            elif not src.is_variable:
                tensor(src.id)

    # A read after an assign carries the assigned value: the only link from that value onwards.
    # Only within one graph (a traced function's ops run when it is called, not when traced), and
    # not from optimizer steps (values computed from gradients), which would tie each training
    # step to the one before.
    for vid, writes in assigns.items():
        for graph, seq, reader in reads.get(vid, ()):
            last = None
            for wgraph, wseq, wnode in writes:
                if wgraph == graph and wseq < seq:
                    last = wnode
            if last is not None and last != reader:
                edges.append((last, reader, dict(kind="state", index=0, op=reader)))

    # Values that left TensorFlow and came back, matched by their numbers.
    by_hash: dict[int, list[int]] = {}
    for i, e in enumerate(trace.exports):
        for h in e.hashes:
            by_hash.setdefault(h, []).append(i)
    for tid, h in trace.births.items():
        node = f"t:{tid}"
        if node not in nodes:
            continue
        born = nodes[node]["seq"]
        earlier = [i for i in by_hash.get(h, ()) if trace.exports[i].seq <= born]
        if earlier:
            e = trace.exports[earlier[-1]]
            for src in e.tensors:
                if f"t:{src}" in nodes:
                    edges.append((f"t:{src}", node, dict(kind="numpy", index=0, export=earlier[-1], op=None)))
                    nodes[node]["origin"] = "numpy"
    for node, d in nodes.items():
        if d["kind"] == "variable":
            d["scope"] = layer_scope(d["name"], read_scopes.get(int(node[2:]), ()))
    if overridden:
        edges = [e for e in edges if e[2]["kind"] != "output" or overridden.get(int(e[1][2:]), e[0]) == e[0]]
    for node, d in nodes.items():
        d["order"] = _order(node, d)
    G = nx.DiGraph()
    G.add_nodes_from(nodes.items())
    G.add_edges_from(edges)
    return G


def layer_scope(name: str, read_in: Iterable[str]) -> str:
    """Where a variable belongs in the model's nesting: the name scope of the layer that reads it.

    A Keras 3 variable's path names its layer (``aux_head/kernel``) but not always the models around
    it, while the layer's ops run in the full scope (``functional/aux_head``). The first read whose
    scope ends with the variable's own layer path gives the full one; otherwise its own path stands.
    """
    own = name.rpartition("/")[0]
    if own:
        for scope in read_in:
            if scope == own or scope.endswith("/" + own):
                return scope
    return own


def _linked_bodies(op: T.OpRecord, trace: T.Trace) -> list[tuple[int, list[int]]]:
    """The function graphs a loop or branch op runs, each with the inputs that feed its
    placeholders: a While's loop variables, an If's operands (its first input is the condition)."""
    if op.op_type in _LOOPS:
        return [(g, list(op.inputs)) for role, g in op.bodies if role == "body"]
    if op.op_type in _BRANCHES:
        return [(g, list(op.inputs[1:])) for role, g in op.bodies if role in ("then_branch", "else_branch", "branches")]
    return []


_KIND_ORDER = {"variable": 0, "tensor": 1, "op": 2}


def order_key(G: nx.DiGraph, node: str) -> tuple[int, int, int]:
    """A stable order: when it happened, then variables, tensors, ops, then by id number."""
    return G.nodes[node]["order"]


def _order(node: str, d: dict[str, Any]) -> tuple[int, int, int]:
    kind = d.get("kind", "op")
    if kind == "tensor" and d.get("origin") == "op":
        kind_rank = 3  # a tensor comes right after the op that made it (they share a seq)
    else:
        kind_rank = _KIND_ORDER.get(kind, 2)
    return (d.get("seq", -1), kind_rank, int(node.split(":", 1)[1]))


def node_frame(G: nx.DiGraph, node: str) -> tuple[tuple[str, int], ...]:
    return G.nodes[node].get("frame") or ()


def is_floating(G: nx.DiGraph, node: str) -> bool:
    """Whether a tensor or variable node holds floating-point values (ops: always True)."""
    d = G.nodes[node]
    return d["kind"] == "op" or d.get("dtype") in FLOATING


def tape_state(G: nx.DiGraph, op: str, tape: T.TapeRecord) -> str:
    """``recording``, ``paused`` (inside ``stop_recording``) or ``outside`` for one tape at an op."""
    d = G.nodes[op]
    if tape.resets and any(d["seq"] <= r for r in tape.resets):
        return "outside"  # tape.reset() later threw away what was recorded then
    if tape.id in d["recording"] or (tape.symbolic and d["graph"] == tape.graph):
        return "recording"
    if tape.id in d["paused"]:
        return "paused"
    return "outside"


def edge_break(G: nx.DiGraph, u: str, v: str, tape: T.TapeRecord) -> str | None:
    """Why a gradient for ``tape`` cannot pass along the edge u -> v (a cause), or None if it can."""
    d = G.edges[u, v]
    kind = d["kind"]
    if kind == "numpy":
        return "numpy_roundtrip"
    if kind == "resource":  # filled by one op, read by another: no gradient passes through the state
        return "dataset_boundary" if G.nodes[u]["grad"] == T.GRAD_DATASET else "unexplained"
    if kind in ("assign", "state"):
        return "variable_assign"
    if kind == "output":  # an integer result (argsort's indices, a shape) takes no gradient back
        dtype = G.nodes[v].get("dtype")
        return "non_differentiable_op" if dtype not in FLOATING and dtype not in _OPAQUE else None
    if kind == "capture":  # into a traced body: a new placeholder for a tape or tf.gradients inside it
        into = d["into"]
        return "loop_body_capture" if into == tape.graph or into in tape.enclosing else None
    op = d.get("op")
    if op is None:
        return None
    od = G.nodes[op]
    if od["grad"] == T.GRAD_DATASET:
        return "dataset_boundary"  # tf.data runs its functions where no tape records, inside the block or not
    if od.get("fills_resource"):
        return "unexplained"  # into a queue or table: state no gradient crosses, and no cause names
    if od["graph"] == tape.graph:
        state = tape_state(G, op, tape)
        if state == "paused":
            return "stop_recording"
        if state == "outside":
            return "outside_tape"
    grad = od["grad"]
    if kind in ("read", "call"):
        return None
    if grad == T.GRAD_CUSTOM:
        return "custom_gradient_returns_none" if d.get("index") in od.get("none_inputs", ()) else None
    if grad == T.GRAD_STOP:
        return "stop_gradient"
    if grad == T.GRAD_NUMPY:
        return "numpy_roundtrip"
    if grad == T.GRAD_NONE:
        return "non_differentiable_op"
    if G.nodes[u].get("dtype") not in FLOATING:
        return "integer_dtype"
    return None


def forward(
    G: nx.DiGraph,
    starts: Iterable[str],
    tape: T.TapeRecord,
    cache: dict[Any, set[str]] | None = None,
    *,
    also_pass: str | None = None,
) -> set[str]:
    """Nodes reachable from ``starts`` along edges a gradient for ``tape`` can pass.

    ``also_pass`` names one cause whose breaks are treated as passable: what the gradient would
    reach if every break of that cause were mended.
    """
    starts = [s for s in starts if s in G]
    key = (tape.id, tuple(sorted(starts)), also_pass)
    if cache is not None and key in cache:
        return cache[key]
    seen = set(starts)
    queue = deque(starts)
    while queue:
        u = queue.popleft()
        for v in G.successors(u):
            if v not in seen:
                why = edge_break(G, u, v, tape)
                if why is None or why == also_pass:
                    seen.add(v)
                    queue.append(v)
    if cache is not None:
        cache[key] = seen
    return seen


def watched_variables(G: nx.DiGraph, trace: T.Trace, tape: T.TapeRecord) -> set[int]:
    """Variables the tape watched: explicitly, or by reading them while recording."""
    ids = {i for _, i in tape.watched if i in trace.variables}
    if tape.watch_accessed_variables:
        for vid, rec in trace.variables.items():
            node = f"v:{vid}"
            if not rec.trainable or node not in G:
                continue
            for _, _, d in G.out_edges(node, data=True):
                op = d.get("op")
                if op is not None and G.nodes[op]["graph"] == tape.graph and tape_state(G, op, tape) == "recording":
                    ids.add(vid)
                    break
    return ids


def tracked(G: nx.DiGraph, trace: T.Trace, tape: T.TapeRecord, watched_vars: Iterable[int] | None = None) -> set[str]:
    """Everything the tape recorded: its watched tensors and variables and what flows from them."""
    roots = {f"t:{i}" for _, i in tape.watched if i not in trace.variables}
    vars_ = watched_variables(G, trace, tape) if watched_vars is None else set(watched_vars)
    roots |= {f"v:{i}" for i in vars_}
    return forward(G, roots, tape)
