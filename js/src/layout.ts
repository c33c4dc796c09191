/**
 * Layered layout of the visible view, one scope level at a time.
 *
 * dagre (flat) lays out the direct children of each expanded group on their own,
 * innermost first; an expanded group then enters its parent's layout as one box of
 * its computed size (TensorBoard's approach). Every level stays small, and each level's
 * result is cached by its content, so expanding a group re-lays out only that group
 * and its ancestors. An edge between nodes in different groups follows its route at
 * the level where their groups meet, joined to the real endpoints.
 * Pure and DOM-free: runs inside the Web Worker, or on the main thread as a fallback.
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

/** Height of a cluster's title bar. */
export const CLUSTER_HEADER = 20;
const PAD = 12; // cluster padding left, right and bottom
const MARGIN = 20;

interface LevelInput {
  nodes: { id: string; width: number; height: number }[];
  edges: { id: string; source: string; target: string; labelWidth?: number; labelHeight?: number }[];
}

interface LevelResult {
  width: number;
  height: number;
  nodes: Record<string, Point>; // top-left, relative to the level's origin
  edges: Record<string, { points: Point[]; label: Point | null }>;
}

const levelCache = new Map<string, LevelResult>();
const LEVEL_CACHE_SIZE = 400;

/** Lay out one level with dagre; cached by content. */
export function layoutLevel(input: LevelInput): LevelResult {
  const key = JSON.stringify(input);
  const hit = levelCache.get(key);
  if (hit) return hit;
  if (input.nodes.length === 0) return { width: 0, height: 0, nodes: {}, edges: {} };
  const g = new Graph({ multigraph: true });
  const big = input.nodes.length > 60;
  // network-simplex ranks best but is slow on larger levels; tight-tree is close and much faster.
  g.setGraph({ rankdir: "TB", nodesep: 22, edgesep: 12, ranksep: 40, marginx: 0, marginy: 0, ranker: big ? "tight-tree" : "network-simplex" });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of input.nodes) g.setNode(n.id, { width: n.width, height: n.height });
  for (const e of input.edges) {
    const label = e.labelWidth ? { width: e.labelWidth, height: e.labelHeight ?? 16, labelpos: "c" } : {};
    g.setEdge(e.source, e.target, label, e.id);
  }
  layout(g);
  const out: LevelResult = { width: 0, height: 0, nodes: {}, edges: {} };
  for (const n of input.nodes) {
    const d = g.node(n.id) as { x: number; y: number; width: number; height: number };
    out.nodes[n.id] = { x: d.x - d.width / 2, y: d.y - d.height / 2 };
  }
  for (const e of input.edges) {
    const d = g.edge({ v: e.source, w: e.target, name: e.id }) as { points?: Point[]; x?: number; y?: number };
    out.edges[e.id] = {
      points: (d.points ?? []).map((p) => ({ x: p.x, y: p.y })),
      label: e.labelWidth && d.x !== undefined && d.y !== undefined ? { x: d.x, y: d.y } : null,
    };
  }
  const graph = g.graph() as { width?: number; height?: number };
  out.width = graph.width ?? 0;
  out.height = graph.height ?? 0;
  wrapColumns(out, input);
  if (levelCache.size >= LEVEL_CACHE_SIZE) levelCache.delete(levelCache.keys().next().value!);
  levelCache.set(key, out);
  return out;
}

/** The canvas a level is wrapped for (a typical notebook output / report pane). */
const VIEW = { width: 1000, height: 620 };
/** Levels shorter than this are never wrapped. */
const WRAP_MIN_HEIGHT = 1100;
const WRAP_GAP = 70; // between columns
const WRAP_PAD = 18; // above and below the columns, for the connectors between them
const MAX_COLUMNS = 8;

/**
 * A tall, narrow level (a long chain of layers) is cut at rank gaps into side-by-side
 * columns, read top to bottom, left to right, like a newspaper; an edge leaving the
 * bottom of one column runs up the gap to the top of the next. Done only when it lets
 * the level fit a landscape canvas at a clearly larger zoom. Edits `out` in place.
 */
