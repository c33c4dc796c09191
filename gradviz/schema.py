"""The one JSON contract between Python and JavaScript (and the ``--json`` output).

Everything that leaves Python -- the widget's ``document`` trait, the HTML report and
``gradviz run --json`` -- is a :class:`Document`. ``js/src/types.ts`` is generated from this module
(``python scripts/gen_types.py``; the tests check it is current), and the front end refuses a document
of another :data:`SCHEMA_VERSION`: bump it when a field changes meaning or goes away.

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
* ``call``    a ``tf.function`` call's (or a loop's, a branch's) argument -> the function's
              placeholder, or its output -> the call's result
* ``capture`` an outer tensor -> the placeholder a traced body captured it as
* ``resource`` the op that fills a queue, table or iterator -> a later op that reads it
"""

from __future__ import annotations

from typing import Literal, TypedDict

try:
    from typing import Required
except ImportError:  # Python 3.10
    from typing_extensions import Required

SCHEMA_VERSION = 2

Status = Literal["ok", "none", "zero"]
NodeKind = Literal["op", "tensor", "variable"]
EdgeKind = Literal["input", "output", "read", "assign", "state", "numpy", "call", "capture", "resource"]
TapeState = Literal["recording", "paused", "outside"]

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
    "dataset_boundary",
    "unassigned_tensorarray_write",
    "custom_gradient_returns_none",
    "loop_body_capture",
    "float16_underflow",
    "unexplained",
)
"""The cause vocabulary of ``shared/CAUSES.md``: stable public labels."""


class NodeData(TypedDict, total=False):
    id: Required[str]
    kind: Required[NodeKind]
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
    tape_state: dict[str, TapeState]  # tape id -> state at run time
    recorded_by: list[str]  # tape ids that recorded this op
    differentiable: bool
    # tensors
    dtype: str
    shape: list[int | None] | None
    # op: made by an op; constant: tf.constant; input: a Python/NumPy value TF converted without an op;
    # numpy: came back from NumPy (a round trip); variable_read: a read done inside C++;
    # function_input: a tf.function's input; unknown: made where gradviz could not see
    origin: Literal["op", "constant", "input", "numpy", "variable_read", "function_input", "unknown"]
    watched_by: list[str]  # tape ids that watched this tensor explicitly
    # variables
    name: str
    trainable: bool


class EdgeData(TypedDict, total=False):
    source: Required[str]
    target: Required[str]
    kind: EdgeKind
    index: int  # input/output position on the op
    recorded_by: list[str]  # tape ids for which gradients can flow along this edge
    differentiable: bool


class GraphAttrs(TypedDict):
    tapes: list[TapeDoc]  # the tapes of the gradient calls


class GraphDoc(TypedDict):
    directed: bool
    multigraph: bool
    graph: GraphAttrs
    nodes: list[NodeData]
    edges: list[EdgeData]


class BrokenEdge(TypedDict):
    source: str
    target: str
    cause: str


class Evidence(TypedDict):
    fact: str  # one sentence in the user's terms
    nodes: list[str]  # the graph nodes (ops, tensors, variables) the fact is about


class SourceFinding(TypedDict):
    expr: str  # the source as written in the gradient call, e.g. "w", "model.trainable_variables[2]"
    name: str | None  # the variable's name ("dense/kernel"), None for plain tensors
    node: str | None  # graph node id of the source
    status: Status
    cause: str | None  # one of CAUSES, None when status is "ok" (or a zero with no break found)
    culprit_file: str | None
    culprit_line: int | None
    culprit_code: str | None  # the source text of the culprit line
    ran_file: str | None  # where the breaking op itself ran, when that is not the culprit line
    ran_line: int | None  # (outside_tape in a helper: the culprit is the call in the tape's function)
    subject: str | None  # the user's name for what the finding is about (e.g. a dropped output "aux_logits")
    layer: str | None  # the Keras layer / scope the source belongs to ("model/dense"), for grouping
    explanation: str
    fix: str
    evidence: list[Evidence]  # the facts the cause rests on (and, for "unexplained", what is missing)
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
    replicas: int  # made inside a tf.distribute strategy.run: by how many replicas (0 outside one)
    unconnected_gradients: Literal["none", "zero"]
    sources: list[SourceFinding]
    # the missing or zero sources as a person reads them: indices into `sources` sharing status, cause,
    # culprit line and subject (one finding for a layer's kernel and bias, or for a whole model cut at
    # one line), in order of first appearance
    groups: list[list[int]]
    # what each group is about, in the user's names: "kernel, bias (layer aux_head)", "w (dense/kernel)"
    group_labels: list[str]
    nodes: list[str]  # the graph nodes this call needs on screen (its targets' computation, sources, breaks)


class Summary(TypedDict):
    headline: str  # one sentence: "2 of 3 gradients are missing" / "All gradients are connected."
    gradient_calls: int
    missing: int
    zero: int
    all_connected: bool


class InternalErrors(TypedDict):
    count: int
    first: list[str]  # the first few messages


class WorkerCall(TypedDict):
    """One gradient call site of one worker of a multi-worker run, as the chief summarises it."""

    file: str | None
    line: int | None
    code: str | None
    count: int
    replicas: int
    missing: int  # sources whose gradient is None
    zero: int
    causes: list[str]  # the causes of those, each once


class WorkerSummary(TypedDict):
    """One task of a multi-worker run and the gradient calls its document holds (the chief's summary)."""

    task: str  # as TF_CONFIG names it: "worker-1", "chief-0"
    document: str | None  # where its document was read (None when it did not arrive)
    calls: list[WorkerCall]
    note: str | None  # one sentence when its document did not arrive


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
    internal_errors: InternalErrors  # gradviz's own failures while capturing (never raised into the program)
    capture_gaps: list[str]  # hooks gradviz could not install (a moved private TF API), with why
    file_labels: dict[str, str]  # file path -> what to show instead, e.g. notebook cells: "cell [2]"
    # what the capture left out on purpose, a sentence each: "steps 6-300 of the loop calling
    # tape.gradient at train.py:63 repeated the ops and gradient results of step 5; their op details were not kept"
    capture_notes: list[str]
    task: str  # in a multi-worker run (TF_CONFIG): this worker's task, "worker-1"
    workers: list[WorkerSummary]  # the chief's only: every task's gradient calls, from their documents


class Document(TypedDict):
    schema_version: int
    meta: Meta
    source_lines: dict[str, dict[str, str]]  # file -> {str(line): text} for every line referenced
    summary: Summary
    gradient_calls: list[GradientCall]
    graph: GraphDoc
