"""Capture under tf.distribute.MirroredStrategy, in a subprocess: two logical CPU devices must be
set up before TensorFlow's runtime starts, which the other tests' process has already done."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("tensorflow")

SCRIPT = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    import tensorflow as tf
    from tensorflow.python.eager import backprop, context

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])

    import gradviz
    from gradviz.capture import capture

    with strategy.scope():
        w = tf.Variable(np.ones((4, 1), "float32"), name="w")
        aux = tf.Variable(np.ones((4, 1), "float32"), name="aux")
    x = tf.constant(np.arange(16, dtype="float32").reshape(4, 4) / 10)
    out = {}

    def step(use_aux_on_first=False):
        def replica():
            with tf.GradientTape() as tape:
                loss = tf.reduce_sum(tf.matmul(x, w) ** 2)
                first = tf.distribute.get_replica_context().replica_id_in_sync_group == 0
                if use_aux_on_first and first:
                    loss += tf.reduce_sum(tf.matmul(x, aux))
            grads = tape.gradient(loss, [w, aux])
            return loss, grads[0]
        loss, g = strategy.run(replica)
        return [t.numpy().tolist() for t in strategy.experimental_local_results(loss) + strategy.experimental_local_results(g)]

    def hooks_in_replica():
        def replica():
            return len(context.context()._thread_local_data.op_callbacks)
        n = strategy.run(replica)
        return [int(v) for v in strategy.experimental_local_results(n)]

    plain = step()
    tape_gradient = backprop.GradientTape.gradient
    with capture() as cap:
        captured = step()
    out["same"] = plain == captured
    out["calls"] = [
        {"count": c.count, "replicas": c.replicas, "status": [s.status for s in c.sources]} for c in cap.trace.calls
    ]
    out["gaps"] = list(cap.trace.capture_gaps) + list(cap.trace.other_threads)
    with capture() as cap2:
        step(use_aux_on_first=True)
    d2 = gradviz.diagnose(cap2.trace)
    out["disagree"] = [(f.status, f.cause) for c in d2.calls for f in c.findings]
    try:
        with capture():
            strategy.run(lambda: (_ for _ in ()).throw(RuntimeError("boom")))
    except RuntimeError:
        pass
    out["hooks_after"] = {"replicas": hooks_in_replica(), "here": len(context.context().op_callbacks)}
    out["tape_restored"] = backprop.GradientTape.gradient is tape_gradient
    d1 = gradviz.diagnose(cap.trace)
    out["findings"] = [(f.status, f.cause) for c in d1.calls for f in c.findings]

    central = tf.distribute.experimental.CentralStorageStrategy()  # one device here: the CPU
    with central.scope():
        cw = tf.Variable(np.ones((4, 1), "float32"), name="cw")
        caux = tf.Variable(np.ones((4, 1), "float32"), name="caux")

    def central_step():
        def replica():
            with tf.GradientTape() as tape:
                loss = tf.reduce_sum(tf.matmul(x, cw) ** 2)
            return tape.gradient(loss, [cw, caux])[0]
        return central.run(replica)

    for name, fn in (("eager", central_step), ("function", tf.function(central_step))):
        with capture() as cap3:
            fn()
        d3 = gradviz.diagnose(cap3.trace)
        out["central_" + name] = [(f.status, f.cause) for c in d3.calls for f in c.findings] + cap3.trace.capture_gaps
    print("RESULT" + json.dumps(out))
    """
)


def test_mirrored_strategy_replicas_are_captured_transparently() -> None:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=300)
    line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT")), None)
    assert line is not None, proc.stderr[-3000:]
    out = json.loads(line[len("RESULT") :])
    assert out["same"]  # the same loss and gradients on every replica, with and without capture
    # both replicas' calls are seen and merged into one entry that says two replicas made it
    assert out["calls"] == [{"count": 2, "replicas": 2, "status": ["ok", "none"]}]
    assert out["findings"] == [["ok", None], ["none", "unused_variable"]]
    assert out["gaps"] == []
    # replicas that disagree (aux used on replica 0 only): no one cause is claimed
    assert out["disagree"] == [["ok", None], ["none", "unexplained"]]
    # nothing left behind in the replica threads nor in this one, also after a raise inside strategy.run
    assert out["hooks_after"]["here"] == 0 and set(out["hooks_after"]["replicas"]) == {0}
    assert out["tape_restored"]
    # CentralStorageStrategy's replicas are the same threads: an unused variable is unused_variable
    assert out["central_eager"] == out["central_function"] == [["ok", None], ["none", "unused_variable"]]


UNFOLLOWED_FIT = textwrap.dedent(
    """
    import socket
    import numpy as np
    import tensorflow as tf

    def free_port():
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]

    cluster = tf.train.ClusterSpec({"worker": [f"127.0.0.1:{free_port()}"], "ps": [f"127.0.0.1:{free_port()}"]})
    for job in ("worker", "ps"):  # an in-process cluster
        tf.distribute.Server(cluster, job_name=job, task_index=0, protocol="grpc", start=True)
    resolver = tf.distribute.cluster_resolver.SimpleClusterResolver(cluster, rpc_layer="grpc")
    strategy = tf.distribute.experimental.ParameterServerStrategy(resolver)
    with strategy.scope():
        inputs = tf.keras.Input((3,))
        h = tf.keras.layers.Dense(4)(inputs)
        model = tf.keras.Model(inputs, {"out": tf.keras.layers.Dense(1)(h), "aux": tf.keras.layers.Dense(1)(h)})
        model.compile(optimizer="sgd", loss={"out": "mse"})
    model.fit(np.ones((8, 3), "float32"), {"out": np.ones((8, 1), "float32")}, steps_per_epoch=2, verbose=0)
    """
)


def test_fit_under_a_strategy_gradviz_cannot_follow_is_named_in_one_sentence(tmp_path) -> None:
    script = tmp_path / "train.py"
    script.write_text(UNFOLLOWED_FIT)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.run(
        [sys.executable, "-m", "gradviz", "run", str(script)], capture_output=True, text=True, env=env, timeout=300
    )
    said = [x for x in (proc.stdout + proc.stderr).splitlines() if x.startswith("gradviz")]
    # Keras 3's fit does not run under ParameterServerStrategy, with or without gradviz: its own error,
    # after gradviz's one sentence, which names the strategy instead of "made no tape.gradient call"
    assert proc.returncode == 1 and "ClusterCoordinator.create_per_worker_dataset" in proc.stderr, proc.stderr[-3000:]
    assert said == [
        "gradviz saw no tape.gradient call in train.py, but it could not hook the replicas of "
        "ParameterServerStrategy (gradviz follows MirroredStrategy, MultiWorkerMirroredStrategy, "
        "CentralStorageStrategy and OneDeviceStrategy), so what its strategy.run does on other devices or "
        "workers may be missed."
    ]
