/**
 * Layered layout of the visible view (dagre, compound: expanded groups are clusters).
 * Pure and DOM-free: it runs inside the Web Worker, or on the main thread as a fallback.
 */
import { Graph, layout } from "@dagrejs/dagre";

export interface Point {
  x: number;
  y: number;
}

/** Top-left corner and size. */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface LayoutRequest {
  nodes: { id: string; width: number; height: number; parent: string | null }[];
  clusters: { id: string; parent: string | null }[];
  edges: { id: string; source: string; target: string; labelWidth?: number; labelHeight?: number }[];
}

export interface LayoutResult {
  nodes: Record<string, Box>;
  clusters: Record<string, Box>;
  edges: Record<string, { points: Point[]; label: Point | null }>;
  width: number;
  height: number;
  ms: number;
}

/** Room above a cluster's content for its title bar. */
export const CLUSTER_HEADER = 22;

export function layoutGraph(req: LayoutRequest): LayoutResult {
  const t0 = Date.now();
  const g = new Graph({ compound: true, multigraph: true });
  g.setGraph({ rankdir: "TB", nodesep: 22, edgesep: 12, ranksep: 38, marginx: 24, marginy: 24 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const c of req.clusters) g.setNode(c.id, {});
  for (const n of req.nodes) g.setNode(n.id, { width: n.width, height: n.height });
  for (const c of req.clusters) if (c.parent) g.setParent(c.id, c.parent);
  for (const n of req.nodes) if (n.parent) g.setParent(n.id, n.parent);
  for (const e of req.edges) {
    const label = e.labelWidth ? { width: e.labelWidth, height: e.labelHeight ?? 16, labelpos: "c" } : {};
    g.setEdge(e.source, e.target, label, e.id);
  }
  layout(g);

  const box = (id: string): Box => {
    const n = g.node(id) as { x: number; y: number; width: number; height: number };
    return { x: n.x - n.width / 2, y: n.y - n.height / 2, width: n.width, height: n.height };
  };
  const result: LayoutResult = { nodes: {}, clusters: {}, edges: {}, width: 0, height: 0, ms: 0 };
  for (const n of req.nodes) result.nodes[n.id] = box(n.id);
  for (const c of req.clusters) {
    const b = box(c.id);
    // dagre leaves no room for a title: grow the box upwards into the rank gap.
    result.clusters[c.id] = { x: b.x, y: b.y - CLUSTER_HEADER, width: b.width, height: b.height + CLUSTER_HEADER };
  }
  for (const e of req.edges) {
    const d = g.edge({ v: e.source, w: e.target, name: e.id }) as { points?: Point[]; x?: number; y?: number };
    result.edges[e.id] = {
      points: (d.points ?? []).map((p) => ({ x: p.x, y: p.y })),
      label: e.labelWidth && d.x !== undefined && d.y !== undefined ? { x: d.x, y: d.y } : null,
    };
  }
  const graph = g.graph() as { width?: number; height?: number };
  result.width = graph.width ?? 0;
  result.height = graph.height ?? 0;
  // Cluster titles may stick out above the top margin.
  let minY = 0;
  for (const c of Object.values(result.clusters)) minY = Math.min(minY, c.y - 4);
  if (minY < 0) shiftY(result, -minY);
  result.ms = Date.now() - t0;
  return result;
}

function shiftY(r: LayoutResult, dy: number): void {
  for (const b of [...Object.values(r.nodes), ...Object.values(r.clusters)]) b.y += dy;
  for (const e of Object.values(r.edges)) {
    for (const p of e.points) p.y += dy;
    if (e.label) e.label.y += dy;
  }
  r.height += dy;
}
