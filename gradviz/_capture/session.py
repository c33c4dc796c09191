"""What every part of the capture shares: the trace being filled, the event counter, the re-entry
guard that keeps gradviz's own failures out of the user's program, and reversible patching."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from .. import trace as T

MAX_ERROR_MESSAGES = 20


class Session:
    """Shared state of one capture. ``seq`` orders every event (ops, tape enter/exit, watches)."""

    def __init__(self, trace: T.Trace) -> None:
        self.trace = trace
        self.seq = 0
        self.busy = False  # inside a gradviz recorder: TF ops run now are gradviz's own
        self.thread = threading.get_ident()
        self.other_thread: Callable[[], None] | None = None  # called when a hook fires on another thread
        # MirroredStrategy's replica threads (their class, once hooked): they run one at a time while
        # the thread that called ``strategy.run`` waits, and carry its op callbacks, so they are recorded too
        self.replica_thread: type | None = None
        self.strategy_runs = 0  # strategy.run calls so far: replicas' calls in one run are one group

    def is_capturing_thread(self) -> bool:
        return threading.get_ident() == self.thread or self.in_replica_thread()

    def in_replica_thread(self) -> bool:
        replica = self.replica_thread
        return replica is not None and isinstance(threading.current_thread(), replica)

    def guard(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run a recorder; an exception in it is counted, never raised into the user's program.

        Only the capturing thread and MirroredStrategy's replica threads are recorded (TensorFlow's
        op callbacks and tapes are per thread); a hook firing on another thread is noted, since work
        there is unseen."""
        if threading.get_ident() != self.thread and not self.in_replica_thread():
            if self.other_thread is not None:
                self.other_thread()
            return None
        if self.busy:
            return None
        self.busy = True
        try:
            return fn(*args)
        except Exception as e:
            self.internal_error(getattr(fn, "__qualname__", None) or repr(fn), e)
            return None
        finally:
            self.busy = False

    def internal_error(self, where: str, error: BaseException) -> None:
        trace = self.trace
        trace.internal_error_count += 1
        if len(trace.internal_errors) < MAX_ERROR_MESSAGES:
            trace.internal_errors.append(f"{where}: {error!r}")


class Patches:
    """Attributes replaced on TensorFlow's classes and modules, put back by :meth:`restore`."""

    def __init__(self) -> None:
        self._saved: list[tuple[Any, str, Any, bool]] = []

    def patch(self, owner: Any, name: str, value: Any, original: Any | None = None) -> None:
        had = name in vars(owner)
        self._saved.append((owner, name, vars(owner).get(name), had))
        if original is not None:
            value.__wrapped__ = original
        setattr(owner, name, value)

    def restore(self) -> list[BaseException]:
        """Undo every patch, newest first; returns what could not be undone (normally nothing)."""
        errors: list[BaseException] = []
        while self._saved:
            owner, name, value, had = self._saved.pop()
            try:
                if had:
                    setattr(owner, name, value)
                else:
                    delattr(owner, name)
            except Exception as e:  # pragma: no cover
                errors.append(e)
        return errors
