/**
 * Runs layouts in a Web Worker made from a Blob URL, falling back to the main thread
 * when Workers (or Blob URLs) are unavailable, e.g. under a strict CSP.
 */
import workerSource from "gradviz:worker-source";
import { layoutGraph, type LayoutRequest, type LayoutResult } from "./layout";

type Pending = { resolve: (r: LayoutResult) => void; reject: (e: Error) => void; request: LayoutRequest };

export class LayoutClient {
  private worker: Worker | null = null;
  private url: string | null = null;
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private warmQueue: (() => LayoutRequest)[] = [];
  private warming = false;

  constructor() {
    if (!workerSource || typeof Worker === "undefined" || typeof Blob === "undefined" || typeof URL.createObjectURL !== "function") return;
    try {
      this.url = URL.createObjectURL(new Blob([workerSource], { type: "text/javascript" }));
      this.worker = new Worker(this.url);
      this.worker.onmessage = (ev: MessageEvent<{ id: number; result?: LayoutResult; error?: string; warm?: boolean }>) => {
        if (ev.data.warm) {
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
    } catch {
      this.disableWorker();
    }
  }

  get usesWorker(): boolean {
    return this.worker !== null;
  }

  layout(request: LayoutRequest): Promise<LayoutResult> {
    if (!this.worker) return new Promise((resolve, reject) => runLater(() => settle(request, resolve, reject)));
    const id = this.nextId++;
    this.warmQueue = []; // stale once the view changes
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, request });
      this.worker!.postMessage({ id, request });
    });
  }

  /**
   * Queue layouts the user is likely to ask for next (e.g. each collapsed group
   * expanded), run only while the worker is idle, so a later real request hits the
   * worker's per-level cache. Each request is built only when its turn comes, to keep
   * the main thread free. Replaces the previous queue. No-op without a worker.
   */
  warm(requests: (() => LayoutRequest)[]): void {
    if (!this.worker) return;
    this.warmQueue = requests.slice();
    this.pumpWarm();
  }

  private pumpWarm(): void {
    if (!this.worker || this.warming || this.pending.size > 0) return;
    const next = this.warmQueue.shift();
    if (!next) return;
    this.warming = true;
    this.worker.postMessage({ id: 0, request: next(), warm: true });
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

function runLater(fn: () => void): void {
  setTimeout(fn, 0);
}
