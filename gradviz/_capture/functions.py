"""``tf.function`` graphs: which graph a call op runs, bodies traced before capture began (read from
the graph and its trace-time stacks), calls traced into another function's graph (no op callback
fires for those), and where code runs now (eagerly, or while tracing a graph)."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from .. import trace as T
from .values import shape_of

if TYPE_CHECKING:
    from .frames import Frames
    from .ops import Ops
    from .session import Patches, Session


class Functions:
    def __init__(self, session: Session, frames: Frames, ops: Ops) -> None:
        self.session = session
        self.trace = session.trace
        self.frames = frames
        self.ops = ops
        self.seen: set[int] = set()  # function graphs whose ops are recorded
        self._index: dict[int, int] = {}  # id(graph) -> 1-based index into trace.graphs
        self._graphs: list[Any] = []  # the graph objects, held until the capture ends
        self._calls: list[Any] = []  # ConcreteFunctions being called now, innermost last
        self._tf_ops: Any = None

    def install(self, patches: Patches, ConcreteFunction: Any, tf_ops: Any) -> None:
        self._tf_ops = tf_ops
        functions, session = self, self.session
        orig_call_flat = ConcreteFunction._call_flat

        def _call_flat(fn: Any, *args: Any, **kwargs: Any) -> Any:
            functions._calls.append(fn)
            try:
                result = orig_call_flat(fn, *args, **kwargs)
                session.guard(functions.called, fn, args, result)
                return result
            finally:
                functions._calls.pop()

        patches.patch(ConcreteFunction, "_call_flat", _call_flat, orig_call_flat)

    def install_autograph(self, patches: Patches, ag_api: Any) -> None:
        orig_convert = ag_api._convert_actual
        frames, session = self.frames, self.session

        def _convert_actual(entity: Any, program_ctx: Any) -> Any:
            converted = orig_convert(entity, program_ctx)
            session.guard(frames.autograph_converted, converted)
            return converted

        patches.patch(ag_api, "_convert_actual", _convert_actual, orig_convert)

    # ---------------------------------------------------------------- graphs
    def index(self, graph: Any) -> int:
        """The 1-based index of a function graph in ``trace.graphs`` (recorded the first time)."""
        index = self._index.get(id(graph))
        if index is None:
            self._graphs.append(graph)
            name = getattr(graph, "name", "") or ""
            record = T.GraphRecord(name, [], [], {}, backward=name.startswith("__backward"))
            self.trace.graphs.append(record)
            index = self._index[id(graph)] = len(self.trace.graphs)
            outer = getattr(graph, "outer_graph", None)
            if outer is not None and hasattr(outer, "captures"):  # traced inside another function
                record.outer = self.index(outer)
        return index

    def enclosing(self, graph: int) -> tuple[int, ...]:
        """The graphs around a graph, innermost first, ending with 0 (eager) for a traced one."""
        out: list[int] = []
        while graph and len(out) < 32:
            graph = self.trace.graphs[graph - 1].outer
            out.append(graph)
        return tuple(out)

    def current(self) -> int:
        """0 when running eagerly, else the index of the graph being traced now."""
        graph = self.current_graph()
        return 0 if graph is None else self.index(graph)

    def current_graph(self) -> Any:
        """The graph being traced now, None when running eagerly."""
        ops = self._tf_ops
        if ops is None or (ops.executing_eagerly_outside_functions() and not ops.inside_function()):
            return None
        return ops.get_default_graph()

    def running_callee(self) -> int:
        """For a call op seen now: the graph of the function being called, 0 when unknown."""
        return self.index(self._calls[-1].graph) if self._calls else 0

    def bodies(self, attrs: Any, outputs: Any, graph: Any) -> tuple[tuple[str, int], ...]:
        """The functions an op runs, from its attributes: (attr name, graph index). Eager ops carry
        ConcreteFunctions (tf.data); graph ops name functions held by the graph (While, If)."""
        found: list[tuple[str, int]] = []
        pairs = list(zip(attrs[::2], attrs[1::2])) if isinstance(attrs, (tuple, list)) else []
        for name, value in pairs:
            fn_graph = getattr(value, "graph", None)
            if fn_graph is None and graph is not None:
                names = []
                if hasattr(value, "HasField") and value.HasField("func"):
                    names = [value.func.name]
                elif hasattr(value, "list") and len(value.list.func):
                    names = [f.name for f in value.list.func]
                for fn_name in names:
                    held = graph._functions.get(fn_name)
                    if held is not None and getattr(held, "graph", None) is not None:
                        self.ingest(held.graph)
                        found.append((str(name), self.index(held.graph)))
                continue
            if fn_graph is not None and hasattr(fn_graph, "get_operations"):
                self.ingest(fn_graph)
                found.append((str(name), self.index(fn_graph)))
        return tuple(found)

    # ---------------------------------------------------------------- calls
    def called(self, fn: Any, args: tuple[Any, ...], result: Any) -> None:
        """A tf.function ran: make sure its body is known, and record calls traced into another
        function's graph (no op callback fires for those)."""
        from tensorflow.python.util import nest

        self.ingest(fn.graph)
        ops = self._tf_ops
        if not ops.inside_function():
            return  # an eager call: the op callback has recorded it
        outputs = [t for t in nest.flatten(result) if hasattr(t, "_id")]
        if not outputs or outputs[0]._id in self.trace.tensors:
            return
        inputs = [t for group in args[:2] for t in (group or ()) if hasattr(t, "_id")]
        self.ops.record("StatefulPartitionedCall", inputs, None, outputs, None, ops.get_default_graph())

    def ingest(self, graph: Any) -> None:
        """Record the ops of a function graph traced before capture began, from the graph itself,
        with the user's lines from each op's trace-time stack."""
        gidx = self.index(graph)
        if gidx in self.seen or self.trace.graphs[gidx - 1].backward:
            return
        self.seen.add(gidx)
        tensors = self.trace.tensors
        dtype_name = self.ops.dtype_name
        for op in graph.get_operations():
            seq = self.session.seq = self.session.seq + 1
            for t in list(op.inputs) + list(op.outputs):
                if t._id not in tensors:
                    tensors[t._id] = T.TensorInfo(dtype_name(t), shape_of(t), "op", -1, seq)
            callee = 0
            grad = self.ops.grad(op.type, op.outputs)
            if grad == T.GRAD_CALL:
                with contextlib.suppress(Exception):
                    inner = graph._functions[op.get_attr("f").name].graph
                    self.ingest(inner)
                    callee = self.index(inner)
            try:
                frame = self.frames.from_traceback(op.traceback)
            except Exception:
                frame = self.frames.intern(())
            self.trace.ops.append(
                T.OpRecord(
                    seq, op.type, tuple(t._id for t in op.inputs), tuple(t._id for t in op.outputs),
                    frame, op.name.rpartition("/")[0], (), (), grad, gidx, op.name, False, callee, (),
                    self._op_bodies(op, graph),
                )
            )  # fmt: skip

    def _op_bodies(self, op: Any, graph: Any) -> tuple[tuple[str, int], ...]:
        try:
            attrs = tuple(x for name, value in op.node_def.attr.items() for x in (name, value))
        except Exception:
            return ()
        if not any(hasattr(v, "func") and (v.HasField("func") or len(v.list.func)) for v in attrs[1::2]):
            return ()
        return self.bodies(attrs, op.outputs, graph)

    def finish(self) -> None:
        for rec, graph in zip(self.trace.graphs, self._graphs):
            with contextlib.suppress(Exception):
                rec.inputs = [t._id for t in graph.inputs]
                rec.outputs = [t._id for t in graph.outputs]
                rec.captures = {inner._id: outer._id for outer, inner in graph.captures}
        self._graphs.clear()
