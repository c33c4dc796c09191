"""``@tf.custom_gradient``: the op TensorFlow records for each call (its inputs, its outputs, where
the user called it), and, when the backward pass runs, which inputs its gradient function gave
None.

``custom_gradient`` records the op through ``record.record_operation``; gradviz swaps the
``record`` module *as custom_gradient sees it* for a stand-in that forwards everything and notes
that one call (other users of ``record_operation``, such as ``tf.function``, are untouched). The
gradient function TensorFlow is given is wrapped: it calls the original and returns its result
unchanged, noting which gradients were None.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from .. import trace as T

if TYPE_CHECKING:
    from .frames import Frames
    from .ops import Ops
    from .session import Patches, Session


class _RecordStandIn:
    """``tensorflow.python.eager.record`` for custom_gradient: the same, but record_operation is noted."""

    def __init__(self, real: Any, custom: CustomGradients) -> None:
        self._real = real
        self._custom = custom

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def record_operation(self, op_type: Any, outputs: Any, inputs: Any, backward_function: Any, *rest: Any) -> Any:
        user_grad_fn = sys._getframe(1).f_locals.get("grad_fn")
        wrapped = self._custom.noted(op_type, outputs, inputs, backward_function, user_grad_fn)
        return self._real.record_operation(op_type, outputs, inputs, wrapped, *rest)


class CustomGradients:
    def __init__(self, session: Session, frames: Frames, ops: Ops) -> None:
        self.session = session
        self.trace = session.trace
        self.frames = frames
        self.ops = ops

    def install(self, patches: Patches, custom_gradient_module: Any) -> None:
        real = custom_gradient_module.record
        patches.patch(custom_gradient_module, "record", _RecordStandIn(real, self))

    def noted(self, name: Any, outputs: Any, inputs: Any, backward_function: Any, user_grad_fn: Any) -> Any:
        """Record the custom op; return the backward function to give TensorFlow (the same, or a
        wrapper that returns exactly what it returns)."""
        seq = self.session.guard(self._record, name, outputs, inputs, user_grad_fn)
        if seq is None:
            return backward_function
        session, trace = self.session, self.trace

        def backward(*args: Any, **kwargs: Any) -> Any:
            grads = backward_function(*args, **kwargs)
            session.guard(_note_result, trace, seq, grads)
            return grads

        return backward

    def _record(self, name: Any, outputs: Any, inputs: Any, user_grad_fn: Any) -> int:
        ins = [t for t in inputs if hasattr(t, "_id")]
        outs = [t for t in outputs if hasattr(t, "_id")]
        seq = self.ops.record_custom(str(name), ins, outs)
        code = getattr(getattr(user_grad_fn, "__func__", user_grad_fn), "__code__", None)
        where = (code.co_filename, code.co_firstlineno) if code is not None else None
        self.trace.custom_gradients[seq] = T.CustomGradientRecord(grad_fn=where)
        return seq


def _note_result(trace: T.Trace, seq: int, grads: Any) -> None:
    flat = list(grads) if isinstance(grads, (list, tuple)) else [grads]
    record = trace.custom_gradients.get(seq)
    if record is not None:  # None: its op was in a repeated step left out (see repeats.py)
        record.none_inputs = tuple(i for i, g in enumerate(flat) if g is None)
