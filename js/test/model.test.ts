import { describe, expect, it } from "vitest";
import {
  buildGroups,
  computeView,
  evidenceFocus,
  findingFocus,
  findingGroups,
  foldGraph,
  groupFocus,
  groupOf,
  groupsContaining,
  parseFindingKey,
  relevantNodes,
  scopePrefixes,
  searchNodes,
} from "../src/model";
import { defaultExpanded, groupWideLevels, readable } from "../src/first-view";
import type { DisplayEdge, DisplayNode, FoldedGraph } from "../src/model";
import type { Document, EdgeData, GradientCall, NodeData, SourceFinding } from "../src/types";
import { kerasGrouped as keras, kerasMlpUnusedHead, nodeId, op, outsideTape as outside, persistentTapeAll, variable } from "./documents";

/** The shortest run of edges from `from` to `to` in the document, as node ids. */
function route(doc: Document, from: string, to: string): string[] {
  const previous = new Map<string, string>([[from, ""]]);
  const queue = [from];
  while (queue.length) {
    const id = queue.shift()!;
    if (id === to) break;
    for (const e of doc.graph.edges)
      if (e.source === id && !previous.has(e.target)) {
        previous.set(e.target, id);
        queue.push(e.target);
      }
  }
  if (!previous.has(to)) throw new Error(`no route from ${from} to ${to}`);
  const ids = [to];
  while (ids[0] !== from) ids.unshift(previous.get(ids[0])!);
  return ids;
}

/** The input of op `into` other than `besides` (the 2 of `y * 2`). */
function otherInput(doc: Document, into: string, besides: string): string {
  const [id, ...more] = doc.graph.edges.filter((e) => e.target === into && e.source !== besides).map((e) => e.source);
  if (!id || more.length) throw new Error(`expected one other input of ${into}`);
  return id;
}

describe("foldGraph", () => {
  it("folds single-producer tensors into edges and keeps the interesting ones", () => {
    const doc = outside();
    const call = doc.gradient_calls[0];
    const g = foldGraph(doc, call);
    const [cut] = call.sources[0].broken_edges; // y -> the Mul of `z = y * 2`, after the tape
    const x = nodeId(doc, variable("x"));
    const read = nodeId(doc, op("ReadVariableOp"));
    const square = nodeId(doc, (n) => n.op_type === "Mul" && n.id !== cut.target);
    const two = otherInput(doc, cut.target, cut.source);
    // the two reads of x (one by a ReadVariableOp, one inside C++) have one producer each: folded.
    // y is a broken edge's end, 2 made by no op, z the target: kept.
    expect(g.folded.size).toBe(2);
    expect([...g.nodes.keys()].sort()).toEqual([x, read, square, cut.source, two, cut.target, call.target_nodes[0]].sort());
    const intoSquare = g.edges.filter((e) => e.target === square);
    expect(intoSquare.map((e) => [e.source, e.kind]).sort()).toEqual([[read, "input"], [x, "read"]]);
    expect(intoSquare.every((e) => e.via !== null && g.folded.has(e.via))).toBe(true);
    for (const d of [doc, keras(), persistentTapeAll()]) {
      const edges = foldGraph(d, d.gradient_calls[0], { showBackward: true }).edges;
      expect(new Set(edges.map((e) => e.id)).size).toBe(edges.length);
    }
  });

  it("marks the broken edge with its cause, and the outside-tape op", () => {
    const doc = outside();
    const call = doc.gradient_calls[0];
    const g = foldGraph(doc, call);
    const [cut] = call.sources[0].broken_edges;
    const broken = g.edges.filter((e) => e.broken);
    expect(broken.map((e) => [e.source, e.target, e.broken!.cause])).toEqual([[cut.source, cut.target, "outside_tape"]]);
    expect(g.nodes.get(cut.target)!.data.op_type).toBe("Mul");
    expect(g.nodes.get(cut.target)!.tapeStyle).toBe("outside");
    const square = nodeId(doc, (n) => n.op_type === "Mul" && n.id !== cut.target);
    expect(g.nodes.get(square)!.tapeStyle).toBe("recorded");
    expect(g.nodes.get(nodeId(doc, variable("x")))!.status).toBe("none");
    expect(g.nodes.get(call.target_nodes[0])!.isTarget).toBe(true);
  });

  it("folds a tensor that is not special", () => {
    const doc = outside();
    const [cut] = doc.gradient_calls[0].sources[0].broken_edges;
    doc.gradient_calls[0].sources[0].broken_edges = [];
    const g = foldGraph(doc, doc.gradient_calls[0]);
    const y = cut.source;
    expect(g.folded.has(y)).toBe(true);
    const e = g.edges.find((x) => x.via === y)!;
    const square = nodeId(doc, (n) => n.op_type === "Mul" && n.id !== cut.target);
    expect([e.source, e.target, e.kind]).toEqual([square, cut.target, "input"]);
    // recorded on one leg only: gradients cannot flow along the folded edge.
    expect(e.recordedBy).toEqual([]);
  });

  it("hides backward ops by default and shows them on request", () => {
    const doc = persistentTapeAll();
    const backward = doc.graph.nodes.filter((n) => n.phase === "backward").map((n) => n.id);
    expect(backward.length).toBeGreaterThan(0);
    // what only backward ops made goes too
    const madeBackward = doc.graph.edges.filter((e) => backward.includes(e.source)).map((e) => e.target);
    const hidden = foldGraph(doc, doc.gradient_calls[0]);
    for (const id of [...backward, ...madeBackward]) {
      expect(hidden.nodes.has(id)).toBe(false);
      expect(hidden.folded.has(id)).toBe(false);
    }
    const shown = foldGraph(doc, doc.gradient_calls[0], { showBackward: true });
    for (const id of backward) expect(shown.nodes.has(id)).toBe(true);
  });

  it("restricts to the part relevant to the call", () => {
    const doc = keras();
    const call = doc.gradient_calls[0];
    const lossOp = nodeId(doc, op("DivNoNan", "mean_squared_error"));
    const sub = nodeId(doc, op("Sub", "mean_squared_error"));
    const argmax = nodeId(doc, op("ArgMax"));
    const unused = nodeId(doc, variable("dense_2/kernel"));
    const rel = relevantNodes(doc, call);
    expect(rel.has(lossOp)).toBe(true); // makes the loss
    expect(rel.has(argmax)).toBe(false); // feeds the accuracy, not the loss
    expect(rel.has(unused)).toBe(true); // unused source still shown
    const g = foldGraph(doc, call, { onlyRelevant: true });
    expect(g.nodes.has(argmax)).toBe(false);
    expect(g.nodes.has(unused)).toBe(true);
    expect(g.nodes.has(sub)).toBe(true);
  });
});

