"""Stage 3, diagnose: for every gradient call and source, say whether a gradient arrived and why not.

No TensorFlow here: the input is a :class:`~gradviz.trace.Trace`, the output a :class:`Diagnosis`,
one complete plain result: per tape what it recorded, per source a finding with its cause, culprit
line and evidence (the rules are in :mod:`gradviz._rules`), per call the part of the graph a reader
needs, per shown edge which tapes a gradient passes it for, and what the capture missed.
:mod:`gradviz.document` only serialises it.
"""

from __future__ import annotations

from typing import Any

import networkx as nx

from . import document as D
from . import explain as E
from . import graph as gr
from . import schema, source
from . import trace as T
from ._rules import Rules
from ._view import Verdict
from .errors import OptionError
from .result import CallDiagnosis, CaptureSummary, Evidence, Finding, TapeView, headline

DEFAULT_MAX_NODES = 5000


class Diagnosis:
    """The diagnosis of a captured program: one :class:`~gradviz.result.CallDiagnosis` per gradient
    call site, the dependency graph, and the part of it to show."""

    def __init__(
        self,
        graph: nx.DiGraph,
        calls: list[CallDiagnosis],
        tapes: dict[int, TapeView],
        shown: list[str],
        passes: dict[tuple[str, str], list[int]],
        states: dict[str, dict[int, str]],
        capture: CaptureSummary,
    ) -> None:
        self.graph = graph
        self.calls = calls
        self.tapes = tapes
        self.shown = shown  # node ids to draw, in graph order
        self.passes = passes  # shown edge -> ids of the tapes whose gradient passes along it
        self.states = states  # shown op -> tape id -> recording | paused | outside (tapes of its graph)
        self.capture = capture

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
        return headline(self.calls)

    def __repr__(self) -> str:
        first = next(iter(self.missing), None)
        where = ""
        if first is not None and first.cause:
            loc = f" at {source.where(first.culprit)}" if first.culprit else ""
            where = f" first: {first.expr} {first.cause}{loc}"
        return f"<Diagnosis: {self.headline}{where}>"

    def to_document(self) -> schema.Document:
        """The JSON contract: what ``--json``, the widget and the report all show."""
        return D.build_document(self)

    def to_text(self, *, color: bool = False, verbose: bool = False) -> str:
        """The terminal text: headline, findings grouped; connected sources counted (``verbose`` lists them)."""
        from .text import render

        return render(self.to_document(), color=color, verbose=verbose)


def diagnose(source_: Any, *, all_nodes: bool = False, max_nodes: int = DEFAULT_MAX_NODES) -> Diagnosis:
    """Diagnose a :class:`~gradviz.trace.Trace` (or a capture: ``cap.trace`` is used).

    ``max_nodes`` bounds the part of the graph kept for display; ``all_nodes`` keeps everything
    captured (up to that bound), not only what the gradient calls need.
    """
    if max_nodes < 1:
        raise OptionError(f"max_nodes={max_nodes}: at least 1 node must be shown.")
    trace: T.Trace = getattr(source_, "trace", source_)
    if not isinstance(trace, T.Trace):
        raise OptionError(f"diagnose() takes a Trace or a capture, not {type(source_).__name__}.")
    G = gr.build_graph(trace)
    tapes: dict[int, TapeView] = {}
    for call in trace.calls:
        if call.tape not in tapes:
            tape = trace.tapes[call.tape]
            frame = trace.frame(tape.frame)
            tapes[call.tape] = TapeView(
                record=tape,
                location=frame[0] if frame else None,
                watched_variables=frozenset(call.watched_variables),
                recorded=frozenset(gr.tracked(G, trace, tape, call.watched_variables)),
            )
    rules = Rules(G, trace, tapes)
    calls = [_diagnose_call(rules, i, call, tapes[call.tape]) for i, call in enumerate(trace.calls)]
    shown = _shown(G, calls, all_nodes=all_nodes, max_nodes=max_nodes)
    keep = set(shown)
    for c in calls:
        c.nodes = [n for n in c.nodes if n in keep]
        for f in c.findings:
            f.path = [n for n in f.path if n in keep]
    passes: dict[tuple[str, str], list[int]] = {}
    for u, v in G.subgraph(keep).edges:
        passes[(u, v)] = [
            t for t, view in tapes.items() if u in view.recorded and gr.edge_break(G, u, v, view.record) is None
        ]
    states = {
        n: {
            t: gr.tape_state(G, n, view.record) for t, view in tapes.items() if G.nodes[n]["graph"] == view.record.graph
        }
        for n in shown
        if G.nodes[n]["kind"] == "op"
    }
    return Diagnosis(G, calls, tapes, shown, passes, states, CaptureSummary.of(trace))


def _diagnose_call(rules: Rules, index: int, call: T.GradientCallRecord, tape: TapeView) -> CallDiagnosis:
    frame = rules.trace.frame(call.frame)
    loc = frame[0] if frame else None
    exprs = source.call_exprs(loc[0], loc[1], [s.path for s in call.sources]) if loc else None
    tape_name = (source.tape_name(*loc) if loc else None) or "tape"
    findings = []
    for k, src in enumerate(call.sources):
        expr = (exprs[1][k] if exprs else None) or src.name or f"sources[{k}]"
        findings.append(_finding(rules, call, src, expr, tape_name, k in call.replica_disagree))
    targets = [f"t:{t}" for t in call.targets if f"t:{t}" in rules.G]
    return CallDiagnosis(
        index=index,
        call=call,
        tape=tape,
        location=loc,
        code=source.line(*loc).strip() if loc else "",
        target=exprs[0] if exprs else "target",
        target_nodes=targets,
        findings=findings,
        nodes=_call_nodes(rules.G, targets, findings),
    )


