/** The anywidget model, or the report's stand-in with the same methods (`local-model.ts`). */
export interface ModelLike {
  get(name: string): any;
  set(name: string, value: unknown): void;
  save_changes(): void;
  on(event: string, cb: (...args: any[]) => void): void;
  off(event?: string | null, cb?: ((...args: any[]) => void) | null): void;
  send(msg: unknown): void;
}
