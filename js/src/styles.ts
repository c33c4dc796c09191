/**
 * All CSS, scoped under `.gradviz-root` and injected once per document from JS.
 * Colours come from JupyterLab's CSS variables when present (so the widget follows
 * the Lab theme), with fallbacks for the standalone report, which follows
 * `prefers-color-scheme`.
 */

const LIGHT = `
  --gv-bg: var(--jp-layout-color0, #ffffff);
  --gv-bg2: var(--jp-layout-color1, #f6f7f9);
  --gv-bg3: var(--jp-layout-color2, #eceef1);
  --gv-border: var(--jp-border-color1, #d3d8de);
  --gv-border2: var(--jp-border-color2, #e3e6ea);
  --gv-fg: var(--jp-ui-font-color0, #1c2128);
  --gv-fg2: var(--jp-ui-font-color1, #3d4650);
  --gv-fg3: var(--jp-ui-font-color2, #6b7580);
  --gv-accent: var(--jp-brand-color1, #2f6fde);
  --gv-ok: #1e9e50;
  --gv-ok-bg: #e3f5ea;
  --gv-none: #d42f2f;
  --gv-none-bg: #fde7e7;
  --gv-zero: #c98200;
  --gv-zero-bg: #fff3d9;
  --gv-outside: #8a4fd8;
  --gv-outside-bg: #f1e8fd;
  --gv-op-bg: #e4ecf7;
  --gv-op-border: #6f8db3;
  --gv-var-bg: #eef0f3;
  --gv-var-border: #59636e;
  --gv-tensor-bg: #ffffff;
  --gv-edge: #8a949e;
  --gv-edge-faint: #c3c9cf;
  --gv-group-bg: #f3f5f8;
  --gv-cluster-bg: rgba(120, 140, 170, 0.06);
  --gv-match: #ffbf00;
  --gv-code-bg: var(--jp-cell-editor-background, #f3f4f6);
`;

const DARK = `
  --gv-bg: var(--jp-layout-color0, #111418);
  --gv-bg2: var(--jp-layout-color1, #181c21);
  --gv-bg3: var(--jp-layout-color2, #22272e);
  --gv-border: var(--jp-border-color1, #3a424c);
  --gv-border2: var(--jp-border-color2, #2c333b);
  --gv-fg: var(--jp-ui-font-color0, #e8ebee);
  --gv-fg2: var(--jp-ui-font-color1, #c5ccd3);
  --gv-fg3: var(--jp-ui-font-color2, #8e99a4);
  --gv-accent: var(--jp-brand-color1, #5b94f0);
  --gv-ok: #3fc777;
  --gv-ok-bg: rgba(63, 199, 119, 0.16);
  --gv-none: #ff5c5c;
  --gv-none-bg: rgba(255, 92, 92, 0.16);
  --gv-zero: #f0b030;
  --gv-zero-bg: rgba(240, 176, 48, 0.16);
  --gv-outside: #b48cff;
  --gv-outside-bg: rgba(180, 140, 255, 0.14);
  --gv-op-bg: #233247;
  --gv-op-border: #6f93c4;
  --gv-var-bg: #2a3038;
  --gv-var-border: #a9b3bd;
  --gv-tensor-bg: #1a1f25;
  --gv-edge: #7d8893;
  --gv-edge-faint: #4a525b;
  --gv-group-bg: #1e242b;
  --gv-cluster-bg: rgba(140, 160, 190, 0.07);
  --gv-match: #ffcf40;
  --gv-code-bg: var(--jp-cell-editor-background, #1d2228);
`;

