import { describe, expect, it } from "vitest";
import {
  buildGroups,
  computeView,
  defaultExpanded,
  findingFocus,
  foldGraph,
  groupsContaining,
  groupWideLevels,
  parseFindingKey,
  readable,
  relevantNodes,
  scopePrefixes,
  searchNodes,
} from "../src/model";
import type { Document, NodeData } from "../src/types";
import outsideJson from "./fixtures/outside_tape.json";
import kerasJson from "./fixtures/keras_grouped.json";

const outside = (): Document => structuredClone(outsideJson) as Document;
const keras = (): Document => structuredClone(kerasJson) as Document;

describe("foldGraph", () => {
  it("folds single-producer tensors into edges and keeps the interesting ones", () => {
    const doc = outside();
    const g = foldGraph(doc, doc.gradient_calls[0]);
    // t:0 (read of x) has one producer: folded. t:1 is a broken-edge endpoint,
    // t:2 a constant, t:3 the target: kept.
    expect([...g.folded.keys()]).toEqual(["t:0"]);
    expect([...g.nodes.keys()].sort()).toEqual(["op:1", "op:2", "t:1", "t:2", "t:3", "v:0"]);
    const viaRead = g.edges.filter((e) => e.via === "t:0");
    expect(viaRead).toHaveLength(2); // x * x: two inputs
    expect(viaRead.every((e) => e.source === "v:0" && e.target === "op:1" && e.kind === "read")).toBe(true);
    expect(new Set(viaRead.map((e) => e.id)).size).toBe(2);
  });

  it("marks the broken edge with its cause, and the outside-tape op", () => {
    const doc = outside();
    const g = foldGraph(doc, doc.gradient_calls[0]);
    const broken = g.edges.filter((e) => e.broken);
    expect(broken.map((e) => [e.source, e.target, e.broken!.cause])).toEqual([["t:1", "op:2", "outside_tape"]]);
    expect(g.nodes.get("op:2")!.tapeStyle).toBe("outside");
    expect(g.nodes.get("op:1")!.tapeStyle).toBe("recorded");
    expect(g.nodes.get("v:0")!.status).toBe("none");
    expect(g.nodes.get("t:3")!.isTarget).toBe(true);
  });

  it("folds a tensor that is not special", () => {
    const doc = outside();
    doc.gradient_calls[0].sources[0].broken_edges = [];
    const g = foldGraph(doc, doc.gradient_calls[0]);
    expect(g.folded.has("t:1")).toBe(true);
    const e = g.edges.find((x) => x.via === "t:1")!;
    expect([e.source, e.target, e.kind]).toEqual(["op:1", "op:2", "input"]);
    // recorded on one leg only: gradients cannot flow along the folded edge.
    expect(e.recordedBy).toEqual([]);
  });

  it("hides backward ops by default and shows them on request", () => {
    const doc = keras();
    const hidden = foldGraph(doc, doc.gradient_calls[0]);
    expect(hidden.nodes.has("op:11")).toBe(false);
    expect(hidden.nodes.has("t:17")).toBe(false);
    const shown = foldGraph(doc, doc.gradient_calls[0], { showBackward: true });
    expect(shown.nodes.has("op:11")).toBe(true);
  });

  it("restricts to the part relevant to the call", () => {
    const doc = keras();
    const rel = relevantNodes(doc, doc.gradient_calls[0]);
    expect(rel.has("op:7")).toBe(true); // Mean of the loss
    expect(rel.has("op:8")).toBe(false); // ArgMax feeds acc, not loss
    expect(rel.has("v:4")).toBe(true); // unused source still shown
    const g = foldGraph(doc, doc.gradient_calls[0], { onlyRelevant: true });
    expect(g.nodes.has("op:8")).toBe(false);
    expect(g.nodes.has("v:4")).toBe(true);
    expect(g.nodes.has("op:5")).toBe(true);
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
    expect(groups.topLevel).toEqual(["mean_squared_error", "metrics", "sequential"]);
    const seq = groups.byPath.get("sequential")!;
    expect(seq.children).toEqual(["sequential/dense", "sequential/dense_1", "sequential/dense_2"]);
    expect(seq.ops).toBe(5);
    expect(seq.variables).toBe(6);
    expect(groups.byPath.get("sequential/dense_2")!.statuses).toEqual(["none", "none"]);
    expect(groups.rootMembers.sort()).toEqual(["t:0", "t:1"]);
  });

  it("collapses into one box per top-level group, aggregating edges", () => {
    const doc = keras();
    const g = foldGraph(doc, doc.gradient_calls[1]);
    const groups = buildGroups(g);
    const view = computeView(g, groups, new Set());
    expect(view.nodes.map((n) => n.id).sort()).toEqual([
      "g:mean_squared_error",
      "g:metrics",
      "g:sequential",
      "n:t:0",
      "n:t:1",
    ]);
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
    for (const n of g.nodes.values()) if (n.id === "op:8" || n.id === "t:10") n.scope = "head";
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
    expect(ids).toContain("g:sequential/dense_1");
    expect(ids).toContain("n:op:0");
    expect(ids).not.toContain("g:sequential");
    expect(view.nodes.find((n) => n.id === "n:op:0")!.parent).toBe("g:sequential/dense");
    expect(view.clusters.map((c) => [c.id, c.parent]).sort()).toEqual([
      ["g:sequential", null],
      ["g:sequential/dense", "g:sequential"],
    ]);
    // Relu (in dense) feeds MatMul (in collapsed dense_1): one aggregated edge.
    const e = view.edges.find((x) => x.source === "n:op:2" && x.target === "g:sequential/dense_1")!;
    expect(e.members.map((m) => m.via)).toEqual(["t:6"]);
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
    expect(searchNodes(g, "matmul")).toEqual(["op:0", "op:3"]);
    expect(searchNodes(g, "dense_1/KERNEL")).toEqual(["v:2"]);
    expect(searchNodes(g, "  ")).toEqual([]);
    expect(searchNodes(g, "nothing-like-this")).toEqual([]);
  });

  it("highlights a finding's path and broken edge and opens their groups", () => {
    const doc = keras();
    const call = doc.gradient_calls[1];
    const g = foldGraph(doc, call);
    const focus = findingFocus(g, call.sources[0]);
    expect(focus.nodes.has("v:0")).toBe(true);
    expect(focus.nodes.has("op:8")).toBe(true);
    expect(focus.nodes.has("op:5")).toBe(false); // on the loss path, not the acc path
    const broken = g.edges.find((e) => e.broken)!;
    expect(focus.edges.has(broken.id)).toBe(true);
    const relu = g.edges.find((e) => e.via === "t:6")!; // Relu -> MatMul, folded tensor on the path
    expect(focus.edges.has(relu.id)).toBe(true);
    expect([...focus.expand].sort()).toEqual(["metrics", "metrics/accuracy", "sequential", "sequential/dense", "sequential/dense_1"]);
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
    const t2 = doc.graph.nodes.find((n) => n.id === "t:2") as NodeData;
    t2.origin = "numpy";
    doc.graph.edges.push({ source: "t:1", target: "t:2", kind: "numpy" });
    const g = foldGraph(doc, doc.gradient_calls[0]);
    expect(g.nodes.has("t:2")).toBe(true);
    expect(g.edges.some((e) => e.kind === "numpy" && e.target === "t:2")).toBe(true);
  });
});

