"""The capture stage against real TensorFlow: transparent, leaves nothing behind, stays bounded.

Also the ``gradviz run`` command end to end (in a subprocess, as a user runs it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
tf = pytest.importorskip("tensorflow")
import keras  # noqa: E402
from tensorflow.python.eager import backprop, context  # noqa: E402
from tensorflow.python.framework import ops  # noqa: E402
from tensorflow.python.ops import resource_variable_ops  # noqa: E402

import gradviz  # noqa: E402
from gradviz.capture import capture  # noqa: E402  (see test_package_capture_attribute_stays_callable)

RNG = np.random.default_rng(0)
X = RNG.normal(size=(8, 4)).astype("float32")
Y = RNG.normal(size=(8, 1)).astype("float32")
W1 = RNG.normal(size=(4, 16)).astype("float32")
B1 = RNG.normal(size=(16,)).astype("float32")
W2 = RNG.normal(size=(16, 1)).astype("float32")


def mlp_step(steps: int = 1) -> tuple[list[np.ndarray], list[np.ndarray], float]:
    """A small eager MLP trained with plain tf.Variables; returns last grads, weights, loss."""
    params = [tf.Variable(W1), tf.Variable(B1), tf.Variable(W2)]
    x, y = tf.constant(X), tf.constant(Y)
    for _ in range(steps):
        with tf.GradientTape() as tape:
            h = tf.nn.relu(x @ params[0] + params[1])
            loss = tf.reduce_mean((h @ params[2] - y) ** 2)
        grads = tape.gradient(loss, params)
        for p, g in zip(params, grads):
            p.assign_sub(0.01 * g)
    return [g.numpy() for g in grads], [p.numpy() for p in params], loss.numpy()


def test_package_capture_attribute_stays_callable() -> None:
    """Regression: importing the submodule once rebound `gradviz.capture` to the module."""
    with gradviz.capture():
        pass
    assert callable(gradviz.capture)
    with gradviz.capture():
        pass


# ------------------------------------------------------------------ transparency
def test_eager_mlp_step_is_bit_identical_under_capture() -> None:
    g0, w0, l0 = mlp_step(steps=3)
    with capture() as cap:
        g1, w1, l1 = mlp_step(steps=3)
    assert cap.trace.calls, "the capture saw the gradient call"
    assert np.array_equal(l0, l1)
    for a, b in zip(g0 + w0, g1 + w1):
        assert np.array_equal(a, b)


def test_keras_model_gradients_are_bit_identical_under_capture() -> None:
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="tanh"), keras.layers.Dense(1)])
    x, y = tf.constant(X), tf.constant(Y)

    def run() -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
        with tf.GradientTape() as tape:
            out = model(x)
            loss = tf.reduce_mean(keras.losses.mean_squared_error(y, out))
        grads = tape.gradient(loss, model.trainable_variables)
        return out.numpy(), loss.numpy(), [g.numpy() for g in grads]

    o0, l0, g0 = run()
    with capture() as cap:
        o1, l1, g1 = run()
    assert len(g0) == 4 and all(np.any(g) for g in g0)
    assert np.array_equal(o0, o1)
    assert np.array_equal(l0, l1)
    for a, b in zip(g0, g1):
        assert np.array_equal(a, b)
    assert gradviz.diagnose(cap.trace).all_connected


# ------------------------------------------------------------------ leaves nothing behind
def _hooked() -> dict[str, object]:
    Tape = backprop.GradientTape
    return {
        "gradient": vars(Tape)["gradient"],
        "__enter__": vars(Tape)["__enter__"],
        "__exit__": vars(Tape)["__exit__"],
        "watch": vars(Tape)["watch"],
        "stop_recording": vars(Tape)["stop_recording"],
        "BaseResourceVariable.__init__": vars(resource_variable_ops.BaseResourceVariable)["__init__"],
        "ResourceVariable.__init__": vars(resource_variable_ops.ResourceVariable).get("__init__"),
        "numpy": vars(ops._EagerTensorBase)["numpy"],
        "tf.GradientTape.gradient": tf.GradientTape.gradient,
        "Layer.__new__": vars(keras.layers.Layer).get("__new__"),
        "Model.compile": vars(keras.Model).get("compile"),
    }


def test_no_hooks_remain_after_capture_even_when_the_block_raises() -> None:
    before = _hooked()
    assert not context.context().op_callbacks
    with capture():
        assert context.context().op_callbacks, "capture installs an op callback"
        assert _hooked()["gradient"] is not before["gradient"], "capture patches tape.gradient"
        mlp_step()
    assert not context.context().op_callbacks
    after = _hooked()
    for name, fn in before.items():
        assert after[name] is fn, name

    err = ValueError("boom in user code")
    with pytest.raises(ValueError) as info:
        with capture() as cap:
            mlp_step()
            raise err
    assert info.value is err
    assert cap.trace.error == "ValueError: boom in user code"
    assert len(cap.trace.calls) == 1
    assert not context.context().op_callbacks
    after = _hooked()
    for name, fn in before.items():
        assert after[name] is fn, name


# ------------------------------------------------------------------ robustness
def test_long_loop_keeps_the_op_log_bounded() -> None:
    with capture(max_ops=5000) as cap:
        mlp_step(steps=250)
    tr = cap.trace
    # ~35 ops a step: 250 steps see ~8750 ops, more than max_ops, so compaction must run. It keeps
    # only the ops the one kept gradient call needs (its first step) plus those since the last call,
    # and it runs whenever the log exceeds max_ops, so the log never ends longer than max_ops.
    assert tr.ops_seen > 5000
    assert tr.ops_dropped > 0
    assert len(tr.ops) <= 5000
    assert len(tr.ops) + tr.ops_dropped == tr.ops_seen
    d = gradviz.diagnose(tr)
    assert len(d.calls) == 1
    assert d.calls[0].call.count == 250
    assert d.all_connected


def test_persistent_tape_with_two_gradient_calls_gives_two_calls() -> None:
    w = tf.Variable(2.0)
    with capture() as cap:
        with tf.GradientTape(persistent=True) as tape:
            a = w * w
            b = tf.sin(w)
        ga = tape.gradient(a, w)
        gb = tape.gradient(b, w)
        del tape
    assert ga.numpy() == 4.0 and gb is not None
    d = gradviz.diagnose(cap.trace)
    assert len(d.calls) == 2
    assert [c.target for c in d.calls] == ["a", "b"]
    assert d.all_connected


def test_nested_tapes_second_derivative_all_ok() -> None:
    x = tf.Variable(3.0)
    with capture() as cap:
        with tf.GradientTape() as outer:
            with tf.GradientTape() as inner:
                y = x * x * x
            dy = inner.gradient(y, x)
        d2y = outer.gradient(dy, x)
    assert dy.numpy() == 27.0 and d2y.numpy() == 18.0
    d = gradviz.diagnose(cap.trace)
    assert len(d.calls) == 2
    assert d.all_connected
    assert all(f.status == "ok" and f.cause is None for f in d.findings)


def test_a_variable_made_before_the_capture_is_not_made_where_it_is_assigned() -> None:
    """`assign_sub` returns a view of the variable (an `_UnreadVariable`): an optimizer step is not
    where the weights it updates were made, and one made inside the capture keeps its own line."""
    before = tf.Variable([1.0, 2.0])
    with capture() as cap:
        inside = tf.Variable([3.0, 4.0])
        for _ in range(2):
            with tf.GradientTape() as tape:
                loss = tf.reduce_sum(before * inside)
            grads = tape.gradient(loss, [before, inside])
            before.assign_sub(0.1 * grads[0])
            inside.assign_sub(0.1 * grads[1])
    made_before = cap.trace.variables[before.handle._id]
    assert (made_before.frame, made_before.seq) == (-1, -1)
    made_inside = cap.trace.variables[inside.handle._id]
    assert made_inside.seq >= 0
    assert cap.trace.frames[made_inside.frame][0][1] == inside_line()
    assert len(cap.trace.variables) == 2


def inside_line() -> int:
    """The line of `inside = tf.Variable(...)` in the test above."""
    import inspect

    lines, start = inspect.getsourcelines(test_a_variable_made_before_the_capture_is_not_made_where_it_is_assigned)
    return start + next(i for i, line in enumerate(lines) if "inside = tf.Variable" in line)


@pytest.mark.parametrize("name", ["<script>alert(1)</script>", "gewicht_λ_权重"])
def test_odd_variable_names_survive_unchanged_into_document(name: str) -> None:
    with capture() as cap:
        v = tf.Variable(1.0, name=name)
        with tf.GradientTape() as tape:
            y = v * 2.0
        tape.gradient(y, v)
    doc = gradviz.diagnose(cap.trace).to_document()
    names = [n.get("name") for n in doc["graph"]["nodes"] if n["kind"] == "variable"]
    assert names == [name]
    assert doc["gradient_calls"][0]["sources"][0]["name"] == name
    assert name in json.dumps(doc, ensure_ascii=False)  # json.dumps does not escape < > either


def test_capture_without_tensorflow_ops_says_there_is_no_gradient_call() -> None:
    with capture() as cap:
        sum(range(10))
    assert cap.trace.ops_seen == 0
    d = gradviz.diagnose(cap.trace)
    assert d.calls == []
    assert not d.all_connected
    assert "No tape.gradient call" in d.headline
    assert d.to_document()["summary"]["gradient_calls"] == 0


# ------------------------------------------------------------------ the command
def _run_cli(script: Path, out: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    return subprocess.run(
        [sys.executable, "-m", "gradviz", "run", str(script), "--json", str(out)],
        capture_output=True, text=True, timeout=120, env=env, cwd=str(script.parent),
    )  # fmt: skip


def test_cli_script_without_tensorflow(tmp_path: Path) -> None:
    script = tmp_path / "plain.py"
    script.write_text("print('hello from plain')\n")
    out = tmp_path / "out.json"
    r = _run_cli(script, out)
    assert r.returncode == 0, r.stderr
    assert "hello from plain" in r.stdout
    said = [line for line in r.stdout.splitlines() if line.startswith("gradviz:")]
    assert len(said) == 1
    assert "no TensorFlow" in said[0] or "no tape.gradient" in said[0]
    doc = json.loads(out.read_text())
    assert doc["gradient_calls"] == []


def test_cli_script_raising_after_gradient_call(tmp_path: Path) -> None:
    script = tmp_path / "raises.py"
    script.write_text(
        textwrap.dedent(
            """\
            import tensorflow as tf
            w = tf.Variable(2.0)
            with tf.GradientTape() as tape:
                y = w * w
            g = tape.gradient(y, w)
            raise ValueError("script failed on purpose")
            """
        )
    )
    out = tmp_path / "out.json"
    r = _run_cli(script, out)
    assert r.returncode != 0
    assert "Traceback" in r.stderr
    assert "ValueError: script failed on purpose" in r.stderr
    doc = json.loads(out.read_text())
    assert len(doc["gradient_calls"]) == 1
    call = doc["gradient_calls"][0]
    assert call["line"] == 5
    assert call["sources"][0]["status"] == "ok"
    assert doc["meta"]["error"] == "ValueError: script failed on purpose"


def test_tf_function_traced_before_capture_is_seen_inside() -> None:
    """An earlier notebook cell traced the function: its body comes from the graph itself."""
    v, u = tf.Variable(2.0), tf.Variable(3.0)

    @tf.function
    def f(a):
        return tf.stop_gradient(a * u) + a * v

    f(tf.constant(1.0))  # traced here, before the capture
    with capture() as cap:
        with tf.GradientTape() as tape:
            loss = f(tf.constant(1.0))
        tape.gradient(loss, [v, u])
    by_name = {fd.expr: fd for fd in gradviz.diagnose(cap.trace).findings}
    assert by_name["v"].status == "ok"
    assert by_name["u"].cause == "stop_gradient"
    assert by_name["u"].culprit[0] == __file__


# ------------------------------------------------------------------ invisible to the program
def test_keras_layer_config_and_signatures_are_unchanged_under_capture() -> None:
    """Keras builds a layer's config from its class's __init__ signature: the hook must not show."""
    import inspect

    class Scale(keras.layers.Layer):  # inherits Layer.__init__
        def call(self, x):
            return x * 2.0

    def observe() -> tuple[object, ...]:
        layer = Scale(name="scale", dtype="float32")
        return (
            layer.get_config(),
            str(inspect.signature(Scale.__init__)),
            str(inspect.getfullargspec(Scale.__init__)),
            str(inspect.signature(Scale)),
        )

    before = observe()
    with capture():
        during = observe()
    assert during == before


def test_op_callbacks_registered_after_gradviz_still_get_the_outputs() -> None:
    from tensorflow.python.framework import op_callbacks

    seen: list[object] = []

    def other(op_type, inputs, attrs, outputs, op_name=None, graph=None):
        if graph is not None:
            seen.append(outputs)
        return None

    @tf.function
    def f(a):
        return a * 2.0 + 1.0

    with capture():
        op_callbacks.add_op_callback(other)
        try:
            f(tf.constant(1.0))
        finally:
            op_callbacks.remove_op_callback(other)
    assert seen and all(o is not None for o in seen)


def test_a_hook_whose_private_api_moved_is_a_gap_and_the_program_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    from tensorflow.python.ops import gradients_util

    monkeypatch.delattr(gradients_util, "_GradientsHelper")
    x = tf.Variable(1.0)
    with capture() as cap:
        with tf.GradientTape() as tape:
            y = x * x
        z = y * 2
        g = tape.gradient(z, x)
    assert g is None
    assert any("tf.gradients" in gap for gap in cap.trace.capture_gaps)
    d = gradviz.diagnose(cap.trace)
    assert d.findings[0].cause == "outside_tape"
    doc = d.to_document()
    assert doc["meta"]["capture_gaps"] == cap.trace.capture_gaps
    assert "could not hook tf.gradients" in d.to_text()


def test_gradviz_errors_while_recording_are_counted_shown_and_never_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    from gradviz._capture.tapes import Tapes

    def broken(self, *args, **kwargs):
        raise RuntimeError("gradviz bug")

    monkeypatch.setattr(Tapes, "watch", broken)
    g0, w0, _ = mlp_step()
    with capture() as cap:
        t = tf.constant([1.0, 2.0])
        with tf.GradientTape() as tape:
            tape.watch(t)
            y = tf.reduce_sum(t * t)
        g = tape.gradient(y, t)
        g1, w1, _ = mlp_step()
    assert np.array_equal(g.numpy(), [2.0, 4.0])
    for a, b in zip(g0 + w0, g1 + w1):
        assert np.array_equal(a, b)
    assert cap.trace.internal_error_count == 1
    doc = gradviz.diagnose(cap.trace).to_document()
    assert doc["meta"]["internal_errors"]["count"] == 1
    assert "gradviz bug" in doc["meta"]["internal_errors"]["first"][0]
    assert "internal error" in gradviz.diagnose(cap.trace).to_text()


def test_a_clean_capture_has_no_internal_errors_and_no_gaps() -> None:
    with capture() as cap:
        mlp_step(steps=2)
    assert cap.trace.internal_error_count == 0
    assert cap.trace.capture_gaps == []


def test_a_symbolic_gradient_is_zero_only_when_no_path_avoids_a_zero_gradient_op() -> None:
    """Inside a tf.function the values are unseen: `tf.sign` on the only path makes the gradient zero,
    while a second path around it (`w * tf.sign(w)`) keeps it a real gradient."""
    v, u = tf.Variable([0.5, -1.5]), tf.Variable([0.5, -1.5])

    @tf.function
    def grads():
        with tf.GradientTape() as tape:
            only_sign = tf.reduce_sum(tf.sign(v) * 3.0)
            around = tf.reduce_sum(u * tf.sign(u))
        return tape.gradient([only_sign, around], [v, u])

    with capture() as cap:
        g_v, g_u = grads()
    assert not np.any(g_v.numpy()) and np.all(g_u.numpy() != 0)  # what TensorFlow itself returned
    by_expr = {f.expr: f for f in gradviz.diagnose(cap.trace).findings}
    assert (by_expr["v"].status, by_expr["v"].cause) == ("zero", "non_differentiable_op")
    assert any("does not see the values" in e.fact for e in by_expr["v"].evidence)
    assert (by_expr["u"].status, by_expr["u"].cause) == ("ok", None)


def test_jacobians_are_recorded_as_the_users_gradient_calls() -> None:
    x = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    w = tf.Variable([[0.5], [0.25]])
    with capture() as cap:
        with tf.GradientTape(persistent=True) as tape:
            y = tf.matmul(x, w)
        tape.jacobian(y, w)
        tape.batch_jacobian(y, x)  # x never watched: TensorFlow gives zeros
    calls = gradviz.diagnose(cap.trace).calls
    assert [c.code for c in calls] == [
        "tape.jacobian(y, w)",
        "tape.batch_jacobian(y, x)  # x never watched: TensorFlow gives zeros",
    ]
    assert [(f.expr, f.status, f.cause) for c in calls for f in c.findings] == [
        ("w", "ok", None),
        ("x", "zero", "not_watched_tensor"),
    ]
