"""Every private TensorFlow and Keras API a capture hook relies on, in one table.

:meth:`gradviz.capture.Capture._install` installs the hooks in this order, each on its own: when one
raises (a private name moved in a new TensorFlow), that hook is skipped and ``Hook.what`` with the
error goes into ``Trace.capture_gaps`` (and so into the document's ``meta.capture_gaps``, the text
and the report), while the program runs unchanged. ``docs/private-tf-apis.md`` is this table for
readers; ``tests/test_private_apis.py`` checks that the two agree and that every name below exists in the
installed TensorFlow.

An API is written ``module.attribute`` (``tensorflow.python.eager.backprop.GradientTape.watch``), or
``module.Class#attribute`` for what only an instance carries (``...ops.EagerTensor#_id``).
``tf_keras`` names are needed only when that package is installed and ``TF_USE_LEGACY_KERAS`` is set.
"""

from __future__ import annotations

from dataclasses import dataclass

# The TensorFlow versions every name below was checked on: the oldest and the newest that CI runs
# the cause corpus on (with Keras 3.15.1 on both; the tf_keras names with tf-keras 2.16.0 on 2.16).
CHECKED_ON = ("2.16.2", "2.21.0")
TENSORFLOW_RANGE = ">=2.16,<2.22"  # as the `tf` extra in pyproject.toml states it

_OPS = "tensorflow.python.framework.ops"
_TAPE = "tensorflow.python.eager.backprop.GradientTape"
_FUNC_GRAPH = "tensorflow.python.framework.func_graph.FuncGraph"


@dataclass(frozen=True)
class Hook:
    name: str  # Capture._install_<name> installs it
    what: str  # how capture_gaps names it
    apis: tuple[str, ...]  # the private names it relies on
    if_missing: str  # what gradviz then cannot see