describe("groups and view", () => {
  it("splits scope paths", () => {
    expect(scopePrefixes("a/b/c")).toEqual(["a", "a/b", "a/b/c"]);
    expect(scopePrefixes("")).toEqual([]);
    expect(scopePrefixes("/a//b/")).toEqual(["a", "a/b"]);
  });

  it("builds a nested scope tree with counts", () => {
    const doc = keras();
    const g = foldGraph(doc, doc.gradient_calls[0]);
    const groups = buildGroups(g);
    expect(groups.topLevel).toEqual(["dense_2", "mean_squared_error", "metrics", "sequential"]);
    const seq = groups.byPath.get("sequential")!;
    expect(seq.children).toEqual(["sequential/dense", "sequential/dense_1"]);
    const inSequential = doc.graph.nodes.filter((n) => n.scope?.startsWith("sequential/"));
    expect(seq.ops).toBe(inSequential.filter((n) => n.kind === "op").length);
    expect(seq.variables).toBe(4);
    expect(groups.byPath.get("dense_2")!.statuses).toEqual(["none", "none"]);
    // at top level: the tensors made outside any layer, by no op (x, y, labels, shape constants)
    expect(groups.rootMembers.length).toBeGreaterThan(0);
    for (const id of groups.rootMembers) {
      expect(g.nodes.get(id)!.data.kind).toBe("tensor");
      expect(doc.graph.edges.some((e) => e.target === id)).toBe(false);
    }
  });

  it("collapses into one box per top-level group, aggregating edges", () => {
    const doc = keras();
    const g = foldGraph(doc, doc.gradient_calls[1]);
    const groups = buildGroups(g);
    const view = computeView(g, groups, new Set());
    expect(view.nodes.filter((n) => n.group).map((n) => n.id).sort()).toEqual([
      "g:dense_2",
      "g:mean_squared_error",
      "g:metrics",
      "g:sequential",
    ]);
    expect(view.nodes.filter((n) => !n.group).map((n) => n.id).sort()).toEqual(groups.rootMembers.map((id) => `n:${id}`).sort());
    expect(view.clusters).toEqual([]);
    const seqToMetrics = view.edges.find((e) => e.source === "g:sequential" && e.target === "g:metrics")!;
    // pred -> ArgMax is the broken edge of call 1; it crosses groups, so the aggregated edge is broken.
    expect(seqToMetrics.broken.map((b) => b.cause)).toEqual(["non_differentiable_op"]);
    expect(view.edges.filter((e) => e.source === e.target)).toEqual([]);
  });

  it("marks a collapsed group that hides a broken edge", () => {
    const doc = keras();
    const g = foldGraph(doc, doc.gradient_calls[1]);
    const groups = buildGroups(g);
    // Move ArgMax and its input into one scope so the broken edge is internal.
    const [cut] = doc.gradient_calls[1].sources[0].broken_edges;
    for (const n of g.nodes.values()) if (n.id === cut.source || n.id === cut.target) n.scope = "head";
    const view = computeView(g, buildGroups(g), new Set());
    expect(view.nodes.find((n) => n.id === "g:head")!.brokenInside).toBe(1);
    expect(view.nodes.find((n) => n.id === "g:sequential")!.brokenInside).toBe(0);
    expect(groups.byPath.has("head")).toBe(false);
  });

  it("expands nested groups into clusters", () => {
    const doc = keras();
    const g = foldGraph(doc, doc.gradient_calls[0]);
    const groups = buildGroups(g);
    const view = computeView(g, groups, new Set(["sequential", "sequential/dense"]));
    const ids = view.nodes.map((n) => n.id);
    const matmul = nodeId(doc, op("MatMul", "sequential/dense"));
    expect(ids).toContain("g:sequential/dense_1");
    expect(ids).toContain(`n:${matmul}`);
    expect(ids).not.toContain("g:sequential");
    expect(view.nodes.find((n) => n.id === `n:${matmul}`)!.parent).toBe("g:sequential/dense");
    expect(view.clusters.map((c) => [c.id, c.parent]).sort()).toEqual([
      ["g:sequential", null],
      ["g:sequential/dense", "g:sequential"],
    ]);
    // Relu (in dense) feeds MatMul (in collapsed dense_1): one aggregated edge, the folded activation.
    const relu = nodeId(doc, op("Relu"));
    const e = view.edges.find((x) => x.source === `n:${relu}` && x.target === "g:sequential/dense_1")!;
    const activation = doc.graph.edges.find((x) => x.source === relu)!.target;
    expect(e.members.map((m) => m.via)).toEqual([activation]);
  });

  it("opens a lone wrapper group by default", () => {
    const doc = keras();
    for (const n of doc.graph.nodes) n.scope = `model/${n.scope ?? ""}`;
    const g = foldGraph(doc, doc.gradient_calls[0]);
    expect([...defaultExpanded(buildGroups(g))]).toEqual(["model"]);
    expect([...defaultExpanded(buildGroups(foldGraph(keras(), null)))]).toEqual([]);
  });
});

