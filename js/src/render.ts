/**
 * SVG drawing of a laid-out view, with pan (drag), zoom (wheel), fit and centre.
 *
 * Visual encoding (keep in sync with the README):
 * - Sources are coloured by gradient status: ok green (✓), none red (✗), zero amber (0).
 * - Variables are rounded rectangles (pill-shaped); ops are square-cornered boxes
 *   labelled with their op type; kept tensors are small white pills.
 * - Ops the selected call's tape recorded are solid (blue-grey fill); ops it did not
 *   record are hollow and grey ("paused" under `tape.stop_recording()`); ops that ran
 *   while that tape was not open are dashed violet boxes tinted violet, tagged "outside tape".
 * - The target (loss) has a heavy outline and a TARGET tag.
 * - Broken edges are red and dashed, with a red badge carrying the cause label
 *   (e.g. `outside_tape`). Grey dotted edges are not differentiable; amber dotted
 *   edges are numpy round trips; faint edges carry no gradient for this tape.
 *   A break gradviz cannot explain (`unexplained`) is grey and dashed, with a grey badge.
 * - Edge kinds: `capture` (an outer tensor -> the placeholder a traced body captured it as)
 *   is dash-dotted; `state` and `resource` (a value kept in a variable, queue, table or
 *   iterator and read back later) are dotted with round dots.
 * - A collapsed scope (Keras layer / name scope) is a stacked box with its op and
 *   variable counts and one dot per source inside (status colours); a red "!" badge
 *   means a broken edge is hidden inside it; a violet line counts ops outside the tape.
 *   Click it to expand; click an expanded scope's title bar to collapse it.
 * - Selecting a finding dims everything except its path and broken edges; search
 *   matches glow yellow; the selected node has an accent outline.
 */
import { ellipsize, s, textWidth } from "./dom";
import { CLUSTER_HEADER, type LayoutResult, type Point } from "./layout";
import type { Group, View, ViewEdge, ViewNode } from "./model";
import type { Status } from "./types";

const STATUS_GLYPH: Record<Status, string> = { ok: "✓", none: "✗", zero: "0" };
/** Edge tooltips for the kinds whose meaning is not obvious from the drawing. */
const KIND_TIPS: Record<string, string> = {
  capture: "capture: an outer tensor a traced body captured",
  resource: "resource: put into a queue, table or iterator, read back by a later op",
  state: "state: a value stored in a variable, read back later",
};

export interface Size {
  width: number;
  height: number;
}

export function nodeSize(v: ViewNode): Size {
  if (v.group) {
    const g = v.group;
    const title = `▸ ${ellipsize(g.name, g.range ? 48 : 32)}`;
    const dots = Math.min(g.statuses.length, 12) * 9;
    const w = Math.max(110, textWidth(title, 12, 650) + 40, textWidth(groupCounts(v), 10.5) + dots + 30);
    return { width: w, height: g.outside ? 56 : 44 };
  }
  const n = v.node!;
  const d = n.data;
  if (d.kind === "op") {
    const sub = opSubtitle(v);
    const w = Math.max(52, textWidth(opLabel(v), 11.5) + 22, sub ? textWidth(sub, 9.5, 600) + 16 : 0);
    return { width: w, height: sub ? 36 : 28 };
  }
  if (d.kind === "variable") {
    const w = Math.max(textWidth(variableLabel(v), 11.5, 600), textWidth(variableSub(v), 9.5)) + 30;
    return { width: Math.max(72, w), height: 38 };
  }
  return { width: Math.max(30, textWidth(tensorLabel(v), 10) + 16), height: 20 };
}

