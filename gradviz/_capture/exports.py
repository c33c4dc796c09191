"""Values leaving TensorFlow: ``.numpy()``, ``float()``, ``int()``, ``bool()``, f-strings and
``model.predict``. Their numbers are hashed, so a value that comes back as a new tensor (a numpy
round trip) can be matched to where it left. NumPy functions applied to a tensor directly read it
through the buffer protocol, unseen here; the diagnosis infers those from the user's source."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import trace as T
from .values import tensor_hash, value_hash

if TYPE_CHECKING:
    from .frames import Frames
    from .session import Patches, Session

MAX_EXPORTS = 10_000
_EXPORTING_METHODS = ("numpy", "__float__", "__int__", "__index__", "__bool__", "__array__", "__format__")


class Exports:
    def __init__(self, session: Session, frames: Frames) -> None:
        self.session = session
        self.trace = session.trace
        self.frames = frames
        self._hashes: dict[int, int] = {}  # value hash -> export index

    def install(self, patches: Patches, EagerTensorBase: Any) -> None:
        for name in _EXPORTING_METHODS:
            original = vars(EagerTensorBase).get(name) or getattr(EagerTensorBase, name)
            patches.patch(EagerTensorBase, name, self._exporting(original, name), original)

    def install_predict(self, patches: Patches, Model: Any) -> None:
        orig_predict = Model.predict
        exports, session = self, self.session

        def predict(model: Any, *args: Any, **kwargs: Any) -> Any:
            first = session.seq
            result = orig_predict(model, *args, **kwargs)
            session.guard(exports.predict_returned, first, result)
            return result

        patches.patch(Model, "predict", predict, orig_predict)

    def _exporting(self, original: Any, how: str) -> Any:
        exports, session = self, self.session

        def exporting(tensor: Any, *args: Any, **kwargs: Any) -> Any:
            result = original(tensor, *args, **kwargs)
            if not session.busy:
                session.guard(exports.exported, tensor, how)
            return result

        return exporting

    def is_exported(self, value_hash: int) -> bool:
        return value_hash in self._hashes

    def exported(self, tensor: Any, how: str) -> None:
        if len(self.trace.exports) >= MAX_EXPORTS or not hasattr(tensor, "_id"):
            return
        h = tensor_hash(tensor) if hasattr(tensor, "_numpy") else None
        self._add([tensor._id], how, [h] if h is not None else [])

    def _add(self, ids: list[int], how: str, hashes: list[int]) -> None:
        if not ids or len(self.trace.exports) >= MAX_EXPORTS:
            return
        index = len(self.trace.exports)
        self.trace.exports.append(T.ExportRecord(self.session.seq, ids, self.frames.here(), how, hashes))
        for h in hashes:
            self._hashes[h] = index

    def predict_returned(self, first_seq: int, result: Any) -> None:
        calls = [
            op for op in reversed(self.trace.ops) if op.seq > first_seq and op.grad == T.GRAD_CALL and op.graph == 0
        ]
        if calls:
            from tensorflow.python.util import nest

            hashes = [value_hash(r) for r in nest.flatten(result)]
            self._add(list(calls[0].outputs), "model.predict", [h for h in hashes if h is not None])
