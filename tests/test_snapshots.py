"""Golden snapshots of the JSON document for a few small programs.

A change to what gradviz captures or how it builds the graph shows up here as a readable diff.
Regenerate deliberately (for instance after a TensorFlow upgrade) with
``pytest tests/test_snapshots.py --overwrite-snapshots`` and review the diff before committing.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import textwrap
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
}


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
    out["meta"] = {k: v for k, v in out["meta"].items() if k in ("ops_kept", "ops_dropped", "error")}
    out["source_lines"] = {pathlib.Path(k).name: v for k, v in out["source_lines"].items()}
    return out


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_document_matches_snapshot(name: str, tmp_path: pathlib.Path, request: Any) -> None:
    # A fresh process with a fixed hash seed: TensorFlow's ids and Keras' set orders repeat exactly.
    script = tmp_path / f"{name}.py"
    script.write_text(textwrap.dedent(PROGRAMS[name]).lstrip())
    out = tmp_path / "doc.json"
    env = dict(os.environ, PYTHONHASHSEED="0", TF_CPP_MIN_LOG_LEVEL="3")
    subprocess.run([sys.executable, "-m", "gradviz", "run", str(script), "--json", str(out)], env=env, check=True, capture_output=True, timeout=300)
    doc = canonical(json.loads(out.read_text()))
    path = SNAPSHOTS / f"{name}.json"
    if request.config.getoption("--overwrite-snapshots") or not path.exists():
        path.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
        if not request.config.getoption("--overwrite-snapshots"):
            pytest.fail(f"no snapshot yet: wrote {path.name}; review it and commit it")
    assert doc == json.loads(path.read_text()), f"document differs from {path.name}; if intended, rerun with --overwrite-snapshots"
