/**
 * gradviz's JupyterLab 4 (and Notebook 7) extension: "Diagnose gradients" on any code cell, a jump
 * from a finding to its culprit line, and a "Gradients" side panel.
 *
 * The diagnosis itself is the `%%gradtape` one: the command runs gradviz's `run_cell` on the cell's
 * source (no magic line typed, the source left as it is) with the output going to that cell, so the
 * widget, the text and a re-raised exception appear exactly as under the magic. The findings come
 * back through the cells' outputs (`FINDINGS_MIME`, next to the widget view); clicks on the widget's
 * finding cards are caught on the notebook's node (a widget cannot reach the application).
 */
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from "@jupyterlab/application";
import { ILayoutRestorer } from "@jupyterlab/application";
import { ICommandPalette, Notification } from "@jupyterlab/apputils";
import { CodeCell, type ICodeCellModel } from "@jupyterlab/cells";
import { INotebookTracker, NotebookActions, type NotebookPanel } from "@jupyterlab/notebook";
import { OutputArea } from "@jupyterlab/outputarea";
import { LabIcon } from "@jupyterlab/ui-components";
import type { Document } from "../types";
import { diagnoseCode, findCell, hasGradtapeMagic, type CellInfo } from "./cells";
import { FINDINGS_MIME, panelEntries } from "./findings";
import { highlightLine, type LineEditor } from "./highlight";
import { GradientsPanel, LAB_CSS } from "./panel";

const PLUGIN_ID = "gradviz:plugin";
export const DIAGNOSE_COMMAND = "gradviz:diagnose-cell";
const SHOW_PANEL_COMMAND = "gradviz:show-gradients";

const nablaIcon = new LabIcon({
  name: "gradviz:nabla",
  svgstr: '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16" width="16"><path class="jp-icon3" fill="#616161" d="M1 2h14L8 15zm3 2 4 7.5L12 4z"/></svg>',
});

/** The gradviz document in a cell's outputs (the last one, the cell's latest diagnosis), or null. */
function cellDocument(notebook: NotebookPanel, index: number): Document | null {
  const model = notebook.content.model?.cells.get(index);
  if (!model || model.type !== "code") return null;
  const outputs = (model as ICodeCellModel).outputs;
  for (let i = outputs.length - 1; i >= 0; i--) {
    const data = outputs.get(i).data[FINDINGS_MIME];
    if (data && typeof data === "object") return data as unknown as Document;
  }
  return null;
}

function cellInfos(notebook: NotebookPanel): CellInfo[] {
  const cells = notebook.content.model?.cells;
  const infos: CellInfo[] = [];
  for (let i = 0; i < (cells?.length ?? 0); i++) {
    const cell = cells!.get(i);
    infos.push({
      source: cell.type === "code" ? cell.sharedModel.getSource() : "",
      executionCount: cell.type === "code" ? ((cell as ICodeCellModel).executionCount ?? null) : null,
    });
  }
  return infos;
}

/**
 * Scroll `notebook` to the cell `file` was compiled from and highlight `line` in its editor; says so
 * (a notification) when the culprit is not in a cell of this notebook. `owner` holds the diagnosis.
 */
async function jumpToCulprit(notebook: NotebookPanel, doc: Document | null, file: string, line: number, owner: number): Promise<void> {
  const index = findCell(file, doc?.meta?.file_labels, cellInfos(notebook), owner);
  if (index === null) {
    Notification.info(`gradviz: the culprit is ${file}:${line}, not a cell of this notebook.`, { autoClose: 6000 });
    return;
  }
  const content = notebook.content;
  content.activeCellIndex = index;
  await content.scrollToItem(index, "smart");
  const cell = content.widgets[index];
  await cell.ready;
  if (cell.editor) highlightLine(cell.editor as unknown as LineEditor, line);
}

/** Run `cell` under gradviz, output into the cell, as `%%gradtape` would (a cell with the magic runs as is). */
async function diagnoseCell(notebook: NotebookPanel, cell: CodeCell): Promise<void> {
  const model = cell.model;
  const source = model.sharedModel.getSource();
  const session = notebook.sessionContext;
  if (hasGradtapeMagic(source) || !source.trim()) {
    await CodeCell.execute(cell, session);
    return;
  }
  if (!session.session?.kernel) {
    Notification.warning("gradviz: this notebook has no kernel to diagnose the cell in.", { autoClose: 6000 });
    return;
  }
  model.executionCount = null;
  cell.outputHidden = false;
  model.trusted = true;
  model.executionState = "running";
  try {
    const reply = await OutputArea.execute(diagnoseCode(source), cell.outputArea, session, { cellId: model.sharedModel.getId() });
    model.executionCount = reply?.content.execution_count ?? null;
  } finally {
    model.executionState = "idle";
  }
}

