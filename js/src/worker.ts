/**
 * Layout Web Worker body. The build bundles this file on its own into a string that
 * the main bundle turns into a Blob URL, so it works from file:// and in JupyterLab.
 */
import { layoutGraph, type LayoutRequest } from "./layout";

const scope = self as unknown as {
  onmessage: ((ev: MessageEvent<{ id: number; request: LayoutRequest }>) => void) | null;
  postMessage(msg: unknown): void;
};
scope.onmessage = (ev) => {
  const { id, request } = ev.data;
  try {
    scope.postMessage({ id, result: layoutGraph(request) });
  } catch (err) {
    scope.postMessage({ id, error: String(err) });
  }
};