describe("search and focus", () => {
  it("finds nodes by op type, variable name and label, in run order", () => {
    const doc = keras();
    const g = foldGraph(doc, doc.gradient_calls[0], { showBackward: true });
    expect(searchNodes(g, "matmul")).toEqual([nodeId(doc, op("MatMul", "sequential/dense")), nodeId(doc, op("MatMul", "sequential/dense_1"))]);
    expect(searchNodes(g, "dense_1/KERNEL")).toEqual([nodeId(doc, variable("sequential/dense_1/kernel"))]);
    expect(searchNodes(g, "  ")).toEqual([]);
    expect(searchNodes(g, "nothing-like-this")).toEqual([]);
  });

  it("highlights a finding's path and broken edge and opens their groups", () => {
    const doc = keras();
    const call = doc.gradient_calls[1];
    const finding = call.sources[0];
    const argmax = nodeId(doc, op("ArgMax"));
    // the whole route from the source to the cut, so the edges folded along it are checked too
    finding.path = route(doc, finding.node!, argmax);
    const g = foldGraph(doc, call);
    const focus = findingFocus(g, finding);
    expect(focus.nodes.has(finding.node!)).toBe(true);
    expect(focus.nodes.has(argmax)).toBe(true);
    expect(focus.nodes.has(nodeId(doc, op("Sub")))).toBe(false); // on the loss path, not the accuracy path
    const broken = g.edges.find((e) => e.broken)!;
    expect(focus.edges.has(broken.id)).toBe(true);
    const relu = nodeId(doc, op("Relu"));
    const reluOut = g.edges.find((e) => e.source === relu)!; // Relu -> MatMul, folded tensor on the path
    expect(reluOut.via).not.toBeNull();
    expect(focus.edges.has(reluOut.id)).toBe(true);
    expect([...focus.expand].sort()).toEqual(["metrics", "sequential", "sequential/dense", "sequential/dense_1"]);
  });

  it("groups a call's findings as the document does, one per missing source without groups", () => {
    const call = kerasMlpUnusedHead().gradient_calls[0];
    expect(findingGroups(call)).toEqual([[4, 5]]);
    expect(groupOf(call, 5)).toEqual([4, 5]);
    expect(groupOf(call, 0)).toEqual([0]); // connected: a finding of its own
    // indices that name no missing source are dropped, and so are groups left empty
    expect(findingGroups({ ...call, groups: [[0, 4], [9], [5]] })).toEqual([[4], [5]]);
    const older: Partial<GradientCall> = { ...call };
    delete older.groups;
    expect(findingGroups(older as GradientCall)).toEqual([[4], [5]]);
    expect(groupOf(older as GradientCall, 5)).toEqual([5]);
  });

  it("highlights every source of a finding: the union of their paths", () => {
    const doc = kerasMlpUnusedHead();
    const call = doc.gradient_calls[0];
    const [kernel, bias] = [call.sources[4], call.sources[5]];
    const g = foldGraph(doc, call);
    const focus = groupFocus(g, [kernel, bias]);
    const one = findingFocus(g, kernel);
    const other = findingFocus(g, bias);
    expect(focus.nodes).toEqual(new Set([...one.nodes, ...other.nodes]));
    expect(focus.edges).toEqual(new Set([...one.edges, ...other.edges]));
    expect(focus.expand).toEqual(new Set([...one.expand, ...other.expand]));
    expect(focus.nodes.has(kernel.node!) && focus.nodes.has(bias.node!)).toBe(true);
    expect(one.nodes.has(bias.node!)).toBe(false);
    expect(focus.edges.size).toBeGreaterThan(one.edges.size);
  });

  it("lights each source's own path and breaks, never an edge from one source's path to another's", () => {
    const node = (id: string): [string, DisplayNode] => [id, { id, data: { id, kind: "op" } as NodeData, scope: "m", status: null, sourceName: null, isTarget: false, tapeStyle: null }];
    const edge = (source: string, target: string, via: string | null = null): DisplayEdge =>
      ({ id: `${source}->${target}`, source, target, kind: undefined, via, members: [{ source, target } as EdgeData], recordedBy: [], differentiable: true, broken: null });
    const g: FoldedGraph = {
      nodes: new Map(["a", "b", "x", "y", "t"].map(node)),
      // a -> b is source A's path, x -> y source B's; b -> x joins the two paths but is on neither
      edges: [edge("a", "b"), edge("b", "x"), edge("x", "y"), edge("y", "t", "folded"), edge("a", "t")],
      folded: new Map(),
      call: null,
    };
    const finding = (path: string[], broken: [string, string][] = []): SourceFinding =>
      ({ node: path[0], path, broken_edges: broken.map(([source, target]) => ({ source, target })) }) as unknown as SourceFinding;
    const A = finding(["a", "b"]);
    const B = finding(["x", "y", "t"], [["a", "t"]]);
    const focus = groupFocus(g, [A, B]);
    expect([...focus.edges].sort()).toEqual(["a->b", "a->t", "x->y"]);
    // y -> t runs through a folded tensor that is on no path; a -> t is lit as B's break
    expect(focus.nodes).toEqual(new Set(["a", "b", "x", "y", "t"]));
    expect(focus.expand).toEqual(new Set(["m"]));
    expect([...groupFocus(g, [A]).edges]).toEqual(["a->b"]);
  });

  it("parses finding keys and rejects bad ones", () => {
    const doc = keras();
    expect(parseFindingKey(doc, "0:4")).toEqual({ call: 0, source: 4 });
    expect(parseFindingKey(doc, "1:1")).toBeNull();
    expect(parseFindingKey(doc, "")).toBeNull();
    expect(parseFindingKey(doc, "x:0")).toBeNull();
  });

  it("keeps numpy-born tensors as nodes", () => {
    const doc = outside();
    const [cut] = doc.gradient_calls[0].sources[0].broken_edges;
    const two = doc.graph.nodes.find((n) => n.id === otherInput(doc, cut.target, cut.source))!;
    // 2 came back from NumPy as a copy of y: one producer, yet kept, with the round trip drawn
    doc.graph.edges.push({ source: cut.source, target: two.id, kind: "numpy" });
    two.origin = "numpy";
    const g = foldGraph(doc, doc.gradient_calls[0]);
    expect(g.nodes.has(two.id)).toBe(true);
    expect(g.edges.some((e) => e.kind === "numpy" && e.target === two.id)).toBe(true);
    two.origin = "op";
    expect(foldGraph(doc, doc.gradient_calls[0]).folded.has(two.id)).toBe(true);
  });
});