function groupCounts(v: ViewNode): string {
  const g = v.group!;
  const parts = g.range && g.range.kind !== "inputs" ? [`${g.range.count} scopes`] : [];
  if (g.ops || !g.tensors) parts.push(`${g.ops} op${g.ops === 1 ? "" : "s"}`);
  if (g.variables) parts.push(`${g.variables} var${g.variables === 1 ? "" : "s"}`);
  if (g.tensors) parts.push(`${g.tensors} tensor${g.tensors === 1 ? "" : "s"}`);
  return parts.join(" · ");
}
const opLabel = (v: ViewNode): string => ellipsize(v.node!.data.op_type ?? v.node!.data.label ?? v.node!.id, 28);
function opSubtitle(v: ViewNode): string | null {
  const style = v.node!.tapeStyle;
  if (style === "outside") return "outside tape";
  if (style === "paused") return "paused";
  return null;
}
function variableLabel(v: ViewNode): string {
  const d = v.node!.data;
  // A source's name as the finding gives it: Keras 3 variable names alone can repeat.
  const text = ellipsize(v.node!.sourceName ?? d.name ?? d.label ?? v.node!.id, 36);
  return v.node!.status ? `${STATUS_GLYPH[v.node!.status]} ${text}` : text;
}
function variableSub(v: ViewNode): string {
  const d = v.node!.data;
  return [formatShape(d.shape), d.dtype, d.trainable === false ? "non-trainable" : null].filter(Boolean).join(" ");
}
function tensorLabel(v: ViewNode): string {
  const n = v.node!;
  const text = ellipsize(n.danglingEnd || (n.data.label ?? n.id), 24);
  return n.status ? `${STATUS_GLYPH[n.status]} ${text}` : text;
}

/** A group's real scope path, or for a range what it spans. */
export function groupTitle(g: Group): string {
  if (!g.range) return g.scopePath;
  if (g.range.kind === "inputs") return `${g.range.count} input tensors (no producer shown), all feeding ${g.range.first}`;
  const where = g.scopePath ? ` in ${g.scopePath}` : "";
  return `${g.range.count} scopes${where}: ${g.range.first} … ${g.range.last}`;
}

export function formatShape(shape: (number | null)[] | null | undefined): string | null {
  if (shape === undefined || shape === null) return null;
  if (shape.length === 0) return "scalar";
  return `[${shape.map((x) => (x === null ? "?" : String(x))).join(",")}]`;
}

export function badgeText(e: ViewEdge): string | null {
  if (!e.broken.length) return null;
  const causes = [...new Set(e.broken.map((b) => b.cause))];
  // Several broken edges drawn as one (they cross a closed group's boundary): say how many.
  const count = e.broken.length > 1 ? ` ×${e.broken.length}` : "";
  return (causes.length > 1 ? `${causes[0]} +${causes.length - 1}` : causes[0]) + count;
}

export function badgeSize(e: ViewEdge): Size | null {
  const t = badgeText(e);
  return t ? { width: textWidth(t, 10, 650) + 14, height: 16 } : null;
}

/** Smooth path through dagre's control points. */
function pathData(points: Point[]): string {
  if (points.length === 0) return "";
  const f = (p: Point): string => `${p.x.toFixed(1)},${p.y.toFixed(1)}`;
  let d = `M${f(points[0])}`;
  if (points.length === 2) return `${d}L${f(points[1])}`;
  for (let i = 1; i < points.length - 1; i++) {
    const mid = { x: (points[i].x + points[i + 1].x) / 2, y: (points[i].y + points[i + 1].y) / 2 };
    d += i === points.length - 2 ? `Q${f(points[i])} ${f(points[i + 1])}` : `Q${f(points[i])} ${f(mid)}`;
  }
  return d;
}

export interface Emphasis {
  focusing: boolean;
  nodes: Set<string>; // view ids
  edges: Set<string>; // view edge ids
  matches: Set<string>;
  selected: string | null;
}

export interface CanvasEvents {
  onNodeClick(v: ViewNode): void;
  onEdgeClick(e: ViewEdge): void;
  onClusterClick(path: string): void;
  onBackgroundClick(): void;
}

let instances = 0;
/** Room kept free above and below the graph when fitting it (the legend sits at the bottom). */
const FIT_TOP = 4;
const FIT_BOTTOM = 40;

const stopAnimation = (id: number): void => {
  if (id && typeof cancelAnimationFrame !== "undefined") cancelAnimationFrame(id);
};

