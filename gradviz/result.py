"""What the diagnose stage returns: plain records, complete enough that the document, the text, the
widget and the report only present them (nothing downstream recomputes a diagnosis).

No TensorFlow and no networkx logic here; :mod:`gradviz.diagnose` fills these, :mod:`gradviz.document`
serialises them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import source
from . import trace as T
from .source import Location


@dataclass(frozen=True)
class Evidence:
    """One fact a finding rests on, in words, with the graph nodes it is about."""

    fact: str
    nodes: tuple[str, ...] = ()


@dataclass
class Finding:
    """What happened to one source of one gradient call."""

    expr: str  # the source as written in the gradient call
    name: str | None  # a variable's name (Keras path), None for tensors
    node: str | None  # its graph node, None when it never appeared in the graph
    status: str  # ok | none | zero (TensorFlow's own result)
    cause: str | None = None
    culprit: Location | None = None  # the line a person edits
    ran_at: Location | None = None  # where the breaking op itself ran, when that is another line
    subject: str | None = None  # the user's name for what the explanation is about (a dropped output)
    explanation: str = ""
    fix: str = ""
    broken_edges: list[tuple[str, str, str]] = field(default_factory=list)  # (u, v, cause)
    path: list[str] = field(default_factory=list)  # nodes from the source towards the target
    evidence: list[Evidence] = field(default_factory=list)
    layer: str | None = None  # the Keras layer / scope the source belongs to, for grouping
    hint: str | None = None  # what the fix should fit (e.g. "embedding_ids"); not part of the document


@dataclass
class TapeView:
    """A tape as the diagnosis sees it: where it was opened and what it recorded."""

    record: T.TapeRecord
    location: Location | None
    watched_variables: frozenset[int]
    recorded: frozenset[str]  # graph nodes the tape recorded (watched roots and what flowed from them)


@dataclass
class CallDiagnosis:
    """One gradient call site: its target, each source's finding, and the part of the graph it needs."""

    index: int
    call: T.GradientCallRecord
    tape: TapeView
    location: Location | None
    code: str  # the call's source line
    target: str  # the target as written ("loss")
    target_nodes: list[str]
    findings: list[Finding]
    nodes: list[str]  # what a reader needs to see for this call, in graph order

    @property
    def groups(self) -> list[list[int]]:
        """The missing or zero sources as findings a person reads: indices into ``findings`` that share
        status, cause, culprit line and subject (a layer's kernel and bias cut at the same line are one;
        so is a whole model whose loss was computed after the tape). Order of first appearance."""
        groups: dict[tuple, list[int]] = {}
        for i, f in enumerate(self.findings):
            if f.status != "ok":
                groups.setdefault((f.status, f.cause, f.culprit, f.subject), []).append(i)
        return list(groups.values())

    @property
    def group_labels(self) -> list[str]:
        """What each of :attr:`groups` is about, in the user's names (see :func:`group_label`)."""
        return [group_label([self.findings[i] for i in group]) for group in self.groups]


def group_label(findings: list[Finding], limit: int = 4) -> str:
    """The sources of one finding as a person names them.

    One source: as written in the call (with its variable name when that differs). One layer's
    variables: ``kernel, bias (layer aux_head)``. Several layers: how many, and which
    (``4 variables in 2 layers of generator: g1, g2``).
    """

    def shorten(names: list[str]) -> str:
        if len(names) > limit:
            return ", ".join(names[: limit - 1]) + f" and {len(names) - limit + 1} more"
        return ", ".join(names)

    if len(findings) == 1:
        f = findings[0]
        return f.expr + (f" ({f.name})" if f.name and f.name != f.expr else "")
    layers = list(dict.fromkeys(f.layer for f in findings))
    named = all(f.name for f in findings)
    if named and len(layers) == 1 and layers[0]:
        layer = layers[0]
        if all(f.name.startswith(layer + "/") for f in findings):  # type: ignore[union-attr]
            return f"{shorten([f.name[len(layer) + 1 :] for f in findings])} (layer {layer})"  # type: ignore[index]
    if named and len(layers) > 1 and all(layers):
        parts = [layer.split("/") for layer in layers]  # type: ignore[union-attr]
        common = 0
        while all(len(p) > common + 1 and p[common] == parts[0][common] for p in parts):
            common += 1
        of = f" of {'/'.join(parts[0][:common])}" if common else ""
        return (
            f"{len(findings)} variables in {len(layers)} layers{of}: {shorten(['/'.join(p[common:]) for p in parts])}"
        )
    return shorten([f.name or f.expr for f in findings])


@dataclass
class CaptureSummary:
    """What the capture saw and what it missed."""

    program: str
    started: str
    duration_s: float
    versions: dict[str, str | None]
    ops_seen: int
    ops_kept: int
    ops_dropped: int
    error: str | None
    internal_errors: list[str]
    internal_error_count: int
    capture_gaps: list[str]
    notes: list[str] = field(default_factory=list)  # what the capture left out on purpose

    @classmethod
    def of(cls, trace: T.Trace) -> CaptureSummary:
        return cls(
            program=trace.program, started=trace.started, duration_s=float(trace.duration_s),
            versions=dict(trace.versions), ops_seen=int(trace.ops_seen), ops_kept=len(trace.ops),
            ops_dropped=int(trace.ops_dropped), error=trace.error, internal_errors=list(trace.internal_errors),
            internal_error_count=int(trace.internal_error_count), capture_gaps=list(trace.capture_gaps),
            notes=[_repeated_note(trace, run) for run in trace.repeated_steps],
        )  # fmt: skip


def _repeated_note(trace: T.Trace, run: T.RepeatedSteps) -> str:
    frame = trace.frame(run.call_frame)
    at = f" at {source.where(frame[0])}" if frame else ""
    return (
        f"steps {run.first}-{run.last} of the loop calling tape.gradient{at} repeated the ops and gradient "
        f"results of step {run.first - 1}; their op details were not kept ({run.ops} ops)"
    )


def headline(calls: list[CallDiagnosis]) -> str:
    """One sentence for the whole diagnosis."""
    if not calls:
        return "No tape.gradient call ran, so there is no gradient to explain."
    findings = [f for c in calls for f in c.findings]
    n = len(findings)
    none = sum(f.status == "none" for f in findings)
    zero = sum(f.status == "zero" for f in findings)
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
