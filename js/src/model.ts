/**
 * Graph model: pure functions from a Document to what is drawn.
 *
 * Stages: `foldGraph` (tensors with one producer become edges, backward ops and
 * the irrelevant part are dropped) -> `buildGroups` (scope tree) -> `computeView`
 * (visible nodes/edges after collapsing, edges between groups aggregated).
 * No DOM here, so everything is unit-tested in Node.
 */
import type {
  BrokenEdge,
  Document,
  EdgeData,
  EdgeKind,
  GradientCall,
  NodeData,
  SourceFinding,
  Status,
} from "./types";

/** How an op relates to the selected call's tape. */
export type OpTapeStyle = "recorded" | "unrecorded" | "paused" | "outside";

export interface DisplayNode {
  id: string;
  data: NodeData;
  scope: string;
  /** Gradient status when this node is a source of the selected call. */
  status: Status | null;
  /** The source's name as the finding gives it (a variable's full path), when it is a source. */
  sourceName: string | null;
  isTarget: boolean;
  tapeStyle: OpTapeStyle | null;
  /** Computed from an unused source and never reaching the target (a dangling branch). */
  dangling?: boolean;
  /** For the end of a dangling branch: the name the user's code bound it to ("aux_logits"). */
  danglingEnd?: string | null;
}

export interface DisplayEdge {
  id: string;
  source: string;
  target: string;
  kind: EdgeKind | undefined;
  /** The tensor folded into this edge (the first, for a chain of them), if any. */
  via: string | null;
  /** The original edges this one stands for (one, or the chain through folded tensors). */
  members: EdgeData[];
  recordedBy: string[];
  differentiable: boolean;
  broken: BrokenEdge | null;
}

export interface FoldedGraph {
  nodes: Map<string, DisplayNode>;
  edges: DisplayEdge[];
  /** Folded tensor id -> its NodeData (shown in edge details). */
  folded: Map<string, NodeData>;
  call: GradientCall | null;
  /**
   * Range groups inserted by `groupWideLevels` (virtual group path -> what it holds).
   * A range's path segment sits in `DisplayNode.scope` only, never in `NodeData.scope`.
   */
  ranges?: Map<string, RangeInfo>;
}

/** A run of consecutive sibling scopes shown as one expandable box ("dense_10 … dense_19"). */
export interface RangeInfo {
  /** "inputs": not scopes but loose input tensors that all feed the same thing (`bundleInputs`). */
  kind?: "scopes" | "inputs";
  first: string; // name of the first scope in it (for inputs: what they feed)
  last: string; // name of the last one
  count: number; // how many sibling scopes (or tensors) it holds
}