export function wrapColumns(out: LevelResult, input: LevelInput): void {
  const { width: W, height: H } = out;
  if (H < WRAP_MIN_HEIGHT || W <= 0) return;
  const scale = (c: number): number => Math.min(VIEW.width / (c * W + (c - 1) * WRAP_GAP), VIEW.height / (H / c + 2 * WRAP_PAD));
  let columns = 1;
  for (let c = 2; c <= MAX_COLUMNS; c++) if (scale(c) > scale(columns) * 1.05) columns = c;
  if (columns === 1 || scale(columns) < scale(1) * 1.3) return;

  // Where a horizontal cut crosses no node: the gaps between ranks.
  const spans = input.nodes.map((n) => [out.nodes[n.id].y, out.nodes[n.id].y + n.height] as const).sort((a, b) => a[0] - b[0]);
  const gaps: number[] = [];
  let reach = -Infinity;
  for (const [top, bottom] of spans) {
    if (reach > -Infinity && top > reach + 1) gaps.push((reach + top) / 2);
    reach = Math.max(reach, bottom);
  }
  // Cut where few edges cross, and never through a labelled (broken) edge: its badge and
  // both ends should stay together.
  const labelled = new Set(input.edges.filter((e) => e.labelWidth).map((e) => e.id));
  const extents = Object.entries(out.edges).map(([id, e]) => {
    const ys = e.points.map((p) => p.y);
    return { lo: Math.min(...ys), hi: Math.max(...ys), heavy: labelled.has(id) };
  });
  const cost = (y: number, ideal: number): number => {
    let c = Math.abs(y - ideal) / (H / columns) * 4;
    for (const e of extents) if (e.lo < y && y < e.hi) c += e.heavy ? 1000 : 1;
    return c;
  };
  const cuts: number[] = [];
  for (let k = 1; k < columns; k++) {
    const ideal = (H * k) / columns;
    let best: number | null = null;
    let bestCost = Infinity;
    for (const y of gaps) {
      if (y <= (cuts[cuts.length - 1] ?? 0) || Math.abs(y - ideal) > H / columns / 2) continue;
      const c = cost(y, ideal);
      if (c < bestCost) [best, bestCost] = [y, c];
    }
    if (best !== null && bestCost < 1000) cuts.push(best);
  }
  if (!cuts.length) return;
  const tops = [0, ...cuts];
  const bottoms = [...cuts, H];
  const band = (y: number): number => {
    let b = 0;
    while (b < cuts.length && y >= cuts[b]) b++;
    return b;
  };
  const dx = (b: number): number => b * (W + WRAP_GAP);
  const dy = (b: number): number => WRAP_PAD - tops[b];
  const move = (p: Point, b = band(p.y)): Point => ({ x: p.x + dx(b), y: p.y + dy(b) });

  const heights = tops.map((t, i) => bottoms[i] - t);
  for (const n of input.nodes) {
    const p = out.nodes[n.id];
    out.nodes[n.id] = move(p, band(p.y + n.height / 2));
  }
  for (const e of Object.values(out.edges)) {
    const pts: Point[] = [];
    let prev = -1;
    for (const p of e.points) {
      const b = band(p.y);
      if (prev >= 0 && b > prev) {
        // Down out of column `prev`, up the gap to its right, across the top into column `b`.
        const last = pts[pts.length - 1];
        const exitY = heights[prev] + WRAP_PAD + WRAP_PAD * 0.6;
        const gapX = dx(prev) + W + WRAP_GAP / 2;
        const next = move(p, b);
        pts.push(...corners([last, { x: last.x, y: exitY }, { x: gapX, y: exitY }, { x: gapX, y: WRAP_PAD * 0.4 }, { x: next.x, y: WRAP_PAD * 0.4 }, next]));
      }
      pts.push(move(p, b));
      prev = b;
    }
    e.points = pts;
    if (e.label) e.label = move(e.label);
  }
  out.width = tops.length * W + (tops.length - 1) * WRAP_GAP;
  out.height = Math.max(...heights) + 2 * WRAP_PAD;
}

/**
 * The inner corners of a polyline, each as three points (just before, at, just after), so
 * the renderer's smoothing turns them into tight rounded corners instead of wide sweeps.
 */
function corners(poly: Point[], r = 10): Point[] {
  const out: Point[] = [];
  for (let i = 1; i < poly.length - 1; i++) {
    const [a, c, b] = [poly[i - 1], poly[i], poly[i + 1]];
    const toward = (p: Point): Point => {
      const d = Math.hypot(p.x - c.x, p.y - c.y) || 1;
      const k = Math.min(r, d / 2) / d;
      return { x: c.x + (p.x - c.x) * k, y: c.y + (p.y - c.y) * k };
    };
    out.push(toward(a), c, toward(b));
  }
  return out;
}

const ROOT = "\u0000root";
const inPort = (cluster: string): string => `${cluster}\u0000in`;
const outPort = (cluster: string): string => `${cluster}\u0000out`;
const PORT = { width: 2, height: 2 };

/** One leg of an edge's route, laid out in one level. */
interface Leg {
  level: string;
  edge: string; // level edge id
}

