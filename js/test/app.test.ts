// @vitest-environment jsdom
import { afterEach, describe, expect, it, vi } from "vitest";
import { emptyDocument, mount } from "../src/app";
import { createLocalModel, type LocalModel } from "../src/local-model";
import { SCHEMA_VERSION, type Document } from "../src/types";
import { kerasGrouped, kerasMlpUnusedHead, noGradientCall, nodeId, op, outsideTape, persistentTapeAll, variable } from "./documents";

const XSS = "<img src=x onerror=alert(1)>";
const cleanups: (() => void)[] = [];
afterEach(() => {
  cleanups.splice(0).forEach((c) => c());
  document.body.replaceChildren();
});

function rendered(host: HTMLElement, count = 1): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = (): boolean => Number(host.querySelector<HTMLElement>(".gradviz-root")?.dataset.rendered ?? 0) >= count;
    if (check()) return resolve();
    const timer = setTimeout(() => reject(new Error("not rendered")), 5000);
    host.addEventListener("gradviz-rendered", () => {
      if (check()) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

function setup(doc: Document | null, extra: Record<string, unknown> = {}): { host: HTMLElement; model: LocalModel } {
  const host = document.createElement("div");
  document.body.appendChild(host);
  const model = createLocalModel({ document: doc, selected_node: "", selected_finding: "", export_enabled: false, ...extra });
  cleanups.push(mount(host, model, { standalone: true }));
  return { host, model };
}

describe("renderer in a DOM", () => {
  it("shows hostile names as text and never as markup", async () => {
    const doc = kerasGrouped();
    for (const n of doc.graph.nodes) if (n.scope?.startsWith("sequential/dense_1")) n.scope = `sequential/${XSS}`;
    const v = doc.graph.nodes.find((n) => n.id === doc.gradient_calls[0].sources[4].node)!;
    v.name = XSS;
    v.scope = "";
    doc.meta.program = XSS;
    doc.meta.error = XSS;
    doc.gradient_calls[0].sources[4].explanation = XSS;
    doc.gradient_calls[0].sources[4].culprit_code = XSS;
    for (const lines of Object.values(doc.source_lines)) for (const line of Object.keys(lines)) lines[line] = XSS;
    const { host } = setup(doc);
    await rendered(host);
    (host.querySelector(".gv-group") as SVGGElement).dispatchEvent(new MouseEvent("click", { bubbles: true }));
    await rendered(host, 2);
    expect(host.querySelector("img")).toBeNull();
    expect(document.querySelector("img")).toBeNull();
    expect(host.querySelector(".gv-program")!.textContent).toBe(XSS);
    expect(host.querySelector(".gv-error")!.textContent).toContain(XSS);
    expect([...host.querySelectorAll(".gv-expl")].some((e) => e.textContent === XSS)).toBe(true);
    expect([...host.querySelectorAll("svg text")].some((t) => t.textContent?.includes(XSS))).toBe(true);
    expect(host.innerHTML).toContain("&lt;img src=x onerror=alert(1)&gt;");
  });

  it("syncs clicks on findings and nodes to the model", async () => {
    const doc = outsideTape();
    const { host, model } = setup(doc);
    await rendered(host);
    const save = vi.spyOn(model, "save_changes");
    (host.querySelector(".gv-finding") as HTMLElement).click();
    expect(model.get("selected_finding")).toBe("0:0");
    expect(host.querySelector(".gv-finding")!.classList.contains("gv-active")).toBe(true);
    await rendered(host, 2);
    // the broken edge and the path are highlighted, the rest dimmed
    expect(host.querySelector(".gv-focusing")).not.toBeNull();
    expect(host.querySelector(".gv-edge.gv-broken.gv-hl")).not.toBeNull();
    const mul = [...host.querySelectorAll(".gv-node.gv-op")].find((g) => g.textContent?.includes("outside tape"))!;
    mul.dispatchEvent(new MouseEvent("click", { bubbles: true }));
    expect(model.get("selected_node")).toBe(doc.gradient_calls[0].sources[0].broken_edges[0].target);
    expect(save).toHaveBeenCalledTimes(2);
    const details = host.querySelector(".gv-details")!.textContent!;
    expect(details).toContain("outside (tape:0)");
    expect(details).toContain("z = y * 2");
  });

  it("follows selected_node and selected_finding set from Python", async () => {
    const doc = kerasGrouped();
    const { host, model } = setup(doc);
    await rendered(host);
    model.set("selected_node", nodeId(doc, op("MatMul", "sequential/dense_1")));
    await rendered(host, 2); // its groups had to be opened
    expect(host.querySelector(".gv-node.gv-selected")?.textContent).toContain("MatMul");
    model.set("selected_finding", "1:0");
    await rendered(host, 3);
    expect((host.querySelector("select") as HTMLSelectElement).value).toBe("1");
    expect(host.querySelector(".gv-badge text")?.textContent).toBe("non_differentiable_op");
  });

  it("shows the headline when every gradient is connected", async () => {
    const doc = persistentTapeAll();
    expect(doc.summary.all_connected).toBe(true);
    const { host } = setup(doc);
    await rendered(host);
    expect(host.querySelector(".gv-headline.gv-ok")!.textContent).toContain(doc.summary.headline);
    expect(host.querySelector(".gv-allok")!.textContent).toContain(doc.summary.headline);
    expect(host.querySelector(".gv-finding")).toBeNull();
  });

  it("exports through the kernel and downloads the reply", async () => {
    const { host, model } = setup(outsideTape(), { export_enabled: true });
    await rendered(host);
    const send = vi.spyOn(model, "send");
    const button = [...host.querySelectorAll("button")].find((b) => b.textContent === "Export HTML")!;
    button.click();
    expect(send).toHaveBeenCalledWith({ type: "export_html" });
    const created: Blob[] = [];
    URL.createObjectURL = vi.fn((b: Blob) => (created.push(b), "blob:fake"));
    URL.revokeObjectURL = vi.fn();
    const clicks: string[] = [];
    HTMLAnchorElement.prototype.click = function (this: HTMLAnchorElement) {
      clicks.push(this.download);
    };
    // the local model has no kernel: deliver the reply the way anywidget does
    model.emit("msg:custom", { type: "export_html", html: "<p>report</p>", filename: "r.html" }, []);
    expect(clicks).toEqual(["r.html"]);
    expect(await created[0].text()).toBe("<p>report</p>");
    expect(button.disabled).toBe(false);
  });

  it("reports a failed export and re-enables the button", async () => {
    const { host, model } = setup(outsideTape(), { export_enabled: true });
    await rendered(host);
    const button = [...host.querySelectorAll("button")].find((b) => b.textContent === "Export HTML")!;
    button.click();
    expect(button.disabled).toBe(true);
    model.emit("msg:custom", { type: "export_html", error: "BundleMissingError: run npm run build" }, []);
    expect(button.disabled).toBe(false);
    expect(button.textContent).toBe("Export HTML");
    expect(host.querySelector(".gv-status")!.textContent).toContain("BundleMissingError");
    // the error stays next to the button, and in its tooltip, until the next try
    const error = host.querySelector<HTMLElement>(".gv-export-error")!;
    expect(error.hidden).toBe(false);
    expect(error.textContent).toBe("Export failed: BundleMissingError: run npm run build");
    expect(button.title).toContain("BundleMissingError");
    expect(button.classList.contains("gv-failed")).toBe(true);
    button.click();
    expect(button.disabled).toBe(true);
    expect(error.hidden).toBe(true);
    expect(button.classList.contains("gv-failed")).toBe(false);
  });

  it("re-enables the export button at once even when the reply carries no HTML", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    try {
      const { host, model } = setup(outsideTape(), { export_enabled: true });
      await vi.waitFor(() => expect(host.querySelector(".gradviz-root")?.getAttribute("data-rendered")).toBeTruthy());
      const button = [...host.querySelectorAll("button")].find((b) => b.textContent === "Export HTML")!;
      button.click();
      model.emit("msg:custom", { type: "export_html" }, []);
      expect(button.disabled).toBe(false);
      expect(host.querySelector(".gv-export-error")!.textContent).toContain("no HTML received");
      // a second export is not cut short by the first one's 30 s timeout
      vi.advanceTimersByTime(20000);
      button.click();
      vi.advanceTimersByTime(15000);
      expect(button.disabled).toBe(true);
      vi.advanceTimersByTime(16000);
      expect(button.disabled).toBe(false);
      expect(host.querySelector(".gv-export-error")!.textContent).toContain("no reply");
    } finally {
      vi.useRealTimers();
    }
  });

  it("shows file labels (or basenames) instead of full paths, with the path in a tooltip", async () => {
    const doc = kerasGrouped();
    const cell = "/tmp/ipykernel_1088/3047102139.py";
    const rename = (f: string | null | undefined): string | null | undefined => (f === "keras_grouped.py" ? cell : f === null || f === undefined ? f : `/home/me/project/${f}`);
    for (const n of doc.graph.nodes) n.file = rename(n.file);
    for (const c of doc.gradient_calls) {
      c.file = rename(c.file) ?? null;
      for (const f of c.sources) f.culprit_file = rename(f.culprit_file) ?? null;
    }
    doc.source_lines = Object.fromEntries(Object.entries(doc.source_lines).map(([f, v]) => [rename(f)!, v]));
    doc.meta.file_labels = { [cell]: "cell [2]" };
    const { host, model } = setup(doc);
    await rendered(host);
    const text = host.querySelector(".gv-findings")!.textContent!;
    expect(text).not.toContain("/tmp/ipykernel_1088");
    const wheres = [...host.querySelectorAll<HTMLElement>(".gv-findings .gv-where")];
    expect(wheres.length).toBeGreaterThan(1);
    for (const w of wheres) {
      expect(w.textContent).toMatch(/^cell \[2\]:\d+$/);
      expect(w.title).toMatch(/^\/tmp\/ipykernel_1088\/3047102139\.py:\d+$/);
    }
    const options = [...host.querySelectorAll("option")];
    expect(options.length).toBe(2);
    for (const o of options) {
      expect(o.textContent).toMatch(/^cell \[2\]:\d+/);
      expect(o.title).toContain(cell);
    }
    model.set("selected_node", nodeId(doc, op("MatMul", "sequential/dense_1")));
    await rendered(host, 2);
    const loc = [...host.querySelectorAll(".gv-details tr")].find((tr) => tr.querySelector("th")?.textContent === "location")!;
    expect(loc.querySelector("td")!.textContent).toMatch(/^cell \[2\]:\d+$/);
    expect(loc.querySelector<HTMLElement>(".gv-where")!.title).toContain(cell);
    // without a label: the basename, full path in the tooltip
    delete doc.meta.file_labels;
    model.set("document", { ...doc });
    await rendered(host, 3);
    const w = host.querySelector<HTMLElement>(".gv-findings .gv-where")!;
    expect(w.textContent).toMatch(/^3047102139\.py:\d+$/);
    expect(w.title).toContain(cell);
  });

  it("hides the export button when export is disabled", async () => {
    const { host } = setup(outsideTape());
    await rendered(host);
    expect([...host.querySelectorAll("button")].some((b) => b.textContent === "Export HTML")).toBe(false);
  });

  it("refuses a document of another schema_version, saying which and what to do", async () => {
    const newer = outsideTape();
    newer.schema_version = SCHEMA_VERSION + 1;
    const { host, model } = setup(newer);
    await rendered(host);
    const refusal = host.querySelector<HTMLElement>(".gv-refused")!;
    expect(refusal.getAttribute("role")).toBe("alert");
    expect(refusal.textContent).toContain(`This document has schema_version ${SCHEMA_VERSION + 1}`);
    expect(refusal.textContent).toContain(`understands schema_version ${SCHEMA_VERSION} only`);
    expect(refusal.textContent).toContain("Upgrade gradviz");
    // nothing of it is drawn, and the graph area is gone
    expect(host.querySelector(".gv-finding")).toBeNull();
    expect(host.querySelector(".gv-node")).toBeNull();
    expect(host.querySelector<HTMLElement>(".gv-body")!.style.display).toBe("none");
    const older = outsideTape();
    older.schema_version = SCHEMA_VERSION - 1;
    model.set("document", older);
    await rendered(host, 2);
    expect(host.querySelector(".gv-refused")!.textContent).toContain(`has schema_version ${SCHEMA_VERSION - 1}`);
    expect(host.querySelector(".gv-refused")!.textContent).toContain("Diagnose the program again");
    const unversioned: Partial<Document> = outsideTape();
    delete unversioned.schema_version;
    model.set("document", unversioned);
    await rendered(host, 3);
    expect(host.querySelector(".gv-refused")!.textContent).toContain("not a gradviz document");
    // a document this front end understands is drawn again
    model.set("document", outsideTape());
    await rendered(host, 4);
    expect(host.querySelector(".gv-refused")).toBeNull();
    expect(host.querySelector(".gv-finding")).not.toBeNull();
    expect(host.querySelector<HTMLElement>(".gv-body")!.style.display).toBe("");
  });

  it("draws no document as Python reports a program without gradient calls", async () => {
    const python = noGradientCall();
    const empty = emptyDocument();
    expect({ ...empty.summary, headline: "" }).toEqual({ ...python.summary, headline: "" });
    expect({ ...empty.graph, graph: {} }).toEqual({ ...python.graph, graph: {} });
    expect(empty.gradient_calls).toEqual(python.gradient_calls);
    expect(empty.summary.all_connected).toBe(false);
    expect(empty.graph.multigraph).toBe(false);
    const { host } = setup(null);
    await rendered(host);
    expect(host.querySelector(".gv-refused")).toBeNull();
    expect(host.querySelector(".gv-headline")!.textContent).toContain("No gradient information yet.");
    expect(host.querySelector(".gv-headline.gv-ok")).toBeNull(); // nothing was checked, so nothing is "connected"
    expect(host.querySelector(".gv-findings")!.textContent).toContain("No tape.gradient call was seen.");
  });
});

/** The classes of the drawn nodes that are highlighted, one string per node ("gv-op gv-outside"...). */
function highlighted(host: HTMLElement): string[] {
  return [...host.querySelectorAll(".gv-node.gv-hl")].map((g) => [...g.classList].filter((c) => c !== "gv-node" && c !== "gv-hl").join(" ")).sort();
}

const click = (el: Element): void => void el.dispatchEvent(new MouseEvent("click", { bubbles: true }));

describe("what a finding rests on", () => {
  it("lists the evidence under the explanation, and a fact highlights its nodes", async () => {
    const doc = outsideTape();
    const f = doc.gradient_calls[0].sources[0];
    const x = nodeId(doc, variable("x"));
    const [cut] = f.broken_edges; // y -> the Mul of `z = y * 2`
    f.evidence = [
      { fact: "`x` is read inside the tape.", nodes: [x] },
      { fact: "`Mul` ran while the tape was not recording.", nodes: [cut.source, cut.target, cut.target] },
      { fact: "A value the graph does not hold.", nodes: ["t:999"] },
      { fact: "Nothing else used it.", nodes: [] },
    ];
    const { host, model } = setup(doc);
    await rendered(host);
    const card = host.querySelector(".gv-finding")!;
    const evidence = card.querySelector(".gv-evidence")!;
    expect(evidence.querySelector(".gv-evidence-title")!.textContent).toBe("Evidence");
    expect(card.querySelector(".gv-expl")!.compareDocumentPosition(evidence) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
    const facts = (): HTMLElement[] => [...host.querySelectorAll<HTMLElement>(".gv-finding .gv-fact")];
    expect(facts().map((li) => li.textContent)).toEqual(["x is read inside the tape.", "Mul ran while the tape was not recording.",
      "A value the graph does not hold.", "Nothing else used it."]);
    expect(facts()[0].querySelector("code")!.textContent).toBe("x");
    // only facts about something drawn can be clicked
    expect(facts().map((li) => li.getAttribute("role"))).toEqual(["button", "button", null, null]);

    click(facts()[0]);
    expect(model.get("selected_finding")).toBe("0:0");
    await rendered(host, 2);
    expect(host.querySelector(".gv-focusing")).not.toBeNull();
    expect(highlighted(host)).toEqual(["gv-variable gv-status-none"]);
    expect(host.querySelector(".gv-edge.gv-hl")).toBeNull();
    expect(facts()[0].classList.contains("gv-active")).toBe(true);

    click(facts()[1]);
    await rendered(host, 3);
    expect(highlighted(host)).toEqual(["gv-op gv-outside", "gv-tensor"]);
    expect(host.querySelectorAll(".gv-edge.gv-hl")).toHaveLength(1);
    expect(host.querySelector(".gv-edge.gv-hl.gv-broken")).not.toBeNull();
    expect(facts().findIndex((li) => li.classList.contains("gv-active"))).toBe(1);

    // the same fact again: back to the finding's path, from the source (its read, `y = x * x`) to the Mul
    click(facts()[1]);
    await rendered(host, 4);
    expect(highlighted(host)).toEqual(["gv-op gv-outside", "gv-op gv-recorded", "gv-op gv-recorded", "gv-tensor",
      "gv-variable gv-status-none"]);
    expect(host.querySelector(".gv-fact.gv-active")).toBeNull();
    expect(model.get("selected_finding")).toBe("0:0");
    // a fact about nothing drawn highlights nothing of its own: the click is the card's
    click(facts()[2]);
    expect(host.querySelector(".gv-fact.gv-active")).toBeNull();
  });

  it("says 'What gradviz saw' for an unexplained None and draws it without the red of a verdict", async () => {
    const confident = outsideTape();
    const { host } = setup(confident);
    await rendered(host);
    const redCard = host.querySelector<HTMLElement>(".gv-finding")!;
    expect(getComputedStyle(redCard).borderLeftColor).not.toBe("var(--gv-fg3)");
    expect(redCard.querySelector(".gv-evidence-title")!.textContent).toBe("Evidence");
    const redEdge = host.querySelector(".gv-edge.gv-broken")!;
    expect(getComputedStyle(redEdge.querySelector(".gv-badge rect")!).fill).toBe("var(--gv-none)");

    const doc = outsideTape();
    const f = doc.gradient_calls[0].sources[0];
    f.cause = "unexplained";
    f.broken_edges[0].cause = "unexplained";
    f.evidence = [{ fact: "The target depends on a value taken out of a queue.", nodes: [f.broken_edges[0].target] }];
    const other = setup(doc).host;
    await rendered(other);
    const card = other.querySelector<HTMLElement>(".gv-finding")!;
    expect(card.querySelector(".gv-evidence-title")!.textContent).toBe("What gradviz saw");
    expect(card.querySelector(".gv-fact")!.textContent).toBe("The target depends on a value taken out of a queue.");
    expect(getComputedStyle(card).borderLeftColor).toBe("var(--gv-fg3)");
    const chip = card.querySelector<HTMLElement>(".gv-chip.gv-cause")!;
    expect(chip.textContent).toBe("unexplained");
    expect(getComputedStyle(chip).borderStyle).toBe("dashed");
    const edge = other.querySelector(".gv-edge.gv-broken")!;
    expect(edge.querySelector(".gv-badge text")!.textContent).toBe("unexplained");
    expect(getComputedStyle(edge.querySelector(".gv-badge rect")!).fill).toBe("var(--gv-fg3)");
    expect(getComputedStyle(edge.querySelector("path.gv-line")!).stroke).toBe("var(--gv-fg3)");
    expect(edge.querySelector("path.gv-line")!.getAttribute("marker-end")).not.toContain("arrow-red");
  });

  it("says where the breaking op ran when that is not the culprit line", async () => {
    const plain = setup(outsideTape()).host;
    await rendered(plain);
    expect(plain.querySelector(".gv-ran")).toBeNull();

    const doc = outsideTape();
    const f = doc.gradient_calls[0].sources[0];
    f.ran_file = "/home/me/project/helpers.py";
    f.ran_line = 12;
    const { host, model } = setup(doc);
    await rendered(host);
    const ran = host.querySelector(".gv-finding .gv-finding-cause .gv-ran")!;
    expect(ran.textContent).toBe("ran at helpers.py:12");
    expect(ran.querySelector<HTMLElement>(".gv-where")!.title).toBe("/home/me/project/helpers.py:12");
    // a notebook cell is shown by its label; a line without a file is in the culprit's file
    doc.meta.file_labels = { "/home/me/project/helpers.py": "cell [3]" };
    model.set("document", { ...doc });
    await rendered(host, 2);
    expect(host.querySelector(".gv-ran")!.textContent).toBe("ran at cell [3]:12");
    f.ran_file = null;
    model.set("document", { ...doc });
    await rendered(host, 3);
    expect(host.querySelector(".gv-ran")!.textContent).toBe(`ran at ${f.culprit_file}:12`);
  });
});

describe("findings shared by several sources", () => {
  /** The drawn variables that are highlighted, by the text they show. */
  const litVariables = (host: HTMLElement): string[] =>
    [...host.querySelectorAll(".gv-node.gv-variable.gv-hl")].map((g) => g.querySelector("text")!.textContent!).sort();

  it("shows a layer's kernel and bias as one card, and its click highlights both", async () => {
    const doc = kerasMlpUnusedHead();
    const kernel = doc.gradient_calls[0].sources[4];
    const { host, model } = setup(doc);
    await rendered(host);
    const cards = [...host.querySelectorAll<HTMLElement>(".gv-finding")];
    expect(cards).toHaveLength(1);
    const [card] = cards;
    expect(card.dataset.key).toBe("0:4");
    const head = card.querySelector(".gv-finding-head")!;
    // named as Python's group_labels name it (one source for the text, the widget and the report)
    expect(head.querySelector(".gv-expr")!.textContent).toBe(doc.gradient_calls[0].group_labels[0]);
    expect(head.querySelector(".gv-expr")!.textContent).toBe("kernel, bias (layer aux)");
    expect(head.querySelector(".gv-expr")!.getAttribute("title")).toBe(
      "model.trainable_variables[4] (aux/kernel)\nmodel.trainable_variables[5] (aux/bias)");
    // the first source's cause, line, explanation and fix: the group shares cause and line
    expect(card.querySelector(".gv-chip.gv-cause")!.textContent).toBe("unused_variable");
    expect(card.querySelector(".gv-where")!.textContent).toBe("keras_mlp_unused_head.py:11");
    expect(card.querySelector(".gv-expl")!.textContent).toBe(kernel.explanation.replace(/`/g, ""));
    expect(card.querySelector(".gv-fix")!.textContent).toBe(`Fix: ${kernel.fix.replace(/`/g, "")}`);

    click(card);
    expect(model.get("selected_finding")).toBe("0:4");
    await rendered(host, 2); // aux's group opened to show them
    expect(host.querySelector(".gv-finding")!.classList.contains("gv-active")).toBe(true);
    // both variables lit, each still marked None in the graph
    expect(litVariables(host)).toEqual(["✗ aux/bias", "✗ aux/kernel"]);
    expect(host.querySelectorAll(".gv-node.gv-variable.gv-hl.gv-status-none")).toHaveLength(2);
    const litEdges = host.querySelectorAll(".gv-edge.gv-hl").length;

    // one card per source: its click lights one variable and fewer edges
    doc.gradient_calls[0].groups = [[4], [5]];
    model.set("selected_finding", "");
    model.set("document", { ...doc });
    await rendered(host, 3);
    expect(host.querySelectorAll(".gv-finding")).toHaveLength(2);
    click(host.querySelector(".gv-finding")!);
    await rendered(host, 4);
    expect(litVariables(host)).toEqual(["✗ aux/kernel"]);
    expect(host.querySelectorAll(".gv-edge.gv-hl").length).toBeLessThan(litEdges);
  });

  it("selects a finding's card from the key of any of its sources, set from Python", async () => {
    const doc = kerasMlpUnusedHead();
    const { host, model } = setup(doc, { selected_finding: "0:5" });
    await rendered(host);
    const active = (): HTMLElement[] => [...host.querySelectorAll<HTMLElement>(".gv-finding.gv-active")];
    expect(active().map((c) => c.dataset.key)).toEqual(["0:4"]);
    expect(litVariables(host)).toHaveLength(2);
    // the model keeps what Python set
    expect(model.get("selected_finding")).toBe("0:5");
    model.set("selected_finding", "");
    await vi.waitFor(() => expect(active()).toEqual([]));
    model.set("selected_finding", "0:5");
    await vi.waitFor(() => expect(active()).toHaveLength(1));
    await vi.waitFor(() => expect(litVariables(host)).toHaveLength(2));
    // a click on the selected card clears the selection, as for any card
    click(active()[0]);
    expect(model.get("selected_finding")).toBe("");
    expect(active()).toEqual([]);
  });

  it("keeps the first source's evidence clickable", async () => {
    const doc = kerasMlpUnusedHead();
    const { host, model } = setup(doc);
    await rendered(host);
    const facts = (): HTMLElement[] => [...host.querySelectorAll<HTMLElement>(".gv-finding .gv-fact")];
    expect(facts().map((li) => li.textContent)).toEqual(doc.gradient_calls[0].sources[4].evidence.map((e) => e.fact.replace(/`/g, "")));
    const i = facts().findIndex((li) => li.getAttribute("role") === "button");
    expect(i).toBeGreaterThanOrEqual(0);
    click(facts()[i]);
    expect(model.get("selected_finding")).toBe("0:4");
    await rendered(host, 2);
    expect(facts()[i].classList.contains("gv-active")).toBe(true);
    expect(host.querySelector(".gv-focusing")).not.toBeNull();
  });

  it("shows one card per missing source for a document made before groups", async () => {
    const doc: Partial<Document> = kerasMlpUnusedHead();
    for (const c of doc.gradient_calls!) delete (c as Partial<typeof c>).groups;
    const { host, model } = setup(doc as Document);
    await rendered(host);
    const cards = [...host.querySelectorAll<HTMLElement>(".gv-finding")];
    expect(cards.map((c) => c.dataset.key)).toEqual(["0:4", "0:5"]);
    expect(cards.map((c) => c.querySelector(".gv-finding-head")!.textContent)).toEqual([
      "Nonemodel.trainable_variables[4]aux/kernel", "Nonemodel.trainable_variables[5]aux/bias"]);
    model.set("selected_finding", "0:5");
    await vi.waitFor(() => expect(host.querySelector<HTMLElement>(".gv-finding.gv-active")?.dataset.key).toBe("0:5"));
  });
});

describe("the header", () => {
  it("warns, calmly, when gradviz had trouble capturing, and says nothing when it had none", async () => {
    const clean = outsideTape();
    expect(clean.meta.internal_errors).toEqual({ count: 0, first: [] });
    expect(clean.meta.capture_gaps).toEqual([]);
    const { host, model } = setup(clean);
    await rendered(host);
    expect(host.querySelector(".gv-header .gv-capture-warning")).toBeNull();

    const doc = outsideTape();
    doc.meta.internal_errors = { count: 3, first: ["record_op: KeyError('op:7')", "watch: TypeError()"] };
    doc.meta.capture_gaps = [`tf.function tracing: AttributeError: ${XSS}`];
    model.set("document", doc);
    await rendered(host, 2);
    const lines = [...host.querySelectorAll<HTMLElement>(".gv-header .gv-capture-warning")];
    expect(lines.map((l) => l.textContent)).toEqual([
      "gradviz had 3 internal errors while capturing; the graph may be incomplete",
      `gradviz could not hook: tf.function tracing: AttributeError: ${XSS}; causes that need those hooks may go unseen`,
    ]);
    expect(lines[0].title).toContain("record_op: KeyError('op:7')");
    expect(lines[1].title).toBe(`tf.function tracing: AttributeError: ${XSS}`);
    expect(host.querySelector("img")).toBeNull();
    // calm: not the red of the program's own error
    expect(getComputedStyle(lines[0]).color).not.toBe("var(--gv-none)");
    // one error, no gaps
    model.set("document", { ...doc, meta: { ...doc.meta, internal_errors: { count: 1, first: [] }, capture_gaps: [] } });
    await rendered(host, 3);
    expect([...host.querySelectorAll(".gv-capture-warning")].map((l) => l.textContent)).toEqual([
      "gradviz had 1 internal error while capturing; the graph may be incomplete"]);
  });
});

describe("edge kinds", () => {
  it("draws capture edges dash-dotted and resource edges dotted, like state", async () => {
    const plain = setup(outsideTape()).host;
    await rendered(plain);
    expect(plain.querySelector(".gv-kind-capture, .gv-kind-resource, .gv-kind-state")).toBeNull();

    const doc = outsideTape();
    const x = nodeId(doc, variable("x"));
    const read = nodeId(doc, op("ReadVariableOp"));
    const [cut] = doc.gradient_calls[0].sources[0].broken_edges;
    const two = doc.graph.edges.find((e) => e.target === cut.target && e.source !== cut.source)!;
    doc.graph.edges.find((e) => e.source === x && e.target === read)!.kind = "capture";
    two.kind = "resource";
    const { host } = setup(doc);
    await rendered(host);
    const capture = [...host.querySelectorAll(".gv-edge.gv-kind-capture")];
    const resource = [...host.querySelectorAll(".gv-edge.gv-kind-resource")];
    expect(capture).toHaveLength(1);
    expect(resource).toHaveLength(1);
    expect(capture[0].querySelector("title")!.textContent).toContain("captured");
    expect(resource[0].querySelector("title")!.textContent).toContain("queue, table or iterator");
    const dash = (g: Element): string => getComputedStyle(g.querySelector("path.gv-line")!).strokeDasharray;
    const solid = host.querySelector(".gv-edge:not(.gv-kind-capture):not(.gv-kind-resource):not(.gv-broken):not(.gv-nondiff)")!;
    expect(dash(capture[0])).not.toBe(dash(solid));
    expect(dash(resource[0])).not.toBe(dash(solid));
    expect(dash(resource[0])).not.toBe(dash(capture[0]));
    // state looks the same as resource
    two.kind = "state";
    const again = setup(doc).host;
    await rendered(again);
    expect(dash(again.querySelector(".gv-edge.gv-kind-state")!)).toBe(dash(resource[0]));
  });
});