export class GraphCanvas {
  readonly el: HTMLDivElement;
  private svg: SVGSVGElement;
  private viewport: SVGGElement;
  private prefix = `gv${++instances}`;
  private t = { x: 0, y: 0, k: 1 };
  private layout: LayoutResult | null = null;
  private tape: string | null = null;
  private nodeEls = new Map<string, SVGGElement>();
  private edgeEls = new Map<string, SVGGElement>();
  private anim = 0;
  private disposers: (() => void)[] = [];
  /** How a file path is shown in tooltips (labels such as "cell [2]"; the path itself by default). */
  fileLabel: (file: string) => string = (file) => file;

  constructor(private events: CanvasEvents) {
    this.el = document.createElement("div");
    this.el.className = "gv-canvas";
    this.svg = s("svg", { role: "img", "aria-label": "gradient dependency graph" });
    const marker = (id: string, cls: string) =>
      s("marker", { id: `${this.prefix}-${id}`, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 9, markerHeight: 9, markerUnits: "userSpaceOnUse", orient: "auto-start-reverse" },
        s("path", { d: "M0,0 L10,5 L0,10 z", class: cls }));
    const defs = s("defs", null, marker("arrow", "gv-arrow"), marker("arrow-red", "gv-arrow-red"), marker("arrow-hl", "gv-arrow-hl"));
    const style = s("style", null,
      `.gv-arrow{fill:var(--gv-edge)}.gv-arrow-red{fill:var(--gv-none)}.gv-arrow-hl{fill:var(--gv-accent)}`);
    this.viewport = s("g");
    this.svg.append(style, defs, this.viewport);
    this.el.appendChild(this.svg);
    this.installPanZoom();
  }

  dispose(): void {
    stopAnimation(this.anim);
    for (const d of this.disposers) d();
  }

  get transform(): { x: number; y: number; k: number } {
    return { ...this.t };
  }

  /** Redraw everything; `tape` is the selected call's tape (edges it cannot use are faint). */
  draw(view: View, layout: LayoutResult, tape: string | null): void {
    this.layout = layout;
    this.tape = tape;
    this.nodeEls.clear();
    this.edgeEls.clear();
    const clusters = s("g");
    const edges = s("g");
    const nodes = s("g");
    // Outer clusters first so inner ones paint on top.
    const depth = (id: string | null): number => {
      let d = 0;
      for (let c = id; c; c = view.clusters.find((x) => x.id === c)?.parent ?? null) d++;
      return d;
    };
    for (const c of [...view.clusters].sort((a, b) => depth(a.id) - depth(b.id))) {
      const b = layout.clusters[c.id];
      if (!b) continue;
      const g = c.group;
      const title = `▾ ${ellipsize(g.name, g.range ? 56 : 40)}`;
      const tw = Math.min(b.width - 2, textWidth(title, 11, 650) + 16);
      const head = s("g", { class: "gv-ctitle" },
        s("rect", { x: 1, y: 1, width: tw, height: CLUSTER_HEADER - 4, rx: 4 }),
        s("text", { x: 8, y: CLUSTER_HEADER - 8 }, title),
        s("title", null, `${groupTitle(g)} (click to collapse)`));
      head.addEventListener("click", (ev) => {
        ev.stopPropagation();
        this.events.onClusterClick(g.path);
      });
      clusters.appendChild(s("g", { class: "gv-cluster", transform: `translate(${b.x},${b.y})` },
        s("rect", { width: b.width, height: b.height, rx: 7 }), head));
    }
    for (const e of view.edges) {
      const l = layout.edges[e.id];
      if (!l) continue;
      edges.appendChild(this.drawEdge(e, l.points, l.label));
    }
    for (const v of view.nodes) {
      const b = layout.nodes[v.id];
      if (!b) continue;
      const g = v.group ? this.drawGroup(v, b.width, b.height) : this.drawNode(v, b.width, b.height);
      g.setAttribute("transform", `translate(${b.x},${b.y})`);
      g.addEventListener("click", (ev) => {
        ev.stopPropagation();
        this.events.onNodeClick(v);
      });
      this.nodeEls.set(v.id, g);
      nodes.appendChild(g);
    }
    this.viewport.replaceChildren(clusters, edges, nodes);
  }

