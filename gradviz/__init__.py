"""gradviz: why did ``tf.GradientTape.gradient`` return None? Capture, explain, and show it.

Stages (one module each): :mod:`gradviz.capture` -> :mod:`gradviz.graph` -> :mod:`gradviz.diagnose`
-> :mod:`gradviz.widget` | :mod:`gradviz.report`. Entry points: the ``%%gradtape`` cell magic
(``%load_ext gradviz``) and the ``gradviz`` command.
"""

from __future__ import annotations

from typing import Any

from ._version import __version__

__all__ = [
    "Capture",
    "Diagnosis",
    "GradvizError",
    "GraphWidget",
    "__version__",
    "build_graph",
    "capture",
    "diagnose",
    "load_ipython_extension",
    "report_html",
    "save_report",
]

_LAZY = {
    "build_graph": "graph",
    "GraphWidget": "widget",
    "report_html": "report",
    "save_report": "report",
}

# The functions share their modules' names; binding them here keeps `gradviz.capture` the function
# (neither module imports TensorFlow or IPython at import time).
from .capture import Capture, capture  # noqa: E402
from .diagnose import Diagnosis, diagnose  # noqa: E402
from .errors import GradvizError  # noqa: E402


def __getattr__(name: str) -> Any:
    # Lazy, so `import gradviz` needs neither TensorFlow nor a running Jupyter.
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'gradviz' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f".{module}", __name__), name)


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext gradviz``: registers the ``%%gradtape`` cell magic."""
    from .magic import register

    register(ipython)
