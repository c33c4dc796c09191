"""Words for the diagnosis: one explanation and one fix per finding, in the user's terms.

Part of the diagnose stage. Each text names the user's source expression, the culprit line and,
where the diagnosis found them, the user's own names (a dropped output, the NumPy function used);
a fix fits what was seen (integer ids that feed an embedding are not fixed by a float cast).
"""

from __future__ import annotations

import re
from typing import Any

from .source import Location

# NumPy functions with a differentiable TensorFlow twin (what to write instead, inside the tape).
_TF_TWINS = {
    "sinh": "tf.math.sinh", "cosh": "tf.math.cosh", "tanh": "tf.math.tanh", "sin": "tf.math.sin",
    "cos": "tf.math.cos", "exp": "tf.math.exp", "log": "tf.math.log", "log1p": "tf.math.log1p",
    "sqrt": "tf.math.sqrt", "square": "tf.math.square", "abs": "tf.math.abs", "power": "tf.math.pow",
    "maximum": "tf.math.maximum", "minimum": "tf.math.minimum", "clip": "tf.clip_by_value",
    "mean": "tf.reduce_mean", "sum": "tf.reduce_sum", "max": "tf.reduce_max", "min": "tf.reduce_min",
    "matmul": "tf.linalg.matmul", "dot": "tf.tensordot", "concatenate": "tf.concat", "stack": "tf.stack",
    "where": "tf.where", "sort": "tf.sort", "reshape": "tf.reshape", "transpose": "tf.transpose",
    "softmax": "tf.nn.softmax", "sigmoid": "tf.math.sigmoid",
}  # fmt: skip
_NOT_DIFFERENTIABLE_NUMPY = frozenset({"argmax", "argmin", "argsort", "round", "rint", "floor", "ceil", "sign"})


def _at(loc: Location | None) -> str:
    return f"line {loc[1]}" if loc else "an unknown line"


def _numpy_names(code: str) -> list[str]:
    return re.findall(r"\bnp\.(?:[a-z_]+\.)?([a-z_][a-z0-9_]*)\s*[(,\]]", code) or re.findall(
        r"\bnumpy\.([a-z_][a-z0-9_]*)", code
    )


def explain(
    finding: Any, *, culprit_code: str = "", unconnected_zero: bool = False, tape: str = "tape"
) -> tuple[str, str]:
    """(explanation, fix) for a finding, quoting the culprit line's code when known.

    ``tape`` is the name the user's code gives the tape (``d_tape``), so that fixes read as their code.
    """
    x = finding.expr
    # What the prose calls the source: its variable name when the call only indexes a list of them
    # (`aux_head/kernel`, not `model.trainable_variables[28]`); code in a fix keeps the expression.
    who = finding.name if finding.name and re.search(r"\]\s*$", x) else x
    cause = finding.cause
    at = _at(finding.culprit)
    code = f" (`{culprit_code.strip()}`)" if culprit_code.strip() else ""
    hint = getattr(finding, "hint", None)
    subject = getattr(finding, "subject", None)
    zero_note = (
        " Because the call passes unconnected_gradients=ZERO, TensorFlow filled in a zero instead of None."
        if unconnected_zero and cause not in (None, "non_differentiable_op", "float16_underflow")
        else ""
    )
    if finding.status == "ok":
        return "The gradient arrived.", ""
    if cause is None:
        return (
            f"The gradient with respect to `{x}` is connected, and its value is exactly zero at this "
            "point (for example a ReLU that is inactive for every input, or a factor that is zero).",
            "Nothing is disconnected. Check the inputs or the initialisation if a zero is unexpected.",
        )
    if finding.status == "zero" and cause == "non_differentiable_op":
        return (
            f"The gradient with respect to `{x}` is zero because its path crosses {at}{code}, a "
            "piecewise-constant op (such as `tf.sign`, or a step built from a comparison): its "
            "derivative is zero almost everywhere, so the gradient is connected but always 0.",
            "Use a smooth stand-in where the gradient should flow (`tf.tanh(k * x)` for `tf.sign`, a "
            "sigmoid for a step), or a straight-through estimator: `x + tf.stop_gradient(tf.sign(x) - x)`.",
        )
    words = _WORDS.get(cause)
    if words is None:
        return f"The gradient with respect to `{x}` is missing ({cause}).", ""
    explanation, fix = words(
        x=x,
        who=who,
        tape=tape,
        at=at,
        code=code,
        hint=hint,
        subject=subject,
        finding=finding,
        culprit_code=culprit_code,
    )
    return explanation + zero_note, fix


