/**
 * The HTML around the graph: header, headline, findings panel and details panel.
 * Every string from the document goes in as text (see dom.ts), never as markup.
 */
import { ellipsize, h, onActivate } from "./dom";
import { findingGroups, groupLabel, type DisplayEdge, type DisplayNode, type FoldedGraph, type Group, type ViewEdge } from "./model";
import { formatShape } from "./render";
import type { Document, GradientCall, NodeData, SourceFinding } from "./types";

/** The last component of a path ("/a/b/train.py" -> "train.py", "C:\\x\\y.py" -> "y.py"). */
export function basename(path: string): string {
  const trimmed = path.replace(/[\\/]+$/, "");
  const i = Math.max(trimmed.lastIndexOf("/"), trimmed.lastIndexOf("\\"));
  return i >= 0 && i < trimmed.length - 1 ? trimmed.slice(i + 1) : path;
}

/** What to call a file on screen: its label from `meta.file_labels` (notebook cells), else its basename. */
export function fileLabel(doc: Document, file: string): string {
  const label = doc.meta?.file_labels?.[file];
  return typeof label === "string" && label ? label : basename(file);
}

/** "label:line" as plain text (for <option>s and tooltips); null without a file. */
export function whereText(doc: Document, file: string | null | undefined, line: number | null | undefined): string | null {
  return file ? `${fileLabel(doc, file)}${line !== null && line !== undefined ? `:${line}` : ""}` : null;
}

/** "label:line" with the full path (and line) in a tooltip; null without a file. */
export function whereEl(doc: Document, file: string | null | undefined, line: number | null | undefined, attrs: Record<string, string> = {}): HTMLElement | null {
  if (!file) return null;
  const full = `${file}${line !== null && line !== undefined ? `:${line}` : ""}`;
  return h("span", { class: "gv-where", ...attrs, title: full, "data-file": file }, whereText(doc, file, line));
}

export function sourceLine(doc: Document, file: string | null | undefined, line: number | null | undefined): string | null {
  if (!file || line === null || line === undefined) return null;
  return doc.source_lines?.[file]?.[String(line)] ?? null;
}

export function renderHeader(doc: Document, exportButton: HTMLElement | null): HTMLElement {
  const m = doc.meta ?? {};
  const versions = [
    m.gradviz && `gradviz ${m.gradviz}`,
    m.tensorflow && `TensorFlow ${m.tensorflow}`,
    m.keras && `Keras ${m.keras}`,
    m.python && `Python ${m.python}`,
  ].filter(Boolean).join(" · ");
  const ops = m.ops_seen !== undefined
    ? `${m.ops_seen} ops seen · ${m.ops_kept ?? "?"} kept · ${m.ops_dropped ?? 0} dropped`
    : null;
  const started = m.started ? formatTime(m.started) : null;
  const duration = m.duration_s !== undefined ? `${m.duration_s.toFixed(2)} s` : null;
  return h("div", { class: "gv-header" },
    h("span", { class: "gv-brand" }, "gradviz"),
    h("span", { class: "gv-program", title: m.program ?? "" }, m.program ?? "(program)"),
    started && h("span", { class: "gv-meta" }, [started, duration].filter(Boolean).join(" · ")),
    ops && h("span", { class: "gv-meta" }, ops),
    versions && h("span", { class: "gv-meta" }, versions),
    exportButton && h("span", { class: "gv-spacer" }),
    exportButton,
    m.error ? h("div", { class: "gv-error" }, `The program raised: ${m.error}`) : null,
    ...captureWarnings(doc));
}

/**
 * One calm line each for gradviz's own trouble while capturing: internal errors (the first
 * messages in the tooltip) and hooks it could not install. Nothing when there was none.
 */
