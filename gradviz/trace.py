"""Plain records of what a captured program did: the hand-over from capture to graph.

The capture stage fills a :class:`Trace`; everything after it reads only these records, so the
graph and diagnosis stages run (and are tested) without TensorFlow, also on traces loaded from disk
(:meth:`Trace.to_dict` / :meth:`Trace.from_dict`).

Ids: tensors and variables share one id space, TensorFlow's own (a tensor's ``_id``; a
variable's ``handle._id``). Tapes, function graphs and frames are indexed by position.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

Frame = tuple[tuple[str, int], ...]
"""The user's stack at an event: (file, line) pairs, innermost first, library frames left out."""

# How gradients pass through an op, decided by the capture stage from TensorFlow's registry.
GRAD_OK = "ok"  # has a gradient
GRAD_STOP = "stop"  # tf.stop_gradient / PreventGradient
GRAD_NONE = "nondiff"  # no gradient (argmax, round, comparisons, casts to int, ...)
GRAD_ZERO = "zero"  # gradient exists but is zero almost everywhere (tf.sign, ...)
GRAD_NUMPY = "numpy"  # tf.numpy_function / py_func: the value leaves TensorFlow
GRAD_ASSIGN = "assign"  # writes a variable's state
GRAD_READ = "read"  # reads a variable's state (ReadVariableOp, ResourceGather)
GRAD_CALL = "call"  # calls a tf.function
GRAD_DATASET = "dataset"  # a tf.data op: its functions run where no tape records
GRAD_CUSTOM = "custom"  # a @tf.custom_gradient call: its gradient function decides what flows back


@dataclass(slots=True)
class OpRecord:
    seq: int
    op_type: str
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    frame: int  # index into Trace.frames
    scope: str
    recording: tuple[int, ...]  # tapes recording when it ran
    paused: tuple[int, ...]  # tapes inside stop_recording() when it ran
    grad: str  # one of the GRAD_* kinds
    graph: int = 0  # 0: eager; n: Trace.graphs[n - 1] (traced inside a tf.function)
    name: str | None = None  # the op's name inside a function graph
    backward: bool = False  # run by tape.gradient itself
    callee: int = 0  # for GRAD_CALL: the graph (1-based) it calls, 0 when unknown
    hidden_reads: tuple[tuple[int, int], ...] = ()  # (variable id, tensor id) read inside C++
    bodies: tuple[tuple[str, int], ...] = ()  # function attrs: (attr name, graph) -- While body, tf.data fn


@dataclass(slots=True)
class TensorInfo:
    dtype: str
    shape: tuple[int | None, ...] | None
    origin: str = "op"  # op | constant | numpy | variable_read | function_input | unknown
    frame: int = -1  # where it was first seen (born tensors) or created (tf.constant)
    seq: int = -1


@dataclass(slots=True)
class VariableRecord:
    id: int
    name: str
    dtype: str
    shape: tuple[int | None, ...] | None
    trainable: bool
    frame: int = -1  # where it was created; -1 if created before capture
    seq: int = -1


@dataclass(slots=True)
class TapeRecord:
    id: int
    frame: int  # the `with tf.GradientTape(...)` line
    persistent: bool
    watch_accessed_variables: bool
    graph: int = 0
    entered: int = -1  # seq
    exited: int = -1
    watched: list[tuple[int, int]] = field(default_factory=list)  # (seq, tensor or variable id)
    resets: list[int] = field(default_factory=list)
    enclosing: tuple[int, ...] = ()  # the graphs around the tape's graph, innermost first (0: eager)
    symbolic: bool = False  # a tf.gradients call: it differentiates every op of its graph


@dataclass(slots=True)
class SourceRecord:
    id: int  # variable id or tensor id
    is_variable: bool
    dtype: str
    shape: tuple[int | None, ...] | None
    name: str | None
    status: str  # ok | none | zero
    trainable: bool | None = None
    value_known: bool = True  # False inside a tf.function: TF gave a symbolic gradient, its values unseen
    path: tuple[Any, ...] = ()  # where it sits in the sources structure: (2,), ("encoder", 0)


@dataclass(slots=True)
class GradientCallRecord:
    seq: int
    tape: int
    frame: int
    graph: int
    targets: list[int]
    target_dtypes: list[str]
    sources: list[SourceRecord]
    unconnected_zero: bool
    watched_variables: list[int]
    count: int = 1
    names: dict[int, str] = field(default_factory=dict)  # tensor id -> the user's local name for it then
    replicas: int = 0  # made inside strategy.run: how many replicas made it (in one run); 0 outside
    replica_disagree: list[int] = field(default_factory=list)  # sources whose status differed between replicas
    # its step's ops repeated a kept step's exactly, so they were written out from that step's records
    # (lines and all), yet the gradients differed: the user lines of those ops (frame indices), unverified
    template_lines: list[int] = field(default_factory=list)


@dataclass(slots=True)
class CustomGradientRecord:
    """A ``@tf.custom_gradient`` call (an op with ``op_type`` "CustomGradient")."""

    grad_fn: tuple[str, int] | None  # where the user's gradient function is defined (file, def line)
    none_inputs: tuple[int, ...] | None = None  # inputs it returned None for (None: it never ran)


@dataclass(slots=True)
class CompileRecord:
    """A Keras ``model.compile(loss=...)`` call: which outputs the loss covers."""

    frame: int
    model: str
    outputs: dict[str, str]  # the model's output names (dict keys) -> the layer that makes each
    loss_keys: list[str] | None  # the keys of a loss dict (None: one loss, or a list, for all outputs)


@dataclass(slots=True)
class ExportRecord:
    """A value leaving TensorFlow: `.numpy()`, `float()`, numpy functions, `model.predict`."""

    seq: int
    tensors: list[int]
    frame: int
    how: str
    hashes: list[int]


