/**
 * The renderer shared by the widget and the HTML report: builds the DOM, keeps the UI
 * state, syncs `selected_node` / `selected_finding` with the model and drives
 * fold -> group -> view -> layout -> draw.
 */
import { h } from "./dom";
import type { LayoutRequest, LayoutResult } from "./layout";
import { LayoutClient } from "./layout-client";
import {
  buildGroups,
  computeView,
  evidenceFocus,
  foldGraph,
  groupFocus,
  drawnIds,
  groupOf,
  groupsContaining,
  parseFindingKey,
  searchNodes,
  type FoldedGraph,
  type Focus,
  type Groups,
  type View,
} from "./model";
import { defaultExpanded, findingAnchors, revealGroups, readable } from "./first-view";
import {
  fileLabel,
  renderDetailsHint,
  renderEdgeDetails,
  renderFindings,
  renderGroupDetails,
  renderHeader,
  renderHeadline,
  renderNodeDetails,
} from "./panels";
import { badgeSize, GraphCanvas, nodeSize, type Emphasis } from "./render";
import { injectStyles } from "./styles";
import type { ModelLike } from "./model-like";
import { SCHEMA_VERSION, type Document } from "./types";

export interface MountOptions {
  standalone: boolean;
}

/** Above this many nodes, "Expand all" would make a layout too slow to be interactive. */
const EXPAND_ALL_LIMIT = 800;
/** The initial view never zooms out further than this (the rest is a pan away). */
const READABLE_ZOOM = 0.6;
/** Groups holding broken edges are opened at first only while the view stays this small. */
const AUTO_EXPAND_LIMIT = 250;

type Selection = { type: "node"; id: string } | { type: "edge"; id: string } | { type: "group"; path: string } | null;