  private drawEdge(e: ViewEdge, points: Point[], labelAt: Point | null): SVGGElement {
    const m = e.members;
    const cls = ["gv-edge"];
    const has = (kind: string): boolean => m.some((x) => x.kind === kind);
    // A break gradviz cannot explain is grey, not red: it is not a verdict.
    const unexplained = e.broken.length > 0 && e.broken.every((b) => b.cause === "unexplained");
    if (e.broken.length) cls.push("gv-broken", ...(unexplained ? ["gv-unexplained"] : []));
    else if (has("numpy")) cls.push("gv-numpy");
    else if (has("resource")) cls.push("gv-kind-resource");
    else if (has("state")) cls.push("gv-kind-state");
    else if (m.every((x) => !x.differentiable)) cls.push("gv-nondiff");
    if (!e.broken.length && has("capture")) cls.push("gv-kind-capture");
    const tape = this.tape;
    const carries = (x: ViewEdge["members"][number]): boolean => (tape ? x.recordedBy.includes(tape) : x.recordedBy.length > 0);
    if (!e.broken.length && !m.some(carries)) cls.push("gv-unrec");
    const d = pathData(points);
    const width = m.length > 1 ? 1.3 + Math.min(3, Math.log2(m.length)) : 1.3;
    const line = s("path", { class: "gv-line", d, style: `stroke-width:${width.toFixed(2)}px`,
      "marker-end": `url(#${this.prefix}-${e.broken.length && !unexplained ? "arrow-red" : "arrow"})` });
    const tip = m.length > 1 ? `${m.length} edges` : `${KIND_TIPS[m[0].kind ?? ""] ?? m[0].kind ?? "edge"}${m[0].via ? ` via ${m[0].via}` : ""}`;
    const g = s("g", { class: cls.join(" ") }, s("path", { class: "gv-hit", d }, s("title", null, tip)), line);
    const text = badgeText(e);
    if (text && labelAt) {
      const size = badgeSize(e)!;
      g.appendChild(s("g", { class: "gv-badge", transform: `translate(${labelAt.x - size.width / 2},${labelAt.y - size.height / 2})` },
        s("rect", { width: size.width, height: size.height, rx: 8 }),
        s("text", { x: size.width / 2, y: 11.5, "text-anchor": "middle" }, text),
        s("title", null, `broken: ${e.broken.map((b) => b.cause).join(", ")}`)));
    }
    g.addEventListener("click", (ev) => {
      ev.stopPropagation();
      this.events.onEdgeClick(e);
    });
    this.edgeEls.set(e.id, g);
    return g;
  }

