"""Repeated steps: a training loop runs the same ops step after step, so once a gradient call has
ended ``REPEATS_BEFORE_SKIPPING`` steps in a row with the same ops and the same gradient results,
the op log keeps no details of the steps that repeat it (the call it keeps stands for them) until
something differs. ``Trace.repeated_steps`` says which steps were left out (the document's
``meta.capture_notes`` in a sentence each).

A step is everything from one gradient call to the next (the optimizer update, then the next
forward and backward pass). Each op gets a key: its type, the tapes recording it (by their
``with`` line), whether ``tape.gradient`` ran it, the variables read inside C++ while it ran, and
where each input came from (an op of this step or of the one before, by position; a constant or a
converted value, with its dtype; a tensor or variable older than that, by id). Two steps with the
same keys compute the same thing from the same places, so what differs between them (tensor ids,
sequence numbers, the tapes' record ids) is taken from the new step and the rest (user line, name
scope, gradient kind) from the step it repeats.

What the ops do not show is part of a step's keys too: each ``tf.constant`` (its user line, so a
source made on another line is seen), each ``tape.watch`` (the tape's line and where the watched
value came from) and ``tape.reset``, each at its position among the ops; and at the gradient call,
where its targets and sources came from and the tape's ``persistent`` / ``watch_accessed_variables``.

While skipping, each op (and each of those events) is compared with the one at the same position of
the step it should repeat and only its ids are kept; at the first that differs (or a gradient call
whose results differ) the step is written out in full from that record and recording goes on in
full, so a None that first appears late in a loop is recorded like any other. When every op matched
but the call's results differ, the ops' lines are the template's, unchecked: the call notes them
(``GradientCallRecord.template_lines``) and the diagnosis does not state a culprit among them.

A step left out is kept (ids only) until the next one ends: if that one uses one of its values where
a gradient could flow (an op a tape records, a call's target or source, a NumPy round trip), it is
written out then. Of older steps left out only the range of their tensor ids is kept: a value from
one is recorded as made by an op gradviz did not keep, so the diagnosis says it cannot see, rather
than take it for a value made where it was used.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from operator import attrgetter
from threading import get_ident
from typing import TYPE_CHECKING, Any

from .. import trace as T
from .values import shape_of, tensor_hash

if TYPE_CHECKING:
    from .ops import Ops

REPEATS_BEFORE_SKIPPING = 2
_IDLE: tuple[tuple[int, ...], tuple[int, ...]] = ((), ())  # a thread with no tape entered
_ID = attrgetter("_id")
_WATCH, _CAST, _ASSIGN = 1, 2, 4  # see _Template.rare

# Where an op's input came from, as an int: (op position << _SHIFT) | output index for an output of
# this step, plus _BORN for a value first seen as that op's input; _PREVIOUS added for the step
# before; _CONSTANT + n for the n-th tf.constant of the step; -1 - id for an older tensor or a variable.
# A value first seen as an input (converted inside C++, or a variable read there) is its dtype (a str).
_SHIFT = 20
_BORN = 1 << (_SHIFT - 1)
_CONSTANT = 1 << 48
_PREVIOUS = 1 << 50

Key = tuple[Any, ...]
Site = tuple[Any, ...]


@dataclass(slots=True)
class _Step:
    """The ops since the last gradient call: keys always; records when recorded in full, ids when
    skipped (``pending``) until the step proves to repeat its template or not."""

    start_seq: int
    keys: list[Key] = field(default_factory=list)
    records: list[T.OpRecord] = field(default_factory=list)
    where: dict[int, int] = field(default_factory=dict)  # tensor id -> provenance code (see above)
    constants: int = 0
    pending: list[tuple[int, tuple[int, ...], tuple[int, ...], Any]] = field(default_factory=list)  # skipped ops
    hashes: dict[int, int] = field(default_factory=dict)  # value hashes of values first seen while skipping
    full: bool = True  # every op of it went through Ops.record's full path or was written out
    # what its ops do not show, in order: each tf.constant (op position, user line), tape.watch (op
    # position, the tape's line, where the watched value came from) and tape.reset (op position, line)
    events: list[tuple[Any, ...]] = field(default_factory=list)
    # tf.constant tensors made while skipping: (the tensor, user line, seq, value hash or None)
    consts: list[tuple[Any, int, int, int | None]] = field(default_factory=list)
    first_id: int = 0  # tensor ids made while it ran lie in first_id..last_id (see call)
    last_id: int = 0


@dataclass(slots=True)
class _Template:
    """A step recorded in full, as the steps repeating it are compared with and written out from."""

    site: Site
    keys: list[Key]
    statuses: tuple[str, ...]
    records: list[T.OpRecord]
    in_infos: list[list[T.TensorInfo | None]]
    out_infos: list[list[T.TensorInfo | None]]
    # per op, what few ops need checked (bits): _WATCH, the variable watcher is read after the ops that
    # read variables and those with a value first seen as an input (what a variable read inside C++
    # looks like; any other op that read one would differ in its inputs already, and reads left over
    # at the gradient call end skipping); _CAST, a Cast's dtype; _ASSIGN, values written into variables.
    rare: list[int]
    older: dict[int, int]  # tensors and variables from before the step the template read: id -> code
    events: list[tuple[Any, ...]]  # see _Step.events


class Repeats:
    def __init__(self, ops: Ops) -> None:
        self.ops = ops
        self.trace = ops.trace
        self.session = ops.session
        self.skipping: _Template | None = None  # the step the current one should repeat
        self.step = _Step(0)
        self._previous: dict[int, int] = {}  # the step before: tensor id -> provenance code + _PREVIOUS
        self._last: dict[Site, tuple[_Step, tuple[str, ...]]] = {}  # site -> its latest full step
        self._streak: dict[Site, int] = {}  # site -> how many steps in a row ended it the same way
        self._next: dict[Site, Site] = {}  # site -> the site whose call came after it last time
        self._last_site: Site | None = None
        self._state: Any = None
        self._state_key: Any = None
        self._runs: dict[Site, T.RepeatedSteps] = {}  # site -> its current run of skipped steps
        self._state_keys: dict[Any, Any] = {}
        self._thread = ops.session.thread
        self._tapes: Any = None  # wired with the rest of the capture (see start)
        self._variables: Any = None
        # the step just before this one when it was left out (its ids kept, with its template and
        # its run): written out if this step turns out to use one of its values
        self.dropped: tuple[_Template, _Step, T.RepeatedSteps] | None = None
        self.older_left_out: list[list[int]] = []  # tensor id ranges of older steps left out: [first, last]
        self.copied: list[int] = []  # the call just ended: lines its step's ops took from the template

    def start(self) -> None:
        self._tapes, self._variables = self.ops.tapes, self.ops.variables

    # ---------------------------------------------------------------- keys (both paths)
    def state_key(self, state: Any) -> Any:
        """The tapes recording / paused, by their ``with`` line (record ids are new every step)."""
        if state is not self._state:
            tapes = self.trace.tapes
            self._state = state
            key = (tuple(tapes[t].frame for t in state[0]), tuple(tapes[t].frame for t in state[1]))
            self._state_key = self._state_keys.setdefault(key, key)  # one object per key: compared by identity
        return self._state_key

    def key(
        self, op_type: str, inputs: Any, outputs: Any, state: Any, backward: bool, accessed: tuple[int, ...]
    ) -> Key:
        """The op's key; notes its outputs (and values first seen as its inputs) as this step's."""
        where = self.step.where
        previous = self._previous
        tensors = self.trace.tensors
        variables = self.trace.variables
        i = len(self.step.keys) << _SHIFT
        sources = []
        born = []
        for j, t in enumerate(inputs):
            tid = t._id
            code = where.get(tid)
            if code is None:
                code = previous.get(tid)
                if code is None:
                    if tid in tensors or tid in variables:
                        code = -1 - tid
                    else:
                        born.append((tid, j))
                        code = self.ops.dtype_name(t)
            sources.append(code)
        for tid, j in born:
            where[tid] = i | _BORN | j
        for j, t in enumerate(outputs or ()):
            where[t._id] = i | j
        dtype = self.ops.dtype_name(outputs[0]) if op_type == "Cast" and outputs else None
        return (op_type, self.state_key(state), backward, tuple(sources), accessed, dtype)

    def constant(self, tid: int, frame: int) -> None:
        """A tf.constant recorded in full, made at ``frame``."""
        step = self.step
        step.where[tid] = _CONSTANT + step.constants
        step.constants += 1
        step.events.append(("constant", len(step.keys), frame))

    def skip_constant(self, t: Any, frame: int, hash_it: bool) -> bool:
        """While skipping: whether a tf.constant made at ``frame`` is the template's constant here
        (same line, same place among the ops); then only what writing it out needs is kept.
        Otherwise the step is written out from here and the constant is recorded in full."""
        step = self.step
        event = ("constant", len(step.keys), frame)
        if not self._matches(event):
            return False
        tid = t._id
        step.where[tid] = _CONSTANT + step.constants
        step.constants += 1
        step.events.append(event)
        h = tensor_hash(t) if hash_it else None
        step.consts.append((t, frame, self.session.seq, h))
        return True

    def code_of(self, tid: int) -> Any:
        """Where a value the step's Python code used (watched, differentiated) came from: as
        :meth:`key` gives an input's, or None for a value gradviz has not seen."""
        code = self.step.where.get(tid)
        if code is None:
            code = self._previous.get(tid)
            if code is None and (tid in self.trace.tensors or tid in self.trace.variables):
                code = -1 - tid
        return code

    def event(self, event: tuple[Any, ...]) -> None:
        """A tape event (watch, reset): part of the step's keys; while skipping, one the template
        did not have here writes the step out from this point."""
        step = self.step
        event = (event[0], len(step.keys), *event[1:])
        if self.skipping is not None and not self._matches(event):
            self.write_out()
        step.events.append(event)

    def _matches(self, event: tuple[Any, ...]) -> bool:
        """While skipping: whether the template has this event next."""
        n = len(self.step.events)
        events = self.skipping.events  # type: ignore[union-attr]
        return n < len(events) and events[n] == event

    def learned(self, key: Key, record: T.OpRecord) -> None:
        """An op recorded in full."""
        self.step.keys.append(key)
        self.step.records.append(record)

    # ---------------------------------------------------------------- the skipping path
    def skip(self, op_type: Any, inputs: Any, outputs: Any) -> bool:
        """While skipping: whether the op is the one the template has here; then only its ids are
        kept. Runs for every op of a repeated step, so it does the least it can: the checks of
        :meth:`key`, compared field by field with the template's key, the common case first."""
        step = self.step
        template: _Template = self.skipping  # type: ignore[assignment]
        keys = template.keys
        n = len(step.keys)
        if n >= len(keys):
            return False
        like = keys[n]
        if op_type != like[0] and (op_type.__class__ is not bytes or op_type.decode() != like[0]):
            return False
        state = self._tapes.state.get(self._thread, _IDLE)
        if state is not self._state:  # a tape entered or left
            # op callbacks are per thread: only MirroredStrategy's replica threads share gradviz's,
            # and they are never skipped
            if get_ident() != self._thread:
                return False
            self.state_key(state)
        elif self.session.strategy_runs:
            return False
        if self._state_key is not like[1] or (self._tapes.in_gradient > 0) is not like[2]:
            return False
        in_ids = tuple(map(_ID, inputs))
        codes = like[3]
        where = step.where
        born = None
        if tuple(map(where.get, in_ids)) != codes:  # not all made by this step as the template's were
            if len(in_ids) != len(codes):
                return False
            for j, tid in enumerate(in_ids):
                want = codes[j]
                if where.get(tid) != want:
                    code = self._older(tid, inputs[j])
                    if code != want:
                        return False
                    if code.__class__ is str:
                        if self.older_left_out and self._older_step(tid):
                            return False  # made by a step left out: recorded in full (see left_out)
                        born = [j] if born is None else [*born, j]
        rare = template.rare[n]
        if rare and not self._rare(rare, like, in_ids, inputs, outputs):
            return False
        # the op repeats the template's: keep its ids
        i = n << _SHIFT
        out_ids = tuple(map(_ID, outputs)) if outputs else ()
        where.update(zip(out_ids, range(i, i + len(out_ids))))
        if born is not None:
            self._born(born, in_ids, inputs, i, codes)
        self.trace.ops_seen += 1
        seq = self.session.seq = self.session.seq + 1
        step.keys.append(like)
        step.pending.append((seq, in_ids, out_ids, state))
        return True

    def _rare(self, rare: int, like: Key, in_ids: tuple[int, ...], inputs: Any, outputs: Any) -> bool:
        """The checks few ops need (see ``_Template.rare``); True when they pass."""
        if rare & _CAST and (not outputs or self.ops.dtype_name(outputs[0]) != like[5]):
            return False
        var = self._variables
        if rare & _WATCH:
            accessed = var.accessed_now()
            if accessed:
                if tuple(v.handle._id for v in accessed) != like[4]:
                    return False
                var.rearm()
            elif like[4]:
                return False
        if rare & _ASSIGN and len(in_ids) > 1:  # a value written into a variable
            var.remember_assign(in_ids[0], inputs[1])
        return True

    def _older(self, tid: int, t: Any) -> Any:
        """The provenance code of an input not made by this step (see :meth:`key`)."""
        code = self._previous.get(tid)
        if code is None:
            code = -1 - tid if tid in self.trace.tensors or tid in self.trace.variables else self.ops.dtype_name(t)
        return code

    def _born(self, born: list[int], in_ids: tuple[int, ...], inputs: Any, i: int, codes: Any) -> None:
        """Values first seen as inputs of a skipped op: theirs from now on, with their value hashes
        (a numpy round trip is matched by them) when :meth:`Ops.born` would hash them."""
        step = self.step
        hash_them = self.trace.exports or self._variables.has_assigned
        for j in born:
            step.where[in_ids[j]] = i | _BORN | j
            if hash_them and codes[j] != "resource":
                h = tensor_hash(inputs[j])
                if h is not None:
                    step.hashes[in_ids[j]] = h

    def write_out(self) -> None:
        """The step differs from its template: write its skipped ops out in full, and record in
        full from here on."""
        template, step = self.skipping, self.step
        self.skipping = None
        if template is None:
            return
        # variable reads the watcher saw since the last op that looked: the template's ops had none
        # there, and they are not taken for the next op's
        self._variables.take_accessed()
        self._write(template, step)

    def _write(self, template: _Template, step: _Step, at: int | None = None) -> None:
        """Write a step's skipped constants and ops out in full from its template (its ops inserted
        at ``at`` of the op log, or appended)."""
        trace = self.trace
        tensors, variables, births = trace.tensors, trace.variables, trace.births
        exports, hashes = self.ops.exports, step.hashes
        for t, frame, seq, h in step.consts:
            tid = t._id
            origin = "constant"
            if h is not None:
                births[tid] = h
                if exports.is_exported(h):
                    origin = "numpy"
                    self.exported_from(h)
            tensors[tid] = T.TensorInfo(self.ops.dtype_name(t), shape_of(t), origin, frame, seq)
        step.consts = []
        if not step.pending:
            return
        new = []
        for n, (seq, ins, outs, state) in enumerate(step.pending):
            like = template.records[n]
            hidden = ()
            if like.hidden_reads:
                slot = {t: j for j, t in enumerate(like.inputs)}
                hidden = tuple((vid, ins[slot[t]]) for vid, t in like.hidden_reads if t in slot)
            rec = T.OpRecord(
                seq, like.op_type, ins, outs, like.frame, like.scope, state[0], state[1], like.grad, 0,
                like.name, like.backward, like.callee, hidden, like.bodies,
            )  # fmt: skip
            new.append(rec)
            step.records.append(rec)
            shift = seq - like.seq
            for tid, info in zip(ins, template.in_infos[n]):
                if tid not in tensors and tid not in variables and info is not None:
                    origin = info.origin
                    h = hashes.get(tid)
                    if h is not None:
                        births[tid] = h
                        if exports.is_exported(h):
                            origin = "numpy"
                            self.exported_from(h)
                    tensors[tid] = T.TensorInfo(info.dtype, info.shape, origin, info.frame, info.seq + shift)
            for tid, info in zip(outs, template.out_infos[n]):
                if info is not None:
                    tensors[tid] = T.TensorInfo(info.dtype, info.shape, "op", -1, seq)
        step.pending = []
        if at is None:
            trace.ops.extend(new)
        else:
            trace.ops[at:at] = new
        if len(trace.ops) > self.ops.max_ops:
            self.ops.compact()

    # ---------------------------------------------------------------- values of steps left out
    def left_out(self, tid: int, taped: bool = True) -> int:
        """A value gradviz has not seen, used now: 1 when it was made by the step just before,
        left out, and is used where a gradient could flow (``taped``: by an op a tape records, as
        a gradient call's target or source, back from NumPy): that step is written out now, so the
        value is known; 2 when made by a step left out otherwise (its maker was not kept: the
        diagnosis must not take it for a value made here, see ``Ops.born``); else 0. A training
        loop's own use of the step before (the optimizer applying its gradients, outside any tape)
        is the 2 case: those steps stay left out."""
        dropped = self.dropped
        if dropped is not None and dropped[1].first_id <= tid <= dropped[1].last_id:
            if not taped:
                return 2
            self._write_dropped()
            return 1
        return 2 if self.older_left_out and self._older_step(tid) else 0

    def _older_step(self, tid: int) -> bool:
        return any(first <= tid <= last for first, last in self.older_left_out)

    def exported_from(self, h: int) -> None:
        """A value back from NumPy, of a value exported earlier: if an op of the step left out
        just before made that one, write that step out (the round trip's start is then known)."""
        dropped = self.dropped
        if dropped is None:
            return
        index = self.ops.exports._hashes.get(h)
        if index is None:
            return
        known = self.trace.tensors
        exported = [t for t in self.trace.exports[index].tensors if t not in known]
        if exported and any(t in outs for _, _, outs, _ in dropped[1].pending for t in exported):
            self._write_dropped()

    def _write_dropped(self) -> None:
        """Write out the step left out just before this one (it is no longer left out)."""
        template, step, run = self.dropped  # type: ignore[misc]
        self.dropped = None
        trace = self.trace
        n = len(step.pending)
        last_seq = step.pending[-1][0] if n else -1
        at = len(trace.ops)
        while at and trace.ops[at - 1].seq > last_seq:
            at -= 1
        self._write(template, step, at)
        trace.ops_dropped -= n
        run.ops -= n
        run.last -= 1
        if run.last < run.first:
            trace.repeated_steps.remove(run)
            for site, r in list(self._runs.items()):
                if r is run:
                    del self._runs[site]

    # ---------------------------------------------------------------- gradient calls end steps
    def call(self, site: Site, frame: int, statuses: tuple[str, ...], index: int) -> bool:
        """A gradient call (made at ``frame``) ended the step. True when the step repeated its
        template exactly: its ops are left out and the call kept for the site stands for it
        (``index``: which call of the site this is, from 1)."""
        trace = self.trace
        step = self.step
        template = self.skipping
        repeated = self.is_repeat(site, statuses)
        run = None
        if repeated:
            trace.ops_dropped += len(step.pending)
            run = self._runs.get(site)
            if run is None or run.last != index - 1:
                run = self._runs[site] = T.RepeatedSteps(frame, index, index, 0)
                trace.repeated_steps.append(run)
            run.last = index
            run.ops += len(step.pending)
        else:
            self.copied = []
            if template is not None and self.skipping is template and template.site == site and step.pending:
                # every op matched the template's, yet the call's results differ: the ops' lines
                # written out are the template's, which nothing checked (see Tapes._add_call)
                self.copied = sorted({rec.frame for rec in template.records[: len(step.pending)]})
            self.write_out()
            self._runs.pop(site, None)
            self._learn(site, statuses)
        if self._last_site is not None:
            self._next[self._last_site] = site
        self._last_site = site
        # TensorFlow numbers tensors in the order they are made: the step's lie above the step
        # before's, up to the newest it saw (an id taken from the counter would renumber the program's)
        step.last_id = max(step.first_id - 1, max(step.where, default=0))
        if self.dropped is not None:  # the step left out before this one is now two steps back
            self._retire(self.dropped[1])
            self.dropped = None
        if repeated:
            self.dropped = (template, step, run)  # type: ignore[assignment]
        # this step's values, as the next step sees them (not those it took from the one before)
        self._previous = {tid: code + _PREVIOUS for tid, code in step.where.items() if 0 <= code < _PREVIOUS}
        following = self._next.get(site)
        if (
            following is None or self._streak.get(following, 0) < REPEATS_BEFORE_SKIPPING
            or self.session.strategy_runs  # replicas run ops on threads of their own: always recorded in full
        ):  # fmt: skip
            self.skipping = None
        elif self.skipping is None or self.skipping.site != following:
            self.skipping = self._template(following)
        # the next step looks its inputs up in one dict: the step before's values and the older
        # tensors and variables its template read are there from the start (the codes key() gives them)
        where = dict(self._previous)
        if self.skipping is not None:
            where.update(self.skipping.older)
        self.step = _Step(self.session.seq, where=where, first_id=step.last_id + 1)
        return repeated

    def _retire(self, step: _Step) -> None:
        """A step left out is two steps back: only the range of its tensor ids is kept (and what
        was noted of its custom-gradient ops, whose records are gone, is let go)."""
        custom = self.trace.custom_gradients
        if custom:
            for seq, *_ in step.pending:
                custom.pop(seq, None)
        ranges = self.older_left_out
        if ranges and ranges[-1][1] + 1 >= step.first_id:
            ranges[-1][1] = step.last_id
        else:
            ranges.append([step.first_id, step.last_id])

    def is_repeat(self, site: Site, statuses: tuple[str, ...]) -> bool:
        """Whether a gradient call at ``site`` with these results ends a step that repeats its template."""
        template = self.skipping
        return (
            template is not None and template.site == site and len(self.step.keys) == len(template.keys)
            and len(self.step.events) == len(template.events)
            and template.statuses == statuses and not self._variables.accessed_now()
        )  # fmt: skip

    def _learn(self, site: Site, statuses: tuple[str, ...]) -> None:
        """A step recorded in full ended at ``site``: does it repeat the step before it there?"""
        step = self.step
        complete = step.full and self.session.seq - step.start_seq == len(step.keys)
        if not complete:  # ops recorded past the keys (a traced function's graph): never a template
            self._last.pop(site, None)
            self._streak[site] = 0
            return
        last = self._last.get(site)
        same = last is not None and last[1] == statuses and last[0].keys == step.keys and last[0].events == step.events
        self._streak[site] = self._streak.get(site, 0) + 1 if same else 1
        self._last[site] = (step, statuses)

    def _template(self, site: Site) -> _Template | None:
        step, statuses = self._last[site]
        tensors = self.trace.tensors
        in_infos = [[tensors.get(t) for t in rec.inputs] for rec in step.records]
        out_infos = [[tensors.get(t) for t in rec.outputs] for rec in step.records]
        if len(step.records) != len(step.keys):
            return None
        rare = [
            (_WATCH if k[4] or any(c.__class__ is str for c in k[3]) else 0)
            | (_CAST if k[5] is not None else 0)
            | (_ASSIGN if k[0].startswith("Assign") else 0)
            for k in step.keys
        ]
        older = {-1 - c: c for k in step.keys for c in k[3] if c.__class__ is int and c < 0}
        return _Template(site, step.keys, statuses, step.records, in_infos, out_infos, rare, older, step.events)

    def not_full(self) -> None:
        """An op recorded outside the keys (a graph being traced): this step is never a template."""
        self.step.full = False

    def finish(self) -> None:
        """The capture ends: a step being skipped is written out (it ended with no gradient call).
        ``Trace.repeated_steps`` says which were left out (the diagnosis words it, file labels and all)."""
        self.write_out()
