import { describe, expect, it } from "vitest";
import {
  buildGroups,
  computeView,
  defaultExpanded,
  findingFocus,
  foldGraph,
  parseFindingKey,
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