  private drawNode(v: ViewNode, w: number, h: number): SVGGElement {
    const n = v.node!;
    const d = n.data;
    const cls = ["gv-node", `gv-${d.kind}`];
    if (n.tapeStyle) cls.push(`gv-${n.tapeStyle}`);
    if (n.status) cls.push(`gv-status-${n.status}`);
    if (n.isTarget) cls.push("gv-target");
    if (n.dangling) cls.push("gv-dangling");
    const g = s("g", { class: cls.join(" ") });
    const label = d.file ? this.fileLabel(d.file) : "";
    const where = d.file ? `\n${label}:${d.line ?? "?"}${label !== d.file ? `  (${d.file})` : ""}` : "";
    if (d.kind === "op") {
      const sub = opSubtitle(v);
      g.append(s("rect", { width: w, height: h, rx: 3 }),
        s("text", { x: w / 2, y: sub ? 15 : 18, "text-anchor": "middle", "font-size": 11.5 }, opLabel(v)));
      if (sub) g.appendChild(s("text", { class: "gv-sub", x: w / 2, y: 29, "text-anchor": "middle" }, sub));
      g.appendChild(s("title", null, `${d.op_type ?? ""} ${d.label ?? ""}${n.scope ? `\n${n.scope}` : ""}${where}`));
    } else if (d.kind === "variable") {
      g.append(s("rect", { width: w, height: h, rx: 14 }),
        s("text", { x: w / 2, y: 16, "text-anchor": "middle", "font-size": 11.5, "font-weight": 600 }, variableLabel(v)),
        s("text", { class: "gv-sub", x: w / 2, y: 30, "text-anchor": "middle" }, variableSub(v)),
        s("title", null, `variable ${n.sourceName ?? d.name ?? d.label ?? ""}${n.status ? ` (gradient ${n.status})` : ""}${where}`));
    } else {
      g.append(s("rect", { width: w, height: h, rx: 10 }),
        s("text", { x: w / 2, y: 14, "text-anchor": "middle" }, tensorLabel(v)),
        s("title", null, `tensor ${d.label ?? ""} ${d.dtype ?? ""} ${formatShape(d.shape) ?? ""} (${d.origin ?? "?"})${where}`));
    }
    if (n.isTarget) g.appendChild(s("text", { class: "gv-tag", x: w + 5, y: h / 2 + 3 }, "TARGET"));
    if (n.danglingEnd !== null && n.danglingEnd !== undefined) {
      g.appendChild(s("text", { class: "gv-tag gv-unused-tag", x: w + 5, y: h / 2 + 3 }, "NOTHING USES IT"));
    }
    return g;
  }

  private drawGroup(v: ViewNode, w: number, h: number): SVGGElement {
    const grp = v.group!;
    const dangling = grp.ops > 0 && grp.danglingOps === grp.ops;
    const g = s("g", { class: `gv-node gv-group${grp.range ? " gv-range" : ""}${dangling ? " gv-dangling" : ""}` },
      grp.range ? s("rect", { class: "gv-box2", x: 4, y: 4, width: w - 4, height: h - 4, rx: 6, transform: "translate(0,3)" }) : null,
      s("rect", { class: "gv-box2", x: 4, y: 4, width: w - 4, height: h - 4, rx: 6 }),
      s("rect", { class: "gv-box", width: w - 4, height: h - 4, rx: 6 }),
      s("text", { class: "gv-title", x: 10, y: 17 }, `▸ ${ellipsize(grp.name, grp.range ? 48 : 32)}`),
      s("text", { class: "gv-sub", x: 10, y: 32 }, groupCounts(v)));
    const statuses = grp.statuses.slice(0, 12);
    const x0 = w - 12 - statuses.length * 9;
    statuses.forEach((st, i) => g.appendChild(s("circle", { cx: x0 + i * 9 + 4, cy: 29, r: 3.5, style: `fill:var(--gv-${st})` })));
    if (grp.outside) g.appendChild(s("text", { class: "gv-outside-note", x: 10, y: 46 }, `${grp.outside} outside tape`));
    if (v.brokenInside) {
      g.appendChild(s("g", { class: "gv-marker", transform: `translate(${w - 6},2)` },
        s("circle", { r: 8 }), s("text", { y: 3.5, "text-anchor": "middle" }, v.brokenInside > 1 ? String(v.brokenInside) : "!")));
    }
    const hidden = v.brokenInside ? `\n${v.brokenInside} broken edge(s) inside` : "";
    g.appendChild(s("title", null, `${groupTitle(grp)}\n${groupCounts(v)}${hidden}\nclick to expand`));
    return g;
  }

  /** Toggle highlight classes without redrawing. */
  emphasize(e: Emphasis): void {
    this.viewport.classList.toggle("gv-focusing", e.focusing);
    for (const [id, el] of this.nodeEls) {
      el.classList.toggle("gv-hl", e.nodes.has(id));
      el.classList.toggle("gv-match", e.matches.has(id));
      el.classList.toggle("gv-selected", e.selected === id);
    }
    for (const [id, el] of this.edgeEls) {
      const hl = e.edges.has(id);
      el.classList.toggle("gv-hl", hl);
      const line = el.querySelector("path.gv-line");
      if (line && !el.classList.contains("gv-broken")) line.setAttribute("marker-end", `url(#${this.prefix}-${hl ? "arrow-hl" : "arrow"})`);
    }
  }