export function mount(host: HTMLElement, model: ModelLike, opts: MountOptions): () => void {
  injectStyles(host);
  const root = h("div", { class: `gradviz-root${opts.standalone ? " gv-standalone" : ""}` });
  host.appendChild(root);
  const layouts = new LayoutClient();
  const cache = new Map<string, LayoutResult>();

  let doc: Document;
  let callIndex = 0;
  let showBackward = false;
  let onlyRelevant = true;
  let folded: FoldedGraph;
  let groups: Groups;
  let expanded = new Set<string>();
  let view: View | null = null;
  let focusKey = "";
  /** The fact of the focused finding's evidence shown instead of its path, -1 for the path. */
  let evidenceIndex = -1;
  let focus: Focus | null = null;
  /** What the folded graph draws (see `drawnIds`), computed when first asked after a refold. */
  let drawn: Set<string> | null = null;
  let selection: Selection = null;
  let matches: string[] = [];
  let matchIndex = -1;
  let token = 0;
  let afterLayout: (() => void) | null = null;
  let cameraTouched = false;
  let exportPending = false;

  // ------------------------------------------------------------ DOM skeleton
  const exportButton = h("button", { class: "gv-primary", title: "Save a standalone HTML report" }, "Export HTML");
  const exportError = h("span", { class: "gv-export-error", role: "alert", hidden: true });
  let exportTimer: ReturnType<typeof setTimeout> | undefined;
  const exportControl = h("span", { class: "gv-export" }, exportError, exportButton);
  const headerSlot = h("div");
  const headlineSlot = h("div");
  const search = h("input", { type: "search", placeholder: "Search ops, variables, names…", "aria-label": "search the graph" });
  const count = h("span", { class: "gv-count" });
  const fitButton = h("button", { title: "Fit the whole graph in view" }, "Fit");
  const expandAll = h("button", null, "Expand all");
  const collapseAll = h("button", null, "Collapse all");
  const relevantBox = h("input", { type: "checkbox", checked: true });
  const backwardBox = h("input", { type: "checkbox" });
  const status = h("span", { class: "gv-status" });
  const toolbar = h("div", { class: "gv-toolbar" }, search, count, fitButton, expandAll, collapseAll,
    h("label", { title: "Show only what the selected gradient call's target depends on" }, relevantBox, "only this call"),
    h("label", { title: "Show ops recorded while computing gradients" }, backwardBox, "backward ops"),
    h("span", { class: "gv-spacer" }), status);
  const canvas = new GraphCanvas({
    onNodeClick: (v) => {
      if (v.group) {
        selection = { type: "group", path: v.group.path };
        toggleGroup(v.group.path, v.id);
      } else selectNode(v.node!.id, true);
    },
    onEdgeClick: (e) => {
      selection = { type: "edge", id: e.id };
      renderSide();
    },
    onClusterClick: (path) => {
      selection = { type: "group", path };
      toggleGroup(path, `g:${path}`);
    },
    onBackgroundClick: () => {
      if (selection?.type === "node") setModel("selected_node", "");
      selection = null;
      renderSide();
      applyEmphasis();
    },
  });
  const legend = h("div", { class: "gv-legend", "aria-hidden": "true" },
    swatch("var(--gv-ok)", "var(--gv-ok-bg)", "gradient ok", 8),
    swatch("var(--gv-none)", "var(--gv-none-bg)", "None", 8),
    swatch("var(--gv-zero)", "var(--gv-zero-bg)", "zero", 8),
    swatch("var(--gv-op-border)", "var(--gv-op-bg)", "recorded op", 1),
    swatch("var(--gv-edge)", "var(--gv-bg)", "not recorded", 1),
    swatch("var(--gv-outside)", "var(--gv-outside-bg)", "outside tape", 1, true),
    h("span", null, h("span", { style: "color:var(--gv-none);font-weight:700" }, "- - ▸"), "broken edge"));
  canvas.el.appendChild(legend);
  canvas.fileLabel = (file) => fileLabel(doc, file);
  const findingsSlot = h("div", { class: "gv-findings-slot" });
  const detailsSlot = h("div", { class: "gv-details-slot" });
  const side = h("div", { class: "gv-side" }, findingsSlot, detailsSlot);
  const body = h("div", { class: "gv-body" }, h("div", { class: "gv-main" }, toolbar, canvas.el), side);
  root.append(headerSlot, headlineSlot, body);

  // ------------------------------------------------------------ model sync
  function setModel(name: string, value: unknown): void {
    if (model.get(name) === value) return;
    model.set(name, value);
    model.save_changes();
  }

  function load(next: unknown): void {
    stage("document");
    const refusal = schemaRefusal(next);
    doc = normalise(refusal ? null : (next as Partial<Document> | null | undefined));
    cache.clear();
    selection = null;
    matches = [];
    evidenceIndex = -1;
    const key = parseFindingKey(doc, String(model.get("selected_finding") ?? ""));
    callIndex = key ? key.call : Math.max(0, doc.gradient_calls.findIndex((c) => c.sources.some((f) => f.status !== "ok")));
    relevantBox.disabled = doc.gradient_calls.length === 0;
    headerSlot.replaceChildren(renderHeader(doc, model.get("export_enabled") ? exportControl : null));
    headlineSlot.replaceChildren(refusal ? renderRefusal(refusal) : renderHeadline(doc));
    body.style.display = refusal ? "none" : "";
    refold(true);
    const initialFinding = String(model.get("selected_finding") ?? "");
    if (initialFinding) focusFinding(initialFinding, false);
    const initialNode = String(model.get("selected_node") ?? "");
    if (initialNode) selectNode(initialNode, false);
  }

  /** Recompute the folded graph and groups (call, options or document changed). */
  function refold(resetExpansion: boolean, after: (() => void) | null = null): void {
    const call = doc.gradient_calls[callIndex] ?? null;
    folded = readable(foldGraph(doc, call, { showBackward, onlyRelevant }));
    stage("folded");
    drawn = null;
    groups = buildGroups(folded);
    if (resetExpansion) {
      expanded = defaultExpanded(groups);
      // The cut first: open what shows the selected call's breaks, bad sources and dangling branches
      // at the level of their layers (big library groups stay closed; see `revealGroups`).
      const bad = (call?.sources ?? []).filter((f) => f.status !== "ok");
      const wanted = new Set([...expanded, ...revealGroups(folded, groups, findingAnchors(folded, bad), expanded)]);
      if (viewOf(wanted).nodes.length <= AUTO_EXPAND_LIMIT) expanded = wanted;
    }
    focus = currentFocus();
    collapseAll.disabled = groups.byPath.size === 0;
    expandAll.disabled = groups.byPath.size === 0 || folded.nodes.size > EXPAND_ALL_LIMIT;
    expandAll.title = expandAll.disabled ? `Too many nodes (${folded.nodes.size}) to lay out at once: expand scopes one by one` : "Open every scope";
    stage("grouped");
    renderSide();
    stage("findings");
    relayout(null, after ?? (resetExpansion ? initialCamera : null));
  }

  /**
   * Fit the graph; when that would be unreadably small, stay at a readable zoom and show
   * the broken edges, else the first missing gradient's source, else the target, else the top.
   */
  function initialCamera(): void {
    if (!view || canvas.fitScale() >= READABLE_ZOOM) {
      canvas.fit();
      return;
    }
    const v = view;
    const reps = (ids: Iterable<string>): string[] => [...new Set([...ids].map((id) => v.rep.get(id) ?? "").filter(Boolean))];
    const brokenEdges = v.edges.filter((e) => e.broken.length);
    const call = doc.gradient_calls[callIndex];
    const bad = call?.sources.find((f) => f.status === "none" && f.node) ?? call?.sources.find((f) => f.status !== "ok" && f.node);
    const anchors = reps(findingAnchors(folded, (call?.sources ?? []).filter((f) => f.status !== "ok")));
    const candidates: string[][] = [
      // the bad sources with their breaks and the ends of their dangling branches, together
      [...new Set([...anchors, ...brokenEdges.flatMap((e) => [e.source, e.target])])],
      [...new Set(brokenEdges.flatMap((e) => [e.source, e.target]))],
      anchors,
      brokenEdges.length ? [brokenEdges[0].source, brokenEdges[0].target] : [],
      bad ? reps([bad.node!]) : [],
      reps(call?.target_nodes ?? []),
    ];
    for (const ids of candidates) {
      if (ids.length && canvas.centreOnAll(ids, false, READABLE_ZOOM, true)) return;
    }
    // Too spread out to fit at a readable zoom: centre on the first one anyway.
    const first = candidates.find((ids) => ids.length);
    if (first) canvas.centreOnAll(first.slice(0, 1), false, READABLE_ZOOM);
    else canvas.showTop();
  }

  /**
   * What the focused finding highlights in the current graph: the chosen fact's nodes (the card shows
   * its first source's evidence), else the paths of all its sources.
   */
  function currentFocus(): Focus | null {
    const k = parseFindingKey(doc, focusKey);
    if (!k || k.call !== callIndex) return null;
    const call = doc.gradient_calls[k.call];
    const findings = groupOf(call, k.source).map((i) => call.sources[i]);
    const fact = findings[0].evidence?.[evidenceIndex];
    return fact ? evidenceFocus(folded, fact.nodes) : groupFocus(folded, findings);
  }

  /**
   * Focus finding `key` (the user clicking it again clears the focus); with `evidence` >= 0,
   * highlight that fact of its evidence instead of its path. The key of any source of a finding
   * stands for the finding, whose key is its first source's (Python may set either).
   */
  function focusFinding(key: string, fromUser: boolean, evidence = -1): void {
    const k = parseFindingKey(doc, key);
    if (k) key = `${k.call}:${groupOf(doc.gradient_calls[k.call], k.source)[0]}`;
    if (!k || (fromUser && key === focusKey && evidence === evidenceIndex)) {
      focusKey = "";
      evidenceIndex = -1;
      focus = null;
      if (fromUser) setModel("selected_finding", "");
      renderSide();
      applyEmphasis();
      return;
    }
    focusKey = key;
    evidenceIndex = evidence;
    if (fromUser) setModel("selected_finding", key);
    if (k.call !== callIndex) {
      callIndex = k.call;
      refold(true);
    }
    focus = currentFocus();
    if (focus && evidence < 0) {
      const call = doc.gradient_calls[k.call];
      const findings = groupOf(call, k.source).map((i) => call.sources[i]);
      revealGroups(folded, groups, findingAnchors(folded, findings), expanded).forEach((p) => expanded.add(p));
    } else focus?.expand.forEach((p) => expanded.add(p));
    renderSide();
    relayout(null, () => {
      if (!focus || !view) return;
      const ids = new Set(focus.nodes);
      for (const e of folded.edges) if (focus.edges.has(e.id)) ids.add(e.source).add(e.target);
      canvas.centreOnAll([...new Set([...ids].map((id) => view!.rep.get(id)!).filter(Boolean))]);
    });
  }

  function selectNode(id: string, fromUser: boolean): void {
    const n = folded.nodes.get(id);
    if (!id || !n) {
      if (selection?.type === "node") selection = null;
      renderSide();
      applyEmphasis();
      return;
    }
    selection = { type: "node", id };
    if (fromUser) setModel("selected_node", id);
    renderSide();
    const hidden = groupsContaining(folded, [id]);
    if ([...hidden].some((p) => !expanded.has(p))) {
      hidden.forEach((p) => expanded.add(p));
      relayout(null, () => canvas.centreOn(`n:${id}`));
    } else {
      applyEmphasis();
      if (!fromUser) canvas.centreOn(`n:${id}`);
    }
  }

  function toggleGroup(path: string, anchorId: string): void {
    const at = canvas.screenAnchor(anchorId);
    if (expanded.has(path)) {
      for (const p of [...expanded]) if (p === path || p.startsWith(`${path}/`)) expanded.delete(p);
    } else expanded.add(path);
    renderSide();
    relayout(at ? { id: `g:${path}`, at } : null);
  }

  let lastView: { folded: FoldedGraph; groups: Groups; key: string; view: View } | null = null;
  /** The view of the current graph with `open` expanded (the last one is kept: a first draw asks twice). */
  function viewOf(open: Set<string>): View {
    const key = [...open].sort().join("\n");
    if (lastView && lastView.folded === folded && lastView.groups === groups && lastView.key === key) return lastView.view;
    const view = computeView(folded, groups, open);
    lastView = { folded, groups, key, view };
    return view;
  }

  // ------------------------------------------------------------ layout and draw
  /** Lay out the current view and draw it; `after` runs once it is on screen. */
  function relayout(anchor: { id: string; at: { x: number; y: number } } | null, after: (() => void) | null = null): void {
    const my = ++token;
    afterLayout = after;
    const v = viewOf(expanded);
    const request = layoutRequest(v);
    stage("view");
    const key = JSON.stringify(request);
    const cached = cache.get(key);
    const t0 = performance.now();
    const done = (layout: LayoutResult): void => {
      if (my !== token) return;
      stage("laid-out");
      cache.set(key, layout);
      if (cache.size > 24) cache.delete(cache.keys().next().value!);
      view = v;
      canvas.draw(v, layout, doc.gradient_calls[callIndex]?.tape ?? null);
      applyEmphasis();
      stage("drawn");
      const took = performance.now() - t0;
      status.textContent = `${v.nodes.length} shown · ${folded.nodes.size} nodes · ${cached ? "cached" : `layout ${Math.round(took)} ms`}`;
      root.dataset.layoutMs = String(Math.round(took));
      root.dataset.layoutEngine = layouts.usesWorker ? "worker" : "main-thread";
      if (anchor) canvas.keepAnchor(anchor.id, anchor.at);
      if (layouts.usesWorker) setTimeout(() => my === token && warmExpansions(v), 50);
      const after = afterLayout;
      afterLayout = null;
      after?.();
      root.dataset.rendered = String(Number(root.dataset.rendered ?? 0) + 1);
      // For tests and benchmarks: fired after every redraw.
      root.dispatchEvent(new CustomEvent("gradviz-rendered", { bubbles: true, detail: { nodes: v.nodes.length, layoutMs: took, workerMs: layout.ms } }));
    };
    if (cached) {
      done(cached);
      return;
    }
    status.textContent = `laying out ${v.nodes.length} nodes…`;
    layouts.layout(request).then(done, (err) => {
      if (my === token) status.textContent = `layout failed: ${String(err)}`;
    });
  }

  /** After a draw: pre-compute, in the worker's idle time, the layouts of expanding each visible group. */
  function warmExpansions(v: View): void {
    const collapsed = v.nodes.filter((n) => n.group).sort((a, b) => b.brokenInside - a.brokenInside).slice(0, 30);
    const base = expanded;
    const f = folded;
    const gs = groups;
    layouts.warm(
      collapsed.map((n) => () => layoutRequest(computeView(f, gs, new Set([...base, n.group!.path])))),
      (request, result) => cache.set(JSON.stringify(request), result),
    );
  }

  function applyEmphasis(): void {
    if (!view) return;
    const e: Emphasis = { focusing: false, nodes: new Set(), edges: new Set(), matches: new Set(), selected: null };
    if (focus) {
      e.focusing = true;
      for (const id of focus.nodes) {
        const r = view.rep.get(id);
        if (r) e.nodes.add(r);
      }
      for (const ve of view.edges) if (ve.members.some((m) => focus!.edges.has(m.id))) e.edges.add(ve.id);
    }
    for (const id of matches) {
      const r = view.rep.get(id);
      if (r) e.matches.add(r);
    }
    if (selection?.type === "node") e.selected = view.rep.get(selection.id) ?? null;
    if (selection?.type === "group") e.selected = `g:${selection.path}`;
    canvas.emphasize(e);
  }

  // ------------------------------------------------------------ side panels
  function renderSide(): void {
    findingsSlot.replaceChildren(renderFindings(doc, callIndex, focusKey, {
      onCall: (i) => {
        callIndex = i;
        focusKey = "";
        evidenceIndex = -1;
        setModel("selected_finding", "");
        refold(true);
      },
      onFinding: (key) => focusFinding(key, true),
      // A second click on the highlighted fact goes back to the finding's path.
      onEvidence: (key, i) => focusFinding(key, true, key === focusKey && i === evidenceIndex ? -1 : i),
      activeEvidence: evidenceIndex,
      isDrawn: (ids) => {
        drawn ??= drawnIds(folded);
        return ids.some((id) => drawn!.has(id));
      },
    }));
    detailsSlot.replaceChildren(renderDetails());
  }

  function renderDetails(): HTMLElement {
    const call = doc.gradient_calls[callIndex] ?? null;
    if (selection?.type === "node") {
      const n = folded.nodes.get(selection.id);
      if (n) return renderNodeDetails(doc, n, call);
    }
    if (selection?.type === "edge" && view) {
      const id = selection.id;
      const e = view.edges.find((x) => x.id === id);
      if (e) return renderEdgeDetails(doc, e, folded);
    }
    if (selection?.type === "group") {
      const path = selection.path;
      const grp = groups.byPath.get(path);
      const v = view?.nodes.find((x) => x.id === `g:${path}`);
      if (grp) return renderGroupDetails(grp, v?.brokenInside ?? 0, expanded.has(path), () => toggleGroup(path, `g:${path}`));
    }
    return renderDetailsHint();
  }

  // ------------------------------------------------------------ toolbar
  let searchTimer: ReturnType<typeof setTimeout> | undefined;
  function runSearch(): void {
    const t0 = performance.now();
    matches = searchNodes(folded, search.value);
    matchIndex = -1;
    count.textContent = search.value.trim() ? `${matches.length} match${matches.length === 1 ? "" : "es"}` : "";
    applyEmphasis();
    if (matches.length && view) canvas.centreOn(view.rep.get(matches[0]) ?? "");
    root.dataset.searchMs = String(Math.round(performance.now() - t0)); // for benchmarks
  }
  search.addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(runSearch, 120);
  });
  search.addEventListener("keydown", (ev) => {
    if (ev.key === "Escape") {
      search.value = "";
      runSearch();
    } else if (ev.key === "Enter") {
      clearTimeout(searchTimer);
      if (matches.length === 0 || search.value.trim() === "") runSearch();
      if (!matches.length) return;
      matchIndex = (matchIndex + (ev.shiftKey ? -1 : 1) + matches.length) % matches.length;
      count.textContent = `${matchIndex + 1} / ${matches.length}`;
      selectNode(matches[matchIndex], true);
      if (view?.rep.get(matches[matchIndex]) === `n:${matches[matchIndex]}`) canvas.centreOn(`n:${matches[matchIndex]}`);
    }
  });
  fitButton.addEventListener("click", () => canvas.fit(true));
  expandAll.addEventListener("click", () => {
    expanded = new Set(groups.byPath.keys());
    relayout(null, () => canvas.fit());
  });
  collapseAll.addEventListener("click", () => {
    expanded = defaultExpanded(groups);
    relayout(null, () => canvas.fit());
  });
  relevantBox.addEventListener("change", () => {
    onlyRelevant = relevantBox.checked;
    refold(false);
  });
  backwardBox.addEventListener("change", () => {
    showBackward = backwardBox.checked;
    refold(false);
  });
  exportButton.addEventListener("click", () => {
    exportPending = true;
    exportButton.disabled = true;
    exportButton.textContent = "Exporting…";
    showExportError(null);
    model.send({ type: "export_html" });
    clearTimeout(exportTimer);
    exportTimer = setTimeout(() => {
      if (exportPending) showExportError("no reply from the kernel (is it still running?)");
      resetExport();
    }, 30000);
  });
  function resetExport(): void {
    clearTimeout(exportTimer);
    exportPending = false;
    exportButton.disabled = false;
    exportButton.textContent = "Export HTML";
  }
  /** The failure stays next to the button (and in its tooltip) until the next try. */
  function showExportError(error: string | null): void {
    exportError.textContent = error ? `Export failed: ${error}` : "";
    exportError.title = error ?? "";
    exportError.hidden = !error;
    exportButton.title = error ? `Export failed: ${error}\nClick to try again` : "Save a standalone HTML report";
    exportButton.classList.toggle("gv-failed", !!error);
  }

  // ------------------------------------------------------------ model events
  const onDocument = (): void => load(model.get("document"));
  const onSelectedNode = (): void => {
    const id = String(model.get("selected_node") ?? "");
    if (selection?.type === "node" && selection.id === id) return;
    selectNode(id, false);
  };
  const onSelectedFinding = (): void => {
    const key = String(model.get("selected_finding") ?? "");
    if (key !== focusKey) focusFinding(key, false);
  };
  const onExportEnabled = (): void => {
    headerSlot.replaceChildren(renderHeader(doc, model.get("export_enabled") ? exportControl : null));
  };
  const onCustom = (msg: { type?: string; html?: string; filename?: string; error?: string }): void => {
    if (!msg || msg.type !== "export_html") return;
    // Re-enable first, whatever happens below.
    resetExport();
    if (typeof msg.html === "string" && !msg.error) {
      showExportError(null);
      download(msg.html, msg.filename || "gradviz-report.html");
    } else {
      const error = String(msg.error || "no HTML received");
      showExportError(error);
      status.textContent = `Export failed: ${error}`;
    }
  };
  model.on("change:document", onDocument);
  model.on("change:selected_node", onSelectedNode);
  model.on("change:selected_finding", onSelectedFinding);
  model.on("change:export_enabled", onExportEnabled);
  model.on("msg:custom", onCustom);

  // Re-fit when the widget first gets a real size (it may be laid out after render()).
  const resize = typeof ResizeObserver !== "undefined" ? new ResizeObserver(() => {
    if (!cameraTouched && view) initialCamera();
  }) : null;
  resize?.observe(canvas.el);
  const touch = (): void => {
    cameraTouched = true;
  };
  canvas.el.addEventListener("wheel", touch, { passive: true });
  canvas.el.addEventListener("pointerdown", touch);

  load(model.get("document"));

  return () => {
    clearTimeout(searchTimer);
    clearTimeout(exportTimer);
    model.off("change:document", onDocument);
    model.off("change:selected_node", onSelectedNode);
    model.off("change:selected_finding", onSelectedFinding);
    model.off("change:export_enabled", onExportEnabled);
    model.off("msg:custom", onCustom);
    resize?.disconnect();
    canvas.dispose();
    layouts.dispose();
    root.remove();
  };
}