def _finding(
    rules: Rules, call: T.GradientCallRecord, src: T.SourceRecord, expr: str, tape_name: str, disagree: bool = False
) -> Finding:
    node = f"v:{src.id}" if src.is_variable else f"t:{src.id}"
    G = rules.G
    f = Finding(expr=expr, name=src.name, node=node if node in G else None, status=src.status)
    if node in G and G.nodes[node]["kind"] == "variable":
        f.layer = G.nodes[node]["name"].rpartition("/")[0] or None
    if src.status == "ok":  # TensorFlow's own result is the ground truth ...
        v = rules.structural_zero(call, src, node, expr)  # ... unless it was a graph tensor, unseen
        if v is None:
            return f
        f.status = "zero"
    else:
        v = rules.verdict(call, src, node, expr)
    if disagree and v.cause is not None:  # what one replica shows need not hold for the others
        v = Verdict(
            "unexplained", rules.frame_line(call.frame), path=v.path,
            evidence=[Evidence(f"The {call.replicas} replicas of strategy.run that made this call did not agree: "
                               f"TensorFlow gave some of them a gradient for `{expr}` and others {src.status}; "
                               "gradviz shows the replica that got none and does not explain the difference.",
                               (node,) if node in G else ())],
        )  # fmt: skip
    if call.template_lines and src.status == "none" and v.cause not in (None, "unexplained"):
        v = _unverified_line(rules, call, src, expr, v)
    f.cause, f.culprit, f.ran_at, f.subject, f.hint = v.cause, v.culprit, v.ran_at, v.subject, v.hint
    f.broken_edges, f.evidence = v.broken, v.evidence
    f.path = v.path or rules.path(node, {n for e in v.broken for n in e[:2]})
    f.explanation, f.fix = E.explain(f, culprit_code=source.line(*f.culprit) if f.culprit else "",
                                     unconnected_zero=call.unconnected_zero, tape=tape_name)  # fmt: skip
    return f


def _unverified_line(rules: Rules, call: T.GradientCallRecord, src: T.SourceRecord, expr: str, v: Verdict) -> Verdict:
    """A verdict on a call whose step's ops were written out from an earlier step's (the capture
    left repeated steps out, and this one's ops all matched it): if its culprit is one of the lines
    taken from that step, gradviz did not see that line run, so it does not state it."""
    lines = {rules.trace.frame(i)[0] for i in call.template_lines if rules.trace.frame(i)}
    if v.culprit not in lines:
        return v
    node = f"v:{src.id}" if src.is_variable else f"t:{src.id}"
    G = rules.G
    return Verdict(
        "unexplained", rules.frame_line(call.frame), path=v.path,
        evidence=[Evidence(f"This step ran the same ops, fed from the same places, as the step before it that gradviz "
                           f"kept, yet TensorFlow's gradient for `{expr}` differs between them ({src.status} here). "
                           "Repeated steps of the loop are left out of the capture and this step's ops were written "
                           "out from that step's, lines and all, so gradviz cannot say which line made the difference.",
                           (node,) if node in G else ())],
    )  # fmt: skip


def _call_nodes(G: nx.DiGraph, targets: list[str], findings: list[Finding]) -> list[str]:
    """What a reader needs for one call: everything the targets were computed from, the sources,
    their paths and the endpoints of broken edges (an unused source is no ancestor of the target)."""
    need: set[str] = set()
    for t in targets:
        need |= nx.ancestors(G, t) | {t}
    for f in findings:
        if f.node:
            need.add(f.node)
        need.update(f.path)
        for u, v, _ in f.broken_edges:
            need.update((u, v))
        for ev in f.evidence:
            need.update(n for n in ev.nodes if n in G)
    need = {n for n in need if not G.nodes[n].get("backward")}
    order = G.nodes
    return sorted(need, key=lambda n: order[n]["order"])


def _shown(G: nx.DiGraph, calls: list[CallDiagnosis], *, all_nodes: bool, max_nodes: int) -> list[str]:
    """The nodes to draw: every call's nodes (or the whole graph), at most ``max_nodes``; what must
    stay (targets, sources, paths, broken edges) is kept first, then the most recent of the rest."""
    if all_nodes:
        nodes = sorted(G.nodes, key=lambda n: G.nodes[n]["order"])
        return nodes[:max_nodes]
    must: set[str] = set()
    rest: set[str] = set()
    for c in calls:
        must.update(c.target_nodes)
        for f in c.findings:
            if f.node:
                must.add(f.node)
            must.update(f.path)
            for u, v, _ in f.broken_edges:
                must.update((u, v))
        rest.update(c.nodes)
    rest -= must
    if len(must) + len(rest) > max_nodes:
        room = max(0, max_nodes - len(must))
        rest = set(sorted(rest, key=lambda n: G.nodes[n]["order"], reverse=True)[:room])
    return sorted(must | rest, key=lambda n: G.nodes[n]["order"])