  // ------------------------------------------------------------ camera

  private apply(): void {
    this.viewport.setAttribute("transform", `translate(${this.t.x.toFixed(1)},${this.t.y.toFixed(1)}) scale(${this.t.k.toFixed(4)})`);
  }

  private viewportSize(): Size {
    const r = this.el.getBoundingClientRect();
    return { width: r.width || 800, height: r.height || 500 };
  }

  /** The zoom at which the whole graph fits. */
  fitScale(): number {
    if (!this.layout) return 1;
    const { width, height } = this.viewportSize();
    return Math.min(1.3, (width - 16) / Math.max(this.layout.width, 1), (height - FIT_TOP - FIT_BOTTOM) / Math.max(this.layout.height, 1));
  }

  fit(animate = false): void {
    if (!this.layout) return;
    const { width, height } = this.viewportSize();
    const k = this.fitScale();
    const y = FIT_TOP + Math.max(0, (height - FIT_TOP - FIT_BOTTOM - this.layout.height * k) / 2);
    this.moveTo({ k, x: (width - this.layout.width * k) / 2, y }, animate);
  }

  /** Readable zoom, top of the graph in view (for graphs too tall to fit legibly). */
  showTop(animate = false): void {
    if (!this.layout) return;
    const { width } = this.viewportSize();
    const k = Math.min(1, (width - 16) / Math.max(this.layout.width, 1));
    this.moveTo({ k: Math.max(k, 0.6), x: Math.max(8, (width - this.layout.width * Math.max(k, 0.6)) / 2), y: 8 }, animate);
  }

  /** Centre the view on a node or cluster; zoom in if the current zoom is unreadable. */
  centreOn(viewId: string, animate = true): boolean {
    const b = this.layout?.nodes[viewId] ?? this.layout?.clusters[viewId];
    if (!b) return false;
    const { width, height } = this.viewportSize();
    const k = this.t.k < 0.7 ? 1 : this.t.k;
    this.moveTo({ k, x: width / 2 - (b.x + b.width / 2) * k, y: height / 2 - (b.y + b.height / 2) * k }, animate);
    return true;
  }

  /**
   * Centre on a set of boxes (a finding's path), fitting them when they are large, but never
   * zooming out below `minK`. With `onlyIfFits`, does nothing (and returns false) when they
   * do not all fit at `minK`.
   */
  centreOnAll(viewIds: string[], animate = true, minK = 0.25, onlyIfFits = false): boolean {
    const boxes = viewIds.map((id) => this.layout?.nodes[id] ?? this.layout?.clusters[id]).filter((b) => b !== undefined);
    if (!boxes.length) return false;
    const x0 = Math.min(...boxes.map((b) => b.x));
    const y0 = Math.min(...boxes.map((b) => b.y));
    const x1 = Math.max(...boxes.map((b) => b.x + b.width));
    const y1 = Math.max(...boxes.map((b) => b.y + b.height));
    const { width, height } = this.viewportSize();
    const fits = Math.min(1.2, (width - 80) / (x1 - x0 + 1), (height - 120) / (y1 - y0 + 1));
    if (onlyIfFits && fits < minK) return false;
    const k = Math.max(minK, fits);
    this.moveTo({ k, x: width / 2 - ((x0 + x1) / 2) * k, y: height / 2 - ((y0 + y1) / 2) * k }, animate);
    return true;
  }

  /** Screen position (relative to the canvas) of a node or cluster's top centre, for anchoring across relayouts. */
  screenAnchor(viewId: string): Point | null {
    const b = this.layout?.nodes[viewId] ?? this.layout?.clusters[viewId];
    if (!b) return null;
    return { x: (b.x + b.width / 2) * this.t.k + this.t.x, y: b.y * this.t.k + this.t.y };
  }