export function layoutGraph(req: LayoutRequest): LayoutResult {
  const t0 = Date.now();
  const parentOf = new Map<string, string>();
  const children = new Map<string, string[]>([[ROOT, []]]);
  for (const c of req.clusters) children.set(c.id, []);
  const size = new Map<string, { width: number; height: number }>();
  for (const c of req.clusters) parentOf.set(c.id, c.parent ?? ROOT);
  for (const n of req.nodes) {
    parentOf.set(n.id, n.parent ?? ROOT);
    size.set(n.id, { width: n.width, height: n.height });
  }
  for (const [id, p] of parentOf) (children.get(p) ?? children.set(p, []).get(p)!).push(id);

  const chain = (id: string): string[] => {
    const out = [id];
    for (let p = parentOf.get(id); p; p = parentOf.get(p)) out.push(p);
    return out.reverse(); // ROOT first
  };

  // An edge between groups runs: source -> out port of each group it leaves (laid out
  // inside that group), across the level where the groups meet, then in port -> target
  // inside each group it enters. Legs are shared by edges that take the same way.
  const levelEdges = new Map<string, LevelInput["edges"]>();
  const ports = new Map<string, Set<string>>();
  const legIds = new Map<string, string>();
  const leg = (level: string, from: string, to: string, label?: { w?: number; h?: number }): Leg => {
    const key = `${level}\u0001${from}\u0001${to}`;
    const list = levelEdges.get(level) ?? levelEdges.set(level, []).get(level)!;
    let id = legIds.get(key);
    if (id === undefined) {
      id = String(list.length);
      legIds.set(key, id);
      list.push({ id, source: from, target: to });
      for (const end of [from, to]) if (end.endsWith("\u0000in") || end.endsWith("\u0000out")) (ports.get(level) ?? ports.set(level, new Set()).get(level)!).add(end);
    }
    const le = list[Number(id)];
    if (label?.w && (le.labelWidth ?? 0) < label.w) {
      le.labelWidth = label.w;
      le.labelHeight = label.h;
    }
    return { level, edge: id };
  };
  const routes = new Map<string, { legs: Leg[]; labelLeg: number }>();
  for (const e of req.edges) {
    const a = chain(e.source);
    const b = chain(e.target);
    let i = 0;
    while (i < a.length && i < b.length && a[i] === b[i]) i++;
    if (i >= a.length || i >= b.length) continue; // an edge to an expanded group itself: not drawn
    const legs: Leg[] = [];
    for (let k = a.length - 2; k >= i; k--) legs.push(leg(a[k], a[k + 1], outPort(a[k])));
    const labelLeg = legs.length;
    legs.push(leg(a[i - 1], a[i], b[i], { w: e.labelWidth, h: e.labelHeight }));
    for (let k = i; k <= b.length - 2; k++) legs.push(leg(b[k], inPort(b[k]), b[k + 1]));
    routes.set(e.id, { legs, labelLeg });
  }

  // Bottom-up: deepest clusters first, each becoming a box in its parent's level.
  const depth = (id: string): number => chain(id).length;
  const levels = [...req.clusters.map((c) => c.id)].sort((x, y) => depth(y) - depth(x));
  levels.push(ROOT);
  const results = new Map<string, LevelResult>();
  for (const level of levels) {
    const input: LevelInput = {
      nodes: [
        ...(children.get(level) ?? []).map((id) => ({ id, ...size.get(id)! })),
        ...[...(ports.get(level) ?? [])].sort().map((id) => ({ id, ...PORT })),
      ],
      edges: levelEdges.get(level) ?? [],
    };
    const r = layoutLevel(input);
    results.set(level, r);
    if (level !== ROOT) size.set(level, { width: Math.max(r.width + 2 * PAD, 120), height: r.height + CLUSTER_HEADER + PAD + 6 });
  }

  // Top-down: absolute positions.
  const result: LayoutResult = { nodes: {}, clusters: {}, edges: {}, width: 0, height: 0, ms: 0 };
  const origin = new Map<string, Point>([[ROOT, { x: MARGIN, y: MARGIN }]]);
  for (const level of [...levels].reverse()) {
    const o = origin.get(level)!;
    const r = results.get(level)!;
    for (const id of children.get(level) ?? []) {
      const p = r.nodes[id];
      const sz = size.get(id)!;
      const box = { x: o.x + p.x, y: o.y + p.y, width: sz.width, height: sz.height };
      if (children.has(id)) {
        result.clusters[id] = box;
        const inner = results.get(id)!;
        // Centre the content when the cluster is wider than it (minimum width).
        origin.set(id, { x: box.x + (box.width - inner.width) / 2, y: box.y + CLUSTER_HEADER + 6 });
      } else result.nodes[id] = box;
    }
  }
  const root = results.get(ROOT)!;
  result.width = root.width + 2 * MARGIN;
  result.height = root.height + 2 * MARGIN;

  for (const e of req.edges) {
    const route = routes.get(e.id);
    if (!route) continue;
    const points: Point[] = [];
    let label: Point | null = null;
    route.legs.forEach((l, i) => {
      const o = origin.get(l.level)!;
      const d = results.get(l.level)!.edges[l.edge];
      for (const p of d.points) points.push({ x: p.x + o.x, y: p.y + o.y });
      if (i === route.labelLeg && d.label) label = { x: d.label.x + o.x, y: d.label.y + o.y };
    });
    result.edges[e.id] = { points, label };
  }
  result.ms = Date.now() - t0;
  return result;
}
