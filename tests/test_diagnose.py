"""Graph and diagnosis stages on hand-built traces: no TensorFlow anywhere in this file.

Each trace mimics what the capture stage records for a tiny program (``PROGRAM`` below, written to
a temp file so culprit lines point at real source text): a variable read, a ``Mul`` or two, and one
``tape.gradient`` call. Changing one field of one record must change the diagnosis to the cause it
stands for.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gradviz import trace as T
from gradviz.diagnose import diagnose
from gradviz.graph import build_graph

PROGRAM = """\
import tensorflow as tf
w = tf.Variable(2.0)
c = tf.constant(3.0)
with tf.GradientTape() as tape:
    y = w * c
z = y * c
g = tape.gradient(z, [w])
"""
# line numbers in PROGRAM
L_VAR, L_TAPE, L_IN, L_OUT, L_GRAD = 2, 4, 5, 6, 7

VID, T_READ, T_C, T_Y, T_Z = 100, 1, 2, 3, 4


@pytest.fixture
def program(tmp_path: Path) -> str:
    path = tmp_path / "prog.py"
    path.write_text(PROGRAM)
    return str(path)


def make_trace(
    file: str,
    *,
    second_recording: tuple[int, ...] = (),
    second_paused: tuple[int, ...] = (),
    second_grad: str = T.GRAD_OK,
    status: str = "none",
    trainable: bool = True,
    watched: list[int] | None = None,
) -> T.Trace:
    """w read and multiplied inside a tape (line 5); the result multiplied again (line 6)."""
    tr = T.Trace(program=file)
    tr.frames = [((file, L_VAR),), ((file, L_TAPE),), ((file, L_IN),), ((file, L_OUT),), ((file, L_GRAD),)]
    tr.variables[VID] = T.VariableRecord(id=VID, name="w", dtype="float32", shape=(), trainable=trainable, frame=0, seq=0)
    for tid, seq in ((T_READ, 1), (T_C, 0), (T_Y, 2), (T_Z, 3)):
        tr.tensors[tid] = T.TensorInfo(dtype="float32", shape=(), origin="op", frame=-1, seq=seq)
    tr.tensors[T_C].origin = "constant"
    tr.ops = [
        T.OpRecord(seq=1, op_type="ReadVariableOp", inputs=(VID,), outputs=(T_READ,), frame=2, scope="",
                   recording=(0,), paused=(), grad=T.GRAD_READ),
        T.OpRecord(seq=2, op_type="Mul", inputs=(T_READ, T_C), outputs=(T_Y,), frame=2, scope="",
                   recording=(0,), paused=(), grad=T.GRAD_OK),
        T.OpRecord(seq=3, op_type="StopGradient" if second_grad == T.GRAD_STOP else "Mul",
                   inputs=(T_Y, T_C), outputs=(T_Z,), frame=3, scope="",
                   recording=second_recording, paused=second_paused, grad=second_grad),
    ]  # fmt: skip
    tr.ops_seen = 3
    tr.tapes = [T.TapeRecord(id=0, frame=1, persistent=False, watch_accessed_variables=True, entered=0, exited=2)]
    src = T.SourceRecord(id=VID, is_variable=True, dtype="float32", shape=(), name="w", status=status, trainable=trainable)
    tr.calls = [
        T.GradientCallRecord(
            seq=3, tape=0, frame=4, graph=0, targets=[T_Z], target_dtypes=["float32"], sources=[src],
            unconnected_zero=False, watched_variables=[VID] if watched is None else watched,
        )
    ]
    return tr


def only_finding(trace: T.Trace):
    d = diagnose(trace)
    assert len(d.calls) == 1
    assert len(d.calls[0].findings) == 1
    return d, d.calls[0].findings[0]


def test_graph_has_ops_tensors_and_variable_read(program: str) -> None:
    G = build_graph(make_trace(program))
    assert G.nodes["v:100"]["kind"] == "variable"
    assert G.edges["v:100", "op:1"]["kind"] == "read"
    assert G.edges["t:3", "op:3"]["kind"] == "input"
    assert G.edges["op:3", "t:4"]["kind"] == "output"
    assert G.nodes["op:3"]["frame"][0] == (program, L_OUT)


def test_op_outside_tape_is_outside_tape_at_its_line(program: str) -> None:
    d, f = only_finding(make_trace(program, second_recording=()))
    assert f.status == "none"
    assert f.cause == "outside_tape"
    assert f.culprit == (program, L_OUT)
    assert f.expr == "w"  # read from the tape.gradient line of the real file
    assert d.calls[0].target == "z"
    assert not d.all_connected
    assert ("t:3", "op:3", "outside_tape") in f.broken_edges


def test_op_in_stop_recording_is_stop_recording(program: str) -> None:
    _, f = only_finding(make_trace(program, second_paused=(0,)))
    assert f.cause == "stop_recording"
    assert f.culprit == (program, L_OUT)


def test_stop_gradient_op(program: str) -> None:
    _, f = only_finding(make_trace(program, second_recording=(0,), second_grad=T.GRAD_STOP))
    assert f.cause == "stop_gradient"
    assert f.culprit == (program, L_OUT)


def test_non_differentiable_op(program: str) -> None:
    _, f = only_finding(make_trace(program, second_recording=(0,), second_grad=T.GRAD_NONE))
    assert f.cause == "non_differentiable_op"
    assert f.culprit == (program, L_OUT)


def test_unwatched_non_trainable_variable_points_at_creation(program: str) -> None:
    _, f = only_finding(make_trace(program, second_recording=(0,), trainable=False, watched=[]))
    assert f.cause == "non_trainable_variable"
    assert f.culprit == (program, L_VAR)


def test_clean_trace_has_no_cause(program: str) -> None:
    d, f = only_finding(make_trace(program, second_recording=(0,), status="ok"))
    assert f.status == "ok"
    assert f.cause is None
    assert f.culprit is None
    assert d.all_connected
    assert d.headline.startswith("All gradients are connected")


def test_no_calls_is_not_all_connected(program: str) -> None:
    tr = make_trace(program)
    tr.calls = []
    d = diagnose(tr)
    assert not d.all_connected
    assert "No tape.gradient call" in d.headline


def _summary(d) -> list[tuple]:
    return [(f.expr, f.status, f.cause, f.culprit, f.broken_edges) for f in d.findings]


@pytest.mark.parametrize("kw", [{}, {"second_paused": (0,)}, {"second_recording": (0,), "status": "ok"}])
def test_to_dict_from_dict_round_trip_gives_same_diagnosis(program: str, kw: dict) -> None:
    tr = make_trace(program, **kw)
    data = json.loads(json.dumps(tr.to_dict()))  # through real JSON: int keys become strings
    back = T.Trace.from_dict(data)
    assert back.to_dict() == tr.to_dict()
    assert _summary(diagnose(back)) == _summary(diagnose(tr))


def test_document_is_json_with_node_link_graph(program: str) -> None:
    doc = diagnose(make_trace(program)).to_document()
    text = json.dumps(doc)  # no default=: plain JSON types only
    again = json.loads(text)
    assert isinstance(again["schema_version"], int)
    ids = {n["id"] for n in again["graph"]["nodes"]}
    assert {"v:100", "op:3", "t:4"} <= ids
    for e in again["graph"]["edges"]:
        assert e["source"] in ids and e["target"] in ids
    src = again["gradient_calls"][0]["sources"][0]
    assert src["cause"] == "outside_tape"
    assert src["culprit_line"] == L_OUT
    assert src["culprit_code"] == "z = y * c"
    assert again["summary"]["missing"] == 1


# ------------------------------------------------------------------ the model's shape and the findings' names
def test_a_variable_sits_in_the_full_scope_of_the_layer_that_reads_it() -> None:
    from gradviz.graph import layer_scope

    # Keras 3: the path names the layer; its ops run inside the model's scope too
    assert layer_scope("aux_head/kernel", ["functional/aux_head"]) == "functional/aux_head"
    assert layer_scope("generator/g1/kernel", ["gan/generator/g1"]) == "gan/generator/g1"
    # a read in a scope that is not its layer's (a helper that reads every weight) moves nothing
    assert layer_scope("aux_head/kernel", ["regularizer", "functional/aux_head"]) == "functional/aux_head"
    assert layer_scope("aux_head/kernel", ["regularizer"]) == "aux_head"
    assert layer_scope("head/kernel", ["functional/aux_head"]) == "head"  # a suffix of a segment is not a match
    assert layer_scope("w", ["functional/dense"]) == ""


def test_a_finding_of_several_sources_is_named_by_their_layers() -> None:
    from gradviz.result import Finding, group_label

    def f(name: str | None, layer: str | None, expr: str = "vs[0]") -> Finding:
        return Finding(expr=expr, name=name, node=None, status="none", layer=layer)

    assert group_label([f("dense/kernel", "dense", "model.trainable_variables[0]")]) == (
        "model.trainable_variables[0] (dense/kernel)"
    )
    assert group_label([f("w", None, "w")]) == "w"
    assert group_label([f("aux/kernel", "aux"), f("aux/bias", "aux")]) == "kernel, bias (layer aux)"
    two_layers = [f(f"gen/g{i}/{p}", f"gen/g{i}") for i in (1, 2) for p in ("kernel", "bias")]
    assert group_label(two_layers) == "4 variables in 2 layers of gen: g1, g2"
    apart = [f("a/kernel", "a"), f("b/kernel", "b")]
    assert group_label(apart) == "2 variables in 2 layers: a, b"
    many = [f(f"l{i}/kernel", f"l{i}") for i in range(6)]
    assert group_label(many) == "6 variables in 6 layers: l0, l1, l2 and 3 more"
    assert group_label([f(None, None, "x"), f(None, None, "y")]) == "x, y"
