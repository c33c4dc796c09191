"""Stage 3, diagnose: for every gradient call and source, say whether a gradient arrived and why not.

No TensorFlow here: the input is the graph from :mod:`gradviz.graph` (which keeps its trace), the
output plain findings and the JSON :class:`~gradviz.schema.Document`. Every cause is derived from
the captured graph: which tape recorded which op, which ops have no gradient, which values left
TensorFlow, which variables were read, assigned or re-created. Nothing is guessed from names.

How a missing gradient is explained, in order:

1. an integer source or target (``integer_dtype``);
2. a source the tape never watched: a non-trainable variable, a tape with
   ``watch_accessed_variables=False``, a plain tensor (or a Python name rebound to one);
3. otherwise follow every edge a gradient can pass from the source; where that stops short of the
   target, the edges that stop it ("broken edges") say why: outside the tape, ``stop_recording``,
   ``stop_gradient``, an op with no gradient, a numpy round trip, a variable assign -- or the path
   was recorded by another tape (``wrong_tape``);
4. no path at all: a variable re-created on each call, a rebound name, an unused source, or a
   target that depends on none of the sources.
"""

from __future__ import annotations

import ast
import linecache
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import networkx as nx

from . import __version__, schema
from . import explain as E
from . import graph as gr
from . import trace as T

# When paths break in several ways, the most specific wins; a numpy round trip is matched by value
# and so is weaker evidence than an op seen on the path.
_PRIORITY = (
    "stop_gradient",
    "non_differentiable_op",
    "variable_assign",
    "numpy_roundtrip",
    "integer_dtype",
    "stop_recording",
    "outside_tape",
)


@dataclass
class Finding:
    """What happened to one source of one gradient call."""

    expr: str
    name: str | None
    node: str | None
    status: str
    cause: str | None = None
    culprit: tuple[str, int] | None = None
    explanation: str = ""
    fix: str = ""
    broken_edges: list[tuple[str, str, str]] = field(default_factory=list)
    path: list[str] = field(default_factory=list)

    def to_dict(self) -> schema.SourceFinding:
        file, line = self.culprit if self.culprit else (None, None)
        return {
            "expr": self.expr,
            "name": self.name,
            "node": self.node,
            "status": self.status,  # type: ignore[typeddict-item]
            "cause": self.cause,
            "culprit_file": file,
            "culprit_line": line,
            "culprit_code": _line(file, line) if file and line else None,
            "explanation": self.explanation,
            "fix": self.fix,
            "broken_edges": [{"source": u, "target": v, "cause": c} for u, v, c in self.broken_edges],
            "path": self.path,
        }


@dataclass
class CallDiagnosis:
    call: T.GradientCallRecord
    index: int
    file: str | None
    line: int | None
    target: str
    findings: list[Finding]


class Diagnosis:
    """The diagnosis of a captured program: one :class:`CallDiagnosis` per gradient call site."""

    def __init__(self, graph: nx.DiGraph, calls: list[CallDiagnosis]) -> None:
        self.graph = graph
        self.trace: T.Trace = graph.graph["trace"]
        self.calls = calls

    @property
    def findings(self) -> list[Finding]:
        return [f for c in self.calls for f in c.findings]

    @property
    def missing(self) -> list[Finding]:
        return [f for f in self.findings if f.status != "ok"]

    @property
    def all_connected(self) -> bool:
        return bool(self.calls) and not self.missing

    @property
    def headline(self) -> str:
        if not self.calls:
            return "No tape.gradient call ran, so there is no gradient to explain."
        n = len(self.findings)
        none = sum(f.status == "none" for f in self.findings)
        zero = sum(f.status == "zero" for f in self.findings)
        if not none and not zero:
            return f"All gradients are connected ({n} source{'s' * (n != 1)})."
        parts = []
        if none:
            parts.append(f"{none} of {n} gradient{'s' * (n != 1)} {'is' if none == 1 else 'are'} None")
        if zero:
            parts.append(
                f"{zero} {'is' if zero == 1 else 'are'} zero" if none
                else f"{zero} of {n} gradient{'s' * (n != 1)} {'is' if zero == 1 else 'are'} zero"
            )  # fmt: skip
        return "; ".join(parts) + "."

    def __repr__(self) -> str:
        first = next((f for f in self.missing), None)
        where = ""
        if first is not None and first.cause:
            loc = f" at {_short(first.culprit[0])}:{first.culprit[1]}" if first.culprit else ""
            where = f" first: {first.expr} {first.cause}{loc}"
        return f"<Diagnosis: {self.headline}{where}>"

    def to_text(self, *, color: bool = False) -> str:
        from .text import render

        return render(self.to_document(), color=color)

    def to_document(self, *, all_nodes: bool = False, max_nodes: int = 5000) -> schema.Document:
        """The JSON contract: what ``--json``, the widget and the report all show."""
        return _document(self, all_nodes=all_nodes, max_nodes=max_nodes)