/**
 * Clicks on the widget's finding cards in `notebook`'s outputs jump to the culprit (event delegation).
 * Caught on the way down (capture): the widget redraws its cards on the same click, and a card it
 * has replaced no longer knows its cell by the time the click bubbles up.
 */
function watchFindingClicks(notebook: NotebookPanel): void {
  notebook.content.node.addEventListener("click", (event) => {
    const card = (event.target as Element | null)?.closest?.(".gradviz-root .gv-finding[data-gv-file][data-gv-line]");
    const cellNode = card?.closest(".jp-Cell");
    if (!card || !cellNode) return;
    const owner = notebook.content.widgets.findIndex((w) => w.node === cellNode);
    if (owner < 0) return;
    void jumpToCulprit(notebook, cellDocument(notebook, owner), card.getAttribute("data-gv-file")!, Number(card.getAttribute("data-gv-line")), owner);
  }, true);
}

function activate(app: JupyterFrontEnd, tracker: INotebookTracker, palette: ICommandPalette | null, restorer: ILayoutRestorer | null): void {
  const style = document.createElement("style");
  style.id = "gradviz-lab-style";
  style.textContent = LAB_CSS;
  document.head.appendChild(style);

  const panel = new GradientsPanel();
  panel.title.icon = nablaIcon;
  app.shell.add(panel, "left", { rank: 650 });
  restorer?.add(panel, panel.id);

  let pending = 0;
  const refresh = (): void => {
    window.clearTimeout(pending);
    pending = window.setTimeout(() => {
      const notebook = tracker.currentWidget;
      const cells = notebook?.content.model?.cells.length ?? 0;
      const diagnoses = [];
      for (let i = 0; i < cells; i++) {
        const doc = notebook && cellDocument(notebook, i);
        if (doc) diagnoses.push({ cell: i, doc });
      }
      panel.showFindings(panelEntries(diagnoses), notebook ? notebook.context.path : null);
    }, 150);
  };
  panel.onJump = (finding, cell) => {
    const notebook = tracker.currentWidget;
    if (!notebook) return;
    if (finding.file && finding.line !== null) void jumpToCulprit(notebook, cellDocument(notebook, cell), finding.file, finding.line, cell);
    else void notebook.content.scrollToItem(cell, "smart");
  };
  panel.onCell = (cell) => {
    const notebook = tracker.currentWidget;
    if (!notebook) return;
    notebook.content.activeCellIndex = cell;
    void notebook.content.scrollToItem(cell, "start");
  };

  tracker.widgetAdded.connect((_, notebook) => {
    watchFindingClicks(notebook);
    notebook.context.ready.then(refresh).catch(() => undefined);
    notebook.content.model?.contentChanged.connect(refresh);
    notebook.content.modelChanged.connect(() => {
      notebook.content.model?.contentChanged.connect(refresh);
      refresh();
    });
  });
  tracker.currentChanged.connect(refresh);
  NotebookActions.executed.connect(refresh);

  app.commands.addCommand(DIAGNOSE_COMMAND, {
    label: "Diagnose gradients",
    caption: "Run this cell under gradviz: why is tape.gradient None?",
    icon: nablaIcon,
    isEnabled: () => tracker.activeCell instanceof CodeCell,
    execute: async () => {
      const notebook = tracker.currentWidget;
      const cell = tracker.activeCell;
      if (!notebook || !(cell instanceof CodeCell)) return;
      await diagnoseCell(notebook, cell);
      refresh();
    },
  });
  app.commands.addCommand(SHOW_PANEL_COMMAND, {
    label: "Show the Gradients panel",
    execute: () => app.shell.activateById(panel.id),
  });
  app.contextMenu.addItem({ command: DIAGNOSE_COMMAND, selector: ".jp-Notebook .jp-CodeCell", rank: 0 });
  palette?.addItem({ command: DIAGNOSE_COMMAND, category: "gradviz" });
  palette?.addItem({ command: SHOW_PANEL_COMMAND, category: "gradviz" });
  refresh();
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: "Diagnose gradients on any code cell, jump to the culprit line, and list the findings in a side panel.",
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ICommandPalette, ILayoutRestorer],
  activate,
};

export default plugin;
