/**
 * The culprit line in a cell editor: a CodeMirror 6 line decoration that the next edit clears.
 * The field is added to an editor the first time it is needed (`injectExtension`), so editors of
 * notebooks that never jump stay untouched.
 */
import { StateEffect, StateField, type Extension } from "@codemirror/state";
import { Decoration, EditorView, type DecorationSet } from "@codemirror/view";

/** The class of the highlighted `.cm-line` (the browser tests look for it). */
export const CULPRIT_LINE_CLASS = "gv-culprit-line";

const setCulprit = StateEffect.define<number | null>();
const lineDecoration = Decoration.line({ class: CULPRIT_LINE_CLASS });

const culpritField = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(decorations, tr) {
    for (const effect of tr.effects) {
      if (!effect.is(setCulprit)) continue;
      if (effect.value === null) return Decoration.none;
      return Decoration.set([lineDecoration.range(tr.state.doc.line(effect.value).from)]);
    }
    return tr.docChanged ? Decoration.none : decorations;
  },
  provide: (field) => EditorView.decorations.from(field),
});

/** What this module needs of JupyterLab's `CodeMirrorEditor`. */
export interface LineEditor {
  editor: EditorView;
  injectExtension(ext: Extension): void;
}

const injected = new WeakSet<EditorView>();
let highlighted: EditorView | null = null;

/** Highlight `line` (1-based, clamped to the document) in `target`, clearing any earlier highlight, and scroll to it. */
export function highlightLine(target: LineEditor, line: number): void {
  const view = target.editor;
  if (highlighted && highlighted !== view && injected.has(highlighted)) highlighted.dispatch({ effects: setCulprit.of(null) });
  if (!injected.has(view)) {
    target.injectExtension(culpritField);
    injected.add(view);
  }
  const number = Math.min(Math.max(1, line), view.state.doc.lines);
  const pos = view.state.doc.line(number).from;
  view.dispatch({ effects: [setCulprit.of(number), EditorView.scrollIntoView(pos, { y: "nearest", yMargin: 60 })] });
  highlighted = view;
}
