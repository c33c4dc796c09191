"""Tapes: which tapes record at each moment (``with`` blocks, ``stop_recording``, ``reset``), what
they watch, and each ``tape.gradient`` call with TensorFlow's own result per source.

Hooks patch ``tensorflow.python.eager.backprop.GradientTape`` itself (replacing the ``tf.GradientTape``
name would miss an earlier ``from tensorflow import GradientTape``). Inside ``stop_recording()`` the
tape leaves TensorFlow's active set, so only this Python-level record can tell "paused" from "outside".
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .. import trace as T
from .frames import called_from_tensorflow
from .values import dtype_of, gradient_status, is_symbolic, is_variable, shape_of, variable_name
from .variables import forget_when_gone

_NAME_FRAMES = 4  # user frames whose locals name tensors at a gradient call
_NAME_LOCALS = 200

if TYPE_CHECKING:
    from .frames import Frames
    from .functions import Functions
    from .repeats import Repeats
    from .session import Patches, Session
    from .variables import Variables


class _SymbolicTape:
    """Stands for the tape of a tf.gradients call in :meth:`Tapes.gradient_called`."""

    _persistent = True
    _watch_accessed_variables = False

    def __init__(self, record: T.TapeRecord, sources: list[Any]) -> None:
        self.record = record
        self._variables = [s for s in sources if is_variable(s)]

    def watched_variables(self) -> list[Any]:
        return self._variables


class Tapes:
    def __init__(self, session: Session, frames: Frames, variables: Variables, functions: Functions) -> None:
        self.session = session
        self.trace = session.trace
        self.frames = frames
        self.variables = variables
        self.functions = functions
        # per thread (TensorFlow's tapes are; MirroredStrategy runs each replica in a thread of its own):
        # thread id -> (tapes recording now, tapes inside stop_recording() now)
        self.state: dict[int, tuple[tuple[int, ...], tuple[int, ...]]] = {}
        self.in_gradient = 0  # inside tape.gradient: ops run now are its backward pass
        self.last_call_seq = 0
        self._records: dict[int, T.TapeRecord] = {}  # id(tape) -> record
        self._active: list[int] = []  # entered tapes, in order
        self._thread: dict[int, int] = {}  # tape record id -> the thread that entered it
        self._pause_depth: dict[int, int] = {}
        self._groups: dict[tuple[Any, ...], int] = {}  # repeated gradient call -> kept call index
        # repeated gradient call -> (strategy.run it was made in, replicas seen, each source's statuses)
        self._replicas: dict[tuple[Any, ...], tuple[int, int, list[set[str]]]] = {}
        self.repeats: Repeats  # wired by the capture: steps that repeat are left out of the op log
        self._call_key: tuple[Any, ...] = ()  # the gradient call being recorded: see gradient_called

    def install(self, patches: Patches, GradientTape: Any) -> None:
        tapes, session = self, self.session
        orig = {n: getattr(GradientTape, n) for n in ("__enter__", "__exit__", "watch", "reset", "gradient")}
        orig_stop = GradientTape.stop_recording

        def __enter__(tape: Any) -> Any:
            result = orig["__enter__"](tape)
            session.guard(tapes.entered, tape)
            return result

        def __exit__(tape: Any, *exc: Any) -> Any:
            try:
                return orig["__exit__"](tape, *exc)
            finally:
                session.guard(tapes.exited, tape)

        def watch(tape: Any, tensor: Any) -> Any:
            session.guard(tapes.watch, tape, tensor)
            return orig["watch"](tape, tensor)

        def reset(tape: Any) -> Any:
            session.guard(tapes.reset, tape)
            return orig["reset"](tape)

        @contextlib.contextmanager
        def stop_recording(tape: Any) -> Iterator[None]:
            with orig_stop(tape):
                rec = session.guard(tapes.record_of, tape)
                if rec is not None:
                    tapes._pause(rec.id, +1)
                try:
                    yield
                finally:
                    if rec is not None:
                        tapes._pause(rec.id, -1)

        def recorded(run: Any, tape: Any, target: Any, sources: Any, unconnected: Any) -> Any:
            """Run TensorFlow's ``gradient``/``jacobian`` (``run()``), then record it as the user's call."""
            if not session.is_capturing_thread():
                return run()
            tapes.in_gradient += 1
            try:
                result = run()
            except BaseException as e:
                tapes.in_gradient -= 1
                session.guard(tapes.gradient_called, tape, target, sources, None, unconnected, e)
                raise
            tapes.in_gradient -= 1
            session.guard(tapes.gradient_called, tape, target, sources, result, unconnected, None)
            return result

        def gradient(
            tape: Any, target: Any, sources: Any, output_gradients: Any = None, unconnected_gradients: Any = None
        ) -> Any:
            kwargs = {} if unconnected_gradients is None else {"unconnected_gradients": unconnected_gradients}
            run = lambda: orig["gradient"](tape, target, sources, output_gradients, **kwargs)  # noqa: E731
            return recorded(run, tape, target, sources, unconnected_gradients)

        def jacobian_of(name: str) -> Any:
            original = getattr(GradientTape, name)

            def jacobian(tape: Any, target: Any, source: Any, *args: Any, **kwargs: Any) -> Any:
                """``jacobian`` / ``batch_jacobian``: recorded as the user's gradient call; the
                ``tape.gradient`` calls TensorFlow makes inside it are its own."""
                unconnected = kwargs.get("unconnected_gradients", args[0] if args else None)
                run = lambda: original(tape, target, source, *args, **kwargs)  # noqa: E731
                return recorded(run, tape, target, source, unconnected)

            return jacobian, original

        for name, fn in (("__enter__", __enter__), ("__exit__", __exit__), ("watch", watch), ("reset", reset)):
            patches.patch(GradientTape, name, fn, orig[name])
        patches.patch(GradientTape, "stop_recording", stop_recording, orig_stop)
        patches.patch(GradientTape, "gradient", gradient, orig["gradient"])
        for name in ("jacobian", "batch_jacobian"):
            patches.patch(GradientTape, name, *jacobian_of(name))

    # ---------------------------------------------------------------- tape state
    def record_of(self, tape: Any) -> T.TapeRecord:
        if isinstance(tape, _SymbolicTape):
            return tape.record
        rec = self._records.get(id(tape))
        if rec is None:
            graph = self.functions.current()
            rec = T.TapeRecord(
                id=len(self.trace.tapes),
                frame=self.frames.here(),
                persistent=bool(getattr(tape, "_persistent", False)),
                watch_accessed_variables=bool(getattr(tape, "_watch_accessed_variables", True)),
                graph=graph,
                enclosing=self.functions.enclosing(graph),
            )
            self.trace.tapes.append(rec)
            self._records[id(tape)] = rec
            forget_when_gone(tape, self._records)  # never keep the user's tapes (and activations) alive
        return rec

    def entered(self, tape: Any) -> None:
        if called_from_tensorflow():
            return  # TensorFlow's own tapes (a py_function's backward pass), not the user's
        rec = self.record_of(tape)
        rec.entered = self.session.seq
        rec.exited = -1
        if rec.id not in self._active:
            self._active.append(rec.id)
        self._thread[rec.id] = threading.get_ident()
        self._refresh()

    def exited(self, tape: Any) -> None:
        if called_from_tensorflow():
            return
        rec = self.record_of(tape)
        rec.exited = self.session.seq
        if rec.id in self._active:
            self._active.remove(rec.id)
        self._thread.pop(rec.id, None)  # set again if it is entered again
        self._refresh()

    def _pause(self, tape_id: int, step: int) -> None:
        self._pause_depth[tape_id] = self._pause_depth.get(tape_id, 0) + step
        self._refresh()

    def _refresh(self) -> None:
        here = threading.get_ident()
        mine = [t for t in self._active if self._thread.get(t) == here]
        self.state[here] = (
            tuple(t for t in mine if not self._pause_depth.get(t)),
            tuple(t for t in mine if self._pause_depth.get(t)),
        )

    def watch(self, tape: Any, tensor: Any) -> None:
        from tensorflow.python.util import nest

        rec = self.record_of(tape)
        repeats = self.repeats
        for t in nest.flatten(tensor, expand_composites=True):
            if is_variable(t):
                vid = self.variables.remember(t)
                repeats.event(("watch", rec.frame, repeats.code_of(vid)))
                rec.watched.append((self.session.seq, vid))
            elif hasattr(t, "_id"):
                repeats.event(("watch", rec.frame, repeats.code_of(t._id)))
                rec.watched.append((self.session.seq, t._id))

    def reset(self, tape: Any) -> None:
        rec = self.record_of(tape)
        self.repeats.event(("reset", rec.frame))
        rec.resets.append(self.session.seq)

    def finish(self) -> None:
        for rec in self._records.values():
            if rec.id in self._active:
                rec.exited = self.session.seq

    # ---------------------------------------------------------------- gradient calls
    def gradient_called(
        self, tape: Any, target: Any, sources: Any, result: Any, unconnected: Any, error: BaseException | None
    ) -> None:
        if error is not None:
            return  # a call that raised returned nothing to explain; its exception is the story
        if not isinstance(tape, _SymbolicTape) and called_from_tensorflow():
            return  # TensorFlow's own gradient (a py_function's backward pass)
        from tensorflow.python.util import nest

        rec = self.record_of(tape)
        seq = self.session.seq
        frame = self.frames.here()
        flat_sources = nest.flatten(sources)
        flat_results = nest.flatten(result, expand_composites=False) if result is not None else []
        if len(flat_results) != len(flat_sources):
            flat_results = [None] * len(flat_sources)
        flat_targets = [t for t in nest.flatten(target) if hasattr(t, "_id") and hasattr(t, "dtype")]
        # what the call's Python code chose, beyond its ops: where its targets and sources came
        # from and how its tape was made (a step repeats another only if these are the same too)
        repeats = self.repeats
        code_of = repeats.code_of
        self._call_key = (
            rec.persistent, rec.watch_accessed_variables, tuple(code_of(t._id) for t in flat_targets),
            tuple(code_of(s.handle._id if is_variable(s) and hasattr(s, "handle") else getattr(s, "_id", None))
                  for s in flat_sources),
        )  # fmt: skip
        if repeats.skipping is not None and self._repeated(rec, frame, flat_results):
            return
        for t in flat_targets:
            if t._id not in self.trace.tensors and repeats.left_out(t._id) == 2:
                # made by a step left out: its maker was not kept, which the diagnosis must say
                self.trace.tensors[t._id] = T.TensorInfo(dtype_of(t), shape_of(t), "op", frame, seq)
        paths = [p for p, _ in nest.flatten_with_tuple_paths(sources)]
        if len(paths) != len(flat_sources):
            paths = [(i,) for i in range(len(flat_sources))]
        src_records = []
        for s, g, path in zip(flat_sources, flat_results, paths):
            is_var = is_variable(s)
            sid = self.variables.remember(s) if is_var else getattr(s, "_id", id(s))
            if not is_var and sid not in self.trace.tensors and hasattr(s, "dtype"):
                left_out = repeats.left_out(sid)  # the step just before, written out, may have made it
                if sid not in self.trace.tensors:
                    origin = "op" if left_out else "unknown"
                    self.trace.tensors[sid] = T.TensorInfo(dtype_of(s), shape_of(s), origin, frame, seq)
            src_records.append(
                T.SourceRecord(
                    id=sid, is_variable=is_var, dtype=dtype_of(s), shape=shape_of(s),
                    name=variable_name(s) if is_var else None, status=gradient_status(g),
                    trainable=bool(s.trainable) if is_var else None, path=tuple(path),
                    value_known=not is_symbolic(g),
                )
            )  # fmt: skip
        watched = []
        with contextlib.suppress(Exception):
            watched = [self.variables.remember(v) for v in tape.watched_variables()]
        call = T.GradientCallRecord(
            seq=seq, tape=rec.id, frame=frame, graph=self.functions.current(),
            targets=[t._id for t in flat_targets], target_dtypes=[dtype_of(t) for t in flat_targets],
            sources=src_records,
            unconnected_zero="ZERO" in str(unconnected).upper() if unconnected is not None else False,
            watched_variables=watched, names=self._local_names(),
        )  # fmt: skip
        self._add_call(call)

    def symbolic_gradients(self, ys: Any, xs: Any, result: Any, unconnected: Any) -> None:
        """A ``tf.gradients`` call (inside a traced function): recorded like a tape's gradient call,
        with a tape of its own that differentiates every op of the graph it is called in."""
        graph = self.functions.current()
        rec = T.TapeRecord(
            id=len(self.trace.tapes), frame=self.frames.here(), persistent=True, watch_accessed_variables=False,
            graph=graph, entered=0, enclosing=self.functions.enclosing(graph), symbolic=True,
        )  # fmt: skip
        self.trace.tapes.append(rec)
        sources = list(xs) if isinstance(xs, (list, tuple)) else [xs]
        for s in sources:
            rec.watched.append((0, self.variables.remember(s) if is_variable(s) else getattr(s, "_id", id(s))))
        self.gradient_called(_SymbolicTape(rec, sources), ys, xs, result, unconnected, None)
        rec.exited = self.session.seq

    def _local_names(self) -> dict[int, str]:
        """The user's names for tensors at the gradient call (``aux_logits``, ``outputs[1]``): how
        the diagnosis names an output that was computed and then left out."""
        from tensorflow.python.framework import tensor as tensor_lib

        def is_tensor(value: Any) -> bool:
            return isinstance(value, tensor_lib.Tensor)

        names: dict[int, str] = {}
        for depth, frame in enumerate(self.frames.user_callers()):
            if depth >= _NAME_FRAMES:
                break
            for name, value in list(frame.f_locals.items())[:_NAME_LOCALS]:
                if is_tensor(value):
                    names.setdefault(value._id, name)
                elif isinstance(value, (list, tuple)) and len(value) <= _NAME_LOCALS:
                    for i, item in enumerate(value):
                        if is_tensor(item):
                            names.setdefault(item._id, f"{name}[{i}]")
                elif isinstance(value, dict) and len(value) <= _NAME_LOCALS:
                    for key, item in value.items():
                        if isinstance(key, str) and is_tensor(item):
                            names.setdefault(item._id, f"{name}[{key!r}]")
        return names

    def _site(self, frame: int, tape: T.TapeRecord, sources: int) -> tuple[Any, ...]:
        """What makes gradient calls the same call, repeated: its line, its tape's line, its sources."""
        return (frame, self.trace.frames[tape.frame][:1], sources)

    def _repeated(self, tape: T.TapeRecord, frame: int, results: list[Any]) -> bool:
        """While a loop's repeated steps are left out: a call whose step and gradient results repeat
        the kept call's is only counted there (see ``repeats.py``)."""
        site = self._site(frame, tape, len(results))
        kept = self._groups.get(site)
        statuses = (*(gradient_status(g) for g in results), self._call_key)
        if kept is None or not self.repeats.is_repeat(site, statuses):
            return False
        self.repeats.call(site, frame, statuses, self.trace.calls[kept].count + 1)
        self.trace.calls[kept].count += 1
        self.last_call_seq = self.session.seq
        return True

    def _add_call(self, call: T.GradientCallRecord) -> None:
        """Keep one call per site (a training loop repeats it): the latest, unless an earlier one
        had more missing gradients. The latest is what ran last (a function traced twice runs its
        second trace), and its step is the one the op log keeps whole."""
        key = self._site(call.frame, self.trace.tapes[call.tape], len(call.sources))
        kept = self._groups.get(key)
        if self.session.in_replica_thread():
            self._replica_call(key, call)
        index = self.trace.calls[kept].count + 1 if kept is not None else 1
        statuses = (*(s.status for s in call.sources), self._call_key)
        if self.repeats.call(key, call.frame, statuses, index):
            self.trace.calls[kept].count += 1  # its step repeated the kept call's, whose ops stand for it
            self.last_call_seq = call.seq
            return
        if self.repeats.copied:
            call.template_lines = self.repeats.copied
        if kept is None:
            self._groups[key] = len(self.trace.calls)
            self.trace.calls.append(call)
        else:
            old = self.trace.calls[kept]
            call.count = old.count + 1
            disagree = sorted(set(call.replica_disagree) | set(old.replica_disagree))
            replicas = max(call.replicas, old.replicas)
            if sum(s.status != "ok" for s in call.sources) >= sum(s.status != "ok" for s in old.sources):
                self.trace.calls[kept] = call
            else:
                old.count += 1
            self.trace.calls[kept].replica_disagree, self.trace.calls[kept].replicas = disagree, replicas
        self.last_call_seq = call.seq

    def _replica_call(self, key: tuple[Any, ...], call: T.GradientCallRecord) -> None:
        """A call made in a MirroredStrategy replica: count the replicas that made it in this
        ``strategy.run`` and note the sources whose gradient status differs between them (then
        no one cause holds for every replica)."""
        run = self.session.strategy_runs
        group = self._replicas.get(key)
        if group is None or group[0] != run or len(group[2]) != len(call.sources):
            group = (run, 0, [set() for _ in call.sources])
        statuses = group[2]
        for seen, src in zip(statuses, call.sources):
            seen.add(src.status)
        self._replicas[key] = (run, group[1] + 1, statuses)
        call.replicas = group[1] + 1
        call.replica_disagree = [k for k, seen in enumerate(statuses) if len(seen) > 1]
