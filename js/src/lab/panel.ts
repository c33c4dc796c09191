/**
 * The "Gradients" side panel: the findings of the current notebook's latest diagnoses, one block per
 * diagnosed cell, one card per finding group (as in the widget); a card jumps to its culprit line.
 */
import { Widget } from "@lumino/widgets";
import { clear, h, onActivate } from "../dom";
import type { PanelCell, PanelFinding } from "./findings";

export class GradientsPanel extends Widget {
  /** Called with a finding (and the cell holding its diagnosis) when its card is clicked. */
  onJump: (finding: PanelFinding, cell: number) => void = () => undefined;
  /** Called with a diagnosed cell's index when its title is clicked. */
  onCell: (cell: number) => void = () => undefined;

  constructor() {
    super();
    this.id = "gradviz-gradients";
    this.title.label = "Gradients";
    this.title.caption = "gradviz: why gradients are None, across the notebook";
    this.addClass("gv-lab-panel");
    this.showFindings([], null);
  }

  /** Show `cells` (the entries of `panelEntries`) for the notebook called `notebook` (null: none open). */
  showFindings(cells: PanelCell[], notebook: string | null): void {
    clear(this.node);
    this.node.appendChild(h("h2", null, "Gradients"));
    if (!notebook) {
      this.node.appendChild(h("p", { class: "gv-lab-hint" }, "Open a notebook to see its gradient diagnoses."));
      return;
    }
    if (!cells.length) {
      this.node.appendChild(h("p", { class: "gv-lab-hint" },
        "No diagnosis in this notebook yet. Click the “Diagnose gradients” button on a code cell (or run it with %%gradtape)."));
      return;
    }
    for (const entry of cells) this.node.appendChild(this.renderCell(entry));
  }

  private renderCell(entry: PanelCell): HTMLElement {
    const title = h("button", { class: "gv-lab-cell", title: "Show this cell" }, `Cell ${entry.cell + 1}`,
      h("span", { class: "gv-lab-headline" }, entry.headline));
    title.addEventListener("click", () => this.onCell(entry.cell));
    const block = h("section", { class: "gv-lab-diagnosis", "data-gv-cell": entry.cell }, title);
    for (const call of entry.calls) {
      block.appendChild(h("div", { class: "gv-lab-call" }, "tape.gradient at ", call.where ?? "?", call.code ? h("code", null, call.code) : null));
      for (const f of call.findings) block.appendChild(this.renderFinding(f, entry.cell));
    }
    return block;
  }

  private renderFinding(f: PanelFinding, cell: number): HTMLElement {
    const card = h("div", { class: `gv-lab-finding gv-lab-${f.status}`, role: "button", tabindex: 0, "data-key": f.key,
      title: f.line !== null ? "Show the culprit line" : null },
      h("div", null, h("span", { class: "gv-lab-chip" }, f.status === "none" ? "None" : "zero"), " ", h("b", null, f.names)),
      h("div", null, f.cause ? h("span", { class: "gv-lab-cause" }, f.cause) : null, f.where ? ` at ${f.where}` : null),
      f.code ? h("code", null, f.code) : null);
    onActivate(card, () => this.onJump(f, cell));
    return card;
  }
}

/** The panel's and the highlight's CSS, in JupyterLab's theme variables. */
export const LAB_CSS = `
.gv-lab-panel { padding: 8px; overflow: auto; font-size: var(--jp-ui-font-size1); color: var(--jp-ui-font-color1); background: var(--jp-layout-color1); }
.gv-lab-panel h2 { font-size: var(--jp-ui-font-size2); margin: 0 0 8px; }
.gv-lab-hint { color: var(--jp-ui-font-color2); }
.gv-lab-diagnosis { margin-bottom: 12px; }
.gv-lab-cell { display: block; width: 100%; text-align: left; background: none; border: 0; padding: 2px 0; cursor: pointer; font-weight: 600; color: var(--jp-ui-font-color0); }
.gv-lab-headline { display: block; font-weight: 400; color: var(--jp-ui-font-color2); }
.gv-lab-call { margin: 6px 0 4px; color: var(--jp-ui-font-color2); }
.gv-lab-call code, .gv-lab-finding code { display: block; font-family: var(--jp-code-font-family); font-size: var(--jp-code-font-size); white-space: pre-wrap; overflow-wrap: anywhere; }
.gv-lab-finding { border: 1px solid var(--jp-border-color2); border-left: 3px solid #d42f2f; border-radius: 4px; padding: 4px 6px; margin: 4px 0; cursor: pointer; background: var(--jp-layout-color0); }
.gv-lab-finding.gv-lab-zero { border-left-color: #c98200; }
.gv-lab-finding:hover, .gv-lab-finding:focus { border-color: var(--jp-brand-color1); outline: none; }
.gv-lab-chip { font-weight: 600; color: #d42f2f; }
.gv-lab-zero .gv-lab-chip { color: #c98200; }
.gv-lab-cause { font-family: var(--jp-code-font-family); }
.jp-Notebook .gradviz-root .gv-finding[data-gv-line] { cursor: pointer; }
.cm-line.gv-culprit-line { background-color: rgba(212, 47, 47, 0.18); box-shadow: inset 3px 0 0 #d42f2f; }
`;
