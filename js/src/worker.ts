/**
 * Layout Web Worker body. The build bundles this file on its own into a string that
 * the main bundle turns into a Blob URL, so it works from file:// and in JupyterLab.
 */
import { layoutGraph, type LayoutRequest } from "./layout";

const scope = self as unknown as {
  onmessage: ((ev: MessageEvent<{ id: number; request: LayoutRequest; warm?: boolean }>) => void) | null;
  postMessage(msg: unknown): void;
};
scope.onmessage = (ev) => {
  const { id, request, warm } = ev.data;
  try {
    // A warm-up's result goes back too: the page keeps it for when the user asks for that view.
    scope.postMessage({ id, warm, result: layoutGraph(request) });
  } catch (err) {
    scope.postMessage({ id, warm, error: String(err) });
  }
};
