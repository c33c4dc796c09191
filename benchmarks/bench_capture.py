"""Capture overhead, its memory and where its time goes (a report, not a test).

    python benchmarks/bench_capture.py [--rounds N] [SECTION ...]

Sections (all by default): ``step`` ``loop`` ``large`` ``floor`` ``memory`` ``profile`` ``diagnose``.

Targets (issue 12): a small Keras MLP eager step under ``gradviz.capture()`` <= 1.15x; a 300-step
eager loop under one capture <= 1.2x with bounded memory; large models <= 1.15x.

How it measures, because this machine's noise is larger than the effect: CPU time
(``time.process_time``, all threads of this process, so other processes' load counts less than
in wall time), in alternating rounds inside one process (plain, captured, plain, captured, ...), so
slow drift and warm-up hit both sides alike. Each line gives the median of the per-round ratios
and the ratio of the fastest rounds; wall-time medians are printed beside for reference. The loop
also runs under a bare op callback (one that returns at once): the floor any op-level capture pays.

``floor`` runs one step under less and less of the capture (a bare op callback; the capture with
its op callback returning at once; recording only each op's user line; all of it): what stands
between a capture and the plain step, part by part.
``memory`` runs the captured loop under ``tracemalloc`` (Python allocations: the op log is Python
objects) and prints what the trace holds at steps 100, 200 and 300: it should not grow with steps.
``profile`` runs it under cProfile and groups gradviz's own time by what it is for.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import gc
import os
import pstats
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from tensorflow.python.framework import op_callbacks  # noqa: E402

import gradviz  # noqa: E402
from gradviz import trace as T  # noqa: E402

LOOP_STEPS = 300


def make_step(width: int = 64, batch: int = 64) -> Callable[[], None]:
    """One eager training step of a 3-layer Keras MLP, run once (built, traced, warmed)."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((32,)), keras.layers.Dense(width, activation="relu"),
                              keras.layers.Dense(width, activation="relu"), keras.layers.Dense(1)])  # fmt: skip
    opt = keras.optimizers.SGD(0.01)
    x = tf.constant(np.random.default_rng(0).normal(size=(batch, 32)), tf.float32)
    y = tf.constant(np.random.default_rng(1).normal(size=(batch, 1)), tf.float32)

    def step() -> None:
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(model(x) - y))
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables))

    step()
    return step


def make_resnet_step(size: int = 32, batch: int = 2) -> Callable[[], None]:
    """One eager training step of ResNet50 (weights=None), run once. At 32x32, batch 2, its ~6k ops
    are tiny: the op-bound worst case. At 224x224, batch 4, the input size it is trained on."""
    keras.utils.set_random_seed(0)
    model = keras.applications.ResNet50(weights=None, input_shape=(size, size, 3), classes=10)
    opt = keras.optimizers.SGD(0.01)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    x = tf.constant(np.random.default_rng(0).normal(size=(batch, size, size, 3)), tf.float32)
    y = tf.constant(np.arange(batch) % 10)

    def step() -> None:
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables))

    step()
    return step


# ------------------------------------------------------------------ alternating rounds
def run_steps(step: Callable[[], None], n: int) -> None:
    for _ in range(n):
        step()


def captured(run: Callable[[], None], times: int = 1) -> Callable[[], None]:
    """``run`` under ``gradviz.capture()``, ``times`` captures one after another."""

    def go() -> None:
        for _ in range(times):
            with gradviz.capture():
                run()

    return go


def bare_callback(run: Callable[[], None]) -> Callable[[], None]:
    """Under an op callback that does nothing: the floor of any op-level capture."""

    def callback(op_type, inputs, attrs, outputs, op_name=None, graph=None):  # type: ignore[no-untyped-def]
        return outputs

    def go() -> None:
        op_callbacks.add_op_callback(callback)
        try:
            run()
        finally:
            op_callbacks.remove_op_callback(callback)

    return go


def alternate(variants: dict[str, Callable[[], None]], rounds: int) -> dict[str, list[tuple[float, float]]]:
    """(CPU s, wall s) of each variant per round, the variants run one after another in each round."""
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in variants}
    for fn in variants.values():  # warm-up: first-time tracing and caches on both sides
        fn()
    for _ in range(rounds):
        for name, fn in variants.items():
            gc.collect()
            c, w = time.process_time(), time.perf_counter()
            fn()
            times[name].append((time.process_time() - c, time.perf_counter() - w))
    return times


