"""Golden snapshots of the JSON document for a few small programs.

A change to what gradviz captures or how it builds the graph shows up here as a readable diff.
Regenerate deliberately (for instance after a TensorFlow upgrade) with
``pytest tests/test_snapshots.py --overwrite-snapshots`` and review the diff before committing.

The snapshots are also the front end's test documents (``js/test/documents.ts``): the JavaScript
is tested on what ``gradviz run --json`` really writes. Each document must keep the contract of
``gradviz/schema.py`` (``tests/test_contract.py`` checks the snapshots too).
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from typing import Any

import pytest

SNAPSHOTS = pathlib.Path(__file__).parent / "snapshots"

PROGRAMS = {
    "outside_tape": """
        import tensorflow as tf
        x = tf.Variable(1.0, name="x")
        with tf.GradientTape() as tape:
            y = x * x
        z = y * 2
        grad = tape.gradient(z, x)
    """,
    "keras_mlp_unused_head": """
        import keras
        import numpy as np
        import tensorflow as tf
        keras.utils.set_random_seed(0)
        inputs = keras.Input((3,))
        hidden = keras.layers.Dense(4, activation="relu", name="hidden")(inputs)
        model = keras.Model(inputs, [keras.layers.Dense(1, name="main")(hidden), keras.layers.Dense(1, name="aux")(hidden)])
        x = np.random.default_rng(0).normal(size=(2, 3)).astype("float32")
        with tf.GradientTape() as tape:
            main, aux = model(x)
            loss = tf.reduce_mean(main ** 2)
        grads = tape.gradient(loss, model.trainable_variables)
    """,
    # Nested layer scopes, a metric in its own scope, a layer built but never called, and two
    # gradient calls on one persistent tape: the loss (two None) and an accuracy through argmax.
    "keras_grouped": """
        import keras
        import numpy as np
        import tensorflow as tf
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="relu"), keras.layers.Dense(2)])
        extra = keras.layers.Dense(1)
        extra.build((None, 2))
        variables = model.trainable_variables + extra.trainable_variables
        x = np.random.default_rng(0).normal(size=(4, 3)).astype("float32")
        y = np.zeros((4, 2), "float32")
        labels = tf.constant([0, 1, 0, 1], tf.int64)
        with tf.GradientTape(persistent=True) as tape:
            pred = model(x)
            loss = keras.losses.MeanSquaredError()(y, pred)
            with tf.name_scope("metrics"):
                acc = tf.reduce_mean(tf.cast(tf.argmax(pred, axis=1) == labels, tf.float32))
        grads = tape.gradient(loss, variables)
        acc_grad = tape.gradient(acc, variables[0])
    """,
    # Run with --all (FLAGS): the whole graph, with the ops tape.gradient itself ran (backward).
    "persistent_tape_all": """
        import tensorflow as tf
        x = tf.Variable(3.0, name="x")
        with tf.GradientTape(persistent=True) as tape:
            y = x * x
            z = tf.stop_gradient(y) + x
        dy = tape.gradient(y, x)
        dz = tape.gradient(z, x)
    """,
    # What a document says when there is nothing to explain (the front end's empty view agrees).
    "no_gradient_call": """
        import tensorflow as tf
        x = tf.Variable(2.0, name="x")
        y = x * 3.0
    """,
}
FLAGS = {"persistent_tape_all": ["--all"]}


def canonical(doc: dict[str, Any]) -> dict[str, Any]:
    """The document without what varies between runs: ids renumbered, times, versions, temp paths."""
    text = json.dumps(doc)
    ids: dict[str, str] = {}
    for node in doc["graph"]["nodes"]:
        kind = node["id"].split(":")[0]
        ids[node["id"]] = f"{kind}:{sum(v.startswith(kind + ':') for v in ids.values())}"

    def fix(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: fix(v) for k, v in value.items()}
        if isinstance(value, list):
            return [fix(v) for v in value]
        if isinstance(value, str):
            if value in ids:
                return ids[value]
            if os.sep in value and value.endswith(".py"):
                return pathlib.Path(value).name
        return value

    out = fix(json.loads(text))
    kept = ("ops_kept", "ops_dropped", "error", "internal_errors", "capture_gaps")
    out["meta"] = {k: v for k, v in out["meta"].items() if k in kept}
    out["source_lines"] = {pathlib.Path(k).name: v for k, v in out["source_lines"].items()}
    return out


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, tuple[subprocess.Popen[bytes], pathlib.Path]]]:
    """``gradviz run --json`` on every program, all started at once (each spends most of its time importing TF)."""
    tmp = tmp_path_factory.mktemp("snapshots")
    # Fresh processes with a fixed hash seed: TensorFlow's ids and Keras' set orders repeat exactly.
    env = dict(os.environ, PYTHONHASHSEED="0", TF_CPP_MIN_LOG_LEVEL="3")
    started = {}
    for name, source in PROGRAMS.items():
        script = tmp / f"{name}.py"
        script.write_text(textwrap.dedent(source).lstrip())
        out = tmp / f"{name}.json"
        command = [sys.executable, "-m", "gradviz", "run", str(script), "--json", str(out), *FLAGS.get(name, [])]
        with open(tmp / f"{name}.log", "wb") as log:
            started[name] = (subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT), out)
    try:
        yield started
    finally:
        for process, _ in started.values():
            if process.poll() is None:
                process.kill()
                process.wait()


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_document_matches_snapshot(name: str, runs: dict[str, Any], documents: Any, request: Any) -> None:
    process, out = runs[name]
    try:
        process.wait(timeout=300)
    except subprocess.TimeoutExpired:
        pytest.fail(f"gradviz run on {name} took more than 300 s")
    log = out.with_suffix(".log").read_text(errors="replace")
    assert process.returncode == 0, f"gradviz run on {name} failed ({process.returncode}):\n{log[-3000:]}"
    produced = json.loads(out.read_text())
    assert documents.contract_problems(produced) == [], "the document breaks the contract of gradviz/schema.py"
    doc = canonical(produced)
    path = SNAPSHOTS / f"{name}.json"
    if request.config.getoption("--overwrite-snapshots") or not path.exists():
        path.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
        if not request.config.getoption("--overwrite-snapshots"):
            pytest.fail(f"no snapshot yet: wrote {path.name}; review it and commit it")
    assert doc == json.loads(path.read_text()), (
        f"document differs from {path.name}; if intended, rerun with --overwrite-snapshots"
    )
