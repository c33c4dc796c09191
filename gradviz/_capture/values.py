"""Plain facts about TensorFlow values: dtype and shape names, variable names, value hashes, and a
gradient's status. Small helpers the other capture modules share."""

from __future__ import annotations

from typing import Any

import numpy as np

MAX_HASH_ELEMENTS = 1 << 16


def value_hash(array: Any) -> int | None:
    """A hash of a value's numbers, independent of float width, so a round trip can be matched.

    Single numbers are not hashed: a logged `float(loss)` would match every constant that happens
    to be equal, and a false round trip is worse than a missed one.
    """
    try:
        a = np.asarray(array)
        if not 2 <= a.size <= MAX_HASH_ELEMENTS or a.dtype.kind not in "fiub":
            return None
        return hash(np.ascontiguousarray(a, dtype=np.float64).tobytes())
    except Exception:
        return None


def tensor_hash(t: Any) -> int | None:
    """:func:`value_hash` of an eager tensor, without copying one too large to be hashed."""
    shape = shape_of(t)
    if shape is None or any(d is None for d in shape):
        return None
    size = 1
    for d in shape:
        size *= d
    if not 2 <= size <= MAX_HASH_ELEMENTS:
        return None
    return value_hash(t._numpy())


def shape_of(t: Any) -> tuple[int | None, ...] | None:
    shape_tuple = getattr(t, "_shape_tuple", None)  # eager tensors: straight from C
    if shape_tuple is not None:
        try:
            return shape_tuple()
        except Exception:
            pass
    try:
        dims = t.shape.as_list() if hasattr(t.shape, "as_list") else list(t.shape)
    except Exception:
        return None
    return tuple(dims)


def dtype_of(x: Any) -> str:
    d = getattr(x, "dtype", None)
    if d is None:
        return "unknown"
    return str(getattr(d, "name", d))  # Keras 3 variables give a plain string


class DtypeNames:
    """A tensor's dtype name, cached by TF's dtype enum (the hot path: every op output)."""

    def __init__(self) -> None:
        self._names: dict[int, str] = {}

    def __call__(self, t: Any) -> str:
        try:
            enum = t._datatype_enum()
        except Exception:
            return t.dtype.name
        name = self._names.get(enum)
        if name is None:
            name = self._names[enum] = t.dtype.name
        return name


def variable_name(v: Any) -> str:
    path = getattr(v, "path", None)
    if isinstance(path, str) and path:
        return path
    name = getattr(v, "name", "") or ""
    return name[:-2] if name.endswith(":0") else name


def is_variable(x: Any) -> bool:
    return hasattr(x, "handle") and hasattr(x, "trainable")


def is_symbolic(g: Any) -> bool:
    """A gradient TensorFlow gave as a graph tensor (inside a tf.function): its values are unseen."""
    return g is not None and getattr(getattr(g, "values", g), "_numpy", None) is None


def gradient_status(g: Any) -> str:
    """``none``, ``zero`` or ``ok`` for one result of ``tape.gradient``."""
    if g is None:
        return "none"
    values = getattr(g, "values", g)  # IndexedSlices
    numpy = getattr(values, "_numpy", None)
    if numpy is None:
        return "ok"  # symbolic (inside a tf.function): connected, value unknown
    try:
        a = numpy()
        if a.size and a.flat[0]:
            return "ok"  # most gradients: the first number already says so, without reading them all
        return "ok" if np.any(a) else "zero"
    except Exception:
        return "ok"
