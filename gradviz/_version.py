"""gradviz's version: one place, read by the package, the build (hatch) and every document's meta."""

__version__ = "0.1.0"