  /** After a relayout: move so that `viewId`'s top centre is at `at` again. */
  keepAnchor(viewId: string, at: Point): boolean {
    const b = this.layout?.nodes[viewId] ?? this.layout?.clusters[viewId];
    if (!b) return false;
    this.moveTo({ k: this.t.k, x: at.x - (b.x + b.width / 2) * this.t.k, y: at.y - b.y * this.t.k }, false);
    return true;
  }

  private moveTo(target: { x: number; y: number; k: number }, animate: boolean): void {
    stopAnimation(this.anim);
    if (!animate || typeof requestAnimationFrame === "undefined") {
      this.t = { ...target };
      this.apply();
      return;
    }
    const from = { ...this.t };
    const t0 = performance.now();
    const step = (now: number): void => {
      const p = Math.min(1, (now - t0) / 260);
      const e = 1 - Math.pow(1 - p, 3);
      this.t = { x: from.x + (target.x - from.x) * e, y: from.y + (target.y - from.y) * e, k: from.k + (target.k - from.k) * e };
      this.apply();
      if (p < 1) this.anim = requestAnimationFrame(step);
    };
    this.anim = requestAnimationFrame(step);
  }

  zoomBy(factor: number, at?: Point): void {
    const { width, height } = this.viewportSize();
    const p = at ?? { x: width / 2, y: height / 2 };
    const k = Math.max(0.05, Math.min(4, this.t.k * factor));
    const f = k / this.t.k;
    this.moveTo({ k, x: p.x - (p.x - this.t.x) * f, y: p.y - (p.y - this.t.y) * f }, false);
  }

  private installPanZoom(): void {
    const el = this.el;
    const onWheel = (ev: WheelEvent): void => {
      ev.preventDefault();
      const r = el.getBoundingClientRect();
      const delta = ev.deltaMode === 1 ? ev.deltaY * 16 : ev.deltaY;
      this.zoomBy(Math.exp(-delta * (ev.ctrlKey ? 0.01 : 0.0018)), { x: ev.clientX - r.left, y: ev.clientY - r.top });
    };
    let drag: { id: number; x: number; y: number; tx: number; ty: number; moved: boolean } | null = null;
    const onDown = (ev: PointerEvent): void => {
      if (ev.button !== 0) return;
      drag = { id: ev.pointerId, x: ev.clientX, y: ev.clientY, tx: this.t.x, ty: this.t.y, moved: false };
    };
    const onMove = (ev: PointerEvent): void => {
      if (!drag || ev.pointerId !== drag.id) return;
      const dx = ev.clientX - drag.x;
      const dy = ev.clientY - drag.y;
      if (!drag.moved && Math.hypot(dx, dy) < 4) return;
      if (!drag.moved) {
        drag.moved = true;
        el.classList.add("gv-panning");
        el.setPointerCapture?.(ev.pointerId);
      }
      stopAnimation(this.anim);
      this.t.x = drag.tx + dx;
      this.t.y = drag.ty + dy;
      this.apply();
    };
    const onUp = (ev: PointerEvent): void => {
      if (!drag || ev.pointerId !== drag.id) return;
      if (drag.moved) {
        // Swallow the click that ends a pan so it does not select what is under the pointer.
        const swallow = (c: Event): void => c.stopPropagation();
        el.addEventListener("click", swallow, { capture: true, once: true });
        setTimeout(() => el.removeEventListener("click", swallow, { capture: true }), 0);
      }
      el.classList.remove("gv-panning");
      drag = null;
    };
    const onClick = (): void => this.events.onBackgroundClick();
    el.addEventListener("wheel", onWheel, { passive: false });
    el.addEventListener("pointerdown", onDown);
    el.addEventListener("pointermove", onMove);
    el.addEventListener("pointerup", onUp);
    el.addEventListener("pointercancel", onUp);
    el.addEventListener("click", onClick);
    this.disposers.push(() => {
      el.removeEventListener("wheel", onWheel);
      el.removeEventListener("pointerdown", onDown);
      el.removeEventListener("pointermove", onMove);
      el.removeEventListener("pointerup", onUp);
      el.removeEventListener("pointercancel", onUp);
      el.removeEventListener("click", onClick);
    });
  }
}
