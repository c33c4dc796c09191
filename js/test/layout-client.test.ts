import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { layoutGraph, type LayoutRequest } from "../src/layout";

// A worker source, so LayoutClient makes a Worker: the fake below, which lays out as the real one does.
vi.mock("gradviz:worker-source", () => ({ default: "/* the worker bundle */" }));

type Message = { id: number; request: LayoutRequest; warm?: boolean };

class FakeWorker {
  static made: FakeWorker[] = [];
  received: Message[] = [];
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  constructor() {
    FakeWorker.made.push(this);
  }
  postMessage(msg: Message): void {
    this.received.push(msg);
    setTimeout(() => this.onmessage?.({ data: { id: msg.id, warm: msg.warm, result: layoutGraph(msg.request) } }), 0);
  }
  terminate(): void {}
}

const chain = (n: number, tag = ""): LayoutRequest => ({
  nodes: Array.from({ length: n }, (_, i) => ({ id: `n:${tag}${i}`, width: 80, height: 28, parent: null })),
  clusters: [],
  edges: Array.from({ length: n - 1 }, (_, i) => ({ id: `e${i}`, source: `n:${tag}${i}`, target: `n:${tag}${i + 1}` })),
});

const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 20));

describe("LayoutClient", () => {
  beforeEach(() => {
    FakeWorker.made = [];
    vi.stubGlobal("Worker", FakeWorker);
  });
  afterEach(() => vi.unstubAllGlobals());

  it("lays out a small view at once on the page and a big one in the worker", async () => {
    const { LayoutClient, MAIN_THREAD_LIMIT } = await import("../src/layout-client");
    const client = new LayoutClient();
    const worker = FakeWorker.made[0];
    expect(client.usesWorker).toBe(true);
    // the worker is sent one start-up layout, to compile its code while the page is busy
    expect(worker.received.map((m) => m.warm)).toEqual([true]);
    await settle();

    const small = await client.layout(chain(5));
    expect(Object.keys(small.nodes)).toHaveLength(5);
    expect(worker.received).toHaveLength(1); // not sent

    const big = await client.layout(chain(MAIN_THREAD_LIMIT + 1));
    expect(Object.keys(big.nodes)).toHaveLength(MAIN_THREAD_LIMIT + 1);
    expect(worker.received[worker.received.length - 1].warm).toBeUndefined();
    client.dispose();
  });

  it("hands each warm-up's result back with its request, in the worker's idle time", async () => {
    const { LayoutClient } = await import("../src/layout-client");
    const client = new LayoutClient();
    const got: [LayoutRequest, number][] = [];
    const asked = [chain(3, "a"), chain(4, "b")];
    client.warm(asked.map((r) => () => r), (request, result) => got.push([request, Object.keys(result.nodes).length]));
    await settle();
    await settle();
    expect(got).toEqual([[asked[0], 3], [asked[1], 4]]); // the start-up layout is nobody's
    client.dispose();
  });
});
