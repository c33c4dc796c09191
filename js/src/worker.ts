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
    const result = layoutGraph(request);
    // A warm-up only fills the per-level cache; nothing to send back.
    scope.postMessage(warm ? { id, warm: true } : { id, result });
  } catch (err) {
    scope.postMessage({ id, error: String(err) });
  }
};
