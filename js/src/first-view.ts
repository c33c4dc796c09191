/**
 * The first view of a graph, and what keeps a big one readable: range groups for wide levels,
 * bundled loose inputs, which groups open by themselves (lone wrappers; the layers that hold a
 * missing gradient's sources; never a library group's insides) and what must be on screen first.
 * Pure functions over `model.ts`'s folded graph and groups; no DOM.
 */
import { scopePrefixes, type DisplayNode, type FoldedGraph, type Groups, type RangeInfo } from "./model";
import type { SourceFinding } from "./types";

/** A level with more sibling scopes than this gets range groups. */
export const WIDE_LEVEL = 30;
/** Range sizes to pick from (round numbers read better): the smallest that leaves at most RANGES_PER_LEVEL items. */
const RANGE_SIZES = [10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000];
const RANGES_PER_LEVEL = 12;
/** Marks a range's path segment, so it can never clash with a real scope name. */
const RANGE_MARK = "\u2060";

/**
 * Readability for wide levels (a flat 200-layer Keras model has 200 top-level scopes):
 * where one level holds more than `limit` sibling scopes, runs of consecutive (run-order)
 * scopes become range groups of a round size ("dense_10 … dense_19"), expandable like any
 * scope; ranges of more than `limit` scopes are split again. Scopes that hold the target or
 * a broken edge's endpoint (or a None source, while there are few such scopes) stay on
 * their own, so the problem is visible without opening anything. Returns `g` itself when nothing is wide.
 */
export function groupWideLevels(g: FoldedGraph, limit = WIDE_LEVEL): FoldedGraph {
  interface Info {
    parent: string;
    name: string;
    seq: number;
    keep: boolean;
  }
  const info = new Map<string, Info>();
  const brokenEnds = new Set<string>();
  for (const e of g.edges) if (e.broken) brokenEnds.add(e.source).add(e.target);
  // Scopes with a None source stand alone only while they are few; when most of the model is
  // cut off (e.g. the loss computed outside the tape) the ranges' red dots say it instead.
  const noneScopes = new Set<string>();
  for (const n of g.nodes.values()) if (n.status === "none") noneScopes.add(n.scope);
  const keepNone = noneScopes.size <= Math.max(3, Math.floor(limit / 3));
  for (const n of g.nodes.values()) {
    const keep = n.isTarget || brokenEnds.has(n.id) || (keepNone && n.status === "none");
    const seq = n.data.seq ?? Number.MAX_SAFE_INTEGER;
    let parent = "";
    for (const p of scopePrefixes(n.scope)) {
      let it = info.get(p);
      if (!it) info.set(p, (it = { parent, name: p.slice(p.lastIndexOf("/") + 1), seq, keep: false }));
      if (seq < it.seq) it.seq = seq;
      if (keep) it.keep = true;
      parent = p;
    }
  }
  const levels = new Map<string, string[]>();
  for (const [p, it] of info) (levels.get(it.parent) ?? levels.set(it.parent, []).get(it.parent)!).push(p);

  // real scope path -> the range segments to insert before its own segment, outermost first
  const insert = new Map<string, { segment: string; range: RangeInfo }[]>();
  const chunk = (items: string[]): void => {
    const size = RANGE_SIZES.find((k) => Math.ceil(items.length / k) <= RANGES_PER_LEVEL) ?? RANGE_SIZES[RANGE_SIZES.length - 1];
    const runs: string[][] = [];
    let run: string[] = [];
    for (const p of items) {
      if (info.get(p)!.keep) {
        if (run.length) runs.push(run);
        run = [];
      } else run.push(p);
    }
    if (run.length) runs.push(run);
    for (const r of runs) {
      if (r.length < 3) continue;
      const parts: string[][] = [];
      for (let i = 0; i < r.length; i += size) parts.push(r.slice(i, i + size));
      // A short tail joins the previous part rather than standing alone.
      if (parts.length > 1 && parts[parts.length - 1].length < 3) parts[parts.length - 2].push(...parts.pop()!);
      for (const part of parts) {
        if (part.length < 2) continue;
        const first = info.get(part[0])!.name;
        const last = info.get(part[part.length - 1])!.name;
        const entry = { segment: `${RANGE_MARK}${first} … ${last}`, range: { first, last, count: part.length } };
        for (const p of part) (insert.get(p) ?? insert.set(p, []).get(p)!).push(entry);
        if (part.length > limit) chunk(part);
      }
    }
  };
  for (const children of levels.values()) {
    if (children.length <= limit) continue;
    chunk(children.sort((a, b) => info.get(a)!.seq - info.get(b)!.seq || (a < b ? -1 : 1)));
  }
  if (insert.size === 0) return g;

  const ranges = new Map<string, RangeInfo>();
  const nodes = new Map<string, DisplayNode>();
  const rewritten = new Map<string, string>();
  for (const [id, n] of g.nodes) {
    let scope = rewritten.get(n.scope);
    if (scope === undefined) {
      const out: string[] = [];
      for (const p of scopePrefixes(n.scope)) {
        for (const r of insert.get(p) ?? []) {
          out.push(r.segment);
          ranges.set(out.join("/"), r.range);
        }
        out.push(info.get(p)!.name);
      }
      scope = out.join("/");
      rewritten.set(n.scope, scope);
    }
    nodes.set(id, scope === n.scope ? n : { ...n, scope });
  }
  return { ...g, nodes, ranges };
}