const CSS = `
.gradviz-root { ${LIGHT}
  --gv-font: var(--jp-ui-font-family, system-ui, -apple-system, "Segoe UI", Roboto, sans-serif);
  --gv-mono: var(--jp-code-font-family, ui-monospace, SFMono-Regular, Menlo, Consolas, monospace);
  font-family: var(--gv-font); font-size: 13px; line-height: 1.4; color: var(--gv-fg); background: var(--gv-bg);
  border: 1px solid var(--gv-border); border-radius: 6px; display: flex; flex-direction: column;
  height: 720px; min-height: 420px; overflow: hidden; resize: vertical; box-sizing: border-box; }
.gradviz-root *, .gradviz-root *::before, .gradviz-root *::after { box-sizing: border-box; }
body[data-jp-theme-light="false"] .gradviz-root, body.vscode-dark .gradviz-root, .gradviz-root.gv-dark { ${DARK} }
@media (prefers-color-scheme: dark) { .gradviz-root.gv-standalone:not(.gv-light) { ${DARK} } }
/* The report's page gives the root its height (e.g. a flex: 1 host); 100vh when it does not. */
.gradviz-root.gv-standalone { height: 100%; min-height: min(100vh, 520px); border: 0; border-radius: 0; resize: none; }
body > .gradviz-root.gv-standalone { height: 100vh; }

.gradviz-root .gv-header { display: flex; flex-wrap: wrap; align-items: baseline; gap: 4px 14px; padding: 8px 14px;
  background: var(--gv-bg2); border-bottom: 1px solid var(--gv-border); }
.gradviz-root .gv-brand { font-weight: 700; letter-spacing: .02em; color: var(--gv-accent); }
.gradviz-root .gv-program { font-weight: 600; font-family: var(--gv-mono); font-size: 12.5px; }
.gradviz-root .gv-meta { color: var(--gv-fg3); font-size: 12px; }
.gradviz-root .gv-capture-warning { flex-basis: 100%; color: var(--gv-fg2); font-size: 12px; padding: 1px 8px;
  border-left: 3px solid var(--gv-zero); overflow-wrap: anywhere; }
.gradviz-root .gv-error { flex-basis: 100%; color: var(--gv-none); background: var(--gv-none-bg); border-radius: 4px;
  padding: 4px 8px; font-family: var(--gv-mono); font-size: 12px; white-space: pre-wrap; }

.gradviz-root .gv-headline { display: flex; align-items: center; gap: 10px; padding: 8px 14px; font-size: 15px; font-weight: 650;
  border-bottom: 1px solid var(--gv-border); }
.gradviz-root .gv-headline.gv-ok { background: var(--gv-ok-bg); color: var(--gv-ok); }
.gradviz-root .gv-headline.gv-bad { background: var(--gv-none-bg); color: var(--gv-none); }
.gradviz-root .gv-headline.gv-warn { background: var(--gv-zero-bg); color: var(--gv-zero); }
.gradviz-root .gv-headline .gv-icon { font-size: 18px; }

.gradviz-root .gv-body { flex: 1; display: flex; min-height: 0; }
.gradviz-root .gv-main { flex: 1; display: flex; flex-direction: column; min-width: 0; position: relative; }
.gradviz-root .gv-side { width: 370px; flex: none; border-left: 1px solid var(--gv-border); background: var(--gv-bg);
  display: flex; flex-direction: column; min-height: 0; }
.gradviz-root .gv-side > .gv-findings-slot { flex: 1 1 auto; overflow-y: auto; min-height: 120px; }
.gradviz-root .gv-side > .gv-details-slot { flex: 0 1 auto; max-height: 55%; overflow-y: auto; border-top: 1px solid var(--gv-border); }
.gradviz-root .gv-details-slot .gv-section { border-bottom: 0; }
@media (max-width: 820px) { .gradviz-root .gv-side { width: 280px; } }

.gradviz-root .gv-toolbar { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 8px; padding: 6px 10px;
  border-bottom: 1px solid var(--gv-border2); background: var(--gv-bg); }
.gradviz-root .gv-toolbar input[type=search] { width: 260px; padding: 4px 8px; border: 1px solid var(--gv-border); border-radius: 4px;
  background: var(--gv-bg); color: var(--gv-fg); font: inherit; }
.gradviz-root .gv-toolbar label { display: inline-flex; align-items: center; gap: 4px; color: var(--gv-fg2); font-size: 12px; cursor: pointer; user-select: none; }
.gradviz-root button { font: inherit; font-size: 12px; padding: 3px 10px; border: 1px solid var(--gv-border); border-radius: 4px;
  background: var(--gv-bg2); color: var(--gv-fg); cursor: pointer; }
.gradviz-root button:hover:not(:disabled) { border-color: var(--gv-accent); }
.gradviz-root button:disabled { opacity: .5; cursor: default; }
.gradviz-root button.gv-primary { background: var(--gv-accent); border-color: var(--gv-accent); color: #fff; }
.gradviz-root .gv-export { display: inline-flex; align-items: center; gap: 8px; min-width: 0; max-width: 100%; }
.gradviz-root .gv-export-error { color: var(--gv-none); background: var(--gv-none-bg); border-radius: 4px; padding: 1px 8px; font-size: 12px;
  max-width: 640px; overflow-wrap: anywhere; }
.gradviz-root .gv-export-error[hidden] { display: none; }
.gradviz-root button.gv-primary.gv-failed { background: var(--gv-none); border-color: var(--gv-none); }
.gradviz-root .gv-count { color: var(--gv-fg3); font-size: 12px; min-width: 48px; }
.gradviz-root .gv-spacer { flex: 1; }
.gradviz-root .gv-status { color: var(--gv-fg3); font-size: 12px; }

.gradviz-root .gv-canvas { flex: 1; position: relative; min-height: 0; overflow: hidden; background: var(--gv-bg);
  cursor: grab; touch-action: none; }
.gradviz-root .gv-canvas.gv-panning { cursor: grabbing; }
.gradviz-root .gv-canvas > svg { position: absolute; inset: 0; width: 100%; height: 100%; display: block; user-select: none; }
.gradviz-root .gv-legend { position: absolute; left: 8px; bottom: 8px; display: flex; flex-wrap: wrap; gap: 4px 10px; max-width: calc(100% - 16px);
  padding: 4px 8px; font-size: 11px; color: var(--gv-fg2); background: var(--gv-bg); border: 1px solid var(--gv-border2);
  border-radius: 4px; opacity: .94; pointer-events: none; }
.gradviz-root .gv-legend span { display: inline-flex; align-items: center; gap: 4px; }
.gradviz-root .gv-swatch { display: inline-block; width: 14px; height: 10px; border-radius: 2px; border: 1.5px solid; }

/* graph */
.gradviz-root svg text { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; fill: var(--gv-fg); }
.gradviz-root .gv-node { cursor: pointer; }
.gradviz-root .gv-node > rect { stroke-width: 1.3; }
.gradviz-root .gv-op > rect { fill: var(--gv-op-bg); stroke: var(--gv-op-border); }
.gradviz-root .gv-op.gv-unrecorded > rect, .gradviz-root .gv-op.gv-paused > rect { fill: var(--gv-bg); stroke: var(--gv-edge); }
.gradviz-root .gv-op.gv-unrecorded text, .gradviz-root .gv-op.gv-paused text { fill: var(--gv-fg3); }
.gradviz-root .gv-op.gv-outside > rect { fill: var(--gv-outside-bg); stroke: var(--gv-outside); stroke-dasharray: 5 3; stroke-width: 1.6; }
.gradviz-root .gv-sub { font-size: 9.5px; fill: var(--gv-fg3); }
.gradviz-root .gv-outside .gv-sub { fill: var(--gv-outside); font-weight: 600; }
.gradviz-root .gv-variable > rect { fill: var(--gv-var-bg); stroke: var(--gv-var-border); stroke-width: 1.6; }
.gradviz-root .gv-tensor > rect { fill: var(--gv-tensor-bg); stroke: var(--gv-edge); }
.gradviz-root .gv-tensor text { font-size: 10px; fill: var(--gv-fg2); }
.gradviz-root .gv-status-ok > rect { fill: var(--gv-ok-bg); stroke: var(--gv-ok); stroke-width: 2; }
.gradviz-root .gv-status-none > rect { fill: var(--gv-none-bg); stroke: var(--gv-none); stroke-width: 2; }
.gradviz-root .gv-status-zero > rect { fill: var(--gv-zero-bg); stroke: var(--gv-zero); stroke-width: 2; }
.gradviz-root .gv-target > rect { stroke: var(--gv-fg); stroke-width: 2.4; }
.gradviz-root .gv-tag { font-size: 9px; font-weight: 700; letter-spacing: .05em; fill: var(--gv-fg3); }
.gradviz-root .gv-group > rect.gv-box { fill: var(--gv-group-bg); stroke: var(--gv-fg3); stroke-width: 1.2; }
.gradviz-root .gv-group > rect.gv-box2 { fill: var(--gv-group-bg); stroke: var(--gv-fg3); stroke-width: 1; }
.gradviz-root .gv-group .gv-title { font-weight: 650; font-size: 12px; }
.gradviz-root .gv-range > rect.gv-box { stroke-dasharray: 6 2; }
.gradviz-root .gv-group .gv-sub { font-size: 10.5px; }
/* A dangling branch: computed from an unused source, reaching nothing the target needs. */
.gradviz-root .gv-op.gv-dangling > rect, .gradviz-root .gv-group.gv-dangling > rect { stroke-dasharray: 4 3; opacity: .7; }
.gradviz-root .gv-op.gv-dangling text, .gradviz-root .gv-group.gv-dangling .gv-title { fill: var(--gv-fg3); }
.gradviz-root .gv-tensor.gv-dangling > rect { stroke: var(--gv-none); stroke-dasharray: 4 3; stroke-width: 1.4; }
.gradviz-root .gv-tensor.gv-dangling text { fill: var(--gv-none); font-weight: 600; }
.gradviz-root .gv-unused-tag { fill: var(--gv-none); }
.gradviz-root .gv-group .gv-outside-note { font-size: 10px; fill: var(--gv-outside); font-weight: 600; }
.gradviz-root .gv-marker circle { fill: var(--gv-none); }
.gradviz-root .gv-marker text { fill: #fff; font-size: 10px; font-weight: 700; }
.gradviz-root .gv-cluster > rect { fill: var(--gv-cluster-bg); stroke: var(--gv-border); stroke-width: 1; }
.gradviz-root .gv-cluster .gv-ctitle { cursor: pointer; }
.gradviz-root .gv-cluster .gv-ctitle rect { fill: var(--gv-bg3); }
.gradviz-root .gv-cluster .gv-ctitle text { font-size: 11px; font-weight: 650; fill: var(--gv-fg2); }
.gradviz-root .gv-cluster .gv-ctitle:hover text { fill: var(--gv-accent); }

.gradviz-root .gv-edge path.gv-line { fill: none; stroke: var(--gv-edge); stroke-width: 1.3; }
.gradviz-root .gv-edge.gv-unrec path.gv-line { stroke: var(--gv-edge-faint); }
.gradviz-root .gv-edge.gv-numpy path.gv-line { stroke: var(--gv-zero); stroke-dasharray: 2 3; }
.gradviz-root .gv-edge.gv-kind-capture path.gv-line { stroke-dasharray: 8 3 1.5 3; }
.gradviz-root .gv-edge.gv-nondiff path.gv-line { stroke-dasharray: 2 3; }
.gradviz-root .gv-edge.gv-kind-state path.gv-line, .gradviz-root .gv-edge.gv-kind-resource path.gv-line {
  stroke: var(--gv-fg3); stroke-dasharray: 0.1 4; stroke-linecap: round; }
.gradviz-root .gv-edge.gv-broken path.gv-line { stroke: var(--gv-none); stroke-width: 2.2; stroke-dasharray: 7 4; }
.gradviz-root .gv-edge.gv-broken.gv-unexplained path.gv-line { stroke: var(--gv-fg3); }
.gradviz-root .gv-edge path.gv-hit { fill: none; stroke: transparent; stroke-width: 12; cursor: pointer; }
.gradviz-root .gv-badge rect { fill: var(--gv-none); }
.gradviz-root .gv-badge text { fill: #fff; font-size: 10px; font-weight: 650; }
.gradviz-root .gv-unexplained .gv-badge rect { fill: var(--gv-fg3); }
.gradviz-root .gv-edge:hover path.gv-line { stroke-width: 2.4; }

/* emphasis: finding focus dims everything else; matches glow; selection outlined */
.gradviz-root .gv-focusing .gv-node, .gradviz-root .gv-focusing .gv-edge { opacity: .28; transition: opacity .15s; }
.gradviz-root .gv-focusing .gv-node.gv-hl, .gradviz-root .gv-focusing .gv-edge.gv-hl { opacity: 1; }
.gradviz-root .gv-edge.gv-hl path.gv-line { stroke: var(--gv-accent); stroke-width: 2.6; }
.gradviz-root .gv-edge.gv-hl.gv-broken path.gv-line { stroke: var(--gv-none); stroke-width: 3; }
.gradviz-root .gv-edge.gv-hl.gv-broken.gv-unexplained path.gv-line { stroke: var(--gv-fg2); }
.gradviz-root .gv-node.gv-hl > rect { stroke-width: 2.6; }
.gradviz-root .gv-node.gv-match > rect:first-child { stroke: var(--gv-match); stroke-width: 3.5; }
.gradviz-root .gv-node.gv-selected > rect:first-child { stroke: var(--gv-accent); stroke-width: 3; }

/* side panels */
.gradviz-root .gv-section { padding: 10px 14px; border-bottom: 1px solid var(--gv-border2); }
.gradviz-root .gv-section h3 { margin: 0 0 8px; font-size: 11px; font-weight: 700; text-transform: uppercase; letter-spacing: .06em; color: var(--gv-fg3); }
.gradviz-root select { width: 100%; font: inherit; font-size: 12px; padding: 4px; border: 1px solid var(--gv-border); border-radius: 4px;
  background: var(--gv-bg); color: var(--gv-fg); }
.gradviz-root .gv-call { font-size: 12px; color: var(--gv-fg2); margin: 6px 0 2px; }
.gradviz-root code, .gradviz-root .gv-code { font-family: var(--gv-mono); font-size: 12px; }
.gradviz-root .gv-code { display: block; background: var(--gv-code-bg); border: 1px solid var(--gv-border2); border-radius: 4px;
  padding: 4px 8px; margin: 4px 0; white-space: pre-wrap; word-break: break-word; color: var(--gv-fg); }
.gradviz-root .gv-finding { border: 1px solid var(--gv-border); border-left: 4px solid var(--gv-none); border-radius: 5px; padding: 8px 10px;
  margin: 8px 0; cursor: pointer; background: var(--gv-bg); }
.gradviz-root .gv-finding.gv-zero { border-left-color: var(--gv-zero); }
.gradviz-root .gv-finding.gv-unexplained { border-left-color: var(--gv-fg3); }
.gradviz-root .gv-finding:hover { border-color: var(--gv-accent); }
.gradviz-root .gv-finding.gv-active { border-color: var(--gv-accent); box-shadow: 0 0 0 2px color-mix(in srgb, var(--gv-accent) 30%, transparent); }
.gradviz-root .gv-finding-head { display: flex; flex-wrap: wrap; align-items: center; gap: 6px; margin-bottom: 4px; }
.gradviz-root .gv-expr { font-family: var(--gv-mono); font-weight: 650; font-size: 12.5px; word-break: break-all; }
.gradviz-root .gv-chip { display: inline-block; font-size: 10.5px; font-weight: 700; padding: 0 6px; border-radius: 9px; line-height: 17px; }
.gradviz-root .gv-chip.gv-none { background: var(--gv-none); color: #fff; }
.gradviz-root .gv-chip.gv-zero { background: var(--gv-zero); color: #fff; }
.gradviz-root .gv-chip.gv-ok { background: var(--gv-ok); color: #fff; }
.gradviz-root .gv-chip.gv-cause { background: var(--gv-bg3); color: var(--gv-fg); font-family: var(--gv-mono); font-weight: 600; }
.gradviz-root .gv-chip.gv-cause.gv-unexplained { background: transparent; color: var(--gv-fg2); font-style: italic;
  border-width: 1px; border-style: dashed; border-color: var(--gv-fg3); line-height: 15px; }
.gradviz-root .gv-ran { font-size: 11.5px; color: var(--gv-fg3); }
.gradviz-root .gv-evidence { margin: 6px 0 4px; }
.gradviz-root .gv-evidence-title { font-size: 11px; font-weight: 700; color: var(--gv-fg3); }
.gradviz-root .gv-evidence-list { margin: 2px 0 0; padding-left: 18px; color: var(--gv-fg2); font-size: 12px; }
.gradviz-root .gv-fact { margin: 1px 0; padding: 0 4px; border-radius: 3px; }
.gradviz-root .gv-fact.gv-clickable { cursor: pointer; }
.gradviz-root .gv-fact.gv-clickable:hover { color: var(--gv-accent); }
.gradviz-root .gv-fact.gv-active { background: color-mix(in srgb, var(--gv-accent) 14%, transparent); color: var(--gv-fg); }
.gradviz-root .gv-where { font-family: var(--gv-mono); font-size: 11.5px; color: var(--gv-accent); overflow-wrap: anywhere; }
.gradviz-root .gv-finding-cause { display: flex; flex-wrap: wrap; align-items: center; gap: 2px 8px; }
.gradviz-root .gv-expl { margin: 4px 0; color: var(--gv-fg2); }
.gradviz-root .gv-fix { margin: 4px 0 0; }
.gradviz-root .gv-fix b { color: var(--gv-ok); }
.gradviz-root .gv-oklist { display: flex; flex-wrap: wrap; gap: 4px; margin-top: 6px; }
.gradviz-root .gv-okitem { font-family: var(--gv-mono); font-size: 11px; padding: 1px 6px; border-radius: 3px; cursor: pointer;
  background: var(--gv-ok-bg); color: var(--gv-ok); border: 1px solid transparent; }
.gradviz-root .gv-okitem.gv-active { border-color: var(--gv-accent); }
.gradviz-root .gv-allok { font-size: 14px; font-weight: 650; color: var(--gv-ok); padding: 6px 0; }
.gradviz-root table.gv-props { border-collapse: collapse; width: 100%; font-size: 12px; }
.gradviz-root table.gv-props th { text-align: left; font-weight: 500; color: var(--gv-fg3); padding: 2px 8px 2px 0; vertical-align: top; white-space: nowrap; }
.gradviz-root table.gv-props td { padding: 2px 0; word-break: break-word; }
.gradviz-root .gv-hint { color: var(--gv-fg3); font-size: 12px; }
`;

const STYLE_ID = "gradviz-styles-v1";

/** Adds the stylesheet to `el`'s document (or shadow root) once. */
export function injectStyles(el: Element): void {
  const root = el.getRootNode() as Document | ShadowRoot;
  const host: ParentNode = root instanceof ShadowRoot ? root : document.head;
  if (host.querySelector(`style#${STYLE_ID}`)) return;
  const style = document.createElement("style");
  style.id = STYLE_ID;
  style.textContent = CSS;
  host.appendChild(style);
}
