"""Stage 1, capture: record a program's TensorFlow work into a :class:`~gradviz.trace.Trace`.

The only module that imports TensorFlow (lazily, on entering :func:`capture`). It observes and
never changes the program: every hook calls straight through to TensorFlow, exceptions raised by
gradviz itself are swallowed and counted in ``Trace.internal_errors``, and every hook comes out in
``finally``, also when the captured code raises.

What is hooked (see ``shared/notes/capture-facts.md`` for why each is needed):

* the eager op callback (``op_callbacks.add_op_callback``): every op, eager or traced into a
  ``tf.function`` graph, with the user's file and line;
* a variable watcher, for variable reads that fast-path ops do inside C++ without a callback;
* ``GradientTape``: enter/exit, ``stop_recording``, ``watch``, ``reset`` and ``gradient`` (whose
  results give each source's true status);
* variable creation, ``ConcreteFunction._call_flat`` (which graph a call op runs), autograph's
  conversion (to map generated code back to the user's lines), and values leaving TensorFlow
  (``.numpy()``, ``float()``, ``Model.predict``; numpy functions applied to a
  tensor directly read it through the buffer protocol, unseen, and are inferred in diagnosis).
"""

from __future__ import annotations

import contextlib
import datetime
import os
import sys
import sysconfig
import threading
import time
import weakref
from collections.abc import Iterator
from typing import Any

import numpy as np

from . import trace as T
from .errors import CaptureError, OptionError

_GRADVIZ_DIR = os.path.dirname(os.path.abspath(__file__))


def _library_dirs() -> tuple[str, ...]:
    """Where the standard library and installed packages live (not the user's own code)."""
    dirs = {os.path.dirname(os.__file__)}
    for scheme_vars in ({}, {"base": sys.base_prefix, "platbase": sys.base_exec_prefix}):
        paths = sysconfig.get_paths(vars=scheme_vars or None)
        dirs.update(paths[k] for k in ("stdlib", "platstdlib", "purelib", "platlib") if k in paths)
    return tuple(sorted(os.path.abspath(d) for d in dirs))


_LIBRARY_DIRS = _library_dirs()

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
_FLOATING = frozenset({"float16", "bfloat16", "float32", "float64", "complex64", "complex128", "resource", "variant"})
_MAX_HASH_ELEMENTS = 1 << 16


def _value_hash(array: Any) -> int | None:
    """A hash of a value's numbers, independent of float width, so a round trip can be matched.

    Single numbers are not hashed: a logged `float(loss)` would match every constant that happens
    to be equal, and a false round trip is worse than a missed one.
    """
    try:
        a = np.asarray(array)
        if not 2 <= a.size <= _MAX_HASH_ELEMENTS or a.dtype.kind not in "fiub":
            return None
        return hash(np.ascontiguousarray(a, dtype=np.float64).tobytes())
    except Exception:
        return None


def _tensor_hash(t: Any) -> int | None:
    """:func:`_value_hash` of an eager tensor, without copying one too large to be hashed."""
    shape = _shape(t)
    if shape is None or any(d is None for d in shape):
        return None
    size = 1
    for d in shape:
        size *= d
    if not 2 <= size <= _MAX_HASH_ELEMENTS:
        return None
    return _value_hash(t._numpy())


def _is_library_file(filename: str) -> bool:
    if filename.startswith("<") and not filename.startswith("<ipython-input"):
        return True  # <frozen ...>, <string>, exec'd library code
    if "__autograph_generated_file" in filename:
        return True  # unless its source map is known (then `_autograph_converted` says otherwise)
    path = os.path.abspath(filename)
    if path.startswith(_GRADVIZ_DIR):
        return not path.startswith(os.path.join(_GRADVIZ_DIR, "examples"))
    if "site-packages" in path or "dist-packages" in path:
        return True
    return any(path.startswith(d + os.sep) for d in _LIBRARY_DIRS)