def _outside_tape(*, who: str, tape: str, at: str, code: str, finding: Any, **_: Any) -> tuple[str, str]:
    ran = getattr(finding, "ran_at", None)
    helper = f" (the op itself ran at line {ran[1]}, inside a function called there)" if ran else ""
    return (
        f"`{who}` reaches the target only through {at}{code}{helper}, which ran while `{tape}` was not "
        f"recording (before its `with tf.GradientTape()` block, after it, or inside the `{tape}.gradient(...)` "
        "arguments). The tape only differentiates what it recorded.",
        f"Move {at} inside the `with tf.GradientTape() as {tape}:` block, and compute the target there too; "
        f"call `{tape}.gradient` after the block ends.",
    )


def _stop_recording(*, who: str, tape: str, at: str, code: str, **_: Any) -> tuple[str, str]:
    return (
        f"The path from `{who}` to the target runs through {at}{code}, inside `with {tape}.stop_recording():`. "
        "Ops run there are not recorded, so no gradient passes through them.",
        f"Move {at} out of the `{tape}.stop_recording()` block if the gradient should flow through it.",
    )


def _not_watched_tensor(*, x: str, tape: str, at: str, code: str, **_: Any) -> tuple[str, str]:
    return (
        f"`{x}` is a plain tensor (made at {at}{code}), not a variable. A tape watches trainable variables "
        "automatically but a tensor only if you call `tape.watch` on it before it is used.",
        f"Add `{tape}.watch({x})` as the first line inside the `with tf.GradientTape() as {tape}:` block, or "
        f"make `{x}` a `tf.Variable`.",
    )


def _non_trainable(*, x: str, who: str, at: str, code: str, **_: Any) -> tuple[str, str]:
    return (
        f"`{who}` is a variable with `trainable=False` (created at {at}{code}). Tapes only watch trainable "
        "variables by themselves; Keras' non-trainable weights (such as BatchNorm's moving statistics) are "
        "like this on purpose.",
        f"If `{x}` should learn, create it with `trainable=True` (a plain `tf.Variable` can also be passed to "
        "`tape.watch`); otherwise ask only for the trainable weights (`model.trainable_variables`, not "
        "`model.weights`). BatchNorm's moving statistics are updated by assignment, not by gradients: no "
        "gradient reaches them even when watched.",
    )


def _watch_false(*, x: str, who: str, tape: str, at: str, code: str, **_: Any) -> tuple[str, str]:
    return (
        f"The tape was created at {at}{code} with `watch_accessed_variables=False`, so it only watches what "
        f"you pass to `{tape}.watch`, and `{who}` was never watched.",
        f"Call `{tape}.watch({x})` inside the tape before it is used, or drop `watch_accessed_variables=False`.",
    )


def _stop_gradient(*, x: str, at: str, code: str, **_: Any) -> tuple[str, str]:
    return (
        f"Every path from `{x}` to the target goes through `tf.stop_gradient` at {at}{code}, which blocks the "
        "gradient by design.",
        f"Remove the `tf.stop_gradient` at {at} if `{x}` should receive a gradient through it.",
    )


