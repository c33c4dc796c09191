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

  it("wraps a long chain into side-by-side columns, keeping a labelled edge in one column", () => {
    const n = 40;
    const req: LayoutRequest = {
      clusters: [],
      nodes: Array.from({ length: n }, (_, i) => ({ id: `n:${i}`, width: 200, height: 44, parent: null })),
      edges: Array.from({ length: n - 1 }, (_, i) => ({ id: `e${i}`, source: `n:${i}`, target: `n:${i + 1}`, ...(i === 20 ? { labelWidth: 80, labelHeight: 16 } : {}) })),
    };
    const r = layoutGraph(req);
    expect(r.width).toBeGreaterThan(r.height); // landscape, not one tall column
    const xs = new Set(Object.values(r.nodes).map((b) => Math.round(b.x)));
    expect(xs.size).toBeGreaterThan(1);
    const boxes = Object.values(r.nodes);
    for (const b of boxes) {
      expect(b.x).toBeGreaterThanOrEqual(0);
      expect(b.y).toBeGreaterThanOrEqual(0);
      expect(b.x + b.width).toBeLessThanOrEqual(r.width);
      expect(b.y + b.height).toBeLessThanOrEqual(r.height);
    }
    for (let i = 0; i < boxes.length; i++)
      for (let j = i + 1; j < boxes.length; j++) {
        const [a, b] = [boxes[i], boxes[j]];
        expect(a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height).toBe(false);
      }
    // every edge still starts at its source and ends at its target
    for (const e of req.edges) {
      const pts = r.edges[e.id].points;
      const s = r.nodes[e.source];
      const t = r.nodes[e.target];
      expect(Math.abs(pts[0].y - (s.y + s.height))).toBeLessThan(2);
      expect(Math.abs(pts[pts.length - 1].y - t.y)).toBeLessThan(2);
    }
    expect(Math.round(r.nodes["n:20"].x)).toBe(Math.round(r.nodes["n:21"].x));
    expect(r.edges.e20.label).not.toBeNull();
  });

  it("does not wrap a short graph", () => {
    const req: LayoutRequest = {
      clusters: [],
      nodes: Array.from({ length: 6 }, (_, i) => ({ id: `n:${i}`, width: 200, height: 44, parent: null })),
      edges: Array.from({ length: 5 }, (_, i) => ({ id: `e${i}`, source: `n:${i}`, target: `n:${i + 1}` })),
    };
    const r = layoutGraph(req);
    expect(new Set(Object.values(r.nodes).map((b) => Math.round(b.x))).size).toBe(1);
  });
});
