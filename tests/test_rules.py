"""The diagnosis rules on hand-built traces (no TensorFlow): choosing between several breaks,
saying ``unexplained`` when the graph cannot support a cause, and the line a person edits.

Each test writes a small program to a temp file (so lines point at real source text), then builds
the records the capture stage would make for it with :class:`Builder`, op by op.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gradviz import trace as T
from gradviz.diagnose import diagnose


class Builder:
    """A trace for a program file: tensors, ops, one tape and one gradient call."""

    def __init__(self, file: Path) -> None:
        self.file = str(file)
        self.tr = T.Trace(program=self.file)
        self.tr.tapes = [T.TapeRecord(id=0, frame=self.frame(1), persistent=False, watch_accessed_variables=True)]
        self.seq = 0
        self.next_id = 1000

    def frame(self, *lines: int) -> int:
        self.tr.frames.append(tuple((self.file, n) for n in lines))
        return len(self.tr.frames) - 1

    def tape_at(self, *lines: int) -> None:
        self.tr.tapes[0].frame = self.frame(*lines)

    def variable(self, name: str, line: int, dtype: str = "float32") -> int:
        vid = self.new_id()
        self.tr.variables[vid] = T.VariableRecord(vid, name, dtype, (), True, frame=self.frame(line), seq=0)
        return vid

    def constant(self, line: int, dtype: str = "float32", origin: str = "constant") -> int:
        tid = self.new_id()
        self.tr.tensors[tid] = T.TensorInfo(dtype, (4,), origin, self.frame(line), self.seq)
        return tid

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    def op(
        self,
        op_type: str,
        inputs: list[int],
        *,
        lines: tuple[int, ...],
        recording: bool = True,
        grad: str = T.GRAD_OK,
        out_dtype: str = "float32",
        outputs: int = 1,
    ) -> list[int]:
        self.seq += 1
        outs = []
        for _ in range(outputs):
            tid = self.new_id()
            self.tr.tensors[tid] = T.TensorInfo(out_dtype, (4,), "op", -1, self.seq)
            outs.append(tid)
        self.tr.ops.append(
            T.OpRecord(self.seq, op_type, tuple(inputs), tuple(outs), self.frame(*lines), "",
                       (0,) if recording else (), (), grad)
        )  # fmt: skip
        return outs

    def read(self, vid: int, *, lines: tuple[int, ...], recording: bool = True) -> int:
        return self.op("ReadVariableOp", [vid], lines=lines, recording=recording, grad=T.GRAD_READ)[0]

    def enter(self) -> None:
        self.tr.tapes[0].entered = self.seq

    def exit(self) -> None:
        self.tr.tapes[0].exited = self.seq

    def gradient(self, target: int, sources: list[int], *, line: int, statuses: list[str] | None = None) -> None:
        self.seq += 1
        srcs = []
        for i, sid in enumerate(sources):
            var = self.tr.variables.get(sid)
            info = self.tr.tensors.get(sid)
            srcs.append(
                T.SourceRecord(
                    id=sid, is_variable=var is not None, dtype=(var or info).dtype, shape=(),
                    name=var.name if var else None, status=(statuses or ["none"] * len(sources))[i],
                    trainable=True if var else None,
                )
            )  # fmt: skip
        watched = [s for s in sources if s in self.tr.variables]
        self.tr.calls = [
            T.GradientCallRecord(
                seq=self.seq, tape=0, frame=self.frame(line), graph=0, targets=[target],
                target_dtypes=[self.tr.tensors[target].dtype], sources=srcs, unconnected_zero=False,
                watched_variables=watched,
            )
        ]  # fmt: skip
        self.tr.ops_seen = len(self.tr.ops)


def finding(b: Builder, k: int = 0):
    d = diagnose(b.tr)
    return d.calls[0].findings[k]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "prog.py"
    path.write_text(text)
    return path


NUMPY_RESHAPE = """\
import numpy as np
import tensorflow as tf
w = tf.Variable([1.0, 2.0, 3.0, 4.0])
with tf.GradientTape() as tape:
    x = w * 2.0
    y = tf.numpy_function(np.sinh, [x], tf.float32)
    y = tf.reshape(y, tf.shape(x))
    loss = tf.reduce_sum(y)
