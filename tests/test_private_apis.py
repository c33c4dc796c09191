"""The private TensorFlow and Keras names the capture hooks rely on: one table, its page, and the
installed TensorFlow agree (``gradviz/_capture/private_apis.py``, ``docs/private-tf-apis.md``).

The last test imports TensorFlow and resolves every name; ``scripts/test.sh`` also runs it on the
oldest supported TensorFlow.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import re
from pathlib import Path
from typing import Any

import pytest

from gradviz._capture.private_apis import CHECKED_ON, HOOKS, TENSORFLOW_RANGE

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "private-tf-apis.md"
CAPTURE_CODE = [ROOT / "gradviz" / "capture.py", *sorted((ROOT / "gradviz" / "_capture").glob("*.py"))]
APIS = sorted({api for hook in HOOKS for api in hook.apis})
_NAME = re.compile(r"`((?:tensorflow|keras|tf_keras)\.[\w.#]+)`")


def test_the_page_lists_exactly_the_table() -> None:
    text = DOC.read_text()
    listed = set(_NAME.findall(text))
    assert listed >= set(APIS), f"missing from {DOC.name}: {sorted(set(APIS) - listed)}"
    unknown = {n for n in listed - set(APIS) if "#" in n or n.count(".") > 2}
    assert not unknown, f"{DOC.name} lists names the table does not: {sorted(unknown)}"
    for hook in HOOKS:
        assert f"## {hook.what}\n" in text and f"`Capture._install_{hook.name}`" in text, hook.name
    for version in CHECKED_ON:
        assert version in text, f"{DOC.name} does not say it was checked on TensorFlow {version}"


def test_the_table_is_what_capture_installs() -> None:
    capture_module = importlib.import_module("gradviz.capture")  # `gradviz.capture` is the function

    names = [h.name for h in HOOKS]
    assert len(set(names)) == len(names), names
    for hook in HOOKS:
        assert callable(getattr(capture_module.Capture, f"_install_{hook.name}", None)), hook.name
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert f'tf = ["tensorflow{TENSORFLOW_RANGE}"]' in pyproject


def _private_imports(path: Path) -> set[str]:
    """``from tensorflow.python.x import y`` -> ``tensorflow.python.x.y``; ``import tensorflow.python.x``."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tensorflow.python"):
            found |= {f"{node.module}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("tensorflow.python")}
    return found


def test_every_private_import_of_the_capture_code_is_in_the_table() -> None:
    imports = set().union(*(_private_imports(p) for p in CAPTURE_CODE))
    assert len(imports) > 10, "suspiciously few private imports found: is the parser still right?"
    unlisted = sorted(m for m in imports if not any(api == m or api.startswith(m + ".") for api in APIS))
    assert not unlisted, f"private TensorFlow modules used but not in _capture/private_apis.py: {unlisted}"


def _resolve(path: str) -> Any:
    parts = path.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for name in parts[i:]:
            obj = getattr(obj, name)
        return obj
    raise ImportError(f"no module in {path}")


def _is_installed(package: str) -> bool:
    return importlib.util.find_spec(package) is not None


def _instances() -> dict[str, Any]:
    tf = pytest.importorskip("tensorflow")
    import keras

    inputs = keras.Input((2,))
    legacy: dict[str, Any] = {}
    if _is_installed("tf_keras"):  # Keras 2: optional, hooked only under TF_USE_LEGACY_KERAS
        import tf_keras

        legacy_inputs = tf_keras.Input((2,))
        legacy["tf_keras.Model"] = tf_keras.Model(legacy_inputs, {"out": tf_keras.layers.Dense(1)(legacy_inputs)})
    return {
        **legacy,
        "tensorflow.python.framework.ops.EagerTensor": tf.constant(1.0),
        "tensorflow.python.eager.backprop.GradientTape": tf.GradientTape(),
        "tensorflow.python.framework.func_graph.FuncGraph": tf.function(lambda x: x * 2)
        .get_concrete_function(tf.TensorSpec([]))
        .graph,
        "keras.Model": keras.Model(inputs, {"out": keras.layers.Dense(1)(inputs)}),
    }


def test_every_name_exists_in_the_installed_tensorflow() -> None:
    instances = _instances()
    missing = []
    for api in APIS:
        if api.startswith("tf_keras.") and not _is_installed("tf_keras"):
            continue
        try:
            if "#" in api:
                cls, attr = api.split("#")
                instance = instances[cls]
                assert isinstance(instance, _resolve(cls))
                getattr(instance, attr)
            else:
                _resolve(api)
        except Exception as e:
            missing.append(f"{api} ({type(e).__name__}: {e})")
    assert not missing, "private names moved in this TensorFlow:\n  " + "\n  ".join(missing)