HOOKS: tuple[Hook, ...] = (
    Hook(
        "op_callback",
        "op events (tensorflow.python.framework.op_callbacks)",
        (
            "tensorflow.python.framework.op_callbacks.add_op_callback",
            "tensorflow.python.framework.op_callbacks.remove_op_callback",
            f"{_OPS}.gradient_registry",
            "tensorflow.python.eager.context.context",
            f"{_OPS}.EagerTensor#_id",
            f"{_OPS}.inside_function",
            f"{_OPS}.executing_eagerly_outside_functions",
        ),
        "no op is recorded: no path from a loss to its sources can be drawn, so every missing gradient is "
        "`unexplained` (and a run with no op at all says gradviz could not watch it)",
    ),
    Hook(
        "watcher",
        "variable reads inside fast-path ops (pywrap_tfe variable watcher)",
        (
            "tensorflow.python.pywrap_tfe.TFE_Py_VariableWatcherNew",
            "tensorflow.python.pywrap_tfe.TFE_Py_VariableWatcherWatchedVariables",
            "tensorflow.python.pywrap_tfe.TFE_Py_VariableWatcherRemove",
        ),
        "a variable passed straight into an op (`tf.square(v)`, `c * v`) is read inside C++ unseen: the op "
        "looks like it reads a constant, and a path through that variable is missing",
    ),
    Hook(
        "tapes",
        "GradientTape (tensorflow.python.eager.backprop.GradientTape)",
        (
            f"{_TAPE}.__enter__",
            f"{_TAPE}.__exit__",
            f"{_TAPE}.stop_recording",
            f"{_TAPE}.watch",
            f"{_TAPE}.reset",
            f"{_TAPE}.gradient",
            f"{_TAPE}.jacobian",
            f"{_TAPE}.batch_jacobian",
            f"{_TAPE}#_persistent",
            f"{_TAPE}#_watch_accessed_variables",
            "tensorflow.python.framework.tensor.Tensor",
            "tensorflow.python.util.nest.flatten",
        ),
        "no tape and no gradient call is seen: gradviz says the program made no tape.gradient call",
    ),
    Hook(
        "variable_creation",
        "variable creation (BaseResourceVariable.__init__)",
        (
            "tensorflow.python.ops.resource_variable_ops.BaseResourceVariable.__init__",
            "tensorflow.python.ops.resource_variable_ops.BaseResourceVariable.handle",
            "tensorflow.python.ops.resource_variable_ops._UnreadVariable",
        ),
        "variables are known from their first use, not the line that made them: `recreated_variable` and "
        "the creation line of `non_trainable_variable` are lost",
    ),
    Hook(
        "functions",
        "tf.function calls (ConcreteFunction._call_flat)",
        (
            "tensorflow.python.eager.polymorphic_function.concrete_function.ConcreteFunction._call_flat",
            "tensorflow.python.eager.polymorphic_function.concrete_function.ConcreteFunction.graph",
            f"{_FUNC_GRAPH}#_functions",
            f"{_FUNC_GRAPH}.captures",
            f"{_FUNC_GRAPH}.get_operations",
            f"{_OPS}.get_default_graph",
        ),
        "a tf.function traced before the capture began is one opaque call op: breaks inside it are `unexplained`",
    ),
    Hook(
        "autograph",
        "AutoGraph line maps (autograph.impl.api._convert_actual)",
        ("tensorflow.python.autograph.impl.api._convert_actual",),
        "ops in AutoGraph-converted code point at generated files, not the user's lines",
    ),
    Hook(
        "constants",
        "eager constants (constant_op._constant_eager_impl)",
        ("tensorflow.python.framework.constant_op._constant_eager_impl",),
        "a `tf.constant` is placed on the line where it is first used, not where it was made",
    ),
    Hook(
        "exports",
        "values leaving TensorFlow (EagerTensor.numpy, __float__, ...)",
        (
            f"{_OPS}._EagerTensorBase.numpy",
            f"{_OPS}._EagerTensorBase.__float__",
            f"{_OPS}._EagerTensorBase.__format__",
            f"{_OPS}.EagerTensor#_numpy",
            f"{_OPS}.EagerTensor#_datatype_enum",
            f"{_OPS}.EagerTensor#_shape_tuple",
        ),
        "`.numpy()` / `float()` round trips are not seen where they leave TensorFlow: `numpy_roundtrip` "
        "rests on the user's source alone",
    ),
    Hook(
        "custom_gradients",
        "custom gradients (custom_gradient.record)",
        (
            "tensorflow.python.ops.custom_gradient.record",
            "tensorflow.python.eager.record.record_operation",
        ),
        "a `@tf.custom_gradient` op and its gradient function's None results are unseen: "
        "`custom_gradient_returns_none` becomes `unexplained`",
    ),
    Hook(
        "symbolic_gradients",
        "tf.gradients (gradients_util._GradientsHelper)",
        (
            "tensorflow.python.ops.gradients_util._GradientsHelper",
            "tensorflow.python.ops.gradients_impl.gradients",
            "tensorflow.python.ops.gradients_impl.gradients_v2",
        ),
        "`tf.gradients` calls inside a tf.function are not diagnosed",
    ),
    Hook(
        "numpy_function",
        "eager tf.numpy_function (script_ops.py_func_common)",
        ("tensorflow.python.ops.script_ops.py_func_common",),
        "an eager `tf.numpy_function` runs no op: its outputs look like constants, not a numpy round trip",
    ),
    Hook(
        "keras",
        "Keras layers and weights (keras.layers.Layer, keras.Variable)",
        (
            "keras.layers.Layer.__new__",
            "keras.src.backend.common.variables.Variable.__init__",
            "keras.Model.compile",
            "keras.Model.predict",
            "keras.optimizers.LossScaleOptimizer.scale_loss",
            "keras.Model#_outputs_struct",
            # Keras 2, hooked too when TF_USE_LEGACY_KERAS makes tf.keras mean it
            "tf_keras.layers.Layer.__new__",
            "tf_keras.Model.compile",
            "tf_keras.Model.predict",
            "tf_keras.mixed_precision.LossScaleOptimizer.get_scaled_loss",
            "tf_keras.Model#_nested_outputs",
        ),
        "Keras weights are named by their variable, not their layer path, and created inside `fit`; "
        "a loss dict missing an output and float16 loss scaling are not recognised",
    ),
    Hook(
        "distribute",
        "tf.distribute replicas (mirrored_run._MirroredReplicaThread, distribute_lib.StrategyBase.run)",
        (
            "tensorflow.python.distribute.mirrored_run._MirroredReplicaThread",
            "tensorflow.python.distribute.distribute_lib.StrategyBase.run",
            "tensorflow.python.distribute.distribute_lib.StrategyBase.__init__",
            "tensorflow.python.distribute.distribute_lib.StrategyBase.scope",
            "tensorflow.python.distribute.distribute_lib._DefaultDistributionStrategy",
            "tensorflow.python.distribute.cross_device_utils.__file__",
        ),
        "gradient calls made inside `strategy.run` (MirroredStrategy's replica threads) are not seen, and "
        "strategies gradviz cannot follow are not named",
    ),
)