class Capture:
    """Records TensorFlow activity while active. Use :func:`capture`; read :attr:`trace` after.

    ``max_ops`` bounds the op log: when it is exceeded, ops that no kept gradient call needs are
    dropped (counted in ``trace.ops_dropped``), so a long training loop keeps bounded memory.
    """

    def __init__(self, *, program: str = "", max_ops: int = 50_000) -> None:
        if max_ops < 1000:
            raise OptionError(f"max_ops={max_ops} is too small to hold one training step; use max_ops >= 1000.")
        self.trace = T.Trace(program=program)
        self.max_ops = max_ops
        self._thread = threading.get_ident()
        self._busy = False
        self._seq = 0
        self._library: dict[str, bool] = {}
        self._autograph_files: set[str] = set()
        self._frame_index: dict[T.Frame, int] = {}
        self._autograph: dict[tuple[str, int], tuple[str, int]] = {}
        self._grad_kind: dict[str, str] = {}
        self._tapes: dict[int, T.TapeRecord] = {}  # id(tape) -> record
        self._recording: tuple[int, ...] = ()
        self._paused: tuple[int, ...] = ()
        self._active: list[int] = []  # entered tapes, in order
        self._pause_depth: dict[int, int] = {}
        self._in_gradient = 0
        self._graph_index: dict[int, int] = {}
        self._graph_objects: list[Any] = []
        self._call_stack: list[Any] = []
        self._graphs_seen: set[int] = set()  # function graphs whose ops are recorded
        self._export_hashes: dict[int, int] = {}  # value hash -> export index
        self._assigned: dict[int, int] = {}  # value hash -> non-trainable variable it was written to
        self._layers: dict[int, int] = {}  # id(Keras layer) -> frame where the user created it
        self._keras_variables: dict[int, Any] = {}  # variable id -> its Keras wrapper
        self._keras_made: dict[int, int] = {}  # id(Keras variable) -> frame where it was made
        self._watcher: Any = None
        self._groups: dict[tuple[Any, ...], int] = {}  # repeated gradient call -> kept call index
        self._last_call_seq = 0
        self._restore: list[tuple[Any, str, Any, bool]] = []
        self._outermost: Any = None
        self._t0 = 0.0

    # ------------------------------------------------------------------ lifecycle
    def __enter__(self) -> Capture:
        try:
            import tensorflow as tf  # noqa: F401  (the one place gradviz imports TensorFlow)
        except ImportError as e:  # pragma: no cover - TF is a dependency
            raise CaptureError("gradviz needs TensorFlow: pip install tensorflow") from e
        self._t0 = time.perf_counter()
        self._outermost = _with_statement_frame()
        self.trace.started = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
        self.trace.versions = _versions()
        try:
            self._install()
        except BaseException:
            self._uninstall()
            raise
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        try:
            self._finish()
        finally:
            self._uninstall()
        if exc is not None:
            self.trace.error = f"{exc_type.__name__}: {exc}"

    # ------------------------------------------------------------------ hooks in / out
    def _patch(self, owner: Any, name: str, value: Any) -> None:
        had = name in vars(owner)
        self._restore.append((owner, name, vars(owner).get(name), had))
        setattr(owner, name, value)

    def _install(self) -> None:
        from tensorflow.python import pywrap_tfe
        from tensorflow.python.eager import backprop, context
        from tensorflow.python.eager.polymorphic_function import concrete_function
        from tensorflow.python.framework import op_callbacks, ops
        from tensorflow.python.ops import resource_variable_ops

        self._tf_ops = ops
        self._pywrap = pywrap_tfe
        self._context = context.context()
        self._watched_variables = pywrap_tfe.TFE_Py_VariableWatcherWatchedVariables
        self._dtype_names: dict[int, str] = {}
        op_callbacks.add_op_callback(self._on_op)
        self._remove_callback = lambda: op_callbacks.remove_op_callback(self._on_op)
        self._watcher = pywrap_tfe.TFE_Py_VariableWatcherNew()

        cap = self
        Tape = backprop.GradientTape
        orig = {n: getattr(Tape, n) for n in ("__enter__", "__exit__", "watch", "reset", "gradient", "stop_recording")}

        def __enter__(tape: Any) -> Any:
            result = orig["__enter__"](tape)
            cap._guard(cap._tape_entered, tape)
            return result

        def __exit__(tape: Any, *exc: Any) -> Any:
            try:
                return orig["__exit__"](tape, *exc)
            finally:
                cap._guard(cap._tape_exited, tape)

        def watch(tape: Any, tensor: Any) -> Any:
            cap._guard(cap._tape_watch, tape, tensor)
            return orig["watch"](tape, tensor)

        def reset(tape: Any) -> Any:
            cap._guard(cap._tape_reset, tape)
            return orig["reset"](tape)

        @contextlib.contextmanager
        def stop_recording(tape: Any) -> Iterator[None]:
            with orig["stop_recording"](tape):
                rec = cap._guard(cap._tape_record, tape)
                if rec is not None:
                    cap._pause_depth[rec.id] = cap._pause_depth.get(rec.id, 0) + 1
                    cap._refresh_tape_state()
                try:
                    yield
                finally:
                    if rec is not None:
                        cap._pause_depth[rec.id] -= 1
                        cap._refresh_tape_state()

        def gradient(
            tape: Any, target: Any, sources: Any, output_gradients: Any = None, unconnected_gradients: Any = None
        ) -> Any:
            kwargs = {} if unconnected_gradients is None else {"unconnected_gradients": unconnected_gradients}
            if not cap._is_capturing_thread():
                return orig["gradient"](tape, target, sources, output_gradients, **kwargs)
            cap._in_gradient += 1
            try:
                result = orig["gradient"](tape, target, sources, output_gradients, **kwargs)
            except BaseException as e:
                cap._in_gradient -= 1
                cap._guard(cap._record_gradient, tape, target, sources, None, unconnected_gradients, e)
                raise
            cap._in_gradient -= 1
            cap._guard(cap._record_gradient, tape, target, sources, result, unconnected_gradients, None)
            return result

        for name, fn in (
            ("__enter__", __enter__),
            ("__exit__", __exit__),
            ("watch", watch),
            ("reset", reset),
            ("stop_recording", stop_recording),
            ("gradient", gradient),
        ):
            fn.__wrapped__ = orig[name]  # type: ignore[attr-defined]
            self._patch(Tape, name, fn)

        # Variable creation: where each variable was made (also the variables a tf.function lifts
        # out of its first trace, which Keras models built inside `fit` are).
        RV = resource_variable_ops.BaseResourceVariable
        orig_init = RV.__init__

        def rv_init(variable: Any, *args: Any, **kwargs: Any) -> None:
            orig_init(variable, *args, **kwargs)
            cap._guard(cap._variable_created, variable)

        self._patch(RV, "__init__", rv_init)

        # Which function graph a call op runs.
        CF = concrete_function.ConcreteFunction
        orig_call_flat = CF._call_flat

        def _call_flat(fn: Any, *args: Any, **kwargs: Any) -> Any:
            cap._call_stack.append(fn)
            try:
                result = orig_call_flat(fn, *args, **kwargs)
                cap._guard(cap._function_called, fn, args, result)
                return result
            finally:
                cap._call_stack.pop()

        self._patch(CF, "_call_flat", _call_flat)

        # Autograph: generated code lines -> the user's lines.
        try:
            from tensorflow.python.autograph.impl import api as ag_api

            orig_convert = ag_api._convert_actual

            def _convert_actual(entity: Any, program_ctx: Any) -> Any:
                converted = orig_convert(entity, program_ctx)
                cap._guard(cap._autograph_converted, converted)
                return converted

            self._patch(ag_api, "_convert_actual", _convert_actual)
        except Exception:  # pragma: no cover - autograph internals moved
            self.trace.internal_errors.append("autograph source maps unavailable")

        # Where constants are made (no op callback fires for them).
        from tensorflow.python.framework import constant_op

        orig_constant = constant_op._constant_eager_impl

        def _constant_eager_impl(*args: Any, **kwargs: Any) -> Any:
            tensor = orig_constant(*args, **kwargs)
            cap._guard(cap._constant_made, tensor)
            return tensor

        self._patch(constant_op, "_constant_eager_impl", _constant_eager_impl)

        # Values leaving TensorFlow.
        base = ops._EagerTensorBase
        for name in ("numpy", "__float__", "__int__", "__index__", "__bool__", "__array__", "__format__"):
            original = vars(base).get(name) or getattr(base, name)
            self._patch(base, name, self._exporting(original, name))

        try:  # TensorFlow loads Keras lazily; loading it now lets its classes be hooked
            import keras
        except Exception:
            keras = None
        layer_cls = getattr(getattr(keras, "layers", None), "Layer", None)
        if layer_cls is not None:
            orig_layer_init = layer_cls.__init__

            def layer_init(layer: Any, *args: Any, **kwargs: Any) -> None:
                cap._guard(cap._layer_created, layer)
                orig_layer_init(layer, *args, **kwargs)

            self._patch(layer_cls, "__init__", layer_init)
        base_variable = next(
            (c for c in getattr(keras, "Variable", object).__mro__ if c.__module__.endswith("common.variables")), None
        )
        if base_variable is not None:
            orig_kv_init = base_variable.__init__

            def kv_init(kv: Any, *args: Any, **kwargs: Any) -> None:
                orig_kv_init(kv, *args, **kwargs)
                cap._guard(cap._keras_variable_made, kv)

            self._patch(base_variable, "__init__", kv_init)
        model_cls = getattr(keras, "Model", None) if keras is not None else None
        if model_cls is not None and hasattr(model_cls, "predict"):
            orig_predict = model_cls.predict

            def predict(model: Any, *args: Any, **kwargs: Any) -> Any:
                first = cap._seq
                result = orig_predict(model, *args, **kwargs)
                cap._guard(cap._predict_returned, first, result)
                return result

            self._patch(model_cls, "predict", predict)

    def _uninstall(self) -> None:
        errors = []
        remove = getattr(self, "_remove_callback", None)
        if remove is not None:
            try:
                remove()
            except Exception as e:  # pragma: no cover
                errors.append(e)
            self._remove_callback = None
        if self._watcher is not None:
            try:
                self._pywrap.TFE_Py_VariableWatcherRemove(self._watcher)
            except Exception as e:  # pragma: no cover
                errors.append(e)
            self._watcher = None
        while self._restore:
            owner, name, value, had = self._restore.pop()
            try:
                if had:
                    setattr(owner, name, value)
                else:
                    delattr(owner, name)
            except Exception as e:  # pragma: no cover
                errors.append(e)
        if errors:  # pragma: no cover
            raise CaptureError(f"gradviz could not remove all its hooks: {errors[0]!r}")

    def _guard(self, fn: Any, *args: Any) -> Any:
        """Run a recorder; gradviz's own failures never reach the user's program."""
        if self._busy or not self._is_capturing_thread():
            return None
        self._busy = True
        try:
            return fn(*args)
        except Exception as e:
            if len(self.trace.internal_errors) < 20:
                self.trace.internal_errors.append(f"{getattr(fn, '__name__', fn)}: {e!r}")
            return None
        finally:
            self._busy = False

    def _is_capturing_thread(self) -> bool:
        return threading.get_ident() == self._thread

    # ------------------------------------------------------------------ frames
    def _frame(self, depth: int = 2) -> int:
        """Index of the user's stack (innermost first), walking out from the caller.

        Runs for every op. Files are classified once and looked up by name: a str caches its
        hash, while a code object recomputes its hash from its contents on every lookup.
        """
        f: Any = sys._getframe(depth)
        stop = self._outermost
        library = self._library
        stack: list[tuple[str, int]] = []
        while f is not None:
            fn = f.f_code.co_filename
            lib = library.get(fn)
            if lib is None:
                lib = self._is_library(fn)
            if not lib:
                loc = (fn, f.f_lineno)
                if fn in self._autograph_files:
                    loc = self._autograph.get(loc)  # type: ignore[assignment]
                if loc is not None and (not stack or stack[-1] != loc):
                    stack.append(loc)
            if f is stop:
                break  # callers of the `with capture()` block are not part of the captured program
            f = f.f_back
        return self._intern_frame(tuple(stack))

    def _intern_frame(self, key: T.Frame) -> int:
        """The index of a user stack in ``trace.frames``, stored once however often it recurs."""
        index = self._frame_index.get(key)
        if index is None:
            index = self._frame_index[key] = len(self.trace.frames)
            self.trace.frames.append(key)
        return index

    def _is_library(self, filename: str) -> bool:
        lib = self._library.get(filename)
        if lib is None:
            lib = self._library[filename] = _is_library_file(filename)
        return lib

    def _autograph_converted(self, converted: Any) -> None:
        source_map = getattr(converted, "ag_source_map", None) or {}
        for loc, origin in source_map.items():
            if self._is_library(origin.loc.filename):
                continue  # TensorFlow converting its own code (pfor inside tape.jacobian, ...)
            self._autograph[(loc.filename, loc.lineno)] = (origin.loc.filename, origin.loc.lineno)
            self._autograph_files.add(loc.filename)
            self._library[loc.filename] = False  # generated code: shown as the user's lines it maps to

    # ------------------------------------------------------------------ ops
    def _on_op(
        self, op_type: Any, inputs: Any, attrs: Any, outputs: Any, op_name: Any = None, graph: Any = None
    ) -> None:
        if self._busy:
            return None
        self._busy = True
        try:
            self._record_op(op_type, inputs, attrs, outputs, op_name, graph)
        except Exception as e:
            if len(self.trace.internal_errors) < 20:
                self.trace.internal_errors.append(f"op callback: {e!r}")
        finally:
            self._busy = False
        return None

    def _record_op(self, op_type: Any, inputs: Any, attrs: Any, outputs: Any, op_name: Any, graph: Any) -> None:
        if isinstance(op_type, bytes):
            op_type = op_type.decode()
        self.trace.ops_seen += 1
        seq = self._seq = self._seq + 1
        gidx = 0
        if graph is not None:
            gidx = self._graph(graph)
            if self.trace.graphs[gidx - 1].backward:
                return  # TensorFlow building a tf.function's gradient, not the user's code
            self._graphs_seen.add(gidx)
        frame = self._frame(4)  # once per op: inputs first seen here share it
        tensors = self.trace.tensors
        in_ids = []
        for t in inputs:
            tid = t._id
            in_ids.append(tid)
            if tid not in tensors and tid not in self.trace.variables:
                self._born(t, tid, seq, graph is None, frame)
        out_ids = []
        dtype_name = self._dtype_name
        for t in outputs or ():
            tid = t._id
            out_ids.append(tid)
            tensors[tid] = T.TensorInfo(dtype_name(t), _shape(t), "op", -1, seq)
        hidden: tuple[tuple[int, int], ...] = ()
        if graph is None:
            accessed = self._watched_variables(self._watcher)
            if accessed:
                hidden = self._hidden_reads(accessed, inputs, in_ids)
            if _is_assign_op(op_type) and len(inputs) > 1:
                self._remember_assign(in_ids[0], inputs[1])
            if self._assigned:
                hidden += self._state_reads(in_ids, seq)
        grad = self._grad(op_type, attrs, outputs)
        callee = 0
        if grad == T.GRAD_CALL and self._call_stack:
            callee = self._graph(self._call_stack[-1].graph)
        if graph is None:
            scope = self._scope()
        else:
            scope = op_name.rpartition("/")[0] if op_name else ""
        self.trace.ops.append(
            T.OpRecord(
                seq,
                op_type,
                tuple(in_ids),
                tuple(out_ids),
                frame,
                scope,
                self._recording,
                self._paused,
                grad,
                gidx,
                op_name,
                self._in_gradient > 0,
                callee,
                hidden,
            )
        )  # fmt: skip (positional: this runs for every op)
        if len(self.trace.ops) > self.max_ops:
            self._compact()

    def _function_called(self, fn: Any, args: tuple[Any, ...], result: Any) -> None:
        """A tf.function ran: make sure its body is known, and record calls traced into another
        function's graph (no op callback fires for those)."""
        from tensorflow.python.framework import ops
        from tensorflow.python.util import nest

        self._ingest(fn.graph)
        if not ops.inside_function():
            return  # an eager call: the op callback has recorded it
        outputs = [t for t in nest.flatten(result) if hasattr(t, "_id")]
        if not outputs or outputs[0]._id in self.trace.tensors:
            return
        inputs = [t for group in args[:2] for t in (group or ()) if hasattr(t, "_id")]
        self._record_op("StatefulPartitionedCall", inputs, None, outputs, None, ops.get_default_graph())

    def _ingest(self, graph: Any) -> None:
        """Record the ops of a function graph traced before capture began, from the graph itself,
        with the user's lines from each op's trace-time stack."""
        gidx = self._graph(graph)
        if gidx in self._graphs_seen or self.trace.graphs[gidx - 1].backward:
            return
        self._graphs_seen.add(gidx)
        tensors = self.trace.tensors
        for op in graph.get_operations():
            seq = self._seq = self._seq + 1
            for t in list(op.inputs) + list(op.outputs):
                if t._id not in tensors:
                    tensors[t._id] = T.TensorInfo(self._dtype_name(t), _shape(t), "op", -1, seq)
            callee = 0
            grad = self._grad(op.type, None, op.outputs)
            if grad == T.GRAD_CALL:
                with contextlib.suppress(Exception):
                    inner = graph._functions[op.get_attr("f").name].graph
                    self._ingest(inner)
                    callee = self._graph(inner)
            self.trace.ops.append(
                T.OpRecord(
                    seq, op.type, tuple(t._id for t in op.inputs), tuple(t._id for t in op.outputs),
                    self._traceback_frame(op), op.name.rpartition("/")[0], (), (), grad, gidx, op.name,
                    False, callee, (),
                )
            )  # fmt: skip

    def _traceback_frame(self, op: Any) -> int:
        stack: list[tuple[str, int]] = []
        with contextlib.suppress(Exception):
            for f in reversed(op.traceback):  # innermost first
                loc: tuple[str, int] | None = (f.filename, f.lineno)
                if f.filename in self._autograph_files:
                    loc = self._autograph.get(loc)  # type: ignore[arg-type]
                elif self._is_library(f.filename):
                    continue
                if loc is not None and (not stack or stack[-1] != loc):
                    stack.append(loc)
        return self._intern_frame(tuple(stack))

    def _scope(self) -> str:
        return self._context.scope_name.rstrip("/")

    def _dtype_name(self, t: Any) -> str:
        try:
            enum = t._datatype_enum()
        except Exception:
            return t.dtype.name
        name = self._dtype_names.get(enum)
        if name is None:
            name = self._dtype_names[enum] = t.dtype.name
        return name

    def _grad(self, op_type: str, attrs: Any, outputs: Any) -> str:
        if op_type == "Cast":
            out = outputs[0].dtype.name if outputs else ""
            return T.GRAD_OK if out in _FLOATING else T.GRAD_NONE
        kind = self._grad_kind.get(op_type)
        if kind is None:
            kind = self._grad_kind[op_type] = self._classify_op(op_type)
        return kind

    def _classify_op(self, op_type: str) -> str:
        if op_type in _READ_OPS:
            return T.GRAD_READ
        if op_type in _STOP_OPS:
            return T.GRAD_STOP
        if op_type in _NUMPY_OPS:
            return T.GRAD_NUMPY
        if op_type in _ZERO_OPS:
            return T.GRAD_ZERO
        if op_type in _RETURNS_NONE:
            return T.GRAD_NONE
        if op_type.startswith(("__inference_", "__forward_")) or op_type.endswith("PartitionedCall"):
            return T.GRAD_CALL
        if op_type.startswith(("Assign", "ResourceApply", "ResourceScatter", "ResourceSparseApply")):
            return T.GRAD_ASSIGN
        try:
            fn = self._tf_ops.gradient_registry.lookup(op_type)
        except LookupError:
            return T.GRAD_NONE
        return T.GRAD_OK if fn is not None else T.GRAD_NONE

    def _born(self, t: Any, tid: int, seq: int, eager: bool, frame: int) -> None:
        """A tensor no captured op produced: a constant, a numpy value, or a hidden read."""
        dtype = self._dtype_name(t)
        info = T.TensorInfo(dtype, _shape(t), "constant" if eager else "function_input", frame, seq)
        self.trace.tensors[tid] = info
        if eager and dtype != "resource" and (self.trace.exports or self._assigned):
            h = _tensor_hash(t)
            if h is not None:
                self.trace.births[tid] = h
                if h in self._export_hashes:
                    info.origin = "numpy"

    def _remember_assign(self, vid: int, value: Any) -> None:
        """Values written into non-trainable variables: a later fast-path read shows up as a tensor
        with the same numbers (the variable watcher names trainable variables only)."""
        var = self.trace.variables.get(vid)
        if var is not None and not var.trainable and value.dtype.name != "resource":
            h = _tensor_hash(value)
            if h is not None:
                self._assigned[h] = vid

    def _state_reads(self, in_ids: list[int], seq: int) -> tuple[tuple[int, int], ...]:
        pairs = []
        for tid in in_ids:
            info = self.trace.tensors.get(tid)
            h = self.trace.births.get(tid)
            if info is not None and info.origin in ("constant", "numpy") and info.seq == seq and h in self._assigned:
                info.origin = "variable_read"
                pairs.append((self._assigned[h], tid))
        return tuple(pairs)

    def _constant_made(self, t: Any) -> None:
        self._born(t, t._id, self._seq, True, self._frame(4))

    def _hidden_reads(self, accessed: Any, inputs: Any, in_ids: list[int]) -> tuple[tuple[int, int], ...]:
        self._pywrap.TFE_Py_VariableWatcherRemove(self._watcher)
        self._watcher = self._pywrap.TFE_Py_VariableWatcherNew()
        pairs = []
        for v in accessed:
            vid = self._remember_variable(v)
            if vid in in_ids:
                continue  # the op takes the handle itself (ReadVariableOp): an ordinary input
            for t, tid in zip(inputs, in_ids):
                info = self.trace.tensors.get(tid)
                if (
                    info is not None and info.origin in ("constant", "numpy") and info.seq == self._seq
                    and t.dtype == v.dtype and _shape(t) == _shape(v)
                ):  # fmt: skip
                    info.origin = "variable_read"
                    pairs.append((vid, tid))
                    break
        return tuple(pairs)

    def _graph(self, graph: Any) -> int:
        index = self._graph_index.get(id(graph))
        if index is None:
            self._graph_objects.append(graph)
            name = getattr(graph, "name", "") or ""
            self.trace.graphs.append(T.GraphRecord(name, [], [], {}, backward=name.startswith("__backward")))
            index = self._graph_index[id(graph)] = len(self.trace.graphs)
        return index

    # ------------------------------------------------------------------ variables
    def _remember_variable(self, v: Any) -> int:
        handle = getattr(v, "handle", None)
        vid = handle._id if handle is not None and hasattr(handle, "_id") else id(v)
        known = self.trace.variables.get(vid)
        if known is not None:
            path = getattr(v, "path", None)
            if isinstance(path, str) and path:
                known.name = path
        else:
            self.trace.variables[vid] = T.VariableRecord(
                vid, _variable_name(v), _dtype(v), _shape(v), bool(getattr(v, "trainable", True))
            )
        return vid

    def _variable_created(self, variable: Any) -> None:
        handle = getattr(variable, "handle", None)
        known = self.trace.variables.get(getattr(handle, "_id", None))  # type: ignore[arg-type]
        if known is not None and known.seq >= 0:
            return  # another view of an existing variable (`assign` returns one)
        vid = self._remember_variable(variable)
        rec = self.trace.variables[vid]
        rec.frame = self._frame(4)
        rec.seq = self._seq
        # Keras: the wrapping Variable knows the path ("dense/kernel") and, when it was made
        # before this (a model built inside `fit`), where the user's code made it.
        f: Any = sys._getframe(3)
        for _ in range(40):
            if f is None:
                break
            owner = f.f_locals.get("self")
            if owner is not None and owner is not variable and id(owner) in self._keras_made:
                self._keras_variables.setdefault(vid, owner)
                rec.frame = self._keras_made[id(owner)]
                return
            f = f.f_back
        rec.frame = self._weight_frame(rec.frame)

    def _keras_variable_made(self, kv: Any) -> None:
        self._keras_made[id(kv)] = self._weight_frame(self._frame(4))
        _forget_when_gone(kv, self._keras_made)

    def _weight_frame(self, frame: int) -> int:
        """A weight made by a Keras layer points at the line that created the layer, unless the
        user's own code (a custom `build`) added it."""
        f: Any = sys._getframe(3)
        for _ in range(60):
            if f is None:
                return frame
            owner = f.f_locals.get("self")
            if owner is not None and f.f_code.co_name == "add_weight" and id(owner) in self._layers:
                break
            f = f.f_back
        else:
            return frame
        caller = f.f_back  # the first user frame beyond add_weight: is it the layer's own code?
        while caller is not None and self._is_library(caller.f_code.co_filename):
            caller = caller.f_back
        if caller is not None and caller.f_locals.get("self") is owner:
            return frame
        return self._layers[id(owner)]

    def _layer_created(self, layer: Any) -> None:
        if id(layer) not in self._layers:
            self._layers[id(layer)] = self._frame(4)
            _forget_when_gone(layer, self._layers)

    # ------------------------------------------------------------------ tapes
    def _tape_record(self, tape: Any) -> T.TapeRecord:
        rec = self._tapes.get(id(tape))
        if rec is None:
            rec = T.TapeRecord(
                id=len(self.trace.tapes),
                frame=self._frame(4),
                persistent=bool(getattr(tape, "_persistent", False)),
                watch_accessed_variables=bool(getattr(tape, "_watch_accessed_variables", True)),
                graph=self._current_graph(),
            )
            self.trace.tapes.append(rec)
            self._tapes[id(tape)] = rec
            _forget_when_gone(tape, self._tapes)  # never keep the user's tapes (and activations) alive
        return rec

    def _current_graph(self) -> int:
        from tensorflow.python.framework import ops

        if ops.executing_eagerly_outside_functions() and not ops.inside_function():
            return 0
        return self._graph(ops.get_default_graph())

    def _tape_entered(self, tape: Any) -> None:
        rec = self._tape_record(tape)
        rec.entered = self._seq
        rec.exited = -1
        if rec.id not in self._active:
            self._active.append(rec.id)
        self._refresh_tape_state()

    def _tape_exited(self, tape: Any) -> None:
        rec = self._tape_record(tape)
        rec.exited = self._seq
        if rec.id in self._active:
            self._active.remove(rec.id)
        self._refresh_tape_state()

    def _refresh_tape_state(self) -> None:
        self._recording = tuple(t for t in self._active if not self._pause_depth.get(t))
        self._paused = tuple(t for t in self._active if self._pause_depth.get(t))

    def _tape_watch(self, tape: Any, tensor: Any) -> None:
        from tensorflow.python.util import nest

        rec = self._tape_record(tape)
        for t in nest.flatten(tensor, expand_composites=True):
            if hasattr(t, "handle") and hasattr(t, "trainable"):
                rec.watched.append((self._seq, self._remember_variable(t)))
            elif hasattr(t, "_id"):
                rec.watched.append((self._seq, t._id))

    def _tape_reset(self, tape: Any) -> None:
        self._tape_record(tape).resets.append(self._seq)

    def _record_gradient(
        self, tape: Any, target: Any, sources: Any, result: Any, unconnected: Any, error: BaseException | None
    ) -> None:
        from tensorflow.python.util import nest

        rec = self._tape_record(tape)
        flat_targets = [t for t in nest.flatten(target) if hasattr(t, "_id") and hasattr(t, "dtype")]
        paths = [p for p, _ in nest.flatten_with_tuple_paths(sources)]
        flat_sources = nest.flatten(sources)
        flat_results = (
            nest.flatten(result, expand_composites=False) if result is not None else [None] * len(flat_sources)
        )
        if len(flat_results) != len(flat_sources):
            flat_results = [None] * len(flat_sources)
        src_records = []
        if len(paths) != len(flat_sources):
            paths = [(i,) for i in range(len(flat_sources))]
        for s, g, path in zip(flat_sources, flat_results, paths):
            is_var = hasattr(s, "handle") and hasattr(s, "trainable")
            sid = self._remember_variable(s) if is_var else getattr(s, "_id", id(s))
            if not is_var and sid not in self.trace.tensors and hasattr(s, "dtype"):
                self.trace.tensors[sid] = T.TensorInfo(_dtype(s), _shape(s), "unknown", self._frame(4), self._seq)
            src_records.append(
                T.SourceRecord(
                    id=sid, is_variable=is_var, dtype=_dtype(s),
                    shape=_shape(s), name=_variable_name(s) if is_var else None,
                    status="none" if error is not None else _status(g),
                    trainable=bool(s.trainable) if is_var else None, path=tuple(path),
                )
            )  # fmt: skip
        watched = []
        with contextlib.suppress(Exception):
            watched = [self._remember_variable(v) for v in tape.watched_variables()]
        call = T.GradientCallRecord(
            seq=self._seq, tape=rec.id, frame=self._frame(4), graph=self._current_graph(),
            targets=[t._id for t in flat_targets],
            target_dtypes=[_dtype(t) for t in flat_targets],
            sources=src_records,
            unconnected_zero="ZERO" in str(unconnected).upper() if unconnected is not None else False,
            watched_variables=watched,
            error=f"{type(error).__name__}: {error}" if error is not None else None,
        )  # fmt: skip
        if error is None:  # a call that raised returned nothing to explain; its exception is the story
            self._add_call(call)

    def _add_call(self, call: T.GradientCallRecord) -> None:
        """Keep one call per site (a training loop repeats it), preferring one with a missing gradient."""
        tape_frame = self.trace.tapes[call.tape].frame
        key = (call.frame, self.trace.frames[tape_frame][:1], len(call.sources))
        kept = self._groups.get(key)
        if kept is None:
            self._groups[key] = len(self.trace.calls)
            self.trace.calls.append(call)
        else:
            old = self.trace.calls[kept]
            call.count = old.count + 1
            worse = sum(s.status != "ok" for s in call.sources) > sum(s.status != "ok" for s in old.sources)
            if worse:
                self.trace.calls[kept] = call
            else:
                old.count += 1
        self._last_call_seq = call.seq

    # ------------------------------------------------------------------ values leaving TF
    def _exporting(self, original: Any, how: str) -> Any:
        cap = self

        def exporting(tensor: Any, *args: Any, **kwargs: Any) -> Any:
            result = original(tensor, *args, **kwargs)
            if not cap._busy:
                cap._guard(cap._record_export, [tensor], how, result)
            return result

        exporting.__wrapped__ = original  # type: ignore[attr-defined]
        return exporting

    def _record_export(self, tensors: list[Any], how: str, result: Any) -> None:
        if len(self.trace.exports) >= 10_000:
            return
        hashes = [_tensor_hash(t) for t in tensors if hasattr(t, "_numpy")]
        self._add_export([t._id for t in tensors if hasattr(t, "_id")], how, [h for h in hashes if h is not None])

    def _add_export(self, ids: list[int], how: str, hashes: list[int]) -> None:
        if not ids or len(self.trace.exports) >= 10_000:
            return
        index = len(self.trace.exports)
        self.trace.exports.append(T.ExportRecord(self._seq, ids, self._frame(5), how, hashes))
        for h in hashes:
            self._export_hashes[h] = index

    def _predict_returned(self, first_seq: int, result: Any) -> None:
        calls = [
            op for op in reversed(self.trace.ops) if op.seq > first_seq and op.grad == T.GRAD_CALL and op.graph == 0
        ]
        if calls:
            from tensorflow.python.util import nest

            hashes = [_value_hash(r) for r in nest.flatten(result)]
            self._add_export(list(calls[0].outputs), "model.predict", [h for h in hashes if h is not None])

    # ------------------------------------------------------------------ bounding and finishing
    def _compact(self) -> None:
        """Drop ops that no kept gradient call depends on, keeping the current step whole."""
        needed: set[int] = set()
        for call in self.trace.calls:
            needed.update(call.targets)
            needed.update(s.id for s in call.sources)
        kept: list[T.OpRecord] = []
        for op in reversed(self.trace.ops):
            if op.seq > self._last_call_seq or op.graph or needed.intersection(op.outputs):
                kept.append(op)
                needed.update(op.inputs)
        kept.reverse()
        dropped = len(self.trace.ops) - len(kept)
        self.trace.ops_dropped += dropped
        self.trace.ops = kept
        if dropped < self.max_ops // 4:
            self.max_ops *= 2  # everything is needed: grow rather than compact on every op
        live = {t for op in kept for t in op.inputs + op.outputs} | needed
        self.trace.tensors = {k: v for k, v in self.trace.tensors.items() if k in live}

    def _finish(self) -> None:
        self.trace.duration_s = round(time.perf_counter() - self._t0, 4)
        for rec, graph in zip(self.trace.graphs, self._graph_objects):
            with contextlib.suppress(Exception):
                rec.inputs = [t._id for t in graph.inputs]
                rec.outputs = [t._id for t in graph.outputs]
                rec.captures = {inner._id: outer._id for outer, inner in graph.captures}
        for vid, v in self._keras_variables.items():  # a Keras path is only final once built
            with contextlib.suppress(Exception):
                self.trace.variables[vid].name = v.path
        for rec in self._tapes.values():
            if rec.id in self._active:
                rec.exited = self._seq
        self._outermost = None
        self._graph_objects.clear()
        self._keras_variables.clear()