describe("input tensors, capture chains and evidence", () => {
  it("keeps tensors TF converted from Python values as nodes, like constants", () => {
    const doc = outside();
    const [cut] = doc.gradient_calls[0].sources[0].broken_edges;
    const two = doc.graph.nodes.find((n) => n.id === otherInput(doc, cut.target, cut.source))!;
    expect(two.origin).toBe("input");
    // give it a producer, so only its origin keeps it from being folded into an edge
    doc.graph.edges.push({ source: cut.source, target: two.id, kind: "output" });
    for (const origin of ["input", "constant"] as const) {
      two.origin = origin;
      expect(foldGraph(doc, doc.gradient_calls[0]).nodes.get(two.id)?.data.kind).toBe("tensor");
    }
    two.origin = "op";
    expect(foldGraph(doc, doc.gradient_calls[0]).folded.has(two.id)).toBe(true);
  });

  it("draws a capture between two folded tensors as one edge from the producer to the body's op", () => {
    const doc = outside();
    const call = doc.gradient_calls[0];
    const [cut] = call.sources[0].broken_edges;
    const square = nodeId(doc, (n) => n.op_type === "Mul" && n.id !== cut.target);
    const squared = doc.graph.edges.find((e) => e.source === square && e.kind === "output")!.target;
    // y is captured by a traced body as placeholder t:p, read there by an Identity whose result feeds z = _ * 2
    call.sources[0].broken_edges = [];
    doc.graph.nodes.push(
      { id: "t:p", kind: "tensor", origin: "function_input", scope: "" },
      { id: "op:id", kind: "op", op_type: "Identity", scope: "", recorded_by: ["tape:0"] },
      { id: "t:id", kind: "tensor", origin: "op", scope: "" });
    doc.graph.edges.push(
      { source: squared, target: "t:p", kind: "capture", recorded_by: ["tape:0"] },
      { source: "t:p", target: "op:id", kind: "input", recorded_by: ["tape:0"] },
      { source: "op:id", target: "t:id", kind: "output", recorded_by: ["tape:0"] },
      { source: "t:id", target: cut.target, kind: "input" });
    call.nodes.push("t:p", "op:id", "t:id");
    const g = foldGraph(doc, call, { onlyRelevant: true });
    expect(g.folded.has(squared) && g.folded.has("t:p")).toBe(true);
    const captured = g.edges.filter((e) => e.target === "op:id");
    expect(captured.map((e) => [e.source, e.kind, e.via, e.members.length])).toEqual([[square, "capture", squared, 3]]);
    expect(captured[0].recordedBy).toEqual(["tape:0"]);
    // a fact about the placeholder lights that edge
    expect([...evidenceFocus(g, ["t:p"]).edges]).toEqual([captured[0].id]);
  });

  it("highlights a fact's drawn nodes, the edges between them and the edges of folded tensors", () => {
    const doc = outside();
    const call = doc.gradient_calls[0];
    const [cut] = call.sources[0].broken_edges;
    const g = foldGraph(doc, call);
    const both = evidenceFocus(g, [cut.source, cut.target]);
    expect([...both.nodes].sort()).toEqual([cut.source, cut.target].sort());
    expect([...both.edges]).toEqual(g.edges.filter((e) => e.source === cut.source && e.target === cut.target).map((e) => e.id));
    // a tensor folded into an edge lights that edge
    const [tensor] = [...g.folded.keys()];
    const folded = evidenceFocus(g, [tensor]);
    expect(folded.nodes.size).toBe(0);
    expect([...folded.edges]).toEqual(g.edges.filter((e) => e.via === tensor).map((e) => e.id));
    expect(folded.edges.size).toBe(1);
    // nothing drawn: nothing to highlight
    const none = evidenceFocus(g, ["t:999"]);
    expect(none.nodes.size + none.edges.size).toBe(0);
  });

  it("opens the groups that hide a fact's nodes", () => {
    const doc = keras();
    const g = foldGraph(doc, doc.gradient_calls[1]);
    const matmul = nodeId(doc, op("MatMul", "sequential/dense_1"));
    expect([...evidenceFocus(g, [matmul]).expand].sort()).toEqual(["sequential", "sequential/dense_1"]);
  });
});

