/**
 * Runs layouts in a Web Worker made from a Blob URL, falling back to the main thread
 * when Workers (or Blob URLs) are unavailable, e.g. under a strict CSP.
 */
import workerSource from "gradviz:worker-source";
import { layoutGraph, type LayoutRequest, type LayoutResult } from "./layout";

/** Views of at most this many boxes (nodes and groups) are laid out on the main thread. */
export const MAIN_THREAD_LIMIT = 60;

/** A small graph with a group, laid out once when the worker starts (see the constructor). */
const START_UP: LayoutRequest = {
  nodes: ["a", "b", "c", "d", "e", "f"].map((id, i) => ({ id, width: 100 + i, height: 30, parent: i < 3 ? null : "g" })),
  clusters: [{ id: "g", parent: null }],
  edges: [["a", "b"], ["a", "c"], ["b", "d"], ["c", "d"], ["d", "e"], ["d", "f"], ["e", "f"]].map(([source, target], i) => ({ id: `e${i}`, source, target })),
};

type Pending = { resolve: (r: LayoutResult) => void; reject: (e: Error) => void; request: LayoutRequest };

export class LayoutClient {
  private worker: Worker | null = null;
  private url: string | null = null;
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private warmQueue: (() => LayoutRequest)[] = [];
  /** The warm-up being laid out (null for the start-up one), and who wants its result. */
  private warming: LayoutRequest | null | false = false;
  private onWarm: ((request: LayoutRequest, result: LayoutResult) => void) | null = null;

  constructor() {
    if (!workerSource || typeof Worker === "undefined" || typeof Blob === "undefined" || typeof URL.createObjectURL !== "function") return;
    try {
      this.url = URL.createObjectURL(new Blob([workerSource], { type: "text/javascript" }));
      this.worker = new Worker(this.url);
      this.worker.onmessage = (ev: MessageEvent<{ id: number; result?: LayoutResult; error?: string; warm?: boolean }>) => {
        if (ev.data.warm) {
          if (this.warming && ev.data.result) this.onWarm?.(this.warming, ev.data.result);
          this.warming = false;
          this.pumpWarm();
          return;
        }
        const p = this.pending.get(ev.data.id);
        if (!p) return;
        this.pending.delete(ev.data.id);
        if (ev.data.result) p.resolve(ev.data.result);
        else p.reject(new Error(ev.data.error ?? "layout failed"));
        this.pumpWarm();
      };
      // A worker that cannot start (CSP, sandbox) fails asynchronously: redo its jobs here.
      this.worker.onerror = (ev) => {
        ev.preventDefault?.();
        this.disableWorker();
      };
      // Start-up: compile the layout code in the worker while the page is still busy with the
      // document, so the first warm-up (and the first big layout) does not pay for it.
      this.warming = null;
      this.worker.postMessage({ id: 0, request: START_UP, warm: true });
    } catch {
      this.disableWorker();
    }
  }

  get usesWorker(): boolean {
    return this.worker !== null;
  }

  layout(request: LayoutRequest): Promise<LayoutResult> {
    // A small view is laid out here at once: a few milliseconds, where the worker's round trip
    // (and its start-up, on the first paint) costs hundreds.
    if (!this.worker || request.nodes.length + request.clusters.length <= MAIN_THREAD_LIMIT) {
      return new Promise((resolve, reject) => settle(request, resolve, reject));
    }
    const id = this.nextId++;
    this.warmQueue = []; // stale once the view changes
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, request });
      this.worker!.postMessage({ id, request });
    });
  }

  /**
   * Queue layouts the user is likely to ask for next (e.g. each collapsed group
   * expanded), run only while the worker is idle; each result goes to `onResult`, so the
   * page has it when the user asks (and the worker's per-level cache keeps the levels).
   * Each request is built only when its turn comes, to keep the main thread free.
   * Replaces the previous queue. No-op without a worker.
   */
  warm(requests: (() => LayoutRequest)[], onResult: (request: LayoutRequest, result: LayoutResult) => void): void {
    if (!this.worker) return;
    this.warmQueue = requests.slice();
    this.onWarm = onResult;
    this.pumpWarm();
  }

  private pumpWarm(): void {
    if (!this.worker || this.warming !== false || this.pending.size > 0) return;
    const next = this.warmQueue.shift();
    if (!next) return;
    const request = next();
    this.warming = request;
    this.worker.postMessage({ id: 0, request, warm: true });
  }

  dispose(): void {
    this.worker?.terminate();
    this.worker = null;
    if (this.url) URL.revokeObjectURL(this.url);
    this.url = null;
    this.pending.clear();
  }

  private disableWorker(): void {
    this.worker?.terminate();
    this.worker = null;
    this.warmQueue = [];
    const jobs = [...this.pending.values()];
    this.pending.clear();
    for (const p of jobs) settle(p.request, p.resolve, p.reject);
  }
}

function settle(request: LayoutRequest, resolve: (r: LayoutResult) => void, reject: (e: Error) => void): void {
  try {
    resolve(layoutGraph(request));
  } catch (err) {
    reject(err instanceof Error ? err : new Error(String(err)));
  }
}
