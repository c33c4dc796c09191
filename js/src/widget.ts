/**
 * anywidget entry point (ES module, `export default { render }`): the Python widget
 * loads gradviz/static/widget.js as its `_esm`.
 */
import { mount } from "./app";
import type { ModelLike } from "./model-like";

function render({ model, el }: { model: ModelLike; el: HTMLElement }): () => void {
  return mount(el, model, { standalone: false });
}

export default { render };
