import { describe, expect, it } from "vitest";
import { layoutGraph, type Box, type LayoutRequest } from "../src/layout";

const inside = (inner: Box, outer: Box): boolean =>
  inner.x >= outer.x && inner.y >= outer.y && inner.x + inner.width <= outer.x + outer.width && inner.y + inner.height <= outer.y + outer.height;

const request = (): LayoutRequest => ({
  clusters: [
    { id: "g:a", parent: null },
    { id: "g:a/b", parent: "g:a" },
  ],
  nodes: [
    { id: "n:x", width: 60, height: 20, parent: null },
    { id: "n:a1", width: 80, height: 28, parent: "g:a" },
    { id: "n:b1", width: 80, height: 28, parent: "g:a/b" },
    { id: "n:b2", width: 80, height: 28, parent: "g:a/b" },
    { id: "g:c", width: 120, height: 44, parent: null },
  ],
  edges: [
    { id: "x->a1", source: "n:x", target: "n:a1" },
    { id: "a1->b1", source: "n:a1", target: "n:b1" },
    { id: "b1->b2", source: "n:b1", target: "n:b2", labelWidth: 70, labelHeight: 16 },
    { id: "b2->c", source: "n:b2", target: "g:c" },
  ],
});

describe("layoutGraph", () => {
  it("nests clusters and keeps their nodes inside them", () => {
    const r = layoutGraph(request());
    expect(inside(r.nodes["n:b1"], r.clusters["g:a/b"])).toBe(true);
    expect(inside(r.nodes["n:b2"], r.clusters["g:a/b"])).toBe(true);
    expect(inside(r.clusters["g:a/b"], r.clusters["g:a"])).toBe(true);
    expect(inside(r.nodes["n:a1"], r.clusters["g:a"])).toBe(true);
    expect(inside(r.nodes["n:a1"], r.clusters["g:a/b"])).toBe(false);
    expect(inside(r.nodes["n:x"], r.clusters["g:a"])).toBe(false);
    for (const b of [...Object.values(r.nodes), ...Object.values(r.clusters)]) {
      expect(b.x).toBeGreaterThanOrEqual(0);
      expect(b.x + b.width).toBeLessThanOrEqual(r.width);
      expect(b.y + b.height).toBeLessThanOrEqual(r.height);
    }
  });

  it("flows top to bottom and routes every edge, joining cross-group edges to their endpoints", () => {
    const r = layoutGraph(request());
    expect(r.nodes["n:b1"].y).toBeLessThan(r.nodes["n:b2"].y);
    expect(r.nodes["n:x"].y).toBeLessThan(r.nodes["n:a1"].y);
    for (const id of ["x->a1", "a1->b1", "b1->b2", "b2->c"]) expect(r.edges[id].points.length).toBeGreaterThanOrEqual(2);
    // b2 is two groups deep: its edge leaves both groups through their bottoms and ends at c.
    const cross = r.edges["b2->c"].points;
    const b2 = r.nodes["n:b2"];
    const c = r.nodes["g:c"];
    expect(cross[0].y).toBeCloseTo(b2.y + b2.height, 0);
    expect(cross[0].x).toBeGreaterThanOrEqual(b2.x);
    expect(cross[0].x).toBeLessThanOrEqual(b2.x + b2.width);
    expect(cross[cross.length - 1].y).toBeCloseTo(c.y, 0);
    const ab = r.clusters["g:a/b"];
    expect(cross.some((p) => Math.abs(p.y - (ab.y + ab.height)) < ab.height / 4)).toBe(true);
    expect(r.edges["b1->b2"].label).not.toBeNull();
    expect(r.edges["x->a1"].label).toBeNull();
  });

  it("does not overlap sibling boxes", () => {
    const r = layoutGraph(request());
    const a = r.clusters["g:a"];
    const c = r.nodes["g:c"];
    const overlap = a.x < c.x + c.width && c.x < a.x + a.width && a.y < c.y + c.height && c.y < a.y + a.height;
    expect(overlap).toBe(false);
  });

  it("lays out an empty view", () => {
    const r = layoutGraph({ nodes: [], clusters: [], edges: [] });
    expect(r.nodes).toEqual({});
    expect(r.width).toBeGreaterThanOrEqual(0);
  });
});
