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
    # A functional ResNet-style model whose auxiliary head the loss leaves out: variables named by
    # their layer only ("aux_head/kernel") while their ops run in "functional/aux_head".
    "resnet_unused_head": """
        import keras
        import numpy as np
        import tensorflow as tf
        from keras import layers
        keras.utils.set_random_seed(0)

        def block(x, name):
            y = layers.Conv2D(4, 3, padding="same", name=f"{name}_conv")(x)
            y = layers.BatchNormalization(name=f"{name}_bn")(y)
            return layers.ReLU(name=f"{name}_out")(layers.Add(name=f"{name}_add")([x, y]))

        inputs = keras.Input((6, 6, 3))
        x = layers.Conv2D(4, 3, padding="same", name="stem")(inputs)
        x = block(block(x, "block1"), "block2")
        features = layers.GlobalAveragePooling2D(name="pool")(x)
        model = keras.Model(inputs, [layers.Dense(3, name="head")(features), layers.Dense(3, name="aux_head")(features)])
        loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        images = np.random.default_rng(0).normal(size=(2, 6, 6, 3)).astype("float32")
        labels = np.array([0, 2])
        with tf.GradientTape() as tape:
            logits, aux_logits = model(images, training=True)
            loss = loss_fn(labels, logits)
        grads = tape.gradient(loss, model.trainable_variables)
    """,
    # A GAN step whose losses are computed after the tapes closed: every variable of both models is
    # cut at the loss line, and the cut runs into a Keras loss function's internals.
    "gan_loss_after_tape": """
        import keras
        import numpy as np
        import tensorflow as tf
        from keras import layers
        keras.utils.set_random_seed(0)
        generator = keras.Sequential([layers.Dense(8, activation="relu", name="g1"), layers.Dense(4, name="g2")], name="generator")
        discriminator = keras.Sequential([layers.Dense(8, activation="relu", name="d1"), layers.Dense(1, name="d2")], name="discriminator")
        bce = keras.losses.BinaryCrossentropy(from_logits=True)
        rng = np.random.default_rng(0)
        noise = rng.normal(size=(2, 3)).astype("float32")
        real = rng.normal(size=(2, 4)).astype("float32")
        generator(noise), discriminator(real)
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake = generator(noise, training=True)
            real_out = discriminator(real, training=True)
            fake_out = discriminator(fake, training=True)
        g_loss = bce(tf.ones_like(fake_out), fake_out)
        d_loss = bce(tf.ones_like(real_out), real_out) + bce(tf.zeros_like(fake_out), fake_out)
        g_grads = g_tape.gradient(g_loss, generator.trainable_variables)
        d_grads = d_tape.gradient(d_loss, discriminator.trainable_variables)
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