export function captureWarnings(doc: Document): HTMLElement[] {
  const m = doc.meta ?? {};
  const out: HTMLElement[] = [];
  const errors = m.internal_errors;
  if (errors && errors.count > 0) {
    const first = (errors.first ?? []).join("\n");
    out.push(h("div", { class: "gv-capture-warning", title: first ? `first: ${first}` : null },
      `gradviz had ${errors.count} internal error${errors.count === 1 ? "" : "s"} while capturing; the graph may be incomplete`));
  }
  const gaps = m.capture_gaps ?? [];
  if (gaps.length) {
    out.push(h("div", { class: "gv-capture-warning", title: gaps.join("\n") },
      `gradviz could not hook: ${ellipsize(gaps.join("; "), 240)}; causes that need those hooks may go unseen`));
  }
  return out;
}

function formatTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC").replace(/Z$/, " UTC");
}

export function renderHeadline(doc: Document): HTMLElement {
  const s = doc.summary;
  const tone = s.all_connected ? "gv-ok" : s.missing > 0 ? "gv-bad" : "gv-warn";
  const icon = s.all_connected ? "✓" : s.missing > 0 ? "✗" : "!";
  return h("div", { class: `gv-headline ${tone}`, role: "status" },
    h("span", { class: "gv-icon", "aria-hidden": "true" }, icon),
    h("span", null, s.headline));
}

export interface FindingHandlers {
  onCall(index: number): void;
  onFinding(key: string): void;
  /** A fact of finding `key`'s evidence was clicked (its index in `evidence`). */
  onEvidence?(key: string, index: number): void;
  /** The index of the fact highlighted for the active finding, -1 for none. */
  activeEvidence?: number;
  /** Whether any of these graph nodes is drawn (a fact is clickable only then). */
  isDrawn?(ids: string[]): boolean;
}

function callTitle(doc: Document, c: GradientCall): string {
  const bad = c.sources.filter((x) => x.status !== "ok").length;
  const loc = whereText(doc, c.file, c.line) ?? `call ${c.id}`;
  const code = c.code ? ` — ${ellipsize(c.code.trim(), 60)}` : "";
  return `${loc}${code}${bad ? ` (${bad} missing/zero)` : " (all ok)"}`;
}

/**
 * The selected call's findings: one card per group of sources that share status, cause, culprit
 * line and layer (`call.groups`), keyed by its first source; `activeKey` is the active card's key.
 */
export function renderFindings(doc: Document, callIndex: number, activeKey: string, on: FindingHandlers): HTMLElement {
  const section = h("div", { class: "gv-section gv-findings" }, h("h3", null, "Findings"));
  const calls = doc.gradient_calls;
  if (!calls.length) {
    section.appendChild(h("div", { class: "gv-hint" }, "No tape.gradient call was seen."));
    return section;
  }
  if (calls.length > 1) {
    const select = h("select", { "aria-label": "gradient call" });
    calls.forEach((c, i) => select.appendChild(h("option", { value: i, selected: i === callIndex, title: c.file ? `${c.file}:${c.line ?? "?"}` : null }, callTitle(doc, c))));
    const current = calls[callIndex];
    if (current?.file) select.title = `${current.file}:${current.line ?? "?"}`;
    select.addEventListener("change", () => on.onCall(Number(select.value)));
    section.appendChild(select);
  }
  const call = calls[callIndex];
  const replicas = call.replicas ?? 0;
  const ran = (call.count > Math.max(1, replicas) ? ` · ran ${call.count}×` : "") + (replicas > 1 ? ` · on ${replicas} replicas` : "");
  section.appendChild(h("div", { class: "gv-call" }, "gradient of ", h("code", null, call.target), " at ",
    whereEl(doc, call.file, call.line) ?? h("span", { class: "gv-where" }, "?"), ran));
  if (call.code) section.appendChild(h("code", { class: "gv-code" }, call.code));
  const bad = call.sources.map((f, i) => [f, i] as const).filter(([f]) => f.status !== "ok");
  const ok = call.sources.map((f, i) => [f, i] as const).filter(([f]) => f.status === "ok");
  if (!bad.length) {
    const text = doc.summary.all_connected ? doc.summary.headline : "All gradients of this call are connected.";
    section.appendChild(h("div", { class: "gv-allok" }, `✓ ${text}`));
  }
  for (const group of findingGroups(call)) {
    const key = `${callIndex}:${group[0]}`;
    section.appendChild(renderFinding(doc, group.map((i) => call.sources[i]), groupLabel(call, group), key, key === activeKey, on));
  }
  if (ok.length) {
    const list = h("div", { class: "gv-oklist" });
    for (const [f, i] of ok) {
      const key = `${callIndex}:${i}`;
      const chip = h("span", { class: `gv-okitem${key === activeKey ? " gv-active" : ""}`, title: `${f.name ?? f.expr}: gradient ok (click to show its path)` }, f.expr);
      chip.addEventListener("click", () => on.onFinding(key));
      list.appendChild(chip);
    }
    section.append(h("div", { class: "gv-hint", style: "margin-top:8px" }, `${ok.length} of ${call.sources.length} gradients ok:`), list);
  }
  return section;
}