/**
 * Marks the end of a stage of drawing on the page's performance timeline ("gradviz:folded"), the
 * latest of each name only; `benchmarks/bench_widget.py` reads them to say where the time goes.
 */
function stage(name: string): void {
  const mark = `gradviz:${name}`;
  performance.clearMarks(mark);
  performance.mark(mark);
}

function layoutRequest(v: View): LayoutRequest {
  return {
    nodes: v.nodes.map((n) => ({ id: n.id, parent: n.parent, ...nodeSize(n) })),
    clusters: v.clusters.map((c) => ({ id: c.id, parent: c.parent })),
    edges: v.edges.map((e) => {
      const b = badgeSize(e);
      return { id: e.id, source: e.source, target: e.target, labelWidth: b?.width, labelHeight: b?.height };
    }),
  };
}

function swatch(stroke: string, fill: string, text: string, radius: number, dashed = false): HTMLElement {
  return h("span", null,
    h("span", { class: "gv-swatch", style: `border-color:${stroke};background:${fill};border-radius:${radius}px;${dashed ? "border-style:dashed;" : ""}` }),
    text);
}

/**
 * Why this front end will not draw `d`, or null when it will. A document of another schema_version
 * may mean something else by the same fields, so it is refused rather than drawn wrong; no document
 * at all (a widget before its first update) is drawn as an empty view.
 */
