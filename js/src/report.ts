/**
 * Offline HTML report entry point (IIFE). The report inlines this bundle and the
 * document, then calls
 *
 *   gradviz.render(el, gradviz.localModel({ document, selected_node: "", selected_finding: "", export_enabled: false }))
 *
 * `render` returns a cleanup function.
 */
import { mount } from "./app";
import { createLocalModel } from "./local-model";
import type { ModelLike } from "./model-like";
import { SCHEMA_VERSION } from "./types";

const api = {
  schemaVersion: SCHEMA_VERSION,
  render: (el: HTMLElement, model: ModelLike): (() => void) => mount(el, model, { standalone: true }),
  localModel: createLocalModel,
};

(globalThis as unknown as { gradviz: typeof api }).gradviz = api;