/**
 * One card for the sources of one finding: what they are, then the first one's cause, line,
 * explanation, fix and evidence (the group shares cause and line). `key` is the first source's.
 */
function renderFinding(doc: Document, findings: SourceFinding[], label: string, key: string, active: boolean, on: FindingHandlers): HTMLElement {
  const f = findings[0];
  // "unexplained" is gradviz saying it does not know: no red, no verdict.
  const unexplained = f.cause === "unexplained";
  const card = h("div", { class: `gv-finding gv-${f.status}${unexplained ? " gv-unexplained" : ""}${active ? " gv-active" : ""}`,
    // data-gv-file/-line: where gradviz's JupyterLab extension jumps when the card is clicked.
    tabindex: 0, role: "button", "data-key": key, "data-gv-file": f.culprit_file, "data-gv-line": f.culprit_line },
    h("div", { class: "gv-finding-head" },
      h("span", { class: `gv-chip gv-${f.status}` }, f.status === "none" ? "None" : "zero"),
      ...sourceNames(findings, label)),
    f.cause ? h("div", { class: "gv-finding-cause" },
      h("span", { class: `gv-chip gv-cause${unexplained ? " gv-unexplained" : ""}`,
        title: unexplained ? "gradviz could not tell why this gradient is missing" : null }, f.cause),
      whereEl(doc, f.culprit_file, f.culprit_line),
      ranAt(doc, f)) : null,
    f.culprit_code ? h("code", { class: "gv-code" }, f.culprit_code.trim()) : null,
    f.explanation ? h("p", { class: "gv-expl" }, ...inlineCode(f.explanation)) : null,
    renderEvidence(f, key, active ? (on.activeEvidence ?? -1) : -1, on),
    f.fix ? h("p", { class: "gv-fix" }, h("b", null, "Fix: "), ...inlineCode(f.fix)) : null);
  onActivate(card, () => on.onFinding(key));
  return card;
}

/**
 * The sources of a finding: one as written in the call (and its variable's name); several by the
 * label Python gives the group ("kernel, bias (layer aux)"), every one of them in the tooltip.
 */
function sourceNames(findings: SourceFinding[], label: string): (HTMLElement | null)[] {
  const f = findings[0];
  if (findings.length === 1) return [h("span", { class: "gv-expr" }, f.expr), f.name && f.name !== f.expr ? h("span", { class: "gv-hint" }, f.name) : null];
  const all = findings.map((x) => (x.name && x.name !== x.expr ? `${x.expr} (${x.name})` : x.expr)).join("\n");
  return [h("span", { class: "gv-expr", title: all }, label)];
}

/** "ran at file:line": where the breaking op itself ran, when that is not the culprit line (a helper). */
function ranAt(doc: Document, f: SourceFinding): HTMLElement | null {
  if (f.ran_line === null || f.ran_line === undefined) return null;
  const where = whereEl(doc, f.ran_file ?? f.culprit_file, f.ran_line) ?? h("span", { class: "gv-where" }, `line ${f.ran_line}`);
  return h("span", { class: "gv-ran", title: "where the op that breaks the path ran" }, "ran at ", where);
}