def diagnose(source: Any) -> Diagnosis:
    """Diagnose a :class:`~gradviz.trace.Trace`, a capture (``cap.trace``), or a built graph."""
    if isinstance(source, nx.DiGraph):
        G = source
    else:
        trace = getattr(source, "trace", source)
        G = gr.build_graph(trace)
    trace: T.Trace = G.graph["trace"]
    ctx = _Context(G, trace)
    calls = []
    for i, call in enumerate(trace.calls):
        frame = trace.frame(call.frame)
        file, line = frame[0] if frame else (None, None)
        exprs = _call_exprs(file, line, [s.path for s in call.sources])
        target_expr = exprs[0] if exprs else "target"
        findings = [
            ctx.explain(call, src, (exprs[1][k] if exprs else None) or src.name or f"sources[{k}]")
            for k, src in enumerate(call.sources)
        ]
        calls.append(CallDiagnosis(call, i, file, line, target_expr, findings))
    return Diagnosis(G, calls)


class _Context:
    def __init__(self, G: nx.DiGraph, trace: T.Trace) -> None:
        self.G = G
        self.trace = trace
        self.cache: dict[Any, set[str]] = {}
        self.anc_cache: dict[tuple[str, ...], set[str]] = {}

    # --------------------------------------------------------------- helpers
    def ancestors(self, targets: list[str]) -> set[str]:
        key = tuple(targets)
        if key not in self.anc_cache:
            anc: set[str] = set()
            for t in targets:
                if t in self.G:
                    anc |= nx.ancestors(self.G, t)
                    anc.add(t)
            self.anc_cache[key] = anc
        return self.anc_cache[key]

    def line_of(self, node: str | None) -> tuple[str, int] | None:
        if node is None or node not in self.G:
            return None
        frame = gr.node_frame(self.G, node)
        if not frame and node.startswith("t:"):
            for p in self.G.predecessors(node):
                if self.G.edges[p, node]["kind"] == "output":
                    frame = gr.node_frame(self.G, p)
        return frame[0] if frame else None

    def frame_line(self, index: int) -> tuple[str, int] | None:
        frame = self.trace.frame(index)
        return frame[0] if frame else None

    def producer(self, node: str) -> str | None:
        for p in self.G.predecessors(node):
            if self.G.edges[p, node]["kind"] in ("output", "call"):
                return p
        return None

    # --------------------------------------------------------------- per source
    def explain(self, call: T.GradientCallRecord, src: T.SourceRecord, expr: str) -> Finding:
        G = self.G
        node = f"v:{src.id}" if src.is_variable else f"t:{src.id}"
        f = Finding(expr=expr, name=src.name, node=node if node in G else None, status=src.status)
        if src.status == "ok":
            return f  # TensorFlow's own result is the ground truth
        tape = self.trace.tapes[call.tape]
        targets = [f"t:{t}" for t in call.targets]
        anc = self.ancestors(targets)
        # a zero is either a break hidden by unconnected_gradients=ZERO, or a piecewise-constant op
        cause, culprit, broken = self.find_break(call, tape, src, node, targets, anc, expr)
        if src.status == "zero" and cause is None:
            zero_op = self.zero_op(tape, node, anc)
            if zero_op is not None:
                cause, culprit = "non_differentiable_op", self.line_of(zero_op)
                f.path = [zero_op]
        f.cause = cause
        f.culprit = culprit
        f.broken_edges = broken
        if not f.path:
            f.path = self.path(tape, node, anc, broken)
        f.explanation, f.fix = E.explain(
            f, culprit_code=_line(*culprit) if culprit else "", unconnected_zero=call.unconnected_zero
        )
        return f

    def find_break(
        self,
        call: T.GradientCallRecord,
        tape: T.TapeRecord,
        src: T.SourceRecord,
        node: str,
        targets: list[str],
        anc: set[str],
        expr: str,
    ) -> tuple[str | None, tuple[str, int] | None, list[tuple[str, str, str]]]:
        G = self.G
        # 1. integers carry no gradient
        if src.dtype not in gr.FLOATING and src.dtype not in ("unknown", "resource"):
            return "integer_dtype", self.creation_line(src, node), []
        for t, dt in zip(targets, call.target_dtypes):
            if dt not in gr.FLOATING:
                return "integer_dtype", self.line_of(self.producer(t) if t in G else None), []
        # 2. was the source watched at all?
        if src.is_variable:
            if src.id not in call.watched_variables:
                explicit = any(i == src.id for _, i in tape.watched)
                if not explicit and src.trainable is False:
                    return "non_trainable_variable", self.creation_line(src, node), []
                if not explicit and not tape.watch_accessed_variables:
                    return "watch_accessed_variables_false", self.frame_line(tape.frame), []
            start = node
        else:
            tracked = gr.tracked(G, tape, call.watched_variables)
            if node not in tracked:
                rebound = self.rebinding(node, expr)
                if rebound is not None:
                    return "python_reassignment", rebound, []
                if node in anc:
                    return "not_watched_tensor", self.creation_line(src, node), []
                return self.not_connected(call, src, node, targets, anc, expr)
            watched_at = [seq for seq, i in tape.watched if i == src.id]
            uses = [v for v in G.successors(node) if v in anc and G.nodes[v]["kind"] == "op"]
            if watched_at and uses and all(G.nodes[v]["seq"] <= min(watched_at) for v in uses):
                # `tape.watch(x)` came after x was used: the tape starts following x from then on
                return "not_watched_tensor", self.creation_line(src, node), []
            start = node
        # 3. follow what the tape can differentiate
        reach = gr.forward(G, [start], tape, self.cache)
        if any(t in reach for t in targets):
            return None, None, []  # connected (a real zero, or something gradviz could not see)
        # A break matters only if the target lies beyond it by a way that does not rejoin what the
        # gradient already reaches (a comparison feeding tf.where's condition is bypassed, say).
        beyond = self.beyond(targets, reach)
        frontier = []
        for u in reach:
            for v in G.successors(u):
                if v in reach or v not in beyond:
                    continue
                why = gr.edge_break(G, u, v, tape)
                if why is not None:
                    frontier.append((u, v, why))
        if not frontier:
            return self.not_connected(call, src, node, targets, anc, expr)
        causes = {c for _, _, c in frontier}
        if causes <= {"outside_tape", "stop_recording"} and self.other_tape_recorded(tape, start, targets):
            return "wrong_tape", self.frame_line(call.frame), frontier
        frontier.sort(key=lambda e: (self.edge_seq(e), gr.order_key(G, e[0]), gr.order_key(G, e[1])))
        cause = next(c for c in _PRIORITY if c in causes)
        chosen = [e for e in frontier if e[2] == cause]
        first = min(chosen, key=lambda e: self.edge_seq(e))
        return cause, self.edge_culprit(first), frontier

    def beyond(self, targets: list[str], reach: set[str]) -> set[str]:
        seen = {t for t in targets if t in self.G and t not in reach}
        queue = list(seen)
        while queue:
            n = queue.pop()
            for p in self.G.predecessors(n):
                if p not in seen and p not in reach:
                    seen.add(p)
                    queue.append(p)
        return seen

    def edge_seq(self, edge: tuple[str, str, str]) -> int:
        u, v, _ = edge
        d = self.G.edges[u, v]
        op = d.get("op")
        if op is not None:
            return self.G.nodes[op]["seq"]
        if d["kind"] == "numpy":
            return self.trace.exports[d["export"]].seq
        return self.G.nodes[v].get("seq", 0)

    def edge_culprit(self, edge: tuple[str, str, str]) -> tuple[str, int] | None:
        u, v, cause = edge
        d = self.G.edges[u, v]
        if d["kind"] == "numpy":
            return self.frame_line(self.trace.exports[d["export"]].frame)
        if d["kind"] == "state":
            return self.line_of(u)
        return self.line_of(d.get("op") or v)

    def creation_line(self, src: T.SourceRecord, node: str) -> tuple[str, int] | None:
        if src.is_variable:
            var = self.trace.variables.get(src.id)
            if var is not None and var.frame >= 0:
                return self.frame_line(var.frame)
            return None
        if node in self.G:
            p = self.producer(node)
            if p is not None:
                return self.line_of(p)
            return self.line_of(node)
        return None

    def rebinding(self, node: str, expr: str) -> tuple[str, int] | None:
        """The line `x = <something with x>` that made the source a new tensor, if a variable fed it."""
        if node not in self.G:
            return None
        p = self.producer(node)
        loc = self.line_of(p) if p is not None else None
        if loc is None:
            return None
        if expr not in _assigned_names(*loc):
            return None
        # a variable read on that same line feeds the new value
        for n in nx.ancestors(self.G, node) | {node}:
            d = self.G.nodes[n]
            if d["kind"] == "variable":
                for _, _, e in self.G.out_edges(n, data=True):
                    op = e.get("op")
                    if op is not None and self.line_of(op) == loc:
                        return loc
        return None

    def not_connected(
        self, call: T.GradientCallRecord, src: T.SourceRecord, node: str, targets: list[str], anc: set[str], expr: str
    ) -> tuple[str | None, tuple[str, int] | None, list[tuple[str, str, str]]]:
        G = self.G
        tape = self.trace.tapes[call.tape]
        if src.is_variable:
            var = self.trace.variables.get(src.id)
            if var is not None and var.frame >= 0:
                site = self.frame_line(var.frame)
                for other in anc:
                    if not other.startswith("v:") or other == node:
                        continue
                    o = self.trace.variables.get(int(other[2:]))
                    if (
                        o is not None and o.frame >= 0 and self.frame_line(o.frame) == site
                        and var.seq < tape.entered <= o.seq and _base_name(o.name) == _base_name(var.name)
                    ):  # fmt: skip
                        return "recreated_variable", site, []
        else:
            rebound = self.rebinding(node, expr)
            if rebound is not None:
                return "python_reassignment", rebound, []
        left = self.left_tensorflow(call, node, anc)
        if left is not None:
            return "numpy_roundtrip", left, []
        sources = [f"v:{s.id}" if s.is_variable else f"t:{s.id}" for s in call.sources]
        used = [s for s in sources if s in anc]
        if not used:
            return "target_not_connected", self.output_line(targets, anc), []
        if node in G and any(True for _ in G.successors(node)):
            # used, but what it computed was left out of the target
            return "unused_variable", self.output_line(targets, anc), []
        return "unused_variable", self.sibling_line(used, anc) or self.output_line(targets, anc), []

    def left_tensorflow(self, call: T.GradientCallRecord, node: str, anc: set[str]) -> tuple[str, int] | None:
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
                    d["kind"] == "tensor"
                    and d.get("origin") in ("constant", "numpy")
                    and d["seq"] >= e.seq
                    and d.get("dtype") in gr.FLOATING
                ):
                    return self.frame_line(e.frame)
        return None

    def sibling_line(self, used: list[str], anc: set[str]) -> tuple[str, int] | None:
        """The line where the other sources were last used: where the output leaving this one out is computed."""
        G = self.G
        best = None
        for s in used:
            if not s.startswith("v:"):
                continue
            for _, _, d in G.out_edges(s, data=True):
                op = d.get("op")
                if op is not None and op in anc and (best is None or G.nodes[op]["seq"] > G.nodes[best]["seq"]):
                    best = op
        return self.line_of(best) if best is not None else None

    def output_line(self, targets: list[str], anc: set[str]) -> tuple[str, int] | None:
        """The line computing the output or loss: the target's op, or the user's model code it ran."""
        G = self.G
        if not targets or targets[0] not in G:
            return None
        p = self.producer(targets[0])
        if p is None:
            return self.line_of(targets[0])
        top = gr.node_frame(G, p)
        if len(top) == 1:
            # the loss came out of a library call on this line (model.fit): find the user's code it ran
            best = None
            for n in anc:
                fr = gr.node_frame(G, n)
                if len(fr) > 1 and fr[-1] == top[0] and G.nodes[n]["kind"] == "op":
                    if best is None or G.nodes[n]["seq"] > G.nodes[best]["seq"]:
                        best = n
            if best is not None:
                return gr.node_frame(G, best)[0]
        return top[0] if top else None

    def other_tape_recorded(self, tape: T.TapeRecord, start: str, targets: list[str]) -> bool:
        # only tapes that were recording while something the target depends on ran
        candidates: set[int] = set()
        for n in self.ancestors(targets):
            d = self.G.nodes[n]
            if d["kind"] == "op":
                candidates.update(d["recording"])
        candidates.discard(tape.id)
        for other in (self.trace.tapes[i] for i in sorted(candidates)):
            if start.startswith("v:") and int(start[2:]) not in gr.watched_variables(self.G, other):
                continue
            if start.startswith("t:") and start not in gr.tracked(self.G, other):
                continue
            if any(t in gr.forward(self.G, [start], other, self.cache) for t in targets):
                return True
        return False

    def zero_op(self, tape: T.TapeRecord, node: str, anc: set[str]) -> str | None:
        reach = gr.forward(self.G, [node], tape, self.cache)
        zeros = [n for n in reach & anc if self.G.nodes[n].get("grad") == T.GRAD_ZERO]
        return min(zeros, key=lambda n: self.G.nodes[n]["seq"]) if zeros else None

    def path(self, tape: T.TapeRecord, node: str, anc: set[str], broken: list[tuple[str, str, str]]) -> list[str]:
        """Nodes from the source towards the target, for highlighting (bounded)."""
        if node not in self.G:
            return []
        reach = gr.forward(self.G, [node], tape, self.cache)
        nodes = (reach & anc) | {node}
        for u, v, _ in broken:
            nodes |= {u, v}
        return sorted(nodes, key=lambda n: gr.order_key(self.G, n))[:500]


