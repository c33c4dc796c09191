"""The user's code: which files are theirs, and the user's stack at an event.

A stack is found by what its frames are, not by how deep gradviz sits: walk out from wherever the
event is seen and keep the frames whose file is not library code (the standard library, installed
packages, TensorFlow's generated code, gradviz itself). AutoGraph's generated files map back to the
user's lines through the source maps recorded when it converts a function.
"""

from __future__ import annotations

import contextlib
import os
import sys
import sysconfig
import threading
from typing import Any

from .. import trace as T

_GRADVIZ_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_EXAMPLES_DIR = os.path.join(_GRADVIZ_DIR, "examples")


def _library_dirs() -> tuple[str, ...]:
    """Where the standard library and installed packages live (not the user's own code)."""
    dirs = {os.path.dirname(os.__file__)}
    for scheme_vars in ({}, {"base": sys.base_prefix, "platbase": sys.base_exec_prefix}):
        paths = sysconfig.get_paths(vars=scheme_vars or None)
        dirs.update(paths[k] for k in ("stdlib", "platstdlib", "purelib", "platlib") if k in paths)
    return tuple(sorted(os.path.abspath(d) for d in dirs))


_LIBRARY_DIRS = _library_dirs()
_CLASSIFIED: dict[str, bool] = {}  # file name -> is_library_file(file name), for every capture


def is_library_file(filename: str) -> bool:
    if filename.startswith("<") and not filename.startswith("<ipython-input"):
        return True  # <frozen ...>, <string>, exec'd library code
    if "__autograph_generated_file" in filename:
        return True  # unless its source map is known (then `Frames.autograph_converted` says otherwise)
    path = os.path.abspath(filename)
    if path.startswith(_GRADVIZ_DIR):
        return not path.startswith(_EXAMPLES_DIR)
    if "site-packages" in path or "dist-packages" in path:
        return True
    return any(path.startswith(d + os.sep) for d in _LIBRARY_DIRS)