/** Text with `code spans` as <code> elements (as text, never markup); unbalanced backticks stay as they are. */
export function inlineCode(text: string): (Node | string)[] {
  const parts = text.split("`");
  if (parts.length < 3 || parts.length % 2 === 0) return [text];
  return parts.map((p, i) => (i % 2 ? h("code", null, p) : p)).filter((p) => p !== "");
}

/**
 * The facts a finding rests on ("What gradviz saw" when it could not name a cause). A fact whose
 * nodes are drawn is a button that highlights them; clicking it again goes back to the path.
 */
function renderEvidence(f: SourceFinding, key: string, active: number, on: FindingHandlers): HTMLElement | null {
  const facts = f.evidence ?? [];
  if (!facts.length) return null;
  const list = h("ul", { class: "gv-evidence-list" });
  facts.forEach((fact, i) => {
    const drawn = !!on.onEvidence && fact.nodes.length > 0 && (on.isDrawn?.(fact.nodes) ?? false);
    const item = h("li", {
      class: `gv-fact${drawn ? " gv-clickable" : ""}${i === active ? " gv-active" : ""}`,
      title: drawn ? "Highlight in the graph" : fact.nodes.length ? "Not in the graph as shown" : null,
      role: drawn ? "button" : null,
      tabindex: drawn ? 0 : null,
    }, ...inlineCode(fact.fact));
    if (drawn) {
      onActivate(item, (ev) => {
        ev.stopPropagation();
        on.onEvidence!(key, i);
      });
    }
    list.appendChild(item);
  });
  return h("div", { class: "gv-evidence" },
    h("div", { class: "gv-evidence-title" }, f.cause === "unexplained" ? "What gradviz saw" : "Evidence"), list);
}

// ---------------------------------------------------------------- details

type Row = [string, Node | string | number | null | undefined];

function table(rows: Row[]): HTMLElement {
  const t = h("table", { class: "gv-props" });
  for (const [k, v] of rows) {
    if (v === null || v === undefined || v === "") continue;
    t.appendChild(h("tr", null, h("th", null, k), h("td", null, v)));
  }
  return t;
}

const list = (xs: string[] | undefined): string | null => (xs && xs.length ? xs.join(", ") : null);
const yesNo = (b: boolean | undefined): string | null => (b === undefined ? null : b ? "yes" : "no");

function locationRows(doc: Document, d: NodeData): Row[] {
  const text = sourceLine(doc, d.file, d.line);
  return [
    ["location", whereEl(doc, d.file, d.line)],
    ["code", text !== null ? h("code", { class: "gv-code" }, text.trim()) : null],
  ];
}

export function renderNodeDetails(doc: Document, n: DisplayNode, call: GradientCall | null): HTMLElement {
  const d = n.data;
  const tape = call?.tape;
  const state = tape ? d.tape_state?.[tape] : undefined;
  const allStates = d.tape_state ? Object.entries(d.tape_state).map(([t, st]) => `${t}: ${st}`).join(", ") : null;
  const title = d.kind === "op" ? (d.op_type ?? d.label) : (n.sourceName ?? d.name ?? d.label);
  return h("div", { class: "gv-section gv-details" },
    h("h3", null, `Selected ${d.kind}`),
    h("div", { class: "gv-expr", style: "margin-bottom:6px" }, title ?? d.id),
    table([
      ["gradient", n.status ? h("span", { class: `gv-chip gv-${n.status}` }, n.status) : null],
      ["role", n.isTarget ? "target of the selected gradient call" : null],
      ["kind", d.kind],
      ["op type", d.op_type],
      ["name", d.name],
      ["as source", n.sourceName && n.sourceName !== d.name ? n.sourceName : null],
      ["label", d.label !== title ? d.label : null],
      ["dtype", d.dtype],
      ["shape", formatShape(d.shape)],
      ...locationRows(doc, d),
      ["scope", d.scope || null],
      ["tape state", state ? `${state} (${tape})` : null],
      ["all tapes", allStates],
      ["recorded by", d.kind === "op" ? (list(d.recorded_by) ?? "no tape") : null],
      ["differentiable", yesNo(d.differentiable)],
      ["phase", d.phase],
      ["tf.function", d.function],
      ["origin", d.origin],
      ["watched by", list(d.watched_by)],
      ["trainable", yesNo(d.trainable)],
      ["id", d.id],
    ]));
}

