/**
 * The side panel's content: the findings of a notebook's latest diagnoses, across cells, grouped as
 * the widget groups them (`findingGroups`). Pure: the extension feeds it the documents it read from
 * the cells' outputs; the tests feed it hand-built ones.
 */
import { findingGroups } from "../model";
import { whereText } from "../panels";
import type { Document, GradientCall, Status } from "../types";

/**
 * The MIME type under which `GraphWidget` also puts its document, without the graph, next to the
 * widget view. JupyterLab keeps every type of an output in the notebook model (and file), renders
 * only the richest it has a renderer for, so the extension reads the findings from the cell's
 * outputs: no widget manager, no kernel round trip, and still there after a reload.
 */
export const FINDINGS_MIME = "application/vnd.gradviz.findings+json";

/** One finding card of the panel: the sources of one group, with the first one's cause and line. */
export interface PanelFinding {
  key: string; // "<cell index>:<call index>:<first source index>", unique in the notebook
  status: Status;
  cause: string | null;
  names: string; // "w", "kernel, bias (layer aux_head)"
  file: string | null; // the culprit's file, as in the document (what the jump maps to a cell)
  line: number | null;
  where: string | null; // "cell [3]:6"
  code: string | null;
}

/** A diagnosed cell's findings, call by call. */
export interface PanelCell {
  cell: number; // index of the cell whose output holds the diagnosis
  headline: string;
  calls: { where: string | null; code: string | null; findings: PanelFinding[] }[];
}

/** The names of a group of sources: the document's own label for it, else their exprs. */
function groupNames(call: GradientCall, group: number[]): string {
  const at = (call.groups ?? []).findIndex((g) => g.includes(group[0]));
  const label = at >= 0 ? call.group_labels?.[at] : undefined;
  return label || group.map((i) => call.sources[i].expr).join(", ");
}

/** The panel's entries, in notebook order; a diagnosis with nothing missing keeps its headline and no calls. */
export function panelEntries(diagnoses: { cell: number; doc: Document }[]): PanelCell[] {
  return [...diagnoses].sort((a, b) => a.cell - b.cell).map(({ cell, doc }) => ({
    cell,
    headline: doc.summary?.headline ?? "",
    calls: (doc.gradient_calls ?? []).flatMap((call, c) => {
      const findings = findingGroups(call).map((group): PanelFinding => {
        const f = call.sources[group[0]];
        return {
          key: `${cell}:${c}:${group[0]}`,
          status: f.status,
          cause: f.cause,
          names: groupNames(call, group),
          file: f.culprit_file,
          line: f.culprit_line,
          where: whereText(doc, f.culprit_file, f.culprit_line),
          code: f.culprit_code?.trim() || null,
        };
      });
      return findings.length ? [{ where: whereText(doc, call.file, call.line), code: call.code?.trim() || null, findings }] : [];
    }),
  }));
}