# ------------------------------------------------------------------ source text
@lru_cache(maxsize=256)
def _module_ast(file: str) -> ast.Module | None:
    text = "".join(linecache.getlines(file))
    if not text:
        return None
    try:
        return ast.parse(text)
    except SyntaxError:
        pass
    # a notebook cell: blank out IPython's magic and shell lines, keeping line numbers
    lines = ["\n" if ln.lstrip().startswith(("%", "!")) else ln for ln in text.splitlines(keepends=True)]
    try:
        return ast.parse("".join(lines))
    except SyntaxError:
        return None


def _line(file: str | None, line: int | None) -> str:
    if not file or not line:
        return ""
    return linecache.getline(file, line).rstrip("\n")


def _short(file: str) -> str:
    return file.rsplit("/", 1)[-1]


def _segment(file: str, node: ast.AST) -> str:
    text = "".join(linecache.getlines(file))
    return ast.get_source_segment(text, node) or ast.unparse(node)


def _call_exprs(
    file: str | None, line: int | None, paths: list[tuple[Any, ...]]
) -> tuple[str, list[str | None]] | None:
    """The target and each flattened source as written in the `tape.gradient(...)` call.

    A source written as one expression that holds several (`model.trainable_variables`, a dict)
    gets one entry per element, by its place in the structure: `vs["dense"]`, `params[2]`.
    """
    n = len(paths)
    if not file or not line:
        return None
    tree = _module_ast(file)
    if tree is None:
        return None
    best = None
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("gradient", "jacobian", "batch_jacobian")
            and node.lineno <= line <= (node.end_lineno or node.lineno)
        ):
            if best is None or node.lineno >= best.lineno:
                best = node
    if best is None:
        return None
    args = list(best.args)
    kw = {k.arg: k.value for k in best.keywords}
    target = args[0] if args else kw.get("target")
    sources = args[1] if len(args) > 1 else kw.get("sources")
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
        exprs: list[str | None] = [_segment(file, e) for e in flat]
    elif len(flat) == 1:
        base = _segment(file, flat[0])
        if not isinstance(flat[0], (ast.Name, ast.Attribute, ast.Subscript, ast.Call)):
            base = f"({base})"
        exprs = [base + "".join(f"[{k!r}]" for k in path) for path in paths]
    else:
        exprs = [None] * n
    return _segment(file, target), exprs


def _base_name(name: str) -> str:
    """A variable's name without TensorFlow's and Keras' uniquifying suffixes (`w_1`, `Variable:0`)."""
    return re.sub(r"(_\d+)?(:\d+)?(?=/|$)", "", name)


def _assigned_names(file: str, line: int) -> set[str]:
    """Names that the statement on this line rebinds to an expression mentioning the same name."""
    tree = _module_ast(file)
    if tree is None:
        return set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)) and node.lineno <= line <= (
            node.end_lineno or node.lineno
        ):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = {ast.unparse(t) for t in targets}
            if isinstance(node, ast.AugAssign):
                return names
            value = ast.unparse(node.value) if node.value is not None else ""
            return {n for n in names if n in value}
    return set()


# ------------------------------------------------------------------ the document
def _document(d: Diagnosis, *, all_nodes: bool, max_nodes: int) -> schema.Document:
    from .document import build_document

    return build_document(d, all_nodes=all_nodes, max_nodes=max_nodes, version=__version__)
