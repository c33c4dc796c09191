/**
 * The graph people read first (issue: model-shaped, the cut first): on the real documents of a
 * ResNet-style model with an unused head and of a GAN whose losses were computed after the tapes.
 */
import { describe, expect, it } from "vitest";
import {
  buildGroups,
  computeView,
  danglingBranches,
  foldGraph,
  groupLabel,
  type FoldedGraph,
  type Groups,
} from "../src/model";
import { defaultExpanded, findingAnchors, readable, revealGroups } from "../src/first-view";
import { badgeText } from "../src/render";
import type { Document } from "../src/types";
import { ganLossAfterTape, resnetUnusedHead } from "./documents";

/** What the widget shows first for call `index`: the folded graph, its groups and the groups it opens. */
function firstView(doc: Document, index = 0): { g: FoldedGraph; groups: Groups; expanded: Set<string> } {
  const call = doc.gradient_calls[index];
  const g = readable(foldGraph(doc, call, { onlyRelevant: true }));
  const groups = buildGroups(g);
  const base = defaultExpanded(groups);
  const bad = call.sources.filter((f) => f.status !== "ok");
  const expanded = new Set([...base, ...revealGroups(g, groups, findingAnchors(g, bad), base)]);
  return { g, groups, expanded };
}

describe("a functional model with an unused head", () => {
  it("puts each layer's variables inside its layer's group, nested in the model", () => {
    const doc = resnetUnusedHead();
    const kernel = doc.graph.nodes.find((n) => n.kind === "variable" && n.name === "aux_head/kernel")!;
    const matmul = doc.graph.nodes.find((n) => n.kind === "op" && n.op_type === "MatMul" && n.scope?.endsWith("aux_head"))!;
    expect(kernel.scope).toBe("functional/aux_head");
    expect(kernel.scope).toBe(matmul.scope);
    const { groups } = firstView(doc);
    const aux = groups.byPath.get("functional/aux_head")!;
    expect(aux.variables).toBe(2);
    expect(aux.ops).toBeGreaterThan(0);
    // no layer group of variables alone beside the model
    expect(groups.topLevel).not.toContain("aux_head");
  });

  it("draws the head as a dangling branch ending in the output the user's code named", () => {
    const doc = resnetUnusedHead();
    const call = doc.gradient_calls[0];
    const branch = danglingBranches(doc, call);
    const ends = [...branch].filter(([, end]) => end !== null);
    expect(ends.map(([, end]) => end)).toEqual(["aux_logits"]);
    // nothing on the branch is something the loss depends on
    const feeds = new Set(call.target_nodes);
    for (const id of branch.keys()) expect(feeds.has(id)).toBe(false);

    const { g, groups, expanded } = firstView(doc);
    const [endId] = ends[0];
    const end = g.nodes.get(endId)!;
    expect(end.danglingEnd).toBe("aux_logits");
    // beside its layer, in the model's group, so a closed layer still shows where the branch ends
    expect(end.scope).toBe("functional");
    // the model and the head (small, it holds the None sources) are open at first; no other layer is
    expect([...expanded].sort()).toEqual(["functional", "functional/aux_head"]);
    const view = computeView(g, groups, expanded);
    expect(view.nodes.map((n) => n.id)).toContain(`n:${endId}`);
    const auxOps = [...g.nodes.values()].filter((n) => n.scope === "functional/aux_head" && n.data.kind === "op");
    expect(auxOps.length).toBeGreaterThan(0);
    expect(auxOps.every((n) => n.dangling)).toBe(true);
    expect(groups.byPath.get("functional/aux_head")!.danglingOps).toBe(auxOps.length);
    // the layers the loss uses are not on the branch
    expect([...g.nodes.values()].some((n) => n.scope === "functional/head" && n.dangling)).toBe(false);
  });

  it("names the finding as Python does, with the sources' names as a fallback", () => {
    const call = resnetUnusedHead().gradient_calls[0];
    expect(groupLabel(call, call.groups[0])).toBe("kernel, bias (layer aux_head)");
    const older = { ...call, group_labels: undefined } as unknown as typeof call;
    expect(groupLabel(older, call.groups[0])).toBe("aux_head/kernel, aux_head/bias");
  });
});

describe("a GAN whose losses were computed after the tapes", () => {
  it("keeps the loss function's internals closed and draws the cut once, with a count", () => {
    const doc = ganLossAfterTape();
    const { g, groups, expanded } = firstView(doc, 0);
    expect(expanded.has("binary_crossentropy")).toBe(false);
    // the generator's layers hold the None sources: open
    expect(expanded.has("generator/g1")).toBe(true);
    const view = computeView(g, groups, expanded);
    const into = view.edges.filter((e) => e.broken.length && e.target === "g:binary_crossentropy");
    expect(into).toHaveLength(1);
    expect(into[0].broken.length).toBeGreaterThan(1);
    expect(badgeText(into[0])).toBe(`outside_tape ×${into[0].broken.length}`);
    // every broken edge of the call is drawn (on a boundary or between nodes), none hidden inside a closed box
    expect(view.nodes.filter((n) => n.brokenInside > 0)).toEqual([]);
  });

  it("groups the four variables of each model into one finding", () => {
    const doc = ganLossAfterTape();
    for (const call of doc.gradient_calls) {
      expect(call.groups).toEqual([[0, 1, 2, 3]]);
      expect(call.sources.every((s) => s.cause === "outside_tape")).toBe(true);
    }
    expect(doc.gradient_calls.map((c) => c.group_labels[0])).toEqual([
      "4 variables in 2 layers of generator: g1, g2",
      "4 variables in 2 layers of discriminator: d1, d2",
    ]);
  });
});
