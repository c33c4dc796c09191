"""Stage 1, capture: record a program's TensorFlow work into a :class:`~gradviz.trace.Trace`.

With :mod:`gradviz._capture`, the only code that imports TensorFlow (lazily, on entering
:func:`capture`). It observes and never changes the program: every hook calls straight through to
TensorFlow, exceptions raised by gradviz itself are counted in ``Trace.internal_errors`` and never
reach the program, and every hook comes out in ``finally``, also when the captured code raises.

Each hook installs on its own: when a private TensorFlow or Keras API it needs has moved, that hook
is skipped and named in ``Trace.capture_gaps`` (and so in the document), and the program still runs.
What is hooked (see ``shared/notes/capture-facts.md`` for why each is needed):

* the op callback: every op, eager or traced into a ``tf.function`` graph, with the user's line;
* a variable watcher, for variable reads that fast-path ops do inside C++ without a callback;
* ``GradientTape``: enter/exit, ``stop_recording``, ``watch``, ``reset`` and ``gradient`` (whose
  results give each source's true status);
* variable creation, Keras layers and weights (to point at the line that made them);
* ``ConcreteFunction._call_flat`` (which graph a call op runs), AutoGraph's conversion (generated
  lines -> the user's lines), eager constants, and values leaving TensorFlow (``.numpy()``,
  ``float()``, ``Model.predict``).
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import os
import platform
import re
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

from . import trace as T
from ._capture import frames as _frames
from ._capture.custom import CustomGradients
from ._capture.exports import Exports
from ._capture.frames import Frames
from ._capture.functions import Functions
from ._capture.ops import Ops
from ._capture.private_apis import HOOKS
from ._capture.session import Patches, Session
from ._capture.tapes import Tapes
from ._capture.variables import Variables
from ._version import __version__
from .errors import CaptureError, OptionError, TensorFlowMissingError

MIN_MAX_OPS = 1000


class Capture:
    """Records TensorFlow activity while active. Use :func:`capture`; read :attr:`trace` after.

    ``max_ops`` bounds the op log: when it is exceeded, ops that no kept gradient call needs are
    dropped (counted in ``trace.ops_dropped``), so a long training loop keeps bounded memory.
    """

    def __init__(self, *, program: str = "", max_ops: int = 50_000) -> None:
        if max_ops < MIN_MAX_OPS:
            raise OptionError(
                f"max_ops={max_ops} is too small to hold one training step; use max_ops >= {MIN_MAX_OPS}."
            )
        self.trace = T.Trace(program=program)
        session = self._session = Session(self.trace)
        self._frames = Frames(self.trace)
        self._variables = Variables(session, self._frames)
        self._ops = Ops(session, self._frames, max_ops)
        self._functions = Functions(session, self._frames, self._ops)
        self._tapes = Tapes(session, self._frames, self._variables, self._functions)
        self._exports = Exports(session, self._frames)
        self._custom = CustomGradients(session, self._frames, self._ops)
        self._ops.tapes, self._ops.variables = self._tapes, self._variables
        self._ops.exports, self._ops.functions = self._exports, self._functions
        self._tapes.repeats = self._ops.repeats
        self._patches = Patches()
        session.other_thread = self._other_thread
        self._undo: list[Callable[[], None]] = []
        self._reducer_files: set[str] = set()  # tf.distribute's all-reduce, which runs on a thread pool
        self._t0 = 0.0

    # ---------------------------------------------------------------- lifecycle
    def __enter__(self) -> Capture:
        import_tensorflow()
        self._t0 = time.perf_counter()
        self._frames.outermost = _frames.with_statement_frame((__file__, _frames.__file__, contextlib.__file__))
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

    # ---------------------------------------------------------------- hooks in / out
    def _install(self) -> None:
        for hook in HOOKS:  # each on its own: a moved private API costs only its hook (see _capture/private_apis.py)
            try:
                getattr(self, f"_install_{hook.name}")()
            except Exception as e:
                self.trace.capture_gaps.append(f"{hook.what}: {type(e).__name__}: {e}")

    def _install_op_callback(self) -> None:
        from tensorflow.python.eager import context
        from tensorflow.python.framework import op_callbacks, ops

        self._ops.start(ops.gradient_registry, context.context())
        callback = self._ops.on_op
        op_callbacks.add_op_callback(callback)
        self._undo.append(lambda: op_callbacks.remove_op_callback(callback))

    def _install_watcher(self) -> None:
        from tensorflow.python import pywrap_tfe

        self._variables.start_watching(pywrap_tfe)
        self._undo.append(self._variables.stop_watching)

    def _install_tapes(self) -> None:
        from tensorflow.python.eager import backprop

        self._tapes.install(self._patches, backprop.GradientTape)

    def _install_variable_creation(self) -> None:
        from tensorflow.python.ops import resource_variable_ops

        RV = resource_variable_ops.BaseResourceVariable
        orig_init, session, variables = RV.__init__, self._session, self._variables
        variables.view_class = getattr(resource_variable_ops, "_UnreadVariable", None)

        def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
            orig_init(self, *args, **kwargs)
            session.guard(variables.created, self)

        self._patches.patch(RV, "__init__", __init__)

    def _install_functions(self) -> None:
        from tensorflow.python.eager.polymorphic_function import concrete_function
        from tensorflow.python.framework import ops

        self._functions.install(self._patches, concrete_function.ConcreteFunction, ops)

    def _install_autograph(self) -> None:
        from tensorflow.python.autograph.impl import api as ag_api

        self._functions.install_autograph(self._patches, ag_api)

    def _install_constants(self) -> None:
        from tensorflow.python.framework import constant_op

        orig, session, ops = constant_op._constant_eager_impl, self._session, self._ops

        def _constant_eager_impl(*args: Any, **kwargs: Any) -> Any:
            tensor = orig(*args, **kwargs)
            session.guard(ops.constant_made, tensor)
            return tensor

        self._patches.patch(constant_op, "_constant_eager_impl", _constant_eager_impl, orig)

    def _install_exports(self) -> None:
        from tensorflow.python.framework import ops

        self._exports.install(self._patches, ops._EagerTensorBase)

    def _install_custom_gradients(self) -> None:
        from tensorflow.python.ops import custom_gradient

        self._custom.install(self._patches, custom_gradient)

    def _install_symbolic_gradients(self) -> None:
        from tensorflow.python.ops import gradients_impl, gradients_util

        orig, session, tapes = gradients_util._GradientsHelper, self._session, self._tapes
        impl_file = gradients_impl.__file__

        def _GradientsHelper(ys: Any, xs: Any, *args: Any, **kwargs: Any) -> Any:
            result = orig(ys, xs, *args, **kwargs)
            # only the user's tf.gradients calls: TensorFlow also calls this to build the gradients
            # of loops, branches and functions
            caller = sys._getframe(1).f_code
            if caller.co_filename == impl_file and caller.co_name in ("gradients", "gradients_v2"):
                unconnected = kwargs.get("unconnected_gradients", args[6] if len(args) > 6 else None)
                session.guard(tapes.symbolic_gradients, ys, xs, result, unconnected)
            return result

        self._patches.patch(gradients_util, "_GradientsHelper", _GradientsHelper, orig)

    def _install_numpy_function(self) -> None:
        from tensorflow.python.eager import context
        from tensorflow.python.ops import script_ops

        orig, session, ops = script_ops.py_func_common, self._session, self._ops

        def py_func_common(func: Any, inp: Any, *args: Any, **kwargs: Any) -> Any:
            result = orig(func, inp, *args, **kwargs)
            if context.executing_eagerly():  # eagerly it runs no op: record the one a graph would have
                session.guard(ops.record_numpy_function, inp, result)
            return result

        self._patches.patch(script_ops, "py_func_common", py_func_common, orig)

    def _install_keras(self) -> None:
        for keras in _keras_packages():
            self._hook_keras(keras)

    def _hook_keras(self, keras: Any) -> None:
        """Keras 3 (``keras``) or Keras 2 (``tf_keras``): layers, weights, predict, compile, loss scaling."""
        session, variables, patches = self._session, self._variables, self._patches
        # Layers are noted in __new__, whose (cls, *args, **kwargs) signature the wrapper repeats
        # exactly: Keras reads each layer class's __init__ signature to build its config.
        Layer = keras.layers.Layer
        orig_new = Layer.__new__

        def __new__(cls, *args, **kwargs):  # type: ignore[no-untyped-def]  (unannotated, as Keras' own)
            layer = orig_new(cls, *args, **kwargs)
            session.guard(variables.layer_created, layer)
            return layer

        __new__.__wrapped__ = orig_new  # type: ignore[attr-defined]  (inspect.signature(LayerClass) follows it)
        patches.patch(Layer, "__new__", staticmethod(__new__))
        if hasattr(keras, "Variable"):  # Keras 3 wraps each tf.Variable; Keras 2 makes plain ones
            base_variable = next(c for c in keras.Variable.__mro__ if c.__module__.endswith("common.variables"))
            orig_kv_init = base_variable.__init__

            def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
                orig_kv_init(self, *args, **kwargs)
                session.guard(variables.keras_variable_made, self)

            patches.patch(base_variable, "__init__", __init__)
        self._exports.install_predict(patches, keras.Model)
        orig_compile, frames, trace = keras.Model.compile, self._frames, self.trace

        def compile(model: Any, *args: Any, **kwargs: Any) -> Any:
            result = orig_compile(model, *args, **kwargs)
            loss = kwargs["loss"] if "loss" in kwargs else (args[1] if len(args) > 1 else None)
            session.guard(_record_compile, trace, frames, model, loss)
            return result

        patches.patch(keras.Model, "compile", compile, orig_compile)
        if hasattr(keras, "Variable"):
            LSO, method = keras.optimizers.LossScaleOptimizer, "scale_loss"
        else:
            LSO, method = keras.mixed_precision.LossScaleOptimizer, "get_scaled_loss"
        orig_scale = getattr(LSO, method)

        def scale_loss(optimizer: Any, loss: Any) -> Any:
            scaled = orig_scale(optimizer, loss)
            if hasattr(scaled, "_id") and len(trace.scaled_losses) < 1000:
                trace.scaled_losses.append(scaled._id)
            return scaled

        patches.patch(LSO, method, scale_loss, orig_scale)

    def _install_distribute(self) -> None:
        from tensorflow.python.distribute import cross_device_utils, distribute_lib, mirrored_run

        self._session.replica_thread = mirrored_run._MirroredReplicaThread
        # the all-reduce of the replicas' results runs on a thread pool: after every tape.gradient,
        # on values no tape differentiates, so not a gap in what a tape recorded
        self._reducer_files = {cross_device_utils.__file__}
        self._undo.append(lambda: setattr(self._session, "replica_thread", None))
        StrategyBase = distribute_lib.StrategyBase
        orig_run, session, gaps, frames = StrategyBase.run, self._session, self.trace.capture_gaps, self._frames

        def run(strategy: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
            session.guard(_note_strategy, gaps, strategy)
            session.strategy_runs += 1
            outer = frames.parent_stack
            here = session.guard(frames.here)
            if here is not None:
                frames.parent_stack = self.trace.frames[here]
            try:
                return orig_run(strategy, fn, *args, **kwargs)
            finally:
                frames.parent_stack = outer

        self._patches.patch(StrategyBase, "run", run, orig_run)
        # a strategy gradviz cannot follow is named when made or its scope entered too: Keras' fit
        # under one may fail, or run its steps elsewhere, before any strategy.run is seen here
        orig_init, orig_scope = StrategyBase.__init__, StrategyBase.scope

        def __init__(strategy: Any, *args: Any, **kwargs: Any) -> None:
            orig_init(strategy, *args, **kwargs)
            session.guard(_note_strategy, gaps, strategy)

        def scope(strategy: Any) -> Any:
            session.guard(_note_strategy, gaps, strategy)
            return orig_scope(strategy)

        self._patches.patch(StrategyBase, "__init__", __init__, orig_init)
        self._patches.patch(StrategyBase, "scope", scope, orig_scope)

    def _other_thread(self) -> None:
        """TensorFlow work on a thread other than the captured one: op callbacks and tapes are per
        thread, so it is not in the graph. Note where (a few places, once each)."""
        gaps = self.trace.other_threads
        if len(gaps) >= 5:
            return
        f: Any = sys._getframe(1)
        while f is not None:
            if f.f_code.co_filename in self._reducer_files:
                return
            f = f.f_back
        stack = self._frames.stack_here()
        where = f"{stack[0][0]}:{stack[0][1]}" if stack else "library code"
        if where not in gaps:
            gaps.append(where)

    def _uninstall(self) -> None:
        errors: list[BaseException] = []
        while self._undo:
            try:
                self._undo.pop()()
            except Exception as e:  # pragma: no cover
                errors.append(e)
        errors += self._patches.restore()
        if errors:  # pragma: no cover
            raise CaptureError(f"gradviz could not remove all its hooks: {errors[0]!r}")

    def _finish(self) -> None:
        self.trace.duration_s = round(time.perf_counter() - self._t0, 4)
        for part in (self._ops.repeats, self._functions, self._variables, self._tapes):
            try:
                part.finish()
            except Exception as e:
                self._session.internal_error(f"{type(part).__name__}.finish", e)
        self._frames.outermost = None


def _keras_packages() -> list[Any]:
    """The Keras packages a program may use: ``keras`` (Keras 3, also ``tf.keras`` by default) and,
    when ``TF_USE_LEGACY_KERAS`` makes ``tf.keras`` mean it (as TensorFlow reads that variable), ``tf_keras``."""
    import keras  # TensorFlow loads Keras lazily; loading it now lets its classes be hooked

    found = [keras]
    if os.environ.get("TF_USE_LEGACY_KERAS") in ("true", "True", "1"):
        with contextlib.suppress(ImportError):
            import tf_keras

            if tf_keras is not keras:
                found.append(tf_keras)
    return found


def _note_strategy(gaps: list[str], strategy: Any) -> None:
    """A strategy whose replicas gradviz cannot follow (TPUs, parameter servers), made, its scope
    entered or its ``run`` called: say so once in ``capture_gaps``, so a run with no gradient call seen is not
    reported as one that made none."""
    note = _unfollowed_strategy_note(type(strategy))
    if note is not None and note not in gaps:
        gaps.append(note)


@functools.cache
def _unfollowed_strategy_note(kind: type) -> str | None:
    """The sentence for a strategy class gradviz cannot follow, None for one it follows (asked once a
    class: Keras enters the strategy's scope several times a step). Followed: MirroredStrategy,
    MultiWorkerMirroredStrategy (this worker's replicas) and CentralStorageStrategy (replicas are
    threads of this process, run one at a time), OneDeviceStrategy and the default strategy (the
    calling thread itself)."""
    import tensorflow as tf
    from tensorflow.python.distribute import distribute_lib

    followed = (  # their replicas are mirrored_run's threads, or the calling thread itself
        tf.distribute.MirroredStrategy,
        tf.compat.v1.distribute.MirroredStrategy,
        # MultiWorkerMirroredStrategy: this worker's replicas; other workers run under their own `gradviz run`
        tf.distribute.MultiWorkerMirroredStrategy,
        tf.compat.v1.distribute.experimental.MultiWorkerMirroredStrategy,
        tf.distribute.experimental.CentralStorageStrategy,
        tf.compat.v1.distribute.experimental.CentralStorageStrategy,
        tf.distribute.OneDeviceStrategy,
        tf.compat.v1.distribute.OneDeviceStrategy,
        distribute_lib._DefaultDistributionStrategy,
    )
    if issubclass(kind, followed):
        return None
    name = re.sub("V[12]$", "", kind.__name__)  # the public name: ParameterServerStrategyV2 is ParameterServerStrategy
    return (
        f"the replicas of {name} (gradviz follows MirroredStrategy, MultiWorkerMirroredStrategy, "
        "CentralStorageStrategy and OneDeviceStrategy), so what its strategy.run does on other devices or workers "
        "may be missed"
    )


def _record_compile(trace: T.Trace, frames: Frames, model: Any, loss: Any) -> None:
    struct = getattr(model, "_outputs_struct", None)  # Keras 3
    if struct is None:
        struct = getattr(model, "_nested_outputs", None)  # Keras 2
    outputs = {}
    if isinstance(struct, dict):
        for key, tensor in struct.items():
            history = getattr(tensor, "_keras_history", None)
            layer = getattr(history, "operation", None) or getattr(history, "layer", None)
            outputs[str(key)] = str(getattr(layer, "name", key))
    keys = [str(k) for k in loss] if isinstance(loss, dict) else None
    trace.compiles.append(T.CompileRecord(frames.here(), str(getattr(model, "name", "")), outputs, keys))


def import_tensorflow() -> Any:
    """Import TensorFlow, or raise :class:`TensorFlowMissingError` saying in one sentence why not.

    TensorFlow is not a dependency of gradviz (the ``tf`` extra adds it), so that users of
    ``tensorflow-cpu``, ``tf-nightly`` or ``tensorflow-macos`` keep the one TensorFlow they have.
    """
    try:
        import tensorflow
    except ImportError as e:
        if isinstance(e, ModuleNotFoundError) and e.name == "tensorflow":  # not a broken install
            raise TensorFlowMissingError(
                f"no TensorFlow can be imported by {sys.executable}, so there is nothing to capture:"
                ' `pip install "gradviz[tf]"` installs it (or install your own tensorflow-cpu,'
                " tensorflow[and-cuda], tf-nightly or tensorflow-macos)."
            ) from e
        raise TensorFlowMissingError(
            f"TensorFlow is installed but cannot be imported ({type(e).__name__}: {e}), so there is nothing to capture."
        ) from e
    return tensorflow


def _versions() -> dict[str, str | None]:
    import tensorflow as tf

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