export interface FoldOptions {
  showBackward?: boolean;
  /** Keep only the part relevant to `call` (see `relevantNodes`). */
  onlyRelevant?: boolean;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function opTapeStyle(node: NodeData, tape: string | null): OpTapeStyle | null {
  if (node.kind !== "op") return null;
  const recordedBy = node.recorded_by ?? [];
  if (tape === null) return recordedBy.length > 0 ? "recorded" : "unrecorded";
  const state = node.tape_state?.[tape];
  if (state === "outside") return "outside";
  if (state === "paused") return "paused";
  return recordedBy.includes(tape) ? "recorded" : "unrecorded";
}

/** Node ids a finding needs on screen: the source, its path and broken-edge endpoints. */
function findingNodeIds(f: SourceFinding): string[] {
  const ids = [...f.path];
  if (f.node) ids.push(f.node);
  for (const b of f.broken_edges) ids.push(b.source, b.target);
  return ids;
}

/**
 * The part of the graph that matters to one gradient call, as the diagnosis decided it
 * (`call.nodes`: everything the targets depend on, plus the sources, their paths and the
 * broken edges' endpoints; an unused source is not an ancestor of the target).
 */
export function relevantNodes(_doc: Document, call: GradientCall): Set<string> {
  return new Set(call.nodes);
}

/**
 * Fold tensors into edges. A tensor stays a (small) node when it is a source or
 * target, constant-, input- or numpy-born, an endpoint of a broken edge, has no producer,
 * or several; otherwise producer -> tensor -> consumer becomes producer -> consumer
 * (through several tensors in a row, as in outer tensor -> captured placeholder -> op).
 */
export function foldGraph(doc: Document, call: GradientCall | null, opts: FoldOptions = {}): FoldedGraph {
  const include = call && opts.onlyRelevant ? relevantNodes(doc, call) : null;
  const isDropped = (n: NodeData): boolean =>
    (include !== null && !include.has(n.id)) || (!opts.showBackward && n.kind === "op" && n.phase === "backward");
  const kept = new Set<string>();
  for (const n of doc.graph.nodes) if (!isDropped(n)) kept.add(n.id);

  const status = new Map<string, Status>();
  const sourceNames = new Map<string, string>();
  const targets = new Set<string>(call?.target_nodes ?? []);
  const broken = new Map<string, Map<string, BrokenEdge>>(); // source -> target -> the break
  const keep = new Set<string>(targets);
  for (const f of call?.sources ?? []) {
    if (f.node) {
      keep.add(f.node);
      status.set(f.node, f.status);
      if (f.name) sourceNames.set(f.node, f.name);
    }
    for (const b of f.broken_edges) {
      (broken.get(b.source) ?? broken.set(b.source, new Map()).get(b.source)!).set(b.target, b);
      keep.add(b.source);
      keep.add(b.target);
    }
  }

  const dangling = call ? danglingBranches(doc, call) : new Map<string, string | null>();
  for (const [id, end] of dangling) if (end !== null) keep.add(id);

  const ins = new Map<string, EdgeData[]>();
  const outs = new Map<string, EdgeData[]>();
  const lostEdges = new Set<string>(); // nodes with an edge that was dropped
  for (const e of doc.graph.edges) {
    if (!kept.has(e.source) || !kept.has(e.target)) {
      lostEdges.add(e.source).add(e.target);
      continue;
    }
    const i = ins.get(e.target);
    if (i) i.push(e);
    else ins.set(e.target, [e]);
    const o = outs.get(e.source);
    if (o) o.push(e);
    else outs.set(e.source, [e]);
  }

  const folded = new Map<string, NodeData>();
  const nodes = new Map<string, DisplayNode>();
  const tape = call?.tape ?? null;
  for (const n of doc.graph.nodes) {
    if (!kept.has(n.id)) continue;
    if (n.kind === "tensor" && !keep.has(n.id)) {
      const producers = ins.get(n.id)?.length ?? 0;
      const consumers = outs.get(n.id)?.length ?? 0;
      const bornOutside = n.origin === "constant" || n.origin === "input" || n.origin === "numpy";
      // A tensor whose every neighbour was dropped (e.g. a backward-only seed) goes too.
      if (producers === 0 && consumers === 0 && lostEdges.has(n.id)) continue;
      if (producers === 1 && !bornOutside) {
        folded.set(n.id, n);
        continue;
      }
    }
    const end = dangling.get(n.id);
    const scope = n.scope ?? "";
    nodes.set(n.id, {
      id: n.id,
      data: n,
      // The end of a dangling branch sits beside its layer, so a collapsed layer still shows it.
      scope: end !== undefined && end !== null ? scope.split("/").slice(0, -1).join("/") : scope,
      status: status.get(n.id) ?? null,
      sourceName: sourceNames.get(n.id) ?? null,
      isTarget: targets.has(n.id),
      tapeStyle: opTapeStyle(n, tape),
      dangling: end !== undefined,
      danglingEnd: end !== undefined && end !== null ? end : null,
    });
  }

  // 10k-op graphs: this loop and `walk` run once per edge, so they allocate as little as they can.
  const brokenOf = (e: EdgeData): BrokenEdge | null => broken.get(e.source)?.get(e.target) ?? null;
  const edges: DisplayEdge[] = [];
  const seenIds = new Map<string, number>(); // "a->b" drawn more than once -> how often
  const push = (
    source: string,
    target: string,
    kind: EdgeKind | undefined,
    via: string | null,
    members: EdgeData[],
    recordedBy: string[],
    differentiable: boolean,
    brokenEdge: BrokenEdge | null,
  ): void => {
    const base = `${source}->${target}`;
    const k = seenIds.get(base) ?? 0;
    seenIds.set(base, k + 1);
    edges.push({ id: k ? `${base}#${k}` : base, source, target, kind, via, members, recordedBy, differentiable, broken: brokenEdge });
  };
  for (const e of doc.graph.edges) {
    if (!nodes.has(e.source) || !nodes.has(e.target)) continue;
    push(e.source, e.target, e.kind, null, [e], e.recorded_by ?? [], e.differentiable ?? true, brokenOf(e));
  }
  // From a drawn producer through its folded tensor to each consumer, walking on through folded
  // tensors that follow it (a traced body's placeholder captured from an outer tensor, a call's
  // argument): the chain becomes one edge, of the first kind that is not plain input/output.
  const walk = (chain: EdgeData[]): void => {
    for (const c of outs.get(chain[chain.length - 1].target) ?? []) {
      if (folded.has(c.target)) {
        // Chains are a few edges long: a scan finds a cycle as fast as a set would.
        if (!chain.some((m) => m.target === c.target)) walk([...chain, c]);
        continue;
      }
      if (!nodes.has(c.target)) continue;
      const members = [...chain, c];
      let kind: EdgeKind | undefined = c.kind;
      let recordedBy = members[0].recorded_by ?? [];
      let differentiable = true;
      let brokenEdge: BrokenEdge | null = null;
      let kindFound = false;
      for (const m of members) {
        if (!kindFound && m.kind !== undefined && m.kind !== "output" && m.kind !== "input") {
          kind = m.kind;
          kindFound = true;
        }
        const by = m.recorded_by ?? [];
        if (by !== recordedBy && !sameList(by, recordedBy)) recordedBy = recordedBy.filter((x) => by.includes(x));
        if (m.differentiable === false) differentiable = false;
        brokenEdge ??= brokenOf(m);
      }
      push(members[0].source, c.target, kind, members[0].target, members, recordedBy, differentiable, brokenEdge);
    }
  };
  for (const [tid] of folded) {
    const p = ins.get(tid)![0];
    if (nodes.has(p.source)) walk([p]);
  }
  return { nodes, edges, folded, call };
}

/**
 * The branches an unused source computed that never reach the call's target: each `unused_variable`
 * finding's path (Python follows it from the source to where it ends) less what the target depends on.
 * Node id -> null along a branch; at its end (a tensor nothing on the branch consumes), the name the
 * user's code bound it to (the finding's `subject`), or "" when it has none.
 */
export function danglingBranches(doc: Document, call: GradientCall): Map<string, string | null> {
  const out = new Map<string, string | null>();
  const unused = call.sources.filter((f) => f.status !== "ok" && f.cause === "unused_variable" && f.path.length > 1);
  if (!unused.length) return out;
  const preds = new Map<string, string[]>();
  for (const e of doc.graph.edges) (preds.get(e.target) ?? preds.set(e.target, []).get(e.target)!).push(e.source);
  const feeds = new Set<string>(call.target_nodes);
  const stack = [...call.target_nodes];
  while (stack.length) for (const p of preds.get(stack.pop()!) ?? []) if (!feeds.has(p)) stack.push(p), feeds.add(p);
  const kinds = new Map(doc.graph.nodes.map((n) => [n.id, n.kind] as const));
  for (const f of unused) {
    const branch = new Set(f.path.filter((id) => id !== f.node && !feeds.has(id)));
    const consumed = new Set<string>();
    for (const e of doc.graph.edges) if (branch.has(e.source) && branch.has(e.target)) consumed.add(e.source);
    for (const id of branch) {
      const isEnd = kinds.get(id) === "tensor" && !consumed.has(id);
      if (isEnd) out.set(id, f.subject ?? "");
      else if (!out.has(id)) out.set(id, null);
    }
  }
  return out;
}

// ---------------------------------------------------------------- groups

export interface Group {
  path: string; // the group's id; holds range segments (see `groupWideLevels`)
  /** The real scope path, without range segments ("" for a top-level range). */
  scopePath: string;
  name: string;
  /** Set when this is a range of sibling scopes rather than a scope. */
  range: RangeInfo | null;
  parent: string; // "" for top level
  children: string[]; // child group paths, sorted
  members: string[]; // display node ids directly in this scope
  ops: number; // counts over all descendants
  variables: number;
  tensors: number;
  outside: number; // ops outside the selected call's tape
  /** Ops on a dangling branch (computed from an unused source, never reaching the target). */
  danglingOps: number;
  /**
   * The one line of user code all its ops ran from (a Keras layer or a loss called on that line: its
   * insides are library code the user does not edit), "" when they ran from several lines.
   */
  oneLine: string | null;
  statuses: Status[]; // statuses of sources inside
}

export interface Groups {
  byPath: Map<string, Group>;
  topLevel: string[];
  /** Display node ids at top level (scope ""). */
  rootMembers: string[];
}

const prefixCache = new Map<string, string[]>();

/**
 * "a/b/c" -> ["a", "a/b", "a/b/c"]; "" -> []. Empty segments are ignored. Memoised (a graph has few
 * distinct scopes and every view asks for each node's); callers must not modify the result.
 */
export function scopePrefixes(scope: string): string[] {
  let out = prefixCache.get(scope);
  if (out === undefined) {
    const parts = scope.split("/").filter((p) => p !== "");
    out = parts.map((_, i) => parts.slice(0, i + 1).join("/"));
    if (prefixCache.size > 100_000) prefixCache.clear();
    prefixCache.set(scope, out);
  }
  return out;
}

export function buildGroups(g: FoldedGraph): Groups {
  const byPath = new Map<string, Group>();
  const rootMembers: string[] = [];
  const ensure = (path: string, parent: string): Group => {
    let grp = byPath.get(path);
    if (!grp) {
      const segment = path.slice(path.lastIndexOf("/") + 1);
      const range = g.ranges?.get(path) ?? null;
      const parentScope = parent ? byPath.get(parent)!.scopePath : "";
      grp = {
        path,
        scopePath: range ? parentScope : parentScope ? `${parentScope}/${segment}` : segment,
        name: range ? (range.kind === "inputs" ? `${range.count} inputs → ${range.first}` : `${range.first} … ${range.last}`) : segment,
        range,
        parent,
        children: [],
        members: [],
        ops: 0,
        variables: 0,
        tensors: 0,
        outside: 0,
        danglingOps: 0,
        oneLine: null,
        statuses: [],
      };
      byPath.set(path, grp);
      if (parent) byPath.get(parent)!.children.push(path);
    }
    return grp;
  };
  for (const n of g.nodes.values()) {
    const prefixes = scopePrefixes(n.scope);
    if (prefixes.length === 0) {
      rootMembers.push(n.id);
      continue;
    }
    let parent = "";
    const isOp = n.data.kind === "op";
    const at = isOp ? `${n.data.file ?? ""}:${n.data.line ?? ""}` : "";
    for (const p of prefixes) {
      const grp = ensure(p, parent);
      if (isOp) grp.ops++;
      else if (n.data.kind === "variable") grp.variables++;
      else grp.tensors++;
      if (n.tapeStyle === "outside") grp.outside++;
      if (n.dangling && isOp) grp.danglingOps++;
      if (isOp && grp.oneLine !== "") grp.oneLine = grp.oneLine === null || grp.oneLine === at ? at : "";
      if (n.status) grp.statuses.push(n.status);
      parent = p;
    }
    byPath.get(parent)!.members.push(n.id);
  }
  for (const grp of byPath.values()) grp.children.sort();
  const topLevel = [...byPath.values()].filter((x) => x.parent === "").map((x) => x.path).sort();
  return { byPath, topLevel, rootMembers };
}

/** Every group that has to be open for these display nodes to be visible. */
export function groupsContaining(g: FoldedGraph, ids: Iterable<string>): Set<string> {
  const out = new Set<string>();
  for (const id of ids) {
    const n = g.nodes.get(id);
    if (n) for (const p of scopePrefixes(n.scope)) out.add(p);
  }
  return out;
}

// ---------------------------------------------------------------- view

export interface ViewNode {
  id: string; // "n:<node id>" or "g:<scope path>"
  node: DisplayNode | null;
  group: Group | null;
  parent: string | null; // the expanded group ("g:<path>") drawn around it
  /** Broken edges hidden inside this collapsed group. */
  brokenInside: number;
}

export interface ViewCluster {
  id: string; // "g:<path>"
  group: Group;
  parent: string | null;
}

export interface ViewEdge {
  id: string;
  source: string;
  target: string;
  members: DisplayEdge[];
  broken: BrokenEdge[];
}

export interface View {
  nodes: ViewNode[];
  clusters: ViewCluster[];
  edges: ViewEdge[];
  /** Display node id -> the view id standing for it. */
  rep: Map<string, string>;
}

/** The view id of the outermost collapsed group around `scope` ("g:<path>"), null when all are open. */
function collapsedGroup(scope: string, expanded: Set<string>): string | null {
  for (const p of scopePrefixes(scope)) if (!expanded.has(p)) return `g:${p}`;
  return null;
}

export function computeView(g: FoldedGraph, groups: Groups, expanded: Set<string>): View {
  const rep = new Map<string, string>();
  const nodes = new Map<string, ViewNode>();
  const clusters = new Map<string, ViewCluster>();
  const clusterOf = (scopePath: string): string | null => (scopePath ? `g:${scopePath}` : null);

  const addCluster = (grp: Group): void => {
    const id = `g:${grp.path}`;
    if (clusters.has(id)) return;
    clusters.set(id, { id, group: grp, parent: clusterOf(grp.parent) });
  };
  // Nodes of one scope share their collapsed group, if any: found once per scope, not per node.
  const collapsedIn = new Map<string, string | null>();
  for (const n of g.nodes.values()) {
    let c = collapsedIn.get(n.scope);
    if (c === undefined) collapsedIn.set(n.scope, (c = collapsedGroup(n.scope, expanded)));
    const r = c ?? `n:${n.id}`;
    rep.set(n.id, r);
    if (nodes.has(r)) continue;
    if (r.startsWith("n:")) {
      nodes.set(r, { id: r, node: n, group: null, parent: clusterOf(n.scope ? lastScope(n.scope) : ""), brokenInside: 0 });
    } else {
      const grp = groups.byPath.get(r.slice(2))!;
      nodes.set(r, { id: r, node: null, group: grp, parent: clusterOf(grp.parent), brokenInside: 0 });
    }
    // Every expanded ancestor becomes a cluster.
    let p = r.startsWith("n:") ? lastScope(n.scope) : groups.byPath.get(r.slice(2))!.parent;
    while (p) {
      const grp = groups.byPath.get(p)!;
      addCluster(grp);
      p = grp.parent;
    }
  }

  const agg = new Map<string, ViewEdge>();
  for (const e of g.edges) {
    const s = rep.get(e.source)!;
    const t = rep.get(e.target)!;
    if (s === t) {
      if (e.broken && s.startsWith("g:")) nodes.get(s)!.brokenInside++;
      continue;
    }
    const key = `${s}->${t}`;
    let ve = agg.get(key);
    if (!ve) agg.set(key, (ve = { id: key, source: s, target: t, members: [], broken: [] }));
    ve.members.push(e);
    if (e.broken) ve.broken.push(e.broken);
  }
  return { nodes: [...nodes.values()], clusters: [...clusters.values()], edges: [...agg.values()], rep };
}

/** Normalised scope path ("a//b/" -> "a/b"). */
function lastScope(scope: string): string {
  const p = scopePrefixes(scope);
  return p.length ? p[p.length - 1] : "";
}

// ---------------------------------------------------------------- search and focus

/** Display node ids whose name, label, op type or id contains `query` (case-insensitive), in run order. */
export function searchNodes(g: FoldedGraph, query: string): string[] {
  const q = query.trim().toLowerCase();
  if (!q) return [];
  const hits: DisplayNode[] = [];
  for (const n of g.nodes.values()) {
    const d = n.data;
    const fields = [d.label, d.name, d.op_type, d.id, n.sourceName];
    if (fields.some((f) => typeof f === "string" && f.toLowerCase().includes(q))) hits.push(n);
  }
  hits.sort((a, b) => (a.data.seq ?? 0) - (b.data.seq ?? 0));
  return hits.map((n) => n.id);
}

export interface Focus {
  nodes: Set<string>; // display node ids
  edges: Set<string>; // display edge ids
  expand: Set<string>; // group paths to open
}

/** What to highlight for a finding: its source, path and broken edges, and the groups to open. */
export function findingFocus(g: FoldedGraph, f: SourceFinding): Focus {
  return groupFocus(g, [f]);
}

/**
 * What to highlight for a finding shared by several sources: the union of each one's focus (not the
 * focus of their merged paths, which would light up edges between one source's path and another's).
 * One pass over the edges whatever the number of sources (a 10k-op graph, 80 sources in one finding).
 */
export function groupFocus(g: FoldedGraph, findings: SourceFinding[]): Focus {
  const onPath = findings.map((f) => new Set<string>(findingNodeIds(f)));
  const pathsThrough = new Map<string, number[]>(); // node id -> indices of the findings whose path holds it
  onPath.forEach((ids, i) => ids.forEach((id) => (pathsThrough.get(id) ?? pathsThrough.set(id, []).get(id)!).push(i)));
  const brokenTo = new Map<string, Set<string>>(); // source -> targets of a broken edge
  for (const f of findings) for (const b of f.broken_edges) (brokenTo.get(b.source) ?? brokenTo.set(b.source, new Set()).get(b.source)!).add(b.target);
  const nodes = new Set<string>([...pathsThrough.keys()].filter((id) => g.nodes.has(id)));
  const edges = new Set<string>();
  for (const e of g.edges) {
    const isBroken = brokenTo.size > 0 && e.members.some((m) => brokenTo.get(m.source)?.has(m.target) === true);
    const alongPath = (pathsThrough.get(e.source) ?? []).some((i) => onPath[i].has(e.target) && (e.via === null || onPath[i].has(e.via)));
    if (isBroken || alongPath) {
      edges.add(e.id);
      nodes.add(e.source);
      nodes.add(e.target);
    }
  }
  return { nodes, edges, expand: groupsContaining(g, nodes) };
}

/**
 * What to highlight for one fact of a finding's evidence: those of its nodes that are drawn,
 * the edges between two of them, and the edges a tensor among them was folded into. Both sets
 * are empty when none of the fact's nodes is in this graph (dropped as irrelevant or backward).
 */
export function evidenceFocus(g: FoldedGraph, ids: Iterable<string>): Focus {
  const wanted = new Set(ids);
  const nodes = new Set([...wanted].filter((id) => g.nodes.has(id)));
  const edges = new Set<string>();
  const ends: string[] = [...nodes];
  for (const e of g.edges) {
    // The tensors folded into an edge are its members' targets but the last.
    const carried = e.members.slice(0, -1).some((m) => wanted.has(m.target));
    if (carried || (nodes.has(e.source) && nodes.has(e.target))) {
      edges.add(e.id);
      ends.push(e.source, e.target);
    }
  }
  return { nodes, edges, expand: groupsContaining(g, ends) };
}

/**
 * Ids of everything `g` draws: its nodes, and the tensors folded into its edges. An evidence fact
 * can be highlighted when one of its nodes is among them (what `evidenceFocus` would light).
 */
export function drawnIds(g: FoldedGraph): Set<string> {
  const out = new Set<string>(g.nodes.keys());
  for (const e of g.edges) for (let i = 0; i < e.members.length - 1; i++) out.add(e.members[i].target);
  return out;
}

/** "callIndex:sourceIndex" <-> indices; null when malformed or out of range. */
export function parseFindingKey(doc: Document, key: string): { call: number; source: number } | null {
  const m = /^(\d+):(\d+)$/.exec(key);
  if (!m) return null;
  const call = Number(m[1]);
  const source = Number(m[2]);
  if (!doc.gradient_calls[call]?.sources[source]) return null;
  return { call, source };
}

/**
 * A call's findings as a person reads them: lists of indices into `sources`, one per finding, in order.
 * The document's `groups` (sources sharing status, cause, culprit line and layer); a document made
 * before them gets one finding per source that is not ok. Indices that name no such source are dropped.
 */
export function findingGroups(call: GradientCall): number[][] {
  if (!Array.isArray(call.groups)) return call.sources.flatMap((f, i) => (f.status !== "ok" ? [[i]] : []));
  const isBad = (i: number): boolean => call.sources[i] !== undefined && call.sources[i].status !== "ok";
  return call.groups.map((group) => group.filter(isBad)).filter((group) => group.length > 0);
}

/**
 * What one finding (a group of `call.sources` indices) is about, in the user's names: the document's
 * `group_labels` entry when it has one; else the sources' names.
 */
export function groupLabel(call: GradientCall, group: number[]): string {
  const k = (call.groups ?? []).findIndex((g) => g[0] === group[0]);
  const label = k >= 0 ? call.group_labels?.[k] : undefined;
  if (typeof label === "string" && label) return label;
  return group.map((i) => call.sources[i]?.name ?? call.sources[i]?.expr ?? "?").join(", ");
}

/** The finding source `source` of `call` belongs to; just itself when it is in none (a connected source). */
export function groupOf(call: GradientCall, source: number): number[] {
  return findingGroups(call).find((group) => group.includes(source)) ?? [source];
}
