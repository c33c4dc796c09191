"""Capture overhead and diagnosis time (a report, not a test): python benchmarks/bench_capture.py

1. A Keras MLP eager training step, with and without capture, as a ratio (target <= 1.15x).
2. A 250-step eager loop under capture: ratio (target <= 1.3x), ops kept / dropped.
3. Diagnosis of synthetic 10k- and 100k-op traces (target <= 0.3 s at 10k, linear growth).
"""

from __future__ import annotations

import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import gradviz  # noqa: E402
from gradviz import trace as T  # noqa: E402


def make_step(width: int = 64, batch: int = 64):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((32,)), keras.layers.Dense(width, activation="relu"),
                              keras.layers.Dense(width, activation="relu"), keras.layers.Dense(1)])  # fmt: skip
    opt = keras.optimizers.SGD(0.01)
    x = tf.constant(np.random.default_rng(0).normal(size=(batch, 32)), tf.float32)
    y = tf.constant(np.random.default_rng(1).normal(size=(batch, 1)), tf.float32)

    def step():
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(model(x) - y))
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables))

    step()
    return step


def timed(fn, n):
    t = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t) / n


def step_ratio(step) -> tuple[float, float]:
    base, captured = [], []
    for _ in range(5):  # interleaved, best of each: the machine's noise is larger than the effect
        base.append(timed(step, 40))
        with gradviz.capture():
            captured.append(timed(step, 40))
    return min(base), min(captured)


def main() -> None:
    for width, batch in ((512, 256), (64, 64)):
        base, captured = step_ratio(make_step(width, batch))
        print(
            f"training step, MLP width {width}, batch {batch}: {base * 1e3:.2f} ms plain, "
            f"{captured * 1e3:.2f} ms captured, ratio {captured / base:.2f}x"
        )
    step = make_step()

    t = time.perf_counter()
    for _ in range(250):
        step()
    plain_loop = time.perf_counter() - t
    t = time.perf_counter()
    with gradviz.capture(max_ops=5_000) as cap:
        for _ in range(250):
            step()
    loop = time.perf_counter() - t
    tr = cap.trace
    print(f"250-step loop: {plain_loop:.2f} s plain, {loop:.2f} s captured, ratio {loop / plain_loop:.2f}x; "
          f"ops seen {tr.ops_seen}, kept {len(tr.ops)}, dropped {tr.ops_dropped}; calls {len(tr.calls)} (count {tr.calls[0].count})")  # fmt: skip

    for n in (10_000, 100_000):
        trace = synthetic(n)
        t = time.perf_counter()
        d = gradviz.diagnose(trace)
        t1 = time.perf_counter()
        d.to_document()
        t2 = time.perf_counter()
        print(f"{n} ops: diagnose {t1 - t:.3f} s, JSON document {t2 - t1:.3f} s ({d.headline})")


def synthetic(n: int) -> T.Trace:
    """A chain of n ops from one variable to a loss, recorded by one tape."""
    tr = T.Trace(program="synthetic")
    tr.frames = [(("synthetic.py", 1),)]
    tr.variables[1] = T.VariableRecord(1, "w", "float32", (), True, 0, 0)
    tr.tapes.append(T.TapeRecord(0, 0, False, True, 0, 0, n + 1))
    prev = 2
    tr.ops.append(T.OpRecord(1, "ReadVariableOp", (1,), (prev,), 0, "", (0,), (), T.GRAD_READ))
    tr.tensors[prev] = T.TensorInfo("float32", (), "op", -1, 1)
    for i in range(2, n + 1):
        out = prev + 1
        tr.ops.append(T.OpRecord(i, "Mul", (prev,), (out,), 0, f"layer_{i * 20 // n}", (0,), (), T.GRAD_OK))
        tr.tensors[out] = T.TensorInfo("float32", (), "op", -1, i)
        prev = out
    tr.calls.append(T.GradientCallRecord(n + 1, 0, 0, 0, [prev], ["float32"],
                                         [T.SourceRecord(1, True, "float32", (), "w", "ok", True)], False, [1]))  # fmt: skip
    tr.ops_seen = n
    return tr


if __name__ == "__main__":
    main()
