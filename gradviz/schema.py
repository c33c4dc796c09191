"""The one JSON contract between Python and JavaScript (and the ``--json`` output).

Everything that leaves Python -- the widget's ``document`` trait, the HTML report and
``gradviz run --json`` -- is a :class:`Document`. ``js/src/types.ts`` mirrors these types;
change both together and bump :data:`SCHEMA_VERSION` when a field changes meaning or goes away.

The ``graph`` member is networkx's node-link form (``json_graph.node_link_data(G, edges="edges")``)
with gradviz's own attributes on every node and edge. Node ids are strings:

* ``op:<n>``      an op the program ran (eager, or traced inside a ``tf.function``)
* ``t:<n>``       a tensor (a value flowing between ops)
* ``v:<n>``       a variable (its state; reads and assigns hang off it)

Edge ``kind`` says what an edge means:

* ``input``   tensor -> op that consumed it
* ``output``  op -> tensor it produced
* ``read``    variable -> tensor holding a read of it (also variable -> op for ops that take
              the variable's handle and read it, such as ``ResourceGather``)
* ``assign``  tensor -> op that wrote it into a variable (``assign``, ``assign_add``, optimizer step)
* ``state``   assign op -> a later read of the same variable (the value it stored)
* ``numpy``   tensor -> tensor: the value left TensorFlow and came back as a new tensor
* ``call``    a ``tf.function`` call's argument -> the function's placeholder, or its output -> the
              call's result
"""

from __future__ import annotations

from typing import Literal, TypedDict

SCHEMA_VERSION = 1

Status = Literal["ok", "none", "zero"]
NodeKind = Literal["op", "tensor", "variable"]
EdgeKind = Literal["input", "output", "read", "assign", "state", "numpy", "call"]

CAUSES: tuple[str, ...] = (
    "outside_tape",
    "stop_recording",
    "not_watched_tensor",
    "non_trainable_variable",
    "watch_accessed_variables_false",
    "stop_gradient",
    "non_differentiable_op",
    "integer_dtype",
    "numpy_roundtrip",
    "python_reassignment",
    "variable_assign",
    "unused_variable",
    "recreated_variable",
    "target_not_connected",
    "wrong_tape",
)
"""The cause vocabulary of ``shared/CAUSES.md``: stable public labels."""


class NodeData(TypedDict, total=False):
    id: str
    kind: NodeKind
    label: str  # short text to draw: op type, variable name, tensor expression
    # where it came from in the user's code (innermost frame outside libraries)
    file: str | None
    line: int | None  # source text: Document["source_lines"][file][str(line)]
    scope: str  # name scope / Keras layer path, "" at top level; "/" separates levels
    seq: int  # order in which it happened
    # ops
    op_type: str
    function: str | None  # the tf.function it was traced in, if any
    phase: Literal["forward", "backward"]
    tape_state: dict[str, Literal["recording", "paused", "outside"]]  # tape id -> state at run time
    recorded_by: list[str]  # tape ids that recorded this op
    differentiable: bool
    # tensors
    dtype: str
    shape: list[int | None] | None
    origin: Literal["op", "constant", "numpy", "variable_read", "function_input", "unknown"]
    watched_by: list[str]  # tape ids that watched this tensor explicitly
    # variables
    name: str
    trainable: bool


class EdgeData(TypedDict, total=False):
    source: str
    target: str
    kind: EdgeKind
    index: int  # input/output position on the op
    recorded_by: list[str]  # tape ids for which gradients can flow along this edge
    differentiable: bool


class GraphDoc(TypedDict):
    directed: bool
    multigraph: bool
    graph: dict[str, object]
    nodes: list[NodeData]
    edges: list[EdgeData]


class BrokenEdge(TypedDict):
    source: str
    target: str
    cause: str


class SourceFinding(TypedDict):
    expr: str  # the source as written in the gradient call, e.g. "w", "model.trainable_variables[2]"
    name: str | None  # the variable's name ("dense/kernel"), None for plain tensors
    node: str | None  # graph node id of the source
    status: Status
    cause: str | None  # one of CAUSES, None when status is "ok" (or a zero with no break found)
    culprit_file: str | None
    culprit_line: int | None
    culprit_code: str | None  # the source text of the culprit line
    explanation: str
    fix: str
    broken_edges: list[BrokenEdge]
    path: list[str]  # node ids from source towards target, for highlighting


class TapeDoc(TypedDict):
    id: str  # "tape:<n>"
    file: str | None
    line: int | None
    persistent: bool
    watch_accessed_variables: bool


class GradientCall(TypedDict):
    id: int
    file: str | None
    line: int | None
    code: str | None
    tape: str
    target: str  # the target as written, e.g. "loss"
    target_nodes: list[str]
    count: int  # how many times this call ran (a training loop calls the same line many times)
    unconnected_gradients: Literal["none", "zero"]
    sources: list[SourceFinding]


class Summary(TypedDict):
    headline: str  # one sentence: "2 of 3 gradients are missing" / "All gradients are connected."
    gradient_calls: int
    missing: int
    zero: int
    all_connected: bool


class Meta(TypedDict, total=False):
    program: str  # the script path or "notebook cell"
    started: str  # ISO 8601, UTC
    duration_s: float
    gradviz: str
    tensorflow: str
    keras: str | None
    python: str
    ops_seen: int
    ops_kept: int
    ops_dropped: int
    error: str | None  # "ValueError: No gradients provided ..." when the program raised
    file_labels: dict[str, str]  # file path -> what to show instead, e.g. notebook cells: "cell [2]"


class Document(TypedDict):
    schema_version: int
    meta: Meta
    source_lines: dict[str, dict[str, str]]  # file -> {str(line): text} for every line referenced
    summary: Summary
    gradient_calls: list[GradientCall]
    graph: GraphDoc