def _forget_when_gone(obj: Any, table: dict[int, Any]) -> None:
    """Drop ``table[id(obj)]`` when obj is garbage-collected, so a new object with the same id is
    never taken for it, without gradviz keeping obj alive."""
    try:
        weakref.finalize(obj, table.pop, id(obj), None)
    except TypeError:  # not weak-referenceable: ids may be reused; only the record is kept
        pass


def _with_statement_frame() -> Any:
    """The frame running the `with capture():` statement (outside gradviz and contextlib)."""
    f: Any = sys._getframe(1)
    while f is not None and (f.f_code.co_filename == __file__ or f.f_code.co_filename == contextlib.__file__):
        f = f.f_back
    return f


def _shape(t: Any) -> tuple[int | None, ...] | None:
    shape_tuple = getattr(t, "_shape_tuple", None)  # eager tensors: straight from C
    if shape_tuple is not None:
        try:
            return shape_tuple()
        except Exception:
            pass
    try:
        dims = t.shape.as_list() if hasattr(t.shape, "as_list") else list(t.shape)
    except Exception:
        return None
    return tuple(dims)


def _is_assign_op(op_type: str) -> bool:
    return op_type.startswith("Assign") and op_type.endswith("VariableOp")


def _dtype(x: Any) -> str:
    d = getattr(x, "dtype", None)
    if d is None:
        return "unknown"
    return str(getattr(d, "name", d))  # Keras 3 variables give a plain string


