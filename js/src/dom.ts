/**
 * The only way this front end creates DOM. Text always goes in as text nodes, never as
 * markup: names, paths and source lines come from the user's program.
 */

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined>;

const SVG_NS = "http://www.w3.org/2000/svg";

function fill<T extends Element>(el: T, attrs: Attrs | null, children: Child[]): T {
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith("on")) throw new Error(`refusing to set ${k} as an attribute`);
      el.setAttribute(k, v === true ? "" : String(v));
    }
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(typeof c === "object" ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** An HTML element. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs | null = null, ...children: Child[]): HTMLElementTagNameMap[K] {
  return fill(document.createElement(tag), attrs, children);
}

/** An SVG element. */
export function s<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Attrs | null = null, ...children: Child[]): SVGElementTagNameMap[K] {
  return fill(document.createElementNS(SVG_NS, tag) as SVGElementTagNameMap[K], attrs, children);
}

/**
 * Make `el` (a `role="button"` element with a tabindex) act on a click and, from the keyboard, on
 * Enter and Space, as a real button would.
 */
export function onActivate(el: HTMLElement, act: (ev: Event) => void): void {
  el.addEventListener("click", act);
  el.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" || ev.key === " ") {
      ev.preventDefault();
      act(ev);
    }
  });
}

export function clear(el: Element): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

let canvasCtx: CanvasRenderingContext2D | null | undefined;

/** Text width in px, measured with a canvas when there is one, estimated otherwise. */
export function textWidth(text: string, px: number, weight = 400): number {
  if (canvasCtx === undefined) {
    try {
      const canvas = typeof document !== "undefined" && navigator.userAgent.indexOf("jsdom") < 0 ? document.createElement("canvas") : null;
      canvasCtx = canvas?.getContext("2d") ?? null;
    } catch {
      canvasCtx = null;
    }
  }
  if (canvasCtx) {
    canvasCtx.font = `${weight} ${px}px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif`;
    return Math.ceil(canvasCtx.measureText(text).width * 1.04);
  }
  return Math.ceil(text.length * px * (weight >= 600 ? 0.62 : 0.58));
}

/** Shorten long text in the middle, keeping both ends ("sequential/…/kernel"). */
export function ellipsize(text: string, max: number): string {
  if (text.length <= max) return text;
  const head = Math.ceil((max - 1) / 2);
  return `${text.slice(0, head)}…${text.slice(text.length - (max - 1 - head))}`;
}
