"""The public API: small, sorted, and importable without TensorFlow or a running Jupyter."""

from __future__ import annotations

import subprocess
import sys

import gradviz


def test_all_is_sorted_and_complete() -> None:
    assert gradviz.__all__ == sorted(gradviz.__all__)
    for name in gradviz.__all__:
        assert getattr(gradviz, name) is not None, name
    assert callable(gradviz.capture) and callable(gradviz.diagnose)


def test_import_needs_neither_tensorflow_nor_ipython() -> None:
    code = "import sys, gradviz; print('tensorflow' in sys.modules, 'IPython' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_errors_share_one_root() -> None:
    from gradviz import errors

    roots = [c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, Exception)]
    assert all(issubclass(c, gradviz.GradvizError) for c in roots)


def test_unknown_option_names_the_bad_keyword() -> None:
    try:
        gradviz.capture(max_op=10)  # type: ignore[call-arg]
    except TypeError as e:
        assert "max_op" in str(e)
    else:  # pragma: no cover
        raise AssertionError("an unknown option was accepted")
