"""The op log: every op the program runs (eager, or traced into a ``tf.function`` graph), with the
user's stack, the tapes recording at that moment, and how a gradient passes through it.

``Ops.on_op`` is TensorFlow's op callback, the hot path of the whole capture: it runs for every
op, so it binds what it needs to locals and does the rest lazily.
"""

from __future__ import annotations

from threading import get_ident
from typing import TYPE_CHECKING, Any

from .. import trace as T
from .repeats import Repeats
from .values import DtypeNames, shape_of, tensor_hash

if TYPE_CHECKING:
    from .exports import Exports
    from .frames import Frames
    from .functions import Functions
    from .session import Session
    from .tapes import Tapes
    from .variables import Variables

_READ_OPS = frozenset({"ReadVariableOp", "ResourceGather", "ResourceGatherNd"})
_STOP_OPS = frozenset({"StopGradient", "PreventGradient"})
_NUMPY_OPS = frozenset({"PyFunc", "PyFuncStateless", "NumpyFunction"})
# Registered gradient functions that always return None for their inputs.
_RETURNS_NONE = frozenset(
    {
        "ArgMax", "ArgMin", "Round", "Floor", "Ceil", "FloorDiv", "FloorMod", "Rint",
        "TruncateDiv", "Bucketize", "Unique", "Where", "NonMaxSuppressionV3",
    }
)  # fmt: skip
# Gradients that exist but are zero almost everywhere.
_ZERO_OPS = frozenset({"Sign", "ZerosLike", "OnesLike"})
# Ops that run functions given as attributes (loop bodies, branches); tf.data ops are found by name.
_FUNCTIONAL = frozenset({"While", "StatelessWhile", "If", "StatelessIf", "Case", "StatelessCase"})
_DATASET_OPS = frozenset(
    {
        "MakeIterator", "IteratorGetNext", "IteratorGetNextSync", "IteratorGetNextAsOptional",
        "OptionalGetValue", "AnonymousIterator", "AnonymousIteratorV2", "AnonymousIteratorV3",
        "DatasetToSingleElement", "DeleteIterator",
    }
)  # fmt: skip
_IDLE: tuple[tuple[int, ...], tuple[int, ...]] = ((), ())  # a thread with no tape entered
_FLOATING = frozenset({"float16", "bfloat16", "float32", "float64", "complex64", "complex128", "resource", "variant"})


def is_assign_op(op_type: str) -> bool:
    return op_type.startswith("Assign") and op_type.endswith("VariableOp")