def _non_differentiable(
    *, x: str, at: str, code: str, culprit_code: str, hint: str | None, **_: Any
) -> tuple[str, str]:
    if hint == "embedding_ids":
        return (
            f"`{x}` reaches the target only as the ids of an embedding lookup (at {at}{code}): the embedding "
            "casts them to integers to select rows of its table, and a row index has no gradient, float or not.",
            _EMBEDDING_FIX,
        )
    fix = (
        "Replace it with a differentiable stand-in: softmax (or Gumbel-softmax) weights instead of argmax/"
        "argsort indices, a straight-through estimator (`x + tf.stop_gradient(tf.round(x) - x)`), or keep "
        "the value floating-point."
    )
    if re.search(r"argsort|\bsort\b|top_k", culprit_code):
        fix = (
            "Sorting returns integer positions, which carry no gradient. For a ranking loss use a smooth "
            "surrogate (pairwise `tf.nn.sigmoid((s_i - s_j) / t)`, or a soft sort); sort only to build "
            "targets, outside the path from the scores to the loss."
        )
    return (
        f"Every path from `{x}` to the target crosses {at}{code}, an op with no useful gradient (argmax, "
        "argsort, round, floor, a comparison, a cast to an integer type ...): its output is integer-valued "
        "or piecewise constant, so no gradient flows back through it.",
        fix,
    )


_EMBEDDING_FIX = (
    "Differentiate with respect to the embedding output instead: compute `emb = embedding(ids)`, call "
    "`tape.watch(emb)` and run the rest of the model on `emb`, then ask `tape.gradient(score, emb)` "
    "(sum over the embedding axis for one number per token)."
)


def _integer_dtype(*, x: str, at: str, code: str, hint: str | None, **_: Any) -> tuple[str, str]:
    if hint == "embedding_ids":
        return (
            f"`{x}` holds integer token ids (made at {at}{code}); they only select rows of an embedding "
            "table, so there is no gradient with respect to them. Casting them to float does not help: the "
            "embedding casts them back to integers.",
            _EMBEDDING_FIX,
        )
    return (
        f"`{x}` or the target is integer-typed (made at {at}{code}); gradients are only defined for "
        "floating-point values.",
        "Create the value as a float (`tf.float32`), and keep casts to integer types off the path to the loss.",
    )


def _numpy(*, x: str, at: str, code: str, culprit_code: str, **_: Any) -> tuple[str, str]:
    names = _numpy_names(culprit_code)
    twins = [f"`{_TF_TWINS[n]}` for `np.{n}`" for n in names if n in _TF_TWINS]
    blocked = [n for n in names if n in _NOT_DIFFERENTIABLE_NUMPY]
    fix = (
        "Use TensorFlow ops (`tf.math.*`, `tf.reduce_*`, calling the model directly instead of `predict`) on "
        "the whole path from the source to the loss."
    )
    if twins:
        fix = f"Write it with TensorFlow ops, which the tape can differentiate: {', '.join(twins)}."
    elif blocked:
        fix = (
            f"`np.{blocked[0]}` has no gradient even in TensorFlow: keep the values differentiable "
            "(softmax weights or Gumbel-softmax instead of argmax indices), or feed the model's soft output on."
        )
    return (
        f"The value on the path from `{x}` left TensorFlow at {at}{code} (`.numpy()`, a NumPy function, "
        "`float()`, `model.predict`, or `tf.numpy_function`) and came back as a new tensor that has no memory "
        "of where it came from.",
        fix,
    )


def _reassignment(*, x: str, at: str, code: str, **_: Any) -> tuple[str, str]:
    return (
        f"The name `{x}` was rebound at {at}{code}: it now holds a new tensor, not the variable the loss was "
        "computed from, so the gradient is asked of an object the tape never saw on the path.",
        f"Update the variable in place (`{x}.assign(...)`, `{x}.assign_sub(...)`) instead of rebinding the "
        "name, or keep the new value under another name.",
    )


