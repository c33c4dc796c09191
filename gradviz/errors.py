"""Exceptions gradviz raises: one root, :class:`GradvizError`, with a few specific subclasses."""

from __future__ import annotations


class GradvizError(Exception):
    """Root of every error gradviz raises on purpose."""


class BundleMissingError(GradvizError):
    """The built front end (``gradviz/static/*.js``) is not there: run ``npm run build`` in ``js/``."""


class CaptureError(GradvizError):
    """Capturing could not start or stop cleanly."""


class OptionError(GradvizError, ValueError):
    """An unknown or malformed option; the message names the likely fix."""
