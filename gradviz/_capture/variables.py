"""Variables: where each was made (the user's line, or the line that created its Keras layer),
reads that fast-path ops do inside C++ (no op callback fires for them), and reads of values that
were written into non-trainable variables."""

from __future__ import annotations

import sys
import weakref
from typing import Any

from .. import trace as T
from .frames import Frames
from .session import Session
from .values import dtype_of, shape_of, tensor_hash, variable_name

_OWNER_SEARCH_DEPTH = 60  # frames to look through for the Keras object that is making a variable


class Variables:
    def __init__(self, session: Session, frames: Frames) -> None:
        self.session = session
        self.trace = session.trace
        self.frames = frames
        self.layers: dict[int, int] = {}  # id(Keras layer) -> frame where the user created it
        self._keras_wrappers: dict[int, Any] = {}  # variable id -> its Keras wrapper (final path at the end)
        self._keras_made: dict[int, int] = {}  # id(Keras variable) -> frame where it was made
        self._assigned: dict[int, int] = {}  # value hash -> non-trainable variable it was written to
        self._watcher: Any = None
        self._pywrap: Any = None
        # the class of what `assign` / `assign_sub` return (a view of a variable that exists, one per
        # weight per optimizer step), set with the creation hook; None if TensorFlow moved it
        self.view_class: type | None = None

    # ---------------------------------------------------------------- identity
    def remember(self, v: Any) -> int:
        """The id of a variable (its handle's tensor id), recording it the first time it is seen."""
        handle = getattr(v, "handle", None)
        vid = handle._id if handle is not None and hasattr(handle, "_id") else id(v)
        known = self.trace.variables.get(vid)
        if known is not None:
            path = getattr(v, "path", None)
            if isinstance(path, str) and path:
                known.name = path
        else:
            self.trace.variables[vid] = T.VariableRecord(
                vid, variable_name(v), dtype_of(v), shape_of(v), bool(getattr(v, "trainable", True))
            )
        return vid

    # ---------------------------------------------------------------- creation
    def created(self, variable: Any) -> None:
        if variable.__class__ is self.view_class:
            return  # a view: the variable was made before (before the capture, maybe), not here
        handle = getattr(variable, "handle", None)
        known = self.trace.variables.get(getattr(handle, "_id", None))  # type: ignore[arg-type]
        if known is not None and known.seq >= 0:
            return  # another view of a variable made in the capture
        vid = self.remember(variable)
        rec = self.trace.variables[vid]
        rec.frame = self.frames.here()
        rec.seq = self.session.seq
        # Keras: the wrapping Variable knows the path ("dense/kernel") and, when it was made
        # before this (a model built inside `fit`), where the user's code made it.
        for f in _outer_frames(_OWNER_SEARCH_DEPTH):
            owner = f.f_locals.get("self")
            if owner is not None and owner is not variable and id(owner) in self._keras_made:
                self._keras_wrappers.setdefault(vid, owner)
                rec.frame = self._keras_made[id(owner)]
                return
        rec.frame = self._weight_frame(rec.frame)

    def keras_variable_made(self, kv: Any) -> None:
        self._keras_made[id(kv)] = self._weight_frame(self.frames.here())
        forget_when_gone(kv, self._keras_made)

    def layer_created(self, layer: Any) -> None:
        if id(layer) not in self.layers:
            self.layers[id(layer)] = self.frames.here()
            forget_when_gone(layer, self.layers)

    def _weight_frame(self, frame: int) -> int:
        """A weight made by a Keras layer points at the line that created the layer, unless the
        user's own code (a custom `build`) added it."""
        for f in _outer_frames(_OWNER_SEARCH_DEPTH):
            owner = f.f_locals.get("self")
            if owner is not None and f.f_code.co_name == "add_weight" and id(owner) in self.layers:
                break
        else:
            return frame
        caller = f.f_back  # the first user frame beyond add_weight: is it the layer's own code?
        while caller is not None and self.frames.is_library(caller.f_code.co_filename):
            caller = caller.f_back
        if caller is not None and caller.f_locals.get("self") is owner:
            return frame
        return self.layers[id(owner)]

    def finish(self) -> None:
        for vid, v in self._keras_wrappers.items():  # a Keras path is only final once built
            try:
                self.trace.variables[vid].name = v.path
            except Exception:
                pass
        self._keras_wrappers.clear()

    # ---------------------------------------------------------------- reads inside C++
    def start_watching(self, pywrap_tfe: Any) -> None:
        self._pywrap = pywrap_tfe
        self._watcher = pywrap_tfe.TFE_Py_VariableWatcherNew()
        self.accessed = pywrap_tfe.TFE_Py_VariableWatcherWatchedVariables

    def stop_watching(self) -> None:
        if self._watcher is not None:
            self._pywrap.TFE_Py_VariableWatcherRemove(self._watcher)
            self._watcher = None

    def take_accessed(self) -> Any:
        """The variables read since the last call (the watcher starts afresh when there are any)."""
        accessed = self.accessed_now()
        if accessed:
            self.rearm()
        return accessed

    def accessed_now(self) -> Any:
        """The variables read since the watcher last started (trainable ones: the watcher's choice)."""
        return self.accessed(self._watcher) if self._watcher is not None else ()

    def rearm(self) -> None:
        self._pywrap.TFE_Py_VariableWatcherRemove(self._watcher)
        self._watcher = self._pywrap.TFE_Py_VariableWatcherNew()

    def hidden_reads(self, accessed: Any, inputs: Any, in_ids: list[int], seq: int) -> tuple[tuple[int, int], ...]:
        """Variables a fast-path op read inside C++ (``accessed``, from :meth:`take_accessed`):
        matched to the op's inputs no op produced."""
        if not accessed:
            return ()
        pairs = []
        tensors = self.trace.tensors
        for v in accessed:
            vid = self.remember(v)
            if vid in in_ids:
                continue  # the op takes the handle itself (ReadVariableOp): an ordinary input
            for t, tid in zip(inputs, in_ids):
                info = tensors.get(tid)
                if (
                    info is not None and info.origin in ("constant", "numpy", "input") and info.seq == seq
                    and t.dtype == v.dtype and shape_of(t) == shape_of(v)
                ):  # fmt: skip
                    info.origin = "variable_read"
                    pairs.append((vid, tid))
                    break
        return tuple(pairs)

    # ---------------------------------------------------------------- state of non-trainable variables
    def remember_assign(self, vid: int, value: Any) -> None:
        """Values written into non-trainable variables: a later fast-path read shows up as a tensor
        with the same numbers (the variable watcher names trainable variables only)."""
        var = self.trace.variables.get(vid)
        if var is not None and not var.trainable and value.dtype.name != "resource":
            h = tensor_hash(value)
            if h is not None:
                self._assigned[h] = vid

    @property
    def has_assigned(self) -> bool:
        return bool(self._assigned)

    def assigned_variable(self, value_hash: int | None) -> int | None:
        return self._assigned.get(value_hash) if value_hash is not None else None

    def state_reads(self, in_ids: list[int], seq: int) -> tuple[tuple[int, int], ...]:
        pairs = []
        for tid in in_ids:
            info = self.trace.tensors.get(tid)
            vid = self.assigned_variable(self.trace.births.get(tid))
            if (
                info is not None
                and info.origin in ("constant", "numpy", "input")
                and info.seq == seq
                and vid is not None
            ):
                info.origin = "variable_read"
                pairs.append((vid, tid))
        return tuple(pairs)


def _outer_frames(depth: int) -> Any:
    """The caller's callers, outwards (library frames included: Keras objects live there)."""
    f: Any = sys._getframe(2)
    for _ in range(depth):
        if f is None:
            return
        yield f
        f = f.f_back


def forget_when_gone(obj: Any, table: dict[int, Any]) -> None:
    """Drop ``table[id(obj)]`` when obj is garbage-collected, so a new object with the same id is
    never taken for it, without gradviz keeping obj alive."""
    try:
        weakref.finalize(obj, table.pop, id(obj), None)
    except TypeError:  # not weak-referenceable: ids may be reused; only the record is kept
        pass