/** At least this many loose input tensors feeding the same thing are drawn as one box. */
export const BUNDLE_INPUTS = 5;

/**
 * Loose input tensors (no producer in view: Keras fit's iterator state, constants, shapes)
 * that all feed the same box are drawn as one expandable "16 inputs → regressor" group
 * instead of a row of identical `int32[2]` pills. Sources, targets and broken edges' ends are
 * never bundled. Returns `g` itself when there is nothing to bundle.
 */
export function bundleInputs(g: FoldedGraph, min = BUNDLE_INPUTS): FoldedGraph {
  const hasInput = new Set<string>();
  const consumers = new Map<string, Set<string>>();
  const special = new Set<string>();
  for (const e of g.edges) {
    hasInput.add(e.target);
    (consumers.get(e.source) ?? consumers.set(e.source, new Set()).get(e.source)!).add(e.target);
    if (e.broken) special.add(e.source).add(e.target);
  }
  // What a consumer looks like from scope `s`: the child group of `s` holding it, or itself.
  const seenFrom = (s: string, c: DisplayNode): string => {
    const cs = scopePrefixes(c.scope);
    const depth = scopePrefixes(s).length;
    if (cs.length > depth && (depth === 0 || cs[depth - 1] === scopePrefixes(s)[depth - 1])) return `g:${cs[depth]}`;
    return `n:${c.id}`;
  };
  const buckets = new Map<string, { scope: string; ids: string[]; to: string }>();
  for (const n of g.nodes.values()) {
    if (n.data.kind !== "tensor" || hasInput.has(n.id) || n.isTarget || n.status || special.has(n.id)) continue;
    const cons = [...(consumers.get(n.id) ?? [])].map((id) => g.nodes.get(id)).filter((c): c is DisplayNode => !!c);
    if (!cons.length) continue;
    const to = [...new Set(cons.map((c) => seenFrom(n.scope, c)))].sort();
    const key = `${n.scope}\u0000${to.join("\u0000")}`;
    (buckets.get(key) ?? buckets.set(key, { scope: n.scope, ids: [], to: to.join(", ") }).get(key)!).ids.push(n.id);
  }
  const moves = new Map<string, string>();
  const ranges = new Map(g.ranges ?? []);
  for (const b of buckets.values()) {
    if (b.ids.length < min) continue;
    const name = (id: string): string => {
      if (id.startsWith("g:")) {
        const path = id.slice(2);
        const r = ranges.get(path);
        return r ? `${r.first} … ${r.last}` : path.slice(path.lastIndexOf("/") + 1);
      }
      const d = g.nodes.get(id.slice(2))?.data;
      return d?.op_type ?? d?.name ?? d?.label ?? id.slice(2);
    };
    const first = b.to.split(", ").map(name).join(", ");
    const path = [...scopePrefixes(b.scope).slice(-1), `${RANGE_MARK}inputs→${b.to}`].join("/");
    ranges.set(path, { kind: "inputs", first, last: "", count: b.ids.length });
    for (const id of b.ids) moves.set(id, path);
  }
  if (!moves.size) return g;
  const nodes = new Map<string, DisplayNode>();
  for (const [id, n] of g.nodes) nodes.set(id, moves.has(id) ? { ...n, scope: moves.get(id)! } : n);
  return { ...g, nodes, ranges };
}