describe("groupWideLevels", () => {
  /**
   * A flat model: `n` top-level layer scopes in a chain, the loss at top level. Built from a
   * produced document whose graph and sources are replaced (a source is a copy of a real one).
   */
  function flatDoc(n: number, opts: { noneAt?: number[]; brokenAt?: number } = {}): Document {
    const doc = outside();
    const [call] = doc.gradient_calls;
    const template = call.sources[0];
    const nodes: NodeData[] = [];
    const edges: Document["graph"]["edges"] = [];
    let prev = "";
    const sources: Document["gradient_calls"][number]["sources"] = [];
    for (let i = 0; i < n; i++) {
      const scope = i ? `dense_${i}` : "dense";
      nodes.push({ id: `v:${i}`, kind: "variable", name: `${scope}/kernel`, scope, seq: 2 * i });
      nodes.push({ id: `op:${i}`, kind: "op", op_type: "MatMul", scope, seq: 2 * i + 1, recorded_by: ["tape:0"] });
      edges.push({ source: `v:${i}`, target: `op:${i}`, kind: "read" });
      if (prev) edges.push({ source: prev, target: `op:${i}`, kind: "input" });
      prev = `op:${i}`;
      const none = opts.noneAt?.includes(i) ?? false;
      const broken = opts.brokenAt === i;
      sources.push({ ...structuredClone(template), expr: `v${i}`, name: `${scope}/kernel`, node: `v:${i}`, status: none || broken ? "none" : "ok",
        cause: null, culprit_file: null, culprit_line: null, culprit_code: null, explanation: "", fix: "", path: [],
        broken_edges: broken ? [{ source: `op:${i - 1}`, target: `op:${i}`, cause: "outside_tape" }] : [] });
    }
    nodes.push({ id: "op:loss", kind: "op", op_type: "Mean", scope: "", seq: 2 * n, recorded_by: ["tape:0"] });
    edges.push({ source: prev, target: "op:loss", kind: "input" });
    Object.assign(call, { target: "loss", target_nodes: ["op:loss"], sources });
    Object.assign(doc.graph, { nodes, edges });
    return doc;
  }

  it("leaves ordinary levels alone", () => {
    const doc = keras();
    const g = foldGraph(doc, doc.gradient_calls[0]);
    expect(groupWideLevels(g)).toBe(g);
    const flat = flatDoc(30);
    const f = foldGraph(flat, flat.gradient_calls[0]);
    expect(groupWideLevels(f)).toBe(f);
  });

  it("folds 200 flat layer scopes into ranges of round size, in run order", () => {
    const doc = flatDoc(200);
    const g = groupWideLevels(foldGraph(doc, doc.gradient_calls[0]));
    const groups = buildGroups(g);
    expect(groups.topLevel).toHaveLength(10);
    const ranges = groups.topLevel.map((p) => groups.byPath.get(p)!);
    expect(ranges.every((r) => r.range?.count === 20 && r.scopePath === "")).toBe(true);
    expect(ranges.map((r) => r.name)).toContain("dense … dense_19");
    expect(ranges.map((r) => r.name)).toContain("dense_180 … dense_199");
    // the real scope keeps its path; the node data is untouched
    const inner = groups.byPath.get(ranges.find((r) => r.name === "dense_20 … dense_39")!.children[0])!;
    expect(inner.scopePath).toMatch(/^dense_\d+$/);
    expect(g.nodes.get("op:25")!.data.scope).toBe("dense_25");
    // collapsed: ten boxes and the loss, chained
    const v = computeView(g, groups, defaultExpanded(groups));
    expect(v.nodes).toHaveLength(11);
    expect(v.edges).toHaveLength(10);
    // opening a range shows its scopes; selecting a node inside opens the range too
    const opened = groupsContaining(g, ["op:25"]);
    expect([...opened].some((p) => groups.byPath.get(p)?.range)).toBe(true);
    expect(computeView(g, groups, opened).nodes).toHaveLength(10 + 19 + 2);
  });

  it("keeps the scopes that hold the problem on their own", () => {
    const doc = flatDoc(200, { brokenAt: 57, noneAt: [120] });
    const g = groupWideLevels(foldGraph(doc, doc.gradient_calls[0]));
    const groups = buildGroups(g);
    expect(groups.topLevel).toContain("dense_57");
    expect(groups.topLevel).toContain("dense_56"); // the broken edge's source
    expect(groups.topLevel).toContain("dense_120");
    expect(groups.byPath.get("dense_57")!.range).toBeNull();
    // ...but not when most of the model is cut off: then the ranges' dots say it
    const all = flatDoc(200, { noneAt: [...Array(200).keys()] });
    const ga = buildGroups(groupWideLevels(foldGraph(all, all.gradient_calls[0])));
    expect(ga.topLevel).toHaveLength(10);
    expect(ga.byPath.get(ga.topLevel[0])!.statuses).toContain("none");
  });

  it("splits ranges that are themselves too wide", () => {
    const doc = flatDoc(2000);
    const g = groupWideLevels(foldGraph(doc, doc.gradient_calls[0]));
    const groups = buildGroups(g);
    expect(groups.topLevel.length).toBeLessThanOrEqual(12);
    for (const p of groups.topLevel) expect(groups.byPath.get(p)!.children.length).toBeLessThanOrEqual(30);
  });
});