class Frames:
    """Interns user stacks into ``trace.frames`` and classifies files once per file name."""

    def __init__(self, trace: T.Trace) -> None:
        self.trace = trace
        self.outermost: Any = None  # the frame running `with capture():`; its callers are not the program
        # file names classified (is_library_file, shared by every capture in _CLASSIFIED) as this
        # capture sees them: AutoGraph's generated files are the user's once their line map is known
        self._library_files: set[str] = set()
        self._user_files: set[str] = set()
        self._index: dict[T.Frame, int] = {}
        self._autograph: dict[tuple[str, int], tuple[str, int]] = {}
        self._autograph_files: set[str] = set()
        # the user's stack at the strategy.run now running: a replica thread's own stack ends in
        # threading's bootstrap, and continues, for the user, where strategy.run was called
        self.parent_stack: T.Frame = ()
        self._thread = threading.get_ident()

    def is_library(self, filename: str) -> bool:
        if filename in self._library_files:
            return True
        if filename in self._user_files:
            return False
        lib = _CLASSIFIED.get(filename)
        if lib is None:
            lib = _CLASSIFIED[filename] = is_library_file(filename)
        (self._library_files if lib else self._user_files).add(filename)
        return lib

    def stack_here(self) -> T.Frame:
        """The user's stack right now, not interned (for events outside the captured thread)."""
        stack: list[tuple[str, int]] = []
        f: Any = sys._getframe(1)
        while f is not None and len(stack) < 8:
            if not self.is_library(f.f_code.co_filename):
                stack.append((f.f_code.co_filename, f.f_lineno))
            f = f.f_back
        return tuple(stack)

    def here(self, depth: int = 1) -> int:
        """Index of the user's stack at this moment (innermost first), from the frame ``depth``
        levels out (the op callback starts at the op's caller: ``sys._getframe`` steps over
        gradviz's own frames in C, without making a frame object for each).

        Runs for every op. Files are looked up by name in sets: a str caches its hash, while a
        code object recomputes its hash from its contents on every lookup.
        """
        f: Any = sys._getframe(depth)
        stop = self.outermost
        library, user = self._library_files, self._user_files
        stack: list[tuple[str, int]] = []
        while f is not None:
            fn = f.f_code.co_filename
            if fn not in library and (fn in user or not self.is_library(fn)):
                loc: tuple[str, int] | None = (fn, f.f_lineno)
                if fn in self._autograph_files:
                    loc = self._autograph.get(loc)  # type: ignore[arg-type]
                if loc is not None and (not stack or stack[-1] != loc):
                    stack.append(loc)
            if f is stop:
                break
            f = f.f_back
        if f is None and self.parent_stack and threading.get_ident() != self._thread:
            stack.extend(loc for loc in self.parent_stack if not stack or loc != stack[-1])
        return self.intern(tuple(stack))

    def intern(self, key: T.Frame) -> int:
        """The index of a user stack in ``trace.frames``, stored once however often it recurs."""
        index = self._index.get(key)
        if index is None:
            index = self._index[key] = len(self.trace.frames)
            self.trace.frames.append(key)
        return index

    def from_traceback(self, traceback: Any) -> int:
        """A user stack from a graph op's trace-time stack (outermost first, as TF stores it)."""
        stack: list[tuple[str, int]] = []
        for f in reversed(traceback):
            loc: tuple[str, int] | None = (f.filename, f.lineno)
            if f.filename in self._autograph_files:
                loc = self._autograph.get(loc)  # type: ignore[arg-type]
            elif self.is_library(f.filename):
                continue
            if loc is not None and (not stack or stack[-1] != loc):
                stack.append(loc)
        return self.intern(tuple(stack))

    def user_callers(self) -> Any:
        """Python frame objects of the user's code on the current stack, innermost first."""
        f: Any = sys._getframe(1)
        while f is not None:
            if not self.is_library(f.f_code.co_filename):
                yield f
            if f is self.outermost:
                return
            f = f.f_back

    def autograph_converted(self, converted: Any) -> None:
        """AutoGraph generated code for a user function: remember how its lines map back."""
        source_map = getattr(converted, "ag_source_map", None) or {}
        for loc, origin in source_map.items():
            if self.is_library(origin.loc.filename):
                continue  # TensorFlow converting its own code (pfor inside tape.jacobian, ...)
            self._autograph[(loc.filename, loc.lineno)] = (origin.loc.filename, origin.loc.lineno)
            self._autograph_files.add(loc.filename)
            self._library_files.discard(loc.filename)  # generated code: shown as the user's lines it maps to
            self._user_files.add(loc.filename)


def _package_dir(name: str) -> str | None:
    module = sys.modules.get(name)
    file = getattr(module, "__file__", None)
    return os.path.dirname(os.path.abspath(file)) + os.sep if file else None


_abspath: dict[str, str] = {}  # file name -> its absolute path (called_from_tensorflow runs at every tape event)
_tensorflow_dirs: tuple[str, str] | None = None


def _path(filename: str) -> str:
    path = _abspath.get(filename)
    if path is None:
        path = _abspath[filename] = os.path.abspath(filename)
    return path


def called_from_tensorflow() -> bool:
    """Whether the code calling into gradviz's hook is TensorFlow's own (a py_function's backward
    pass opening a tape), not Keras' or the user's (AutoGraph's call forwarding does not count)."""
    global _tensorflow_dirs
    if _tensorflow_dirs is None:
        tf_dir = _package_dir("tensorflow")
        if tf_dir is None:
            return False
        _tensorflow_dirs = (tf_dir, os.path.join(tf_dir, "python", "autograph"))
    tf_dir, autograph = _tensorflow_dirs
    f: Any = sys._getframe(1)
    while f is not None:
        path = _path(f.f_code.co_filename)
        if not (path.startswith((_GRADVIZ_DIR, autograph)) or path == contextlib.__file__):
            break
        f = f.f_back
    return f is not None and _path(f.f_code.co_filename).startswith(tf_dir)


def with_statement_frame(skip: tuple[str, ...]) -> Any:
    """The frame running the `with capture():` statement: the first one outside ``skip`` files."""
    f: Any = sys._getframe(1)
    while f is not None and f.f_code.co_filename in skip:
        f = f.f_back
    return f