def _variable_assign(*, x: str, at: str, code: str, culprit_code: str, **_: Any) -> tuple[str, str]:
    if "Variable(" in culprit_code:
        return (
            f"The value computed from `{x}` becomes the initial value of a new `tf.Variable` at {at}{code}. A "
            "variable's state carries no gradient back to what was written into it.",
            "Use the computed tensor itself in the loss (`h`, not `tf.Variable(h)`); keep `tf.Variable` for "
            "parameters you create once and train.",
        )
    return (
        f"The value from `{x}` reaches the target only through a variable update at {at}{code} (`assign`, "
        "`assign_add`, `set_weights`, a metric's `update_state`): writing a variable's state carries no gradient.",
        "Use the computed tensor directly in the loss instead of storing it in a variable first.",
    )


def _unused(
    *, x: str, who: str, at: str, code: str, subject: str | None, hint: str | None, **_: Any
) -> tuple[str, str]:
    if subject and hint == "skipped_branch":
        return (
            f"`{who}` never contributed to the target: it belongs to `self.{subject}`, which the model calls only "
            f"under the condition at {at}{code}; the condition did not hold, so `{subject}` never ran.",
            f"If `{subject}` is meant to run, fix the condition at {at}; if it is not, do not build it (or set it "
            f"`trainable=False`) and leave its weights out of the gradient call.",
        )
    if subject and hint == "compile_loss":
        return (
            f"`{who}` never contributed to the loss: what it computed ends in the model output `{subject}`, and "
            f"the loss given to `compile` at {at}{code} has no entry for `{subject}`, so `fit` never "
            "differentiates it.",
            f'Give `{subject}` a loss in `compile`: add `"{subject}": <a loss>` to the `loss={{...}}` dict (and '
            f"a weight in `loss_weights` if you use them); if the output is not meant to be trained, leave it out "
            "of the model's outputs.",
        )
    if subject:
        return (
            f"`{who}` never contributed to the target: what it computed ends in `{subject}`, and {at}{code}, "
            f"where the target is computed, leaves `{subject}` out.",
            f"Add a term for `{subject}` to the loss (for example `loss += aux_weight * "
            f"loss_fn(y, {subject})`), or stop building and computing it and leave `{x}` out of the sources.",
        )
    return (
        f"`{who}` never contributed to the target: the computation at {at}{code} does not use it (a layer built "
        "but not called, a branch that skips it, or an output that is ignored).",
        f"Use `{x}` (or its layer) in the computation of the loss, or leave it out of the sources (for Keras, "
        "remove the unused layer or set it `trainable=False`).",
    )


def _recreated(*, x: str, at: str, code: str, **_: Any) -> tuple[str, str]:
    return (
        f"`{x}` was created at {at}{code}, and that line runs again on each call, creating a new variable "
        "each time; the loss used a newer one, so the one asked about never took part.",
        "Create the variable once (in `__init__`/`build`, or guarded by `if self.w is None:`), and reuse it on "
        "every call.",
    )


def _target_not_connected(*, at: str, code: str, **_: Any) -> tuple[str, str]:
    return (
        f"The target does not depend on any of the sources: its computation parts from theirs at {at}{code} "
        "(a second forward pass builds a new graph, or the target is a constant or computed from something else).",
        "Compute the target from the very tensors the sources produced, inside the tape (reuse the first "
        "forward pass's outputs instead of calling the model again), and check the loss's arguments.",
    )


def _wrong_tape(*, x: str, at: str, code: str, **_: Any) -> tuple[str, str]:
    return (
        f"The gradient was asked at {at}{code} of a tape that did not record the path from `{x}`; another tape "
        "recorded it.",
        "Call `.gradient` on the tape whose `with` block computed this target (or compute it under both tapes, "
        "e.g. nested or with `persistent=True`).",
    )


def _dataset(*, x: str, at: str, code: str, **_: Any) -> tuple[str, str]:
    return (
        f"The path from `{x}` to the target runs through a `tf.data` function at {at}{code} (`map`, `reduce`, "
        "`scan`, or a `for ... in dataset:` loop that AutoGraph turned into a dataset op). tf.data runs its "
        "functions where no tape records, so the gradient stops there.",
        "Use tf.data only to produce input batches; compute everything that depends on trainable variables "
        "inside the tape, on the batches it yields (iterate the dataset outside the tape or in eager Python, "
        "and compute the loss in the loop body under the tape).",
    )


