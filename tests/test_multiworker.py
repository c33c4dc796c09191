"""MultiWorkerMirroredStrategy: each worker under its own ``gradviz run``, its document named by its
task, and the chief's text, document and report saying which workers made which calls.

The first test starts two worker processes on 127.0.0.1 (gRPC, ``TF_CONFIG``) and stops them itself,
bounded in time; the others exercise the chief's gathering without TensorFlow.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from gradviz import workers

TIMEOUT_S = 150  # both workers together; they take about 25 s on a 2-core machine

WORKER = textwrap.dedent(
    """
    import atexit, json
    import numpy as np
    import tensorflow as tf

    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    with strategy.scope():
        body = tf.keras.layers.Dense(4, kernel_initializer="ones", name="body")
        head = tf.keras.layers.Dense(1, kernel_initializer="ones", name="head")
        aux = tf.keras.layers.Dense(1, kernel_initializer="ones", name="aux_head")
        body.build((None, 3)), head.build((None, 4)), aux.build((None, 4))
    x = tf.constant(np.arange(24, dtype="float32").reshape(8, 3) / 10)
    y = tf.ones((8, 1))
    variables = body.trainable_variables + head.trainable_variables + aux.trainable_variables

    @tf.function
    def step():
        def replica():
            with tf.GradientTape() as tape:
                h = body(x)
                out, aux_out = head(h), aux(h)
                loss = tf.reduce_mean((out - y) ** 2)  # LOSS
            grads = tape.gradient(loss, variables)  # GRADIENT
            ctx = tf.distribute.get_replica_context()
            return ctx.all_reduce("sum", loss), [ctx.all_reduce("sum", g) for g in grads if g is not None]

        return strategy.run(replica)

    def values():
        loss, grads = step()
        return [loss.numpy().tolist()] + [g.numpy().tolist() for g in grads]

    captured = values()

    def after_gradviz():  # atexit: `gradviz run` has returned and taken its hooks out
        from tensorflow.python.eager import backprop, context

        in_replica = []
        strategy.run(lambda: in_replica.append(len(context.context()._thread_local_data.op_callbacks)))
        patched = [n for n, v in vars(backprop.GradientTape).items() if "gradviz" in str(getattr(v, "__module__", ""))]
        after = {"same": values() == captured, "callbacks": len(context.context().op_callbacks),
                 "replica_callbacks": in_replica, "patched": patched}
        print("AFTER" + json.dumps(after), flush=True)

    atexit.register(after_gradviz)
    """
)


def _line(marker: str) -> int:
    return next(i for i, text in enumerate(WORKER.splitlines(), 1) if text.endswith(f"# {marker}"))


def _free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def test_two_workers_write_their_documents_and_the_chief_names_both(tmp_path: Path) -> None:
    pytest.importorskip("tensorflow")
    script = tmp_path / "train.py"
    script.write_text(WORKER)
    cluster = {"worker": [f"127.0.0.1:{p}" for p in _free_ports(2)]}
    procs, logs = [], []
    try:
        for i in range(2):
            env = {
                **os.environ,
                "TF_CPP_MIN_LOG_LEVEL": "3",
                "TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": "worker", "index": i}}),
                "GRADVIZ_WORKER_WAIT": "60",
            }
            command = [sys.executable, "-m", "gradviz", "run", "--json", "out.json", "--report", "r.html", "train.py"]
            log = (tmp_path / f"worker-{i}.out").open("w")
            logs.append(log)
            procs.append(subprocess.Popen(command, cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT))
        deadline = time.monotonic() + TIMEOUT_S
        codes = [p.wait(timeout=max(1.0, deadline - time.monotonic())) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        for log in logs:
            log.close()
    outputs = [(tmp_path / f"worker-{i}.out").read_text() for i in range(2)]
    assert codes == [0, 0], "\n\n".join(o[-3000:] for o in outputs)

    # each worker's own document, named by its task: the unused head at the loss line
    for i in range(2):
        doc = json.loads((tmp_path / f"out.worker-{i}.json").read_text())
        assert doc["meta"]["task"] == f"worker-{i}"
        (call,) = doc["gradient_calls"]
        assert call["line"] == _line("GRADIENT")
        missing = [s for s in call["sources"] if s["status"] != "ok"]
        assert len(missing) == 2 and len(call["sources"]) == 6
        assert {(s["cause"], s["culprit_line"]) for s in missing} == {("unused_variable", _line("LOSS"))}
        assert (tmp_path / f"r.worker-{i}.html").is_file()

    # the chief (worker-0: the cluster has no chief task) says which workers made which calls
    said = f"tape.gradient at train.py:{_line('GRADIENT')}: 2 None (unused_variable)"
    assert f"worker-0: {said}" in outputs[0] and f"worker-1: {said}" in outputs[0], outputs[0][-3000:]
    assert "Workers (2 tasks" not in outputs[1]
    chief = json.loads((tmp_path / "out.json").read_text())
    assert chief["meta"]["task"] == "worker-0"
    assert [(w["task"], len(w["calls"]), w["note"]) for w in chief["meta"]["workers"]] == [
        ("worker-0", 1, None),
        ("worker-1", 1, None),
    ]
    report = (tmp_path / "r.html").read_text()
    assert f"worker-1: {said}" in report

    # transparency: the same loss and gradients once gradviz is gone, and no hook left in any thread
    for output in outputs:
        after = json.loads(next(x for x in output.splitlines() if x.startswith("AFTER"))[len("AFTER") :])
        assert after == {"same": True, "callbacks": 0, "replica_callbacks": [0], "patched": []}


def _config(cluster: dict, kind: str, index: int) -> dict[str, str]:
    return {"TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": kind, "index": index}})}


def _document(task: str, line: int) -> dict:
    sources = [{"status": "ok", "cause": None}, {"status": "none", "cause": "unused_variable"}]
    call = {"file": "/w/train.py", "line": line, "code": "g = tape.gradient(loss, v)", "count": 3, "replicas": 1}
    return {"meta": {"task": task}, "gradient_calls": [{**call, "sources": sources}]}


def test_the_chief_names_a_missing_worker_in_one_sentence_and_waits_no_longer(tmp_path: Path) -> None:
    cluster = {"chief": ["a:1"], "worker": ["b:1", "c:1"]}
    me = workers.task_from_env(_config(cluster, "chief", 0))
    assert me is not None and me.is_chief and me.tasks == ["chief-0", "worker-0", "worker-1"]
    out = str(tmp_path / "out.json")
    started = time.time()
    workers.write_document(_document("worker-0", 7), workers.document_path(out, me, "worker-0"))
    stale = workers.write_document(_document("worker-1", 7), workers.document_path(out, me, "worker-1"))
    os.utime(stale, (started - 3600, started - 3600))  # an earlier run's: not this run's worker-1
    t0 = time.monotonic()
    summary = workers.gather(_document("chief-0", 9), me, out, since=started - 1, wait_s=0.5)
    assert time.monotonic() - t0 < 5
    assert [(w["task"], [c["line"] for c in w["calls"]]) for w in summary] == [
        ("chief-0", [9]),
        ("worker-0", [7]),
        ("worker-1", []),
    ]
    lines = workers.summary_lines({"meta": {"task": "chief-0", "workers": summary}})
    assert lines[1:3] == [
        "  chief-0: tape.gradient at train.py:9 (ran 3 times): 1 None (unused_variable)",
        "  worker-0: tape.gradient at train.py:7 (ran 3 times): 1 None (unused_variable)",
    ]
    assert lines[3].startswith("  worker-1: worker-1's document did not arrive within 0.5 s (expected at ")
    assert lines[3].count(". ") == 0 and len(lines) == 4  # one sentence


def test_the_task_comes_from_tf_config_as_tensorflow_reads_it() -> None:
    two = {"worker": ["a:1", "b:1"]}
    assert workers.task_from_env({}) is None
    assert workers.task_from_env({"TF_CONFIG": "not json"}) is None
    assert workers.task_from_env(_config({"worker": ["a:1"]}, "worker", 0)) is None  # one task: a plain run
    assert workers.task_from_env(_config({**two, "ps": ["c:1"]}, "worker", 0)) is None  # parameter servers
    first, second = (workers.task_from_env(_config(two, "worker", i)) for i in (0, 1))
    assert first is not None and first.is_chief and first.name == "worker-0"
    assert second is not None and not second.is_chief and second.chief == "worker-0"
    assert workers.task_path("runs/out.json", "worker-1") == Path("runs/out.worker-1.json")