/** Everything that keeps a big graph readable: range groups for wide levels, then bundled inputs. */
export function readable(g: FoldedGraph): FoldedGraph {
  return bundleInputs(groupWideLevels(g));
}

/**
 * Groups to expand at first: a lone wrapper (one top-level group and nothing else,
 * e.g. Keras' "sequential") is opened down the chain, so the first view is never a
 * single box.
 */
export function defaultExpanded(groups: Groups): Set<string> {
  const out = new Set<string>();
  let level = groups.topLevel;
  let members = groups.rootMembers;
  while (level.length === 1 && members.length === 0) {
    const grp = groups.byPath.get(level[0])!;
    out.add(grp.path);
    level = grp.children;
    members = grp.members;
  }
  return out;
}

/**
 * A group opens by itself (to show a break or a finding's path) only while it is this small; a bigger
 * one (a loss function's internals, a whole model) stays closed and shows the break on its boundary.
 */
export const SMALL_GROUP_OPS = 24;

/**
 * Of the groups `paths`, those that may open without the user asking: each one, and every group
 * around it, is already open or holds at most `limit` ops.
 */
export function smallGroups(groups: Groups, paths: Iterable<string>, expanded: Set<string>, limit = SMALL_GROUP_OPS): Set<string> {
  const ok = (p: string): boolean => expanded.has(p) || (groups.byPath.get(p)?.ops ?? Infinity) <= limit;
  const out = new Set<string>();
  for (const p of paths) {
    let q: string | undefined = p;
    let fine = true;
    while (q && fine) {
      fine = ok(q);
      q = groups.byPath.get(q)?.parent;
    }
    if (fine) out.add(p);
  }
  return out;
}

/**
 * Groups to open so that display nodes `ids` show at the level of their layer: every group around
 * each one opens, and its innermost group too while small (`smallGroups`) and either holding a
 * source or made of the user's own lines. A model's unused head or the tensor where a tape's cut
 * begins is then on screen, and a loss function's internals stay one closed box.
 */
export function revealGroups(g: FoldedGraph, groups: Groups, ids: Iterable<string>, expanded: Set<string>): Set<string> {
  const out = new Set<string>();
  const inner = new Set<string>();
  for (const id of ids) {
    const n = g.nodes.get(id);
    if (!n) continue;
    const prefixes = scopePrefixes(n.scope);
    prefixes.slice(0, -1).forEach((p) => out.add(p));
    if (prefixes.length) inner.add(prefixes[prefixes.length - 1]);
  }
  // A layer opens to show its own variables; a group whose ops all ran from one line of the user's
  // code (a loss function, a layer the cut only passes through) is library code: it stays closed.
  const open = new Set([...expanded, ...out]);
  const mine = [...inner].filter((p) => {
    const grp = groups.byPath.get(p);
    return !!grp && (grp.statuses.length > 0 || grp.oneLine === "");
  });
  smallGroups(groups, mine, open).forEach((p) => out.add(p));
  return out;
}

/**
 * What must be on screen for findings, before anything else: their sources, the ends of their broken
 * edges and the ends of their dangling branches (not every op on the way).
 */
export function findingAnchors(g: FoldedGraph, findings: SourceFinding[]): string[] {
  const ids: string[] = [];
  for (const f of findings) {
    if (f.node) ids.push(f.node);
    for (const b of f.broken_edges) ids.push(b.source, b.target);
    for (const id of f.path) if (g.nodes.get(id)?.danglingEnd != null) ids.push(id);
  }
  return ids;
}