def _variable_name(v: Any) -> str:
    path = getattr(v, "path", None)
    if isinstance(path, str) and path:
        return path
    name = getattr(v, "name", "") or ""
    return name[:-2] if name.endswith(":0") else name


def _status(g: Any) -> str:
    if g is None:
        return "none"
    values = getattr(g, "values", g)  # IndexedSlices
    numpy = getattr(values, "_numpy", None)
    if numpy is None:
        return "ok"  # symbolic (inside a tf.function): connected, value unknown
    try:
        return "ok" if np.any(numpy()) else "zero"
    except Exception:
        return "ok"


def _versions() -> dict[str, str | None]:
    import platform

    import tensorflow as tf

    from . import __version__

    keras = sys.modules.get("keras")
    return {
        "gradviz": __version__,
        "tensorflow": tf.__version__,
        "keras": getattr(keras, "__version__", None),
        "python": platform.python_version(),
    }


@contextlib.contextmanager
def capture(*, program: str = "", max_ops: int = 50_000) -> Iterator[Capture]:
    """Record the TensorFlow work done inside the ``with`` block.

    >>> with gradviz.capture() as cap:
    ...     train_step()
    >>> gradviz.diagnose(cap.trace)

    The block's exceptions propagate unchanged; what was recorded up to then stays in
    ``cap.trace`` (with ``trace.error`` set).
    """
    cap = Capture(program=program, max_ops=max_ops)
    with cap:
        yield cap