g = tape.gradient(loss, w)
"""


def test_integer_shape_side_branch_never_outranks_the_real_break(tmp_path: Path) -> None:
    b = Builder(write(tmp_path, NUMPY_RESHAPE))
    b.tape_at(4)
    w = b.variable("w", 3)
    b.enter()
    r = b.read(w, lines=(5,))
    (x,) = b.op("Mul", [r], lines=(5,))
    (y,) = b.op("PyFunc", [x], lines=(6,), grad=T.GRAD_NUMPY)
    (shape,) = b.op("Shape", [x], lines=(7,), grad=T.GRAD_NONE, out_dtype="int32")
    (y2,) = b.op("Reshape", [y, shape], lines=(7,))
    (loss,) = b.op("Sum", [y2], lines=(8,))
    b.exit()
    b.gradient(loss, [w], line=9)
    f = finding(b)
    assert f.cause == "numpy_roundtrip"
    assert f.culprit == (b.file, 6)
    assert {c for _, _, c in f.broken_edges} == {"numpy_roundtrip"}  # the Shape branch is no way back


ARGMAX = """\
import tensorflow as tf
w = tf.Variable([1.0, 2.0, 3.0, 4.0])
table = tf.Variable([[1.0], [2.0], [3.0], [4.0]])
with tf.GradientTape() as tape:
    ids = tf.argmax(w * 2.0)
    loss = tf.reduce_sum(tf.gather(table, ids))
g = tape.gradient(loss, w)
"""


def test_integer_only_way_to_the_target_is_the_non_differentiable_op(tmp_path: Path) -> None:
    """No break lies on a float-carrying way, so the integer conversion itself is the cause."""
    b = Builder(write(tmp_path, ARGMAX))
    b.tape_at(4)
    w = b.variable("w", 2)
    table = b.variable("table", 3)
    b.enter()
    (x,) = b.op("Mul", [b.read(w, lines=(5,))], lines=(5,))
    (ids,) = b.op("ArgMax", [x], lines=(5,), grad=T.GRAD_NONE, out_dtype="int64")
    (rows,) = b.op("GatherV2", [b.read(table, lines=(6,)), ids], lines=(6,))
    (loss,) = b.op("Sum", [rows], lines=(6,))
    b.exit()
    b.gradient(loss, [w], line=7)
    f = finding(b)
    assert f.cause == "non_differentiable_op"
    assert f.culprit == (b.file, 5)


PARALLEL = """\
import tensorflow as tf
w = tf.Variable([1.0, 2.0, 3.0, 4.0])
with tf.GradientTape() as tape:
    a = tf.stop_gradient(w * 2.0)
    b = w * 3.0
loss = tf.reduce_sum(a + b)
g = tape.gradient(loss, w)
"""


def test_the_cause_whose_mending_alone_connects_the_target_wins(tmp_path: Path) -> None:
    """One way is cut by a deliberate stop_gradient, the other by the loss computed after the
    block; only moving the loss into the tape connects the target, so that is the cause."""
    b = Builder(write(tmp_path, PARALLEL))
    b.tape_at(3)
    w = b.variable("w", 2)
    b.enter()
    r = b.read(w, lines=(4,))
    (x,) = b.op("Mul", [r], lines=(4,))
    (a,) = b.op("StopGradient", [x], lines=(4,), grad=T.GRAD_STOP)
    (bb,) = b.op("Mul", [b.read(w, lines=(5,))], lines=(5,))
    b.exit()
    (s,) = b.op("AddV2", [a, bb], lines=(6,), recording=False)
    (loss,) = b.op("Sum", [s], lines=(6,), recording=False)
    b.gradient(loss, [w], line=7)
    f = finding(b)
    assert f.cause == "outside_tape"
    assert f.culprit == (b.file, 6)


SERIES = """\
import tensorflow as tf
w = tf.Variable([1.0, 2.0, 3.0, 4.0])
with tf.GradientTape() as tape:
    r = tf.round(w * 2.0)
loss = tf.reduce_sum(r)
g = tape.gradient(loss, w)
"""


def test_breaks_in_series_report_the_first_and_say_the_next(tmp_path: Path) -> None:
    b = Builder(write(tmp_path, SERIES))
    b.tape_at(3)
    w = b.variable("w", 2)
    b.enter()
    (x,) = b.op("Mul", [b.read(w, lines=(4,))], lines=(4,))
    (r,) = b.op("Round", [x], lines=(4,), grad=T.GRAD_NONE)
    b.exit()
    (loss,) = b.op("Sum", [r], lines=(5,), recording=False)
    b.gradient(loss, [w], line=6)
    f = finding(b)
    assert f.cause == "non_differentiable_op"
    assert f.culprit == (b.file, 4)
    assert any("not enough" in e.fact and "not recording" in e.fact for e in f.evidence)


HELPER = """\
import tensorflow as tf
def energy(p):
    return tf.reduce_sum(p * p)
p = tf.Variable([1.0, 2.0])
with tf.GradientTape() as tape:
    q = p * 1.0
