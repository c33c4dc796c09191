/**
 * A stand-in for the anywidget model, for the offline HTML report (no kernel):
 * same methods, values kept in memory, `send` goes nowhere.
 */
import type { ModelLike } from "./model-like";

type Callback = (...args: any[]) => void;

export interface LocalModel extends ModelLike {
  /** Fire an event as the kernel would, e.g. `emit("msg:custom", msg, buffers)`. */
  emit(event: string, ...args: unknown[]): void;
}

export function createLocalModel(values: Record<string, unknown>): LocalModel {
  const state = new Map<string, unknown>(Object.entries(values));
  const listeners = new Map<string, Set<Callback>>();
  return {
    get: (name) => state.get(name),
    set(name, value) {
      if (state.get(name) === value) return;
      state.set(name, value);
      this.emit(`change:${name}`, value);
    },
    emit(event, ...args) {
      for (const cb of [...(listeners.get(event) ?? [])]) cb(...args);
    },
    save_changes() {},
    on(event, cb) {
      (listeners.get(event) ?? listeners.set(event, new Set()).get(event)!).add(cb);
    },
    off(event, cb) {
      if (!event) listeners.clear();
      else if (!cb) listeners.delete(event);
      else listeners.get(event)?.delete(cb);
    },
    send() {},
  };
}
