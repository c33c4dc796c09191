"""The capture's fast path for training loops: steps that repeat the step before them are counted,
not kept, and that changes nothing a diagnosis says.

Each loop here runs under the fast path and, as the reference, with it turned off (a threshold no
loop reaches); the findings must be the same, down to the culprit line.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
tf = pytest.importorskip("tensorflow")
import keras  # noqa: E402
from tensorflow.python.eager import context  # noqa: E402

import gradviz  # noqa: E402
from gradviz import trace as T  # noqa: E402
from gradviz._capture import repeats  # noqa: E402

RNG = np.random.default_rng(0)
X = RNG.normal(size=(8, 4)).astype("float32")
Y = RNG.normal(size=(8, 1)).astype("float32")
W1 = RNG.normal(size=(4, 16)).astype("float32")
B1 = RNG.normal(size=(16,)).astype("float32")
W2 = RNG.normal(size=(16, 1)).astype("float32")
STEPS = 300
THIS_FILE = str(Path(__file__).resolve())


def line_of(marker: str) -> int:
    """The line of this file that ends with the comment ``# <marker>``."""
    lines = Path(THIS_FILE).read_text().splitlines()
    return next(i for i, text in enumerate(lines, 1) if text.rstrip().endswith(f"# {marker}"))


def train(changed: Callable[[int], bool], how: str, steps: int = STEPS) -> list[np.ndarray]:
    """A plain-variable MLP trained eagerly; from the steps where ``changed(step)``, the loss
    loses its gradient: computed after the tape, or through NumPy. Returns the final weights."""
    params = [tf.Variable(W1), tf.Variable(B1), tf.Variable(W2)]
    x, y = tf.constant(X), tf.constant(Y)
    for step in range(steps):
        with tf.GradientTape() as tape:
            h = tf.nn.relu(x @ params[0] + params[1])
            out = h @ params[2]
            if how == "numpy" and changed(step):
                out = tf.constant(out.numpy())  # LATE-NUMPY
            if how != "outside" or not changed(step):
                loss = tf.reduce_mean((out - y) ** 2)
        if how == "outside" and changed(step):
            loss = tf.reduce_mean((out - y) ** 2)  # LATE-OUTSIDE
        grads = tape.gradient(loss, params)  # GRAD-CALL
        for p, g in zip(params, grads):
            if g is not None:
                p.assign_sub(0.01 * g)
    return [p.numpy() for p in params]


def keras_train(steps: int = STEPS) -> list[np.ndarray]:
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="tanh"), keras.layers.Dense(1)])
    opt = keras.optimizers.SGD(0.01)
    x, y = tf.constant(X), tf.constant(Y)
    for _ in range(steps):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(model(x) - y))
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables))
    return [v.numpy() for v in model.trainable_variables]


def captured(run: Callable[[], object], *, fast: bool, monkeypatch: pytest.MonkeyPatch) -> T.Trace:
    with monkeypatch.context() as m:
        if not fast:
            m.setattr(repeats, "REPEATS_BEFORE_SKIPPING", 10**9)
        with gradviz.capture() as cap:
            run()
    return cap.trace


def findings(trace: T.Trace) -> list[tuple[str, str | None, str | None, object]]:
    d = gradviz.diagnose(trace)
    return [(f.expr, f.status, f.cause, f.culprit) for c in d.calls for f in c.findings]


def skipped(trace: T.Trace) -> list[tuple[int, int]]:
    return [(r.first, r.last) for r in trace.repeated_steps]