export function renderEdgeDetails(doc: Document, e: ViewEdge, g: FoldedGraph): HTMLElement {
  const label = (id: string): string => {
    const n = g.nodes.get(id)?.data;
    return n ? `${n.op_type ?? n.name ?? n.label ?? id}` : id;
  };
  const section = h("div", { class: "gv-section gv-details" }, h("h3", null, e.members.length > 1 ? `${e.members.length} edges` : "Selected edge"));
  const shown = e.members.slice(0, 8);
  for (const m of shown) section.appendChild(edgeTable(doc, m, g, label));
  if (e.members.length > shown.length) section.appendChild(h("div", { class: "gv-hint" }, `… and ${e.members.length - shown.length} more`));
  return section;
}

function edgeTable(doc: Document, m: DisplayEdge, g: FoldedGraph, label: (id: string) => string): HTMLElement {
  const via = m.via ? g.folded.get(m.via) : undefined;
  const viaText = via ? [via.label ?? via.id, via.dtype, formatShape(via.shape)].filter(Boolean).join(" ") : null;
  return h("div", { style: "margin-bottom:8px" },
    h("div", { class: "gv-expr" }, `${label(m.source)} → ${label(m.target)}`),
    table([
      ["broken", m.broken ? h("span", { class: "gv-chip gv-none" }, m.broken.cause) : null],
      ["kind", m.kind],
      ["recorded by", list(m.recordedBy) ?? "no tape"],
      ["differentiable", yesNo(m.differentiable)],
      ["tensor", viaText],
      ["tensor from", via ? whereEl(doc, via.file, via.line) : null],
      ["code", via && sourceLine(doc, via.file, via.line) !== null ? h("code", { class: "gv-code" }, sourceLine(doc, via.file, via.line)!.trim()) : null],
    ]));
}

export function renderGroupDetails(grp: Group, brokenInside: number, expanded: boolean, onToggle: () => void): HTMLElement {
  const button = h("button", null, expanded ? "Collapse" : "Expand");
  button.addEventListener("click", onToggle);
  const inputs = grp.range?.kind === "inputs";
  return h("div", { class: "gv-section gv-details" },
    h("h3", null, inputs ? "Selected inputs" : grp.range ? "Selected range of scopes" : "Selected scope"),
    h("div", { class: "gv-expr", style: "margin-bottom:6px" }, inputs ? grp.name : grp.range ? `${grp.range.first} … ${grp.range.last}` : grp.scopePath),
    table([
      ["scopes", grp.range && !inputs ? `${grp.range.count} consecutive scopes${grp.scopePath ? ` in ${grp.scopePath}` : ""}, grouped to keep the graph readable` : null],
      ["inputs", inputs ? `${grp.range!.count} tensors with no producer shown, all feeding ${grp.range!.first}, drawn as one box` : null],
      ["scope", inputs && grp.scopePath ? grp.scopePath : null],
      ["ops", inputs ? null : grp.ops],
      ["variables", grp.variables || null],
      ["tensors shown", grp.tensors || null],
      ["outside tape", grp.outside || null],
      ["broken inside", brokenInside ? h("span", { class: "gv-chip gv-none" }, String(brokenInside)) : null],
      ["sources", grp.statuses.length ? countStatuses(grp.statuses) : null],
    ]),
    button);
}

/** ["zero", "none", "zero"] -> "2 zero, 1 None" (most common first). */
function countStatuses(statuses: string[]): string {
  const counts = new Map<string, number>();
  for (const st of statuses) counts.set(st, (counts.get(st) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1]).map(([st, k]) => `${k} ${st === "none" ? "None" : st}`).join(", ");
}

export function renderDetailsHint(): HTMLElement {
  return h("div", { class: "gv-section gv-details" }, h("h3", null, "Details"),
    h("div", { class: "gv-hint" }, "Click a node, an edge or a scope to see its details. Drag to pan, wheel to zoom."));
}