def ratio_line(label: str, times: dict[str, list[tuple[float, float]]], per: int, unit: str = "ms") -> str:
    """Each variant against ``plain``: median of per-round CPU ratios, ratio of fastest rounds, wall."""
    scale = 1e3 if unit == "ms" else 1.0
    plain = times["plain"]
    parts = [f"{label}: plain {statistics.median(c for c, _ in plain) / per * scale:.2f} {unit} CPU"]
    for name, ts in times.items():
        if name == "plain":
            continue
        per_round = [c / p for (c, _), (p, _) in zip(ts, plain)]
        fastest = min(c for c, _ in ts) / min(c for c, _ in plain)
        wall = statistics.median(w for _, w in ts) / statistics.median(w for _, w in plain)
        parts.append(
            f"{name} {statistics.median(c for c, _ in ts) / per * scale:.2f} {unit}: "
            f"ratio median {statistics.median(per_round):.3f}x, of the fastest rounds {fastest:.3f}x "
            f"(rounds {min(per_round):.2f}-{max(per_round):.2f}, wall {wall:.2f}x)"
        )
    return "\n    ".join(parts)


def section_step(rounds: int) -> None:
    for width, batch in ((512, 256), (64, 64)):
        step = make_step(width, batch)
        n = 20
        steps = functools.partial(run_steps, step, n)
        times = alternate({"plain": steps, "captured": captured(steps)}, rounds)
        print(ratio_line(f"MLP width {width}, batch {batch}, {n} steps per capture", times, n))
    # one step per capture: 20 captures a round (one is too short for CPU time); the capture's own
    # cost (hooks in and out, the gradient call, the first sight of each weight) is fixed per
    # capture, so it weighs less the more the step computes
    for width, batch in ((64, 64), (256, 256), (1024, 256)):
        step = make_step(width, batch)
        times = alternate({"plain": functools.partial(run_steps, step, 20), "captured": captured(step, 20)}, rounds)
        print(
            ratio_line(f"MLP width {width}, batch {batch}, one step per capture (enter and exit included)", times, 20)
        )


def section_loop(rounds: int) -> None:
    step = make_step()
    loop = lambda: run_steps(step, LOOP_STEPS)  # noqa: E731
    times = alternate({"plain": loop, "bare callback": bare_callback(loop), "captured": captured(loop)}, rounds)
    print(ratio_line(f"{LOOP_STEPS}-step loop, MLP width 64, one capture", times, 1, unit="s"))
    with gradviz.capture() as cap:
        loop()
    tr = cap.trace
    print(
        f"    ops seen {tr.ops_seen}, kept {len(tr.ops)}, dropped {tr.ops_dropped}; tensors kept {len(tr.tensors)}; "
        f"calls {len(tr.calls)} (count {tr.calls[0].count if tr.calls else 0})"
    )
    for note in getattr(tr, "notes", []):
        print(f"    note: {note}")