function schemaRefusal(d: unknown): string | null {
  if (d === null || d === undefined || typeof d !== "object") return null;
  const version = (d as { schema_version?: unknown }).schema_version;
  if (version === SCHEMA_VERSION) return null;
  const mine = `this gradviz front end understands schema_version ${SCHEMA_VERSION} only`;
  if (typeof version !== "number") return `This is not a gradviz document (it has no schema_version); ${mine}.`;
  const fix = version > SCHEMA_VERSION
    ? "Upgrade gradviz (pip install -U gradviz) to view it."
    : "Diagnose the program again with this gradviz, or view the document with the gradviz that made it.";
  return `This document has schema_version ${version}; ${mine}. ${fix}`;
}

function renderRefusal(text: string): HTMLElement {
  return h("div", { class: "gv-headline gv-bad gv-refused", role: "alert" },
    h("span", { class: "gv-icon", "aria-hidden": "true" }, "✗"),
    h("span", null, text));
}

/**
 * What is drawn before there is a document: what Python reports for a program that made no
 * gradient call (nothing is connected, and the graph is a plain directed one).
 */
export function emptyDocument(): Document {
  return {
    schema_version: SCHEMA_VERSION,
    meta: {},
    source_lines: {},
    summary: { headline: "No gradient information yet.", gradient_calls: 0, missing: 0, zero: 0, all_connected: false },
    gradient_calls: [],
    graph: { directed: true, multigraph: false, graph: { tapes: [] }, nodes: [], edges: [] },
  };
}

/** A missing or partial document still renders (an empty graph with the header). */
function normalise(d: Partial<Document> | null | undefined): Document {
  const empty = emptyDocument();
  if (!d || typeof d !== "object") return empty;
  return {
    ...empty,
    ...d,
    meta: d.meta ?? {},
    source_lines: d.source_lines ?? {},
    summary: d.summary ?? empty.summary,
    gradient_calls: d.gradient_calls ?? [],
    graph: d.graph ?? empty.graph,
  };
}

function download(html: string, filename: string): void {
  const url = URL.createObjectURL(new Blob([html], { type: "text/html" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  a.style.display = "none";
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