# ------------------------------------------------------------------ a None that appears late
@pytest.mark.parametrize(
    ("how", "marker"), [("outside", "LATE-OUTSIDE"), ("numpy", "LATE-NUMPY")], ids=["outside_tape", "numpy"]
)
def test_a_none_that_first_appears_at_step_200_is_caught_at_its_line(
    how: str, marker: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = captured(lambda: train(lambda step: step >= 200, how), fast=True, monkeypatch=monkeypatch)
    full = captured(lambda: train(lambda step: step >= 200, how), fast=False, monkeypatch=monkeypatch)
    assert full.repeated_steps == [] and full.ops_dropped == 0
    # steps before the switch were left out, and again once the new path had repeated itself
    runs = skipped(fast)
    assert len(runs) == 2 and runs[0][1] == 200 and runs[1][0] > 201 and runs[1][1] == STEPS, runs
    assert fast.internal_errors == []
    got = findings(fast)
    assert got == findings(full)
    assert {status for _, status, _, _ in got} == {"none"}
    assert {culprit for _, _, _, culprit in got} == {(THIS_FILE, line_of(marker))}
    assert gradviz.diagnose(fast).calls[0].call.count == STEPS


def test_a_none_in_one_step_only_is_caught_at_its_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """Step 200 alone differs, in the middle of a run of left-out steps: it is written out from
    where it differs, and its call (with more missing gradients) is the one kept."""
    fast = captured(lambda: train(lambda step: step == 200, "outside"), fast=True, monkeypatch=monkeypatch)
    full = captured(lambda: train(lambda step: step == 200, "outside"), fast=False, monkeypatch=monkeypatch)
    runs = skipped(fast)
    assert runs[0][1] == 200 and runs[-1][1] == STEPS, runs
    got = findings(fast)
    assert got == findings(full)
    assert {(status, culprit) for _, status, _, culprit in got} == {("none", (THIS_FILE, line_of("LATE-OUTSIDE")))}


def test_a_gradient_that_turns_zero_late_with_the_same_ops_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """From step 200 a Python factor is 0.0: the same ops from the same places, but the gradient
    is zero, so the step does not repeat the ones before it and is recorded in full."""

    def run() -> None:
        w = tf.Variable(W1)
        x = tf.constant(X)
        for step in range(STEPS):
            scale = 0.0 if step >= 200 else 1.0
            with tf.GradientTape() as tape:
                loss = tf.reduce_sum((x @ w) * scale)
            w.assign_sub(0.01 * tape.gradient(loss, w))

    fast = captured(run, fast=True, monkeypatch=monkeypatch)
    full = captured(run, fast=False, monkeypatch=monkeypatch)
    runs = skipped(fast)
    assert runs[0][1] == 200 and runs[-1][1] == STEPS, runs
    got = findings(fast)
    assert got == findings(full)
    assert [status for _, status, _, _ in got] == ["zero"]


# ------------------------------------------------------------------ clean loops stay clean
def test_a_keras_loop_clean_throughout_stays_all_connected_and_small(monkeypatch: pytest.MonkeyPatch) -> None:
    before = keras_train()
    trace = captured(keras_train, fast=True, monkeypatch=monkeypatch)
    after = keras_train()
    d = gradviz.diagnose(trace)
    assert d.all_connected
    assert d.calls[0].call.count == STEPS
    ((first, last),) = skipped(trace)
    assert first <= 10 and last == STEPS
    # the ops of about one step are kept, however long the loop
    per_step = trace.ops_seen / STEPS
    assert len(trace.ops) < 10 * per_step
    assert len(trace.ops) + trace.ops_dropped == trace.ops_seen
    assert trace.repeated_steps[0].ops == trace.ops_dropped
    # the program's results do not depend on being captured
    with gradviz.capture():
        captured_weights = keras_train()
    for a, b, c in zip(before, after, captured_weights):
        assert np.array_equal(a, b) and np.array_equal(a, c)


def test_trace_notes_say_which_steps_were_not_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    trace = captured(lambda: train(lambda step: False, "outside"), fast=True, monkeypatch=monkeypatch)
    ((first, last),) = skipped(trace)
    (note,) = gradviz.diagnose(trace).to_document()["meta"]["capture_notes"]
    grad_line = line_of("GRAD-CALL")
    where = f"{Path(THIS_FILE).name}:{grad_line}"
    assert note.startswith(f"steps {first}-{last} of the loop calling tape.gradient at {where} ")
    assert f"step {first - 1}" in note and "were not kept" in note
    assert f"({note})" in gradviz.diagnose(trace).to_text()
    # a saved trace keeps them
    loaded = T.Trace.from_dict(trace.to_dict())
    assert loaded.repeated_steps == trace.repeated_steps


def custom_train(none_from: int, steps: int = STEPS) -> None:
    """A loop through a ``@tf.custom_gradient`` whose gradient function returns None from step
    ``none_from`` on."""
    w = tf.Variable(W1)
    x = tf.constant(X)
    drop = [False]

    @tf.custom_gradient
    def scaled(t: tf.Tensor) -> tuple[tf.Tensor, Callable[[tf.Tensor], tf.Tensor | None]]:
        def grad(dy: tf.Tensor) -> tf.Tensor | None:
            return None if drop[0] else dy * 0.5

        return t * 0.5, grad

    for step in range(steps):
        drop[0] = step >= none_from
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(scaled(x @ w))
        g = tape.gradient(loss, w)
        if g is not None:
            w.assign_sub(0.01 * g)


def test_a_custom_gradient_returning_none_late_is_caught_and_left_out_steps_keep_no_record(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fast = captured(lambda: custom_train(200), fast=True, monkeypatch=monkeypatch)
    full = captured(lambda: custom_train(200), fast=False, monkeypatch=monkeypatch)
    got = findings(fast)
    assert got == findings(full)
    assert [(status, cause) for _, status, cause, _ in got] == [("none", "custom_gradient_returns_none")]
    assert fast.internal_errors == []
    # a left-out step's custom-gradient op is not in the op log, and its record goes with it
    assert len(full.custom_gradients) == STEPS
    kept = {op.seq for op in fast.ops if op.op_type == "CustomGradient"}
    assert set(fast.custom_gradients) <= kept | {max(fast.custom_gradients)}
    assert len(fast.custom_gradients) < 10


def test_a_persistent_tape_differentiated_after_its_step_was_let_go_is_no_internal_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each step also differentiates the persistent tape of two steps before: its custom gradient
    runs after that step's records were let go, which gradviz must take in its stride."""

    def run() -> None:
        w = tf.Variable(W1)
        x = tf.constant(X)

        @tf.custom_gradient
        def scaled(t: tf.Tensor) -> tuple[tf.Tensor, Callable[[tf.Tensor], tf.Tensor]]:
            return t * 0.5, lambda dy: dy * 0.5

        tapes: list[tuple[tf.GradientTape, tf.Tensor]] = []
        for _ in range(60):
            with tf.GradientTape(persistent=True) as tape:
                loss = tf.reduce_sum(scaled(x @ w))
            tapes = [*tapes[-2:], (tape, loss)]
            tape.gradient(loss, w)
            old_tape, old_loss = tapes[0]
            old_tape.gradient(old_loss, w)

    fast = captured(run, fast=True, monkeypatch=monkeypatch)
    full = captured(run, fast=False, monkeypatch=monkeypatch)
    assert fast.repeated_steps, "steps were left out"
    assert fast.internal_errors == [] and fast.internal_error_count == 0
    assert findings(fast) == findings(full)
    assert gradviz.diagnose(fast).all_connected


def test_a_loop_that_raises_while_steps_are_left_out_still_leaves_nothing_behind() -> None:
    params = [tf.Variable(W1), tf.Variable(B1), tf.Variable(W2)]
    x = tf.constant(X)
    with pytest.raises(ValueError, match="stop at 100"):
        with gradviz.capture() as cap:
            for step in range(STEPS):
                with tf.GradientTape() as tape:
                    loss = tf.reduce_sum(tf.nn.relu(x @ params[0] + params[1]) @ params[2])
                    if step == 100:
                        raise ValueError("stop at 100")
                tape.gradient(loss, params)
    assert not context.context().op_callbacks
    trace = cap.trace
    assert trace.error == "ValueError: stop at 100"
    assert skipped(trace) and trace.repeated_steps[0].last == 100
    # the unfinished step's ops are written out, not lost with the skipping
    assert len(trace.ops) + trace.ops_dropped == trace.ops_seen
    assert trace.ops[-1].op_type == "Sum" and trace.ops[-1].seq == trace.ops_seen
    assert gradviz.diagnose(trace).all_connected


# ------------------------------------------------------------------ one step differs in what the ops do not show
N_STEPS, ODD = 60, 40


def watch_other_source_line() -> None:
    """At step ODD the source is a constant made on another line and the tape watches another
    tensor: the same ops from the same places, only the gradient results differ."""
    for step in range(N_STEPS):
        if step != ODD:
            a = tf.constant(3.0)  # SRC-A
        else:
            a = tf.constant(3.0)  # SRC-B
        b = tf.constant(2.0)
        with tf.GradientTape() as tape:
            if step != ODD:
                tape.watch(a)
            else:
                tape.watch(b)
            y = a * b
        tape.gradient(y, a)


def stale_input_once() -> None:
    """At step ODD the loss is computed from the previous step's output (made on its own tape)."""
    w, x = tf.Variable(W1), tf.constant(X)
    prev_out = None
    for step in range(N_STEPS):
        with tf.GradientTape() as tape:
            out = x @ w  # STALE-MADE
            use = prev_out if step == ODD else out
            loss = tf.reduce_sum(use)
        g = tape.gradient(loss, w)
        if g is not None:
            w.assign_sub(0.01 * g)
        prev_out = out


def stale_target_once() -> None:
    """At step ODD the gradient is asked of the previous step's loss (made on the previous tape)."""
    w, x = tf.Variable(W1), tf.constant(X)
    prev = None
    for step in range(N_STEPS):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(x @ w)
        target = prev if step == ODD else loss
        g = tape.gradient(target, w)  # STALE-CALL
        if g is not None:
            w.assign_sub(0.01 * g)
        prev = loss


def stale_input_two_steps_back() -> None:
    """At step ODD the loss is computed from the output of two steps before."""
    w, x = tf.Variable(W1), tf.constant(X)
    outs: list[object] = []
    for step in range(N_STEPS):
        with tf.GradientTape() as tape:
            out = x @ w
            use = outs[-2] if step == ODD else out
            loss = tf.reduce_sum(use)
        g = tape.gradient(loss, w)
        if g is not None:
            w.assign_sub(0.01 * g)
        outs = [*outs[-1:], out]


def roundtrip_previous_step_value() -> None:
    """At step ODD a constant is rebuilt from a value exported (``.numpy()``) in the step before."""
    w, x = tf.Variable(W1), tf.constant(X)
    saved = None
    for step in range(N_STEPS):
        with tf.GradientTape() as tape:
            out = x @ w
            s = tf.constant(saved) if step == ODD else tf.constant(np.ones((8, 16), "float32"))
            loss = tf.reduce_sum(s * 2.0) if step == ODD else tf.reduce_sum(out * s)
        saved = out.numpy()
        tape.gradient(loss, w)


def same_status_other_cause() -> None:
    """From step ODD the tape watches ``a`` and is then reset: the gradient is None as before,
    for another reason."""
    for step in range(N_STEPS):
        a, b = tf.constant(3.0), tf.constant(2.0)
        with tf.GradientTape() as tape:
            if step >= ODD:
                tape.watch(a)
            y = a * b
            if step >= ODD:
                tape.reset()  # LATE-RESET
        tape.gradient(y, a)


def flag_changes_once() -> None:
    """At step ODD the tape does not watch accessed variables."""
    w, x = tf.Variable(W1), tf.constant(X)
    for step in range(N_STEPS):
        with tf.GradientTape(watch_accessed_variables=step != ODD) as tape:
            loss = tf.reduce_sum(x @ w)
        tape.gradient(loss, w)


@pytest.mark.parametrize(
    "run",
    [
        watch_other_source_line,
        stale_input_once,
        stale_target_once,
        roundtrip_previous_step_value,
        same_status_other_cause,
        flag_changes_once,
    ],
    ids=lambda f: f.__name__,
)
def test_a_step_that_differs_only_in_what_the_ops_do_not_show_is_diagnosed_as_in_full(
    run: Callable[[], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = captured(run, fast=True, monkeypatch=monkeypatch)
    full = captured(run, fast=False, monkeypatch=monkeypatch)
    assert fast.repeated_steps, "the fast path left nothing out: the test shows nothing"
    assert fast.internal_errors == []
    got = findings(fast)
    assert got == findings(full)
    assert {status for _, status, _, _ in got} == {"none"}


def test_the_culprit_line_of_a_source_made_on_another_line_in_one_step(monkeypatch: pytest.MonkeyPatch) -> None:
    fast = captured(watch_other_source_line, fast=True, monkeypatch=monkeypatch)
    assert {culprit for _, _, _, culprit in findings(fast)} == {(THIS_FILE, line_of("SRC-B"))}


def test_a_value_from_a_step_left_out_two_steps_back_is_never_a_confident_cause(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Its producer was left out with its step: the diagnosis matches the full one or says it
    cannot see (``unexplained``), never another cause."""
    fast = captured(stale_input_two_steps_back, fast=True, monkeypatch=monkeypatch)
    full = captured(stale_input_two_steps_back, fast=False, monkeypatch=monkeypatch)
    assert fast.repeated_steps
    got, want = findings(fast), findings(full)
    assert [status for _, status, _, _ in got] == [status for _, status, _, _ in want] == ["none"]
    assert got == want or {cause for _, _, cause, _ in got} == {"unexplained"}, (got, want)
    if got != want:  # it says what it saw and what is missing
        for f in gradviz.diagnose(fast).calls[0].findings:
            facts = " ".join(e.fact for e in f.evidence)
            assert "No captured path" in facts and "left out of the capture" in facts, facts


def test_a_call_whose_ops_took_their_lines_from_a_kept_step_does_not_state_those_lines(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Safety net: when a step's ops all matched the kept step's but its gradients differ, the ops
    are written out with the kept step's lines, which nothing checked; a culprit among them is not
    stated (``unexplained``, saying why)."""

    def run() -> None:
        w, x = tf.Variable(W1), tf.constant(X)
        for step in range(N_STEPS):
            scale = 0.0 if step == ODD else 1.0
            with tf.GradientTape() as tape:
                loss = tf.reduce_sum((x @ w) * scale)
            w.assign_sub(0.01 * tape.gradient(loss, w))

    fast = captured(run, fast=True, monkeypatch=monkeypatch)
    # the step that turned zero matched its template op for op: its call says whose lines it has
    (call,) = fast.calls
    assert call.template_lines and all(fast.frame(i)[0][0] == THIS_FILE for i in call.template_lines)
    # a None whose culprit is such a line is not stated
    trace = captured(lambda: train(lambda step: step >= 200, "outside"), fast=True, monkeypatch=monkeypatch)
    culprit = (THIS_FILE, line_of("LATE-OUTSIDE"))
    assert {c for _, _, _, c in findings(trace)} == {culprit}
    trace.calls[0].template_lines = [i for i, f in enumerate(trace.frames) if f and f[0] == culprit]
    d = gradviz.diagnose(trace)
    assert {(f.cause, f.culprit[1] if f.culprit else None) for f in d.calls[0].findings} == {
        ("unexplained", line_of("GRAD-CALL"))
    }
    assert all("lines and all" in " ".join(e.fact for e in f.evidence) for f in d.calls[0].findings)
