"""Words for the diagnosis: one explanation and one fix per cause, in the user's terms.

Part of the diagnose stage. Each text names the user's source expression and the culprit line, so a
reader can act without knowing gradviz's vocabulary.
"""

from __future__ import annotations

from typing import Any


def _at(loc: tuple[str, int] | None) -> str:
    return f"line {loc[1]}" if loc else "an unknown line"


def explain(finding: Any, *, culprit_code: str = "", unconnected_zero: bool = False) -> tuple[str, str]:
    """(explanation, fix) for a finding, quoting the culprit line's code when known."""
    x = finding.expr
    cause = finding.cause
    at = _at(finding.culprit)
    code = f" (`{culprit_code.strip()}`)" if culprit_code.strip() else ""
    zero_note = (
        " Because the call passes unconnected_gradients=ZERO, TensorFlow filled in a zero instead of None."
        if unconnected_zero and cause not in (None, "non_differentiable_op")
        else ""
    )
    if finding.status == "ok":
        return "The gradient arrived.", ""
    if cause is None:
        if finding.status == "zero":
            return (
                f"The gradient with respect to `{x}` is connected, and its value is exactly zero at this "
                "point (for example a ReLU that is inactive for every input, or a factor that is zero).",
                "Nothing is disconnected. Check the inputs or the initialisation if a zero is unexpected.",
            )
        return (
            f"TensorFlow returned None for `{x}`, but gradviz found a connected path it could not see broken "
            "(the break may sit in code that ran outside the captured block).",
            "Run the whole computation, from the source to the loss, inside the captured code.",
        )
    if finding.status == "zero" and cause == "non_differentiable_op":
        return (
            f"The gradient with respect to `{x}` is zero because its path crosses {at}{code}, a "
            "piecewise-constant op (such as `tf.sign`, or a step built from a comparison): its "
            "derivative is zero almost everywhere, so the gradient is connected but always 0.",
            "Use a smooth stand-in where the gradient should flow (`tf.tanh(k * x)` for `tf.sign`, a "
            "sigmoid for a step), or a straight-through estimator: `x + tf.stop_gradient(tf.sign(x) - x)`.",
        )
    table = {
        "outside_tape": (
            f"`{x}` reaches the target only through {at}{code}, which ran while the tape was not recording "
            "(before the `with tf.GradientTape()` block, after it, or inside the `tape.gradient(...)` "
            "arguments). The tape only differentiates what it recorded.",
            f"Move {at} inside the `with tf.GradientTape() as tape:` block, and compute the target "
            "there too; call `tape.gradient` after the block ends.",
        ),
        "stop_recording": (
            f"The path from `{x}` to the target runs through {at}{code}, inside `with "
            "tape.stop_recording():`. Ops run there are not recorded, so no gradient passes through them.",
            f"Move {at} out of the `tape.stop_recording()` block if the gradient should flow through it.",
        ),
        "not_watched_tensor": (
            f"`{x}` is a plain tensor (made at {at}{code}), not a variable. A tape watches trainable "
            "variables automatically but a tensor only if you call `tape.watch` on it.",
            f"Add `tape.watch({x})` as the first line inside the `with tf.GradientTape() as tape:` block, "
            f"or make `{x}` a `tf.Variable`.",
        ),
        "non_trainable_variable": (
            f"`{x}` is a variable with `trainable=False` (created at {at}{code}). Tapes only watch trainable "
            "variables by themselves; Keras' non-trainable weights (such as BatchNorm's moving statistics) "
            "are like this on purpose.",
            f"If `{x}` should learn, create it with `trainable=True` (or set `layer.trainable = True`); "
            f"otherwise call `tape.watch({x})` inside the tape, or leave it out of the gradient call.",
        ),
        "watch_accessed_variables_false": (
            f"The tape was created at {at}{code} with `watch_accessed_variables=False`, so it only watches "
            f"what you pass to `tape.watch`, and `{x}` was never watched.",
            f"Call `tape.watch({x})` inside the tape before `{x}` is used, or drop `watch_accessed_variables=False`.",
        ),
        "stop_gradient": (
            f"Every path from `{x}` to the target goes through `tf.stop_gradient` at {at}{code}, which "
            "blocks the gradient by design.",
            f"Remove the `tf.stop_gradient` at {at} if `{x}` should receive a gradient through it.",
        ),
        "non_differentiable_op": (
            f"Every path from `{x}` to the target crosses {at}{code}, an op with no useful gradient "
            "(argmax, round, floor, a comparison, a cast to an integer type, sign ...).",
            "Replace it with a differentiable stand-in: softmax instead of argmax, a straight-through "
            "estimator (`x + tf.stop_gradient(tf.round(x) - x)`), or keep the value floating-point.",
        ),
        "integer_dtype": (
            f"`{x}` or the target is integer-typed (made at {at}{code}); gradients are only defined for "
            "floating-point values.",
            "Create the value as a float (`tf.float32`), and keep casts to integer types off the path to the loss.",
        ),
        "numpy_roundtrip": (
            f"The value on the path from `{x}` left TensorFlow at {at}{code} (`.numpy()`, a numpy function, "
            "`float()`, `model.predict`, or `tf.numpy_function`) and came back as a new tensor that has no "
            "memory of where it came from.",
            "Use TensorFlow ops (`tf.math.*`, `tf.reduce_*`, calling the model directly instead of "
            "`predict`) on the whole path from the source to the loss.",
        ),
        "python_reassignment": (
            f"The name `{x}` was rebound at {at}{code}: it now holds a new tensor, not the variable the "
            "loss was computed from, so the gradient is asked of an object the tape never saw on the path.",
            f"Update the variable in place (`{x}.assign(...)`, `{x}.assign_sub(...)`) instead of "
            "rebinding the name, or keep the new value under another name.",
        ),
        "variable_assign": (
            f"The value from `{x}` reaches the target only through a variable update at {at}{code} "
            "(`assign`, `assign_add`, `set_weights`): writing a variable's state carries no gradient.",
            "Use the computed tensor directly in the loss instead of storing it in a variable first.",
        ),
        "unused_variable": (
            f"`{x}` never contributed to the target: the output computed at {at}{code} does not use it "
            "(a layer built but not called, or an output that is ignored).",
            f"Use `{x}` (or its layer) in the computation of the loss, or leave it out of the sources "
            "(for Keras, remove the unused layer or set it `trainable=False`).",
        ),
        "recreated_variable": (
            f"`{x}` was created at {at}{code}, and that line runs again on each call, creating a new "
            "variable each time; the loss used a newer one, so the one asked about never took part.",
            "Create the variable once (in `__init__`/`build`, or guarded by `if self.w is None:`), and "
            "reuse it on every call.",
        ),
        "target_not_connected": (
            f"The target computed at {at}{code} does not depend on any of the sources: it is a constant "
            "or was computed from something else.",
            "Check that the loss is computed from the model's output (and the model from the variables "
            "you ask about), inside the tape.",
        ),
        "wrong_tape": (
            f"The gradient was asked at {at}{code} of a tape that did not record the path from `{x}`; "
            "another tape recorded it.",
            "Call `.gradient` on the tape whose `with` block computed this target (or compute it under "
            "both tapes, e.g. nested or with `persistent=True`).",
        ),
    }
    explanation, fix = table.get(cause, (f"The gradient with respect to `{x}` is missing ({cause}).", ""))
    return explanation + zero_note, fix