g = tape.gradient(energy(q), p)
"""


def test_outside_tape_in_a_helper_points_at_the_call_in_the_tape_function(tmp_path: Path) -> None:
    b = Builder(write(tmp_path, HELPER))
    b.tape_at(5)
    p = b.variable("p", 4)
    b.enter()
    (q,) = b.op("Mul", [b.read(p, lines=(6,))], lines=(6,))
    b.exit()
    (sq,) = b.op("Mul", [q, q], lines=(3, 7), recording=False)
    (e,) = b.op("Sum", [sq], lines=(3, 7), recording=False)
    b.gradient(e, [p], line=7)
    f = finding(b)
    assert f.cause == "outside_tape"
    assert f.culprit == (b.file, 7)
    assert f.ran_at == (b.file, 3)
    assert "line 3" in f.explanation


CONNECTED = """\
import tensorflow as tf
w = tf.Variable([1.0, 2.0])
with tf.GradientTape() as tape:
    loss = tf.reduce_sum(w * 2.0)
g = tape.gradient(loss, w)
"""


def test_none_on_a_path_the_graph_sees_connected_is_unexplained(tmp_path: Path) -> None:
    b = Builder(write(tmp_path, CONNECTED))
    b.tape_at(3)
    w = b.variable("w", 2)
    b.enter()
    (x,) = b.op("Mul", [b.read(w, lines=(4,))], lines=(4,))
    (loss,) = b.op("Sum", [x], lines=(4,))
    b.exit()
    b.gradient(loss, [w], line=5)
    f = finding(b)
    assert f.cause == "unexplained"
    assert f.culprit == (b.file, 5)
    assert any("connected path" in e.fact for e in f.evidence)


UNSEEN = """\
import tensorflow as tf
w = tf.Variable([1.0, 2.0])
v = tf.Variable([3.0, 4.0])
with tf.GradientTape() as tape:
    h = w * 2.0
    loss = tf.reduce_sum(v * other)
g = tape.gradient(loss, [w, v])
"""


def unseen_program(tmp_path: Path, origin: str) -> Builder:
    """UNSEEN's trace: `w` computes `h`, which nothing uses; the loss is `v * other`, and `other`
    has the given origin."""
    b = Builder(write(tmp_path, UNSEEN))
    b.tape_at(4)
    w, v = b.variable("w", 2), b.variable("v", 3)
    b.enter()
    b.op("Mul", [b.read(w, lines=(5,))], lines=(5,))
    other = b.constant(6, origin=origin)
    (x,) = b.op("Mul", [b.read(v, lines=(6,)), other], lines=(6,))
    (loss,) = b.op("Sum", [x], lines=(6,))
    b.exit()
    b.gradient(loss, [w, v], line=7, statuses=["none", "ok"])
    return b


@pytest.mark.parametrize("origin", ["unknown", "function_input"])
def test_absence_is_not_claimed_when_the_target_depends_on_unseen_values(tmp_path: Path, origin: str) -> None:
    """`other` was made where gradviz could not see: w may have made it, so no unused_variable."""
    b = unseen_program(tmp_path, origin)
    f = finding(b)
    assert f.cause == "unexplained"
    assert f.culprit == (b.file, 7)
    assert any("gradviz did not see" in e.fact or "could not" in e.fact for e in f.evidence)


def test_the_same_program_with_a_known_constant_is_unused_variable(tmp_path: Path) -> None:
    assert finding(unseen_program(tmp_path, "constant")).cause == "unused_variable"


def test_capture_errors_turn_an_absence_claim_into_unexplained(tmp_path: Path) -> None:
    b = unseen_program(tmp_path, "constant")
    b.tr.internal_error_count = 3
    b.tr.internal_errors = ["op callback: RuntimeError('boom')"]
    f = finding(b)
    assert f.cause == "unexplained"
    assert any("3 internal error" in e.fact for e in f.evidence)
    doc = diagnose(b.tr).to_document()
    assert doc["meta"]["internal_errors"] == {"count": 3, "first": ["op callback: RuntimeError('boom')"]}


def test_findings_group_by_cause_culprit_and_subject() -> None:
    from gradviz.result import CallDiagnosis, Finding

    here, there = ("model.py", 11), ("model.py", 12)

    def f(
        expr: str, status: str = "none", cause: str | None = "unused_variable", culprit=here, layer="aux",
        subject: str | None = "aux_out",
    ) -> Finding:  # fmt: skip
        return Finding(expr, None, None, status, cause, culprit if cause else None, subject=subject, layer=layer)

    findings = [
        f("kernel"),
        f("ok_kernel", status="ok", cause=None),
        f("bias"),  # same cause, line and subject as the kernel: one finding
        f("other_layer_kernel", layer="head"),  # another layer of the same dropped branch: the same finding
        f("elsewhere", culprit=there),  # another line
        f("zeroed", status="zero"),  # another status
        f("stopped", cause="stop_gradient"),  # another cause
        f("kernel_again"),
        f("other_head", subject="aux2_out"),  # another output left out at the same line
    ]
    call = CallDiagnosis(0, None, None, None, "", "loss", [], findings, [])  # type: ignore[arg-type]
    assert call.groups == [[0, 2, 3, 7], [4], [5], [6], [8]]