def section_large(rounds: int) -> None:
    for size, batch, what in ((32, 2, "op-bound worst case"), (224, 4, "the input size it is trained on")):
        step = make_resnet_step(size, batch)
        with gradviz.capture() as cap:
            step()
        times = alternate({"plain": step, "captured": captured(step)}, max(3, rounds // 2))
        label = f"ResNet50 step, {size}x{size}, batch {batch} ({cap.trace.ops_seen} ops, {what}), one capture per step"
        print(ratio_line(label, times, 1))


# ------------------------------------------------------------------ what stands in the way
def section_floor(rounds: int) -> None:
    """The same step under less and less of the capture: a bare op callback (TensorFlow handing
    each op to Python: the floor of any op-level capture), the capture with its op callback
    returning at once (the other hooks, the gradient call, enter and exit), the capture recording
    only each op's user line (the stack walk), and the whole capture."""
    from gradviz._capture import ops as capture_ops

    recorder = capture_ops.Ops.on_op

    def walk_only(self, op_type, inputs, attrs, outputs, op_name=None, graph=None):  # type: ignore[no-untyped-def]
        self.frames.here(2)
        return outputs

    def returns_at_once(self, op_type, inputs, attrs, outputs, op_name=None, graph=None):  # type: ignore[no-untyped-def]
        return outputs

    def with_recorder(run: Callable[[], None], fn: Any) -> Callable[[], None]:
        def go() -> None:
            capture_ops.Ops.on_op = fn
            try:
                run()
            finally:
                capture_ops.Ops.on_op = recorder

        return go

    cases = (
        ("MLP width 64, batch 64, one step per capture", make_step(), 20),
        ("ResNet50 32x32, batch 2, one step per capture", make_resnet_step(), 1),
    )
    for label, step, n in cases:
        plain = functools.partial(run_steps, step, n)
        whole = captured(step, n)
        variants = {
            "plain": plain,
            "bare op callback": bare_callback(plain),
            "capture, op callback returning at once": with_recorder(whole, returns_at_once),
            "capture, op callback walking the stack only": with_recorder(whole, walk_only),
            "capture": whole,
        }
        times = alternate(variants, rounds if n > 1 else max(3, rounds // 2))
        print(ratio_line(label, times, n))


def section_memory() -> None:
    step = make_step()
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    run_steps(step, LOOP_STEPS)
    gc.collect()
    plain_peak = tracemalloc.get_traced_memory()[1] - base
    marks = []
    gc.collect()
    base = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    with gradviz.capture() as cap:
        for i in range(1, LOOP_STEPS + 1):
            step()
            if i % 100 == 0:
                tr = cap.trace
                marks.append((i, tracemalloc.get_traced_memory()[0] - base, len(tr.ops), len(tr.tensors)))
    peak = tracemalloc.get_traced_memory()[1] - base
    gc.collect()
    held = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    print(f"memory (tracemalloc, Python allocations): plain {LOOP_STEPS}-step loop peak {plain_peak / 1e6:.2f} MB; "
          f"captured peak {peak / 1e6:.2f} MB, trace held after {held / 1e6:.2f} MB")  # fmt: skip
    for i, current, ops, tensors in marks:
        print(
            f"    after step {i}: {current / 1e6:.2f} MB above the start, {ops} ops and {tensors} tensors in the trace"
        )
    print(f"    ops seen {cap.trace.ops_seen}, kept {len(cap.trace.ops)}")


# ------------------------------------------------------------------ where the time goes
_RECORD = [("_capture/ops.py", "_record")]
_RECORD_KEYS = [("_capture/ops.py", "record")]
# (what it is for, file suffix, gradviz function, only when called from these, or None: from anywhere).
# Each row is the time under that function (cumulative); the op callback's rows are parts of it.
CATEGORIES: list[tuple[str, str, str, list[tuple[str, str]] | None]] = [
    ("op callback, repeated step: checked against the step it repeats", "_capture/repeats.py", "skip", None),
    ("op callback, repeated step: written out when it differs", "_capture/repeats.py", "write_out", None),
    ("op callback, in full: user line (frame walk)", "_capture/frames.py", "here", _RECORD),
    ("op callback, in full: dtype and shape of outputs", "_capture/values.py", "__call__", _RECORD),
    ("op callback, in full: dtype and shape of outputs", "_capture/values.py", "shape_of", _RECORD),
    ("op callback, in full: values first seen as inputs", "_capture/ops.py", "born", _RECORD),
    ("op callback, in full: variable watcher", "_capture/variables.py", "take_accessed", _RECORD_KEYS),
    ("op callback, in full: variable watcher", "_capture/variables.py", "hidden_reads", _RECORD),
    ("op callback, in full: variable watcher", "_capture/variables.py", "state_reads", _RECORD),
    ("op callback, in full: key for spotting repeats", "_capture/repeats.py", "key", _RECORD_KEYS),
    ("op callback, in full: gradient kind", "_capture/ops.py", "grad", _RECORD),
    ("op callback, in full: bounding the log (compact)", "_capture/ops.py", "compact", None),
    ("tape hooks: gradient calls", "_capture/tapes.py", "gradient_called", None),
    ("tape hooks: enter, exit, watch, stop_recording", "_capture/tapes.py", "entered", None),
    ("tape hooks: enter, exit, watch, stop_recording", "_capture/tapes.py", "exited", None),
    ("tape hooks: enter, exit, watch, stop_recording", "_capture/tapes.py", "watch", None),
    ("tape hooks: enter, exit, watch, stop_recording", "_capture/tapes.py", "_pause", None),
    ("eager constants", "_capture/ops.py", "constant_made", None),
    ("values leaving TF (.numpy(), float())", "_capture/exports.py", "exported", None),
    ("custom gradients", "_capture/custom.py", "noted", None),
    ("variables made", "_capture/variables.py", "created", None),
    ("tf.function calls", "_capture/functions.py", "called", None),
]


def section_profile() -> None:
    step = make_step()
    with gradviz.capture():
        run_steps(step, 5)
    c = time.process_time()
    run_steps(step, LOOP_STEPS)
    plain = time.process_time() - c
    prof = cProfile.Profile()
    with gradviz.capture():
        prof.enable()
        run_steps(step, LOOP_STEPS)
        prof.disable()
    stats = pstats.Stats(prof).stats  # type: ignore[attr-defined]
    total = sum(tt for (_, _, tt, _, _) in stats.values())

    def cum(suffix: str, name: str) -> float:
        """Time under gradviz's function ``name`` in a file ending ``suffix``."""
        return sum(
            ct
            for (file, _, fn), (_, _, _, ct, _) in stats.items()
            if fn == name and file.endswith(suffix) and "gradviz" in file
        )

    def cum_from(suffix: str, name: str, callers: list[tuple[str, str]] | None) -> float:
        """The same, counting only calls from ``callers`` (None: from anywhere)."""
        if callers is None:
            return cum(suffix, name)
        out = 0.0
        for (file, _, fn), (_, _, _, _, by) in stats.items():
            if fn == name and file.endswith(suffix) and "gradviz" in file:
                for (cf, _, cn), v in by.items():
                    if any(cf.endswith(s) and cn == n for s, n in callers):
                        out += v[3]
        return out

    rows: dict[str, float] = {}
    for label, suffix, name, callers in CATEGORIES:
        rows[label] = rows.get(label, 0.0) + cum_from(suffix, name, callers)
    in_full = cum("_capture/ops.py", "_record") + cum_from("_capture/repeats.py", "key", _RECORD_KEYS)
    in_full += cum_from("_capture/variables.py", "take_accessed", _RECORD_KEYS)
    parts = sum(t for label, t in rows.items() if label.startswith("op callback, in full") and "compact" not in label)
    rows["op callback, in full: the record itself (ids, OpRecord, tape state)"] = max(0.0, in_full - parts)
    callback = cum("_capture/ops.py", "on_op")
    inside = sum(t for label, t in rows.items() if label.startswith("op callback"))
    rows["op callback: its own dispatch (on_op, record)"] = max(0.0, callback - inside)
    gradviz_total = sum(rows.values())
    print(
        f"where capture time goes ({LOOP_STEPS}-step loop under cProfile, {total:.2f} s profiled; the profiler "
        f"inflates Python-heavy code, so read shares): plain loop {plain:.2f} s CPU unprofiled; "
        f"gradviz code {gradviz_total:.2f} s of the profile"
    )
    for label, t in sorted(rows.items(), key=lambda kv: -kv[1]):
        if t > 0.0005:
            print(f"    {label:<70} {t:7.3f} s  {100 * t / gradviz_total:5.1f}%")


# ------------------------------------------------------------------ diagnosis time
def section_diagnose() -> None:
    for n in (10_000, 100_000):
        trace = synthetic(n)
        t = time.perf_counter()
        d = gradviz.diagnose(trace)
        t1 = time.perf_counter()
        d.to_document()
        t2 = time.perf_counter()
        print(f"diagnosis of a {n}-op trace: diagnose {t1 - t:.3f} s, JSON document {t2 - t1:.3f} s ({d.headline})")


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


SECTIONS = {
    "step": section_step,
    "loop": section_loop,
    "large": section_large,
    "floor": section_floor,
    "memory": section_memory,
    "profile": section_profile,
    "diagnose": section_diagnose,
}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "sections", nargs="*", metavar="SECTION", help=f"which parts to run: {', '.join(SECTIONS)} (default: all)"
    )
    p.add_argument("--rounds", type=int, default=6, help="alternating rounds per comparison (default 6)")
    args = p.parse_args()
    unknown = [s for s in args.sections if s not in SECTIONS]
    if unknown:
        p.error(f"unknown section {unknown[0]!r}; choose from {', '.join(SECTIONS)}")
    for name in args.sections or SECTIONS:
        t = time.perf_counter()
        fn = SECTIONS[name]
        fn(args.rounds) if name in ("step", "loop", "large", "floor") else fn()  # type: ignore[operator]
        print(f"  ({name}: {time.perf_counter() - t:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