class Ops:
    """Records ops into ``trace.ops``; bounded by ``max_ops`` (see :meth:`compact`)."""

    def __init__(self, session: Session, frames: Frames, max_ops: int) -> None:
        self.session = session
        self.trace = session.trace
        self.frames = frames
        self.max_ops = max_ops
        self.dtype_name = DtypeNames()
        self._grad_kind: dict[str, str] = {}
        self._gradient_registry: Any = None
        self._scope: Any = None
        # wired by the capture once every part exists
        self.tapes: Tapes
        self.variables: Variables
        self.exports: Exports
        self.functions: Functions
        self.repeats = Repeats(self)

    def start(self, gradient_registry: Any, context: Any) -> None:
        self._gradient_registry = gradient_registry
        self._scope = context
        self.repeats.start()

    # ---------------------------------------------------------------- the callback
    def on_op(self, op_type: Any, inputs: Any, attrs: Any, outputs: Any, op_name: Any = None, graph: Any = None) -> Any:
        """TensorFlow's op callback. Returns ``outputs`` unchanged: TF hands each callback's return
        value to the next callback as its outputs, so returning None would blind the ones after us."""
        session = self.session
        if session.busy:
            return outputs
        session.busy = True
        try:
            self.record(op_type, inputs, attrs, outputs, op_name, graph)
        except Exception as e:
            session.internal_error("op callback", e)
        finally:
            session.busy = False
        return outputs

    def record(self, op_type: Any, inputs: Any, attrs: Any, outputs: Any, op_name: Any, graph: Any) -> None:
        """One op into the log; while a loop's repeated steps are left out (``repeats.py``), an op that
        repeats the kept step's is only counted."""
        repeats = self.repeats
        if repeats.skipping is not None:
            if graph is None and repeats.skip(op_type, inputs, outputs):
                return
            repeats.write_out()  # the step being skipped differs from here on
        if isinstance(op_type, bytes):
            op_type = op_type.decode()
        trace = self.trace
        session = self.session
        trace.ops_seen += 1
        seq = session.seq = session.seq + 1
        thread = get_ident()
        key = None
        accessed: Any = ()
        if graph is None and thread == session.thread:  # the variable watcher is the capturing thread's own
            accessed = self.variables.take_accessed()
            vids = tuple(v.handle._id for v in accessed) if accessed else ()
            state = self.tapes.state.get(thread, _IDLE)
            key = repeats.key(op_type, inputs, outputs, state, self.tapes.in_gradient > 0, vids)
        else:
            repeats.not_full()
        self._record(op_type, inputs, attrs, outputs, op_name, graph, seq, thread, accessed, key)

    def _record(self, op_type: str, inputs: Any, attrs: Any, outputs: Any, op_name: Any, graph: Any, seq: int,
                thread: int, accessed: Any, key: Any) -> None:  # fmt: skip
        trace = self.trace
        gidx = 0
        if graph is not None:
            gidx = self.functions.index(graph)
            if trace.graphs[gidx - 1].backward:
                return  # TensorFlow building a tf.function's gradient, not the user's code
            self.functions.seen.add(gidx)
        # once per op (inputs first seen here share it), from the frame that called on_op (or
        # record_custom, ...): the three frames below it are gradviz's _record, record and that one
        frame = self.frames.here(4)
        tensors = trace.tensors
        variables = trace.variables
        in_ids = []
        for t in inputs:
            tid = t._id
            in_ids.append(tid)
            if tid not in tensors and tid not in variables:
                self.born(t, tid, seq, graph is None, frame)
        out_ids = []
        dtype_name = self.dtype_name
        for t in outputs or ():
            tid = t._id
            out_ids.append(tid)
            tensors[tid] = T.TensorInfo(dtype_name(t), shape_of(t), "op", -1, seq)
        hidden: tuple[tuple[int, int], ...] = ()
        if graph is None:
            var = self.variables
            if accessed:
                hidden = var.hidden_reads(accessed, inputs, in_ids, seq)
            if len(inputs) > 1 and is_assign_op(op_type):
                var.remember_assign(in_ids[0], inputs[1])
            if var.has_assigned:
                hidden += var.state_reads(in_ids, seq)
            scope = self._scope.scope_name.rstrip("/")
        else:
            scope = op_name.rpartition("/")[0] if op_name else ""
        if scope.startswith("replica_"):  # MirroredStrategy's replicas after the first: the same layers
            head, _, rest = scope.partition("/")
            if head[8:].isdigit():
                scope = rest
        grad = self.grad(op_type, outputs)
        callee = self.functions.running_callee() if grad == T.GRAD_CALL else 0
        bodies: tuple[tuple[str, int], ...] = ()
        if grad == T.GRAD_DATASET or op_type in _FUNCTIONAL:
            bodies = self.functions.bodies(attrs, outputs, graph)
        recording, paused = self.tapes.state.get(thread, _IDLE)
        record = T.OpRecord(
            seq,
            op_type,
            tuple(in_ids),
            tuple(out_ids),
            frame,
            scope,
            recording,
            paused,
            grad,
            gidx,
            op_name,
            self.tapes.in_gradient > 0,
            callee,
            hidden,
            bodies,
        )  # fmt: skip (positional: this runs for every op)
        trace.ops.append(record)
        if key is not None:
            self.repeats.learned(key, record)
        if len(trace.ops) > self.max_ops:
            self.compact()

    def record_custom(self, name: str, inputs: list[Any], outputs: list[Any]) -> int:
        """A @tf.custom_gradient call, as the op TensorFlow records on the tape for it."""
        self.record("CustomGradient", inputs, None, outputs, name, self.functions.current_graph())
        return self.session.seq

    def record_numpy_function(self, inputs: Any, result: Any) -> None:
        """An eager ``tf.numpy_function``: NumPy ran on the inputs and its results became tensors."""
        ins = [t for t in (inputs or ()) if hasattr(t, "_id")]
        outs = [t for t in (result if isinstance(result, (list, tuple)) else [result]) if hasattr(t, "_id")]
        if outs:
            self.record("NumpyFunction", ins, None, outs, None, None)

    # ---------------------------------------------------------------- how gradients pass
    def grad(self, op_type: str, outputs: Any) -> str:
        if op_type == "Cast":
            out = outputs[0].dtype.name if outputs else ""
            return T.GRAD_OK if out in _FLOATING else T.GRAD_NONE
        kind = self._grad_kind.get(op_type)
        if kind is None:
            kind = self._grad_kind[op_type] = self._classify(op_type)
        return kind

    def _classify(self, op_type: str) -> str:
        if op_type in _READ_OPS:
            return T.GRAD_READ
        if op_type == "CustomGradient":
            return T.GRAD_CUSTOM
        if op_type in _STOP_OPS:
            return T.GRAD_STOP
        if op_type in _NUMPY_OPS:
            return T.GRAD_NUMPY
        if op_type in _ZERO_OPS:
            return T.GRAD_ZERO
        if op_type in _DATASET_OPS or op_type.endswith("Dataset") or op_type[:-2].endswith("DatasetV"):
            return T.GRAD_DATASET
        if op_type in _RETURNS_NONE:
            return T.GRAD_NONE
        if op_type.startswith(("__inference_", "__forward_")) or op_type.endswith("PartitionedCall"):
            return T.GRAD_CALL
        if op_type.startswith(("Assign", "ResourceApply", "ResourceScatter", "ResourceSparseApply")):
            return T.GRAD_ASSIGN
        try:
            fn = self._gradient_registry.lookup(op_type)
        except LookupError:
            return T.GRAD_NONE
        return T.GRAD_OK if fn is not None else T.GRAD_NONE

    # ---------------------------------------------------------------- tensors no op produced
    def born(self, t: Any, tid: int, seq: int, eager: bool, frame: int, origin: str = "input") -> None:
        """A tensor no captured op produced: a Python/NumPy value TF converted (``input``), a
        ``tf.constant``, a value back from NumPy, a hidden variable read, or a function's input."""
        repeats = self.repeats
        if eager and origin != "constant" and (repeats.dropped is not None or repeats.older_left_out):
            # a value of a step whose ops were left out (see repeats.py): the step just before is
            # written out; an older one's value is one whose maker gradviz did not keep
            state = self.tapes.state.get(get_ident(), _IDLE)
            left_out = repeats.left_out(tid, bool(state[0]))
            if left_out == 1 and tid in self.trace.tensors:
                return
            if left_out:
                origin = "op"
        dtype = self.dtype_name(t)
        info = T.TensorInfo(dtype, shape_of(t), origin if eager else "function_input", frame, seq)
        self.trace.tensors[tid] = info
        if eager and dtype != "resource" and origin != "op" and (self.trace.exports or self.variables.has_assigned):
            h = tensor_hash(t)
            if h is not None:
                self.trace.births[tid] = h
                if self.exports.is_exported(h):
                    info.origin = "numpy"
                    self.repeats.exported_from(h)

    def constant_made(self, t: Any) -> None:
        repeats = self.repeats
        frame = self.frames.here(4)  # from TensorFlow's frame: below it are this, Session.guard and the hook
        if repeats.skipping is not None:
            # a repeated step's, made on the template's line: kept for writing out (its value hash
            # for numpy round trips); made elsewhere, the step is written out from here
            if repeats.skip_constant(t, frame, bool(self.trace.exports or self.variables.has_assigned)):
                return
            repeats.write_out()
        repeats.constant(t._id, frame)
        self.born(t, t._id, self.session.seq, True, frame, "constant")

    # ---------------------------------------------------------------- bounding
    def compact(self) -> None:
        """Drop ops that no kept gradient call depends on, keeping the current step whole."""
        trace = self.trace
        needed: set[int] = set()
        for call in trace.calls:
            needed.update(call.targets)
            needed.update(s.id for s in call.sources)
        last_call = self.tapes.last_call_seq
        kept: list[T.OpRecord] = []
        for op in reversed(trace.ops):
            if op.seq > last_call or op.graph or needed.intersection(op.outputs):
                kept.append(op)
                needed.update(op.inputs)
        kept.reverse()
        dropped = len(trace.ops) - len(kept)
        trace.ops_dropped += dropped
        trace.ops = kept
        if dropped < self.max_ops // 4:
            self.max_ops *= 2  # everything is needed: grow rather than compact on every op
        live = {t for op in kept for t in op.inputs + op.outputs} | needed
        trace.tensors = {k: v for k, v in trace.tensors.items() if k in live}