@dataclass(slots=True)
class GraphRecord:
    """A tf.function graph: its placeholders, outputs and captured outer tensors."""

    name: str
    inputs: list[int]
    outputs: list[int]
    captures: dict[int, int]  # inner placeholder id -> outer tensor / variable id
    backward: bool = False
    outer: int = 0  # the graph it was traced inside (0: eagerly)


@dataclass(slots=True)
class RepeatedSteps:
    """Steps of a loop whose op details were not kept: calls ``first``..``last`` (counted from 1) of
    the gradient call at ``call_frame`` each repeated the ops and gradient results of the step
    before them, which is kept and stands for them."""

    call_frame: int
    first: int
    last: int
    ops: int  # ops those steps ran (counted in ops_dropped)


@dataclass
class Trace:
    program: str = ""
    started: str = ""
    duration_s: float = 0.0
    versions: dict[str, str | None] = field(default_factory=dict)
    frames: list[Frame] = field(default_factory=list)
    ops: list[OpRecord] = field(default_factory=list)
    tensors: dict[int, TensorInfo] = field(default_factory=dict)
    variables: dict[int, VariableRecord] = field(default_factory=dict)
    tapes: list[TapeRecord] = field(default_factory=list)
    calls: list[GradientCallRecord] = field(default_factory=list)
    exports: list[ExportRecord] = field(default_factory=list)
    births: dict[int, int] = field(default_factory=dict)  # born tensor id -> value hash
    graphs: list[GraphRecord] = field(default_factory=list)
    ops_seen: int = 0
    ops_dropped: int = 0
    error: str | None = None
    internal_errors: list[str] = field(default_factory=list)  # the first messages
    internal_error_count: int = 0  # gradviz's own failures while recording (never raised into the program)
    capture_gaps: list[str] = field(default_factory=list)  # hooks that could not be installed, and why
    other_threads: list[str] = field(default_factory=list)  # where TF work on other threads was noticed
    custom_gradients: dict[int, CustomGradientRecord] = field(default_factory=dict)  # op seq -> record
    compiles: list[CompileRecord] = field(default_factory=list)
    scaled_losses: list[int] = field(default_factory=list)  # tensors LossScaleOptimizer.scale_loss returned
    repeated_steps: list[RepeatedSteps] = field(default_factory=list)

    def frame(self, index: int) -> Frame:
        return self.frames[index] if 0 <= index < len(self.frames) else ()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able form (for saving a trace and diagnosing it elsewhere)."""
        d = dataclasses.asdict(self)
        for key in ("tensors", "variables", "births", "custom_gradients"):
            d[key] = {str(k): v for k, v in d[key].items()}
        for c in d["calls"]:
            c["names"] = {str(k): v for k, v in c["names"].items()}
        for g in d["graphs"]:
            g["captures"] = {str(k): v for k, v in g["captures"].items()}
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Trace:
        def tup(x: Any) -> Any:
            return tuple(x) if isinstance(x, list) else x

        t = cls(
            program=d["program"],
            started=d["started"],
            duration_s=d["duration_s"],
            versions=d["versions"],
            ops_seen=d["ops_seen"],
            ops_dropped=d["ops_dropped"],
            error=d.get("error"),
            internal_errors=d.get("internal_errors", []),
            internal_error_count=d.get("internal_error_count", len(d.get("internal_errors", []))),
            capture_gaps=d.get("capture_gaps", []),
            other_threads=d.get("other_threads", []),
            scaled_losses=d.get("scaled_losses", []),
        )
        t.repeated_steps = [RepeatedSteps(**r) for r in d.get("repeated_steps", [])]
        t.frames = [tuple((f, n) for f, n in fr) for fr in d["frames"]]
        for o in d["ops"]:
            o = dict(o)
            for k in ("inputs", "outputs", "recording", "paused"):
                o[k] = tuple(o[k])
            o["hidden_reads"] = tuple(tuple(p) for p in o["hidden_reads"])
            o["bodies"] = tuple(tuple(p) for p in o.get("bodies", ()))
            t.ops.append(OpRecord(**o))
        t.tensors = {int(k): TensorInfo(**{**v, "shape": tup(v["shape"])}) for k, v in d["tensors"].items()}
        t.variables = {int(k): VariableRecord(**{**v, "shape": tup(v["shape"])}) for k, v in d["variables"].items()}
        t.tapes = [
            TapeRecord(
                **{**tp, "watched": [tuple(w) for w in tp["watched"]], "enclosing": tuple(tp.get("enclosing", ()))}
            )
            for tp in d["tapes"]
        ]
        for c in d["calls"]:
            c = dict(c)
            c["names"] = {int(k): v for k, v in c.get("names", {}).items()}
            c.pop("error", None)
            c["sources"] = [
                SourceRecord(**{**s, "shape": tup(s["shape"]), "path": tuple(s.get("path", ()))}) for s in c["sources"]
            ]
            t.calls.append(GradientCallRecord(**c))
        t.exports = [ExportRecord(**e) for e in d["exports"]]
        t.compiles = [CompileRecord(**c) for c in d.get("compiles", [])]
        t.births = {int(k): v for k, v in d["births"].items()}
        t.custom_gradients = {
            int(k): CustomGradientRecord(
                grad_fn=tup(v["grad_fn"]), none_inputs=tup(v["none_inputs"]) if v["none_inputs"] is not None else None
            )
            for k, v in d.get("custom_gradients", {}).items()
        }
        t.graphs = [
            GraphRecord(**{**g, "captures": {int(k): v for k, v in g["captures"].items()}}) for g in d["graphs"]
        ]
        return t