describe("groupWideLevels", () => {
  /** A flat model: `n` top-level layer scopes in a chain, the loss at top level. */
  function flatDoc(n: number, opts: { noneAt?: number[]; brokenAt?: number } = {}): Document {
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
      sources.push({ expr: `v${i}`, name: `${scope}/kernel`, node: `v:${i}`, status: none || broken ? "none" : "ok", cause: null, culprit_file: null,
        culprit_line: null, culprit_code: null, explanation: "", fix: "", path: [],
        broken_edges: broken ? [{ source: `op:${i - 1}`, target: `op:${i}`, cause: "outside_tape" }] : [] });
    }
    nodes.push({ id: "op:loss", kind: "op", op_type: "Mean", scope: "", seq: 2 * n, recorded_by: ["tape:0"] });
    edges.push({ source: prev, target: "op:loss", kind: "input" });
    return {
      schema_version: 1, meta: {}, source_lines: {},
      summary: { headline: "", gradient_calls: 1, missing: 0, zero: 0, all_connected: false },
      gradient_calls: [{ id: 0, file: null, line: null, code: null, tape: "tape:0", target: "loss", target_nodes: ["op:loss"], count: 1,
        unconnected_gradients: "none", sources }],
      graph: { directed: true, multigraph: true, graph: {}, nodes, edges },
    };
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
  function fanIn(k: number): Document {
    const doc = outside();
    // k loose shape tensors, all feeding the outside-tape op
    for (let i = 0; i < k; i++) {
      doc.graph.nodes.push({ id: `t:x${i}`, kind: "tensor", label: "int32[2]", scope: "", origin: "constant", dtype: "int32" });
      doc.graph.edges.push({ source: `t:x${i}`, target: "op:2", kind: "input" });
    }
    return doc;
  }

  it("draws many loose inputs of one box as one expandable group", () => {
    const doc = fanIn(6);
    const g = readable(foldGraph(doc, doc.gradient_calls[0]));
    const groups = buildGroups(g);
    const bundle = [...groups.byPath.values()].find((x) => x.range?.kind === "inputs")!;
    // the fixture's constant t:2 feeds op:2 too; the broken edge's end (t:1) stays out
    expect(bundle.name).toBe("7 inputs → Mul");
    expect(bundle.tensors).toBe(7);
    expect(bundle.members).toContain("t:2");
    expect(bundle.members).not.toContain("t:1");
    const v = computeView(g, groups, defaultExpanded(groups));
    expect(v.nodes.filter((n) => n.id.startsWith("n:t:x"))).toHaveLength(0);
    expect(v.edges.find((e) => e.source === `g:${bundle.path}`)!.members).toHaveLength(7);
    // the node data keeps its real scope
    expect(g.nodes.get("t:x0")!.data.scope).toBe("");
  });

  it("leaves a few loose inputs alone", () => {
    const doc = fanIn(3);
    const g = foldGraph(doc, doc.gradient_calls[0]);
    expect(readable(g)).toBe(g);
  });

  it("labels sources with the finding's name (Keras 3 variable names repeat)", () => {
    const doc = outside();
    doc.gradient_calls[0].sources[0].name = "model/dense/kernel";
    const g = foldGraph(doc, doc.gradient_calls[0]);
    expect(g.nodes.get("v:0")!.sourceName).toBe("model/dense/kernel");
    expect(searchNodes(g, "dense/kernel")).toEqual(["v:0"]);
  });
});
