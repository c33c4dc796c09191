"""Exceptions gradviz raises: one root, :class:`GradvizError`, with a few specific subclasses."""

from __future__ import annotations


class GradvizError(Exception):
    """Root of every error gradviz raises on purpose."""


class BundleMissingError(GradvizError):
    """The built front end (``gradviz/static/*.js``) is not there: run ``npm run build`` in ``js/``."""


class CaptureError(GradvizError):
    """Capturing could not start or stop cleanly."""


class TensorFlowMissingError(CaptureError, ImportError):
    """No TensorFlow can be imported, so there is nothing to capture.

    gradviz does not depend on TensorFlow itself (a user of ``tensorflow-cpu``, ``tf-nightly`` or
    ``tensorflow-macos`` must not get a second TensorFlow): ``pip install "gradviz[tf]"`` adds one.
    """


class OptionError(GradvizError, ValueError):
    """An unknown or malformed option; the message names the likely fix."""