describe("bundleInputs", () => {
  /** The outside-tape doc with `k` more loose shape tensors, all feeding the outside-tape op. */
  function fanIn(k: number): { doc: Document; y: string; two: string } {
    const doc = outside();
    const [cut] = doc.gradient_calls[0].sources[0].broken_edges;
    const two = otherInput(doc, cut.target, cut.source);
    for (let i = 0; i < k; i++) {
      doc.graph.nodes.push({ id: `t:x${i}`, kind: "tensor", label: "int32[2]", scope: "", origin: "constant", dtype: "int32" });
      doc.graph.edges.push({ source: `t:x${i}`, target: cut.target, kind: "input" });
    }
    return { doc, y: cut.source, two };
  }

  it("draws many loose inputs of one box as one expandable group", () => {
    const { doc, y, two } = fanIn(6);
    const g = readable(foldGraph(doc, doc.gradient_calls[0]));
    const groups = buildGroups(g);
    const bundle = [...groups.byPath.values()].find((x) => x.range?.kind === "inputs")!;
    // the program's 2 feeds the op too; the broken edge's end (y) stays out
    expect(bundle.name).toBe("7 inputs → Mul");
    expect(bundle.tensors).toBe(7);
    expect(bundle.members).toContain(two);
    expect(bundle.members).not.toContain(y);
    const v = computeView(g, groups, defaultExpanded(groups));
    expect(v.nodes.filter((n) => n.id.startsWith("n:t:x"))).toHaveLength(0);
    expect(v.edges.find((e) => e.source === `g:${bundle.path}`)!.members).toHaveLength(7);
    // the node data keeps its real scope
    expect(g.nodes.get("t:x0")!.data.scope).toBe("");
  });

  it("leaves a few loose inputs alone", () => {
    const { doc } = fanIn(3);
    const g = foldGraph(doc, doc.gradient_calls[0]);
    expect(readable(g)).toBe(g);
  });

  it("labels sources with the finding's name (Keras 3 variable names repeat)", () => {
    const doc = outside();
    const source = doc.gradient_calls[0].sources[0];
    source.name = "model/dense/kernel";
    const g = foldGraph(doc, doc.gradient_calls[0]);
    expect(g.nodes.get(source.node!)!.sourceName).toBe("model/dense/kernel");
    expect(searchNodes(g, "dense/kernel")).toEqual([source.node]);
  });
});