def _tensorarray(*, x: str, at: str, code: str, **_: Any) -> tuple[str, str]:
    return (
        f"`TensorArray.write` at {at}{code} returns a new TensorArray, and its result is not assigned back. "
        "Inside a `tf.function` the written values never reach the `stack()`/`read()` that builds the "
        f"target, so nothing computed from `{x}` arrives there.",
        "Assign the result back: `ta = ta.write(i, value)`.",
    )


def _custom_gradient(*, x: str, at: str, code: str, **_: Any) -> tuple[str, str]:
    return (
        f"The path from `{x}` goes through a `@tf.custom_gradient` function whose gradient function returns "
        f"None for it at {at}{code}: the custom gradient, not TensorFlow, decides what flows back, and it "
        "sends nothing.",
        "Return a gradient for every input of the function (e.g. `return dy * factor, tf.zeros_like(scale)` "
        "rather than `None`), and, when the function uses variables, accept `variables=None` and return "
        "`(input_grads, [grads for each variable])`.",
    )


def _loop_body(*, x: str, at: str, code: str, **_: Any) -> tuple[str, str]:
    return (
        f"The gradient is asked at {at}{code} inside a traced loop or function body, of `{x}`, which reaches "
        "the body only as a captured tensor: inside the body it is a new placeholder, not the tensor the "
        "target was computed from there.",
        "Ask for the gradient outside the loop (accumulate the loss in the loop, differentiate after it), or "
        "compute the value you differentiate with respect to inside the body from the body's own loop variables.",
    )


def _float16(*, x: str, at: str, code: str, **_: Any) -> tuple[str, str]:
    return (
        f"The gradient with respect to `{x}` is connected but exactly zero: the `mixed_float16` policy computes "
        "the backward pass in float16, and without loss scaling the small gradients of early layers fall "
        "below float16's range (about 6e-8) and become 0. The gradient asked at "
        f"{at}{code} is of the unscaled loss.",
        "Scale the loss: wrap the optimizer in `keras.optimizers.LossScaleOptimizer`, compute "
        "`scaled = optimizer.scale_loss(loss)` inside the tape, take `tape.gradient(scaled, vars)`, and let "
        "`optimizer.apply(grads, vars)` unscale them (`model.fit` does all this by itself).",
    )


def _unexplained(*, x: str, at: str, finding: Any, **_: Any) -> tuple[str, str]:
    facts = " ".join(e.fact for e in getattr(finding, "evidence", ())[:3])
    return (
        f"gradviz could not see why the gradient with respect to `{x}` (asked at {at}) is missing. {facts}".rstrip(),
        "Capture more of the program (run the whole computation, from the source to the loss, inside the "
        "captured cell or script, on one thread), and check the parts named above by hand.",
    )


_WORDS = {
    "outside_tape": _outside_tape,
    "stop_recording": _stop_recording,
    "not_watched_tensor": _not_watched_tensor,
    "non_trainable_variable": _non_trainable,
    "watch_accessed_variables_false": _watch_false,
    "stop_gradient": _stop_gradient,
    "non_differentiable_op": _non_differentiable,
    "integer_dtype": _integer_dtype,
    "numpy_roundtrip": _numpy,
    "python_reassignment": _reassignment,
    "variable_assign": _variable_assign,
    "unused_variable": _unused,
    "recreated_variable": _recreated,
    "target_not_connected": _target_not_connected,
    "wrong_tape": _wrong_tape,
    "dataset_boundary": _dataset,
    "unassigned_tensorarray_write": _tensorarray,
    "custom_gradient_returns_none": _custom_gradient,
    "loop_body_capture": _loop_body,
    "float16_underflow": _float16,
    "unexplained": _unexplained,
}
