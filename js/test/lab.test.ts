import { describe, expect, it } from "vitest";
import { diagnoseCode, findCell, hasGradtapeMagic, IPYKERNEL_HASH_SEED, isIpykernelFileOf, labelCount, murmur2 } from "../src/lab/cells";
import { panelEntries } from "../src/lab/findings";
import { findingGroups } from "../src/model";
import { kerasGrouped, kerasMlpUnusedHead, outsideTape } from "./documents";
import vectors from "./murmur2-ipykernel.json";

describe("murmur2 (ipykernel's cell file names)", () => {
  it("has ipykernel's seed", () => {
    expect(IPYKERNEL_HASH_SEED).toBe(vectors.seed);
  });
  it.each(vectors.vectors.map(([text, hash]) => [JSON.stringify(text).slice(0, 40), text as string, hash as number]))(
    "hashes %s as Python does", (_name, text, hash) => {
      expect(murmur2(text)).toBe(hash);
    });
  it("recognises a cell's file by its source", () => {
    const source = "x = 1\n";
    expect(isIpykernelFileOf(`/tmp/ipykernel_4242/${murmur2(source)}.py`, source)).toBe(true);
    expect(isIpykernelFileOf(`C:\\Temp\\ipykernel_1\\${murmur2(source)}.py`, source)).toBe(true);
    expect(isIpykernelFileOf(`/tmp/ipykernel_4242/${murmur2(source)}.py`, "x = 2\n")).toBe(false);
    expect(isIpykernelFileOf("/home/me/train.py", source)).toBe(false);
  });
});

describe("findCell", () => {
  const a = "import tensorflow as tf\nx = tf.Variable(3.0)";
  const b = "with tf.GradientTape() as tape:\n    y = x * x\nz = y * 2";
  const fileOf = (source: string): string => `/tmp/ipykernel_7/${murmur2(source)}.py`;
  const cells = [{ source: a, executionCount: 1 }, { source: "# notes", executionCount: null }, { source: b, executionCount: 4 }];

  it("finds a cell by the hash of its source, whatever the labels say", () => {
    expect(findCell(fileOf(b), {}, cells)).toBe(2);
    expect(findCell(fileOf(a), { [fileOf(a)]: "cell [9]" }, cells)).toBe(0);
  });
  it("falls back to the labelled execution count when the source was edited since", () => {
    const edited = [cells[0], cells[1], { source: `${b}\n`, executionCount: 4 }];
    expect(findCell(fileOf(b), { [fileOf(b)]: "cell [4]" }, edited)).toBe(2);
  });
  it("maps a kernel's other names (no hash) by the label", () => {
    expect(findCell("<ipython-input-4-0123456789ab>", { "<ipython-input-4-0123456789ab>": "cell [4]" }, cells)).toBe(2);
  });
  it("picks among cells with the same source by count, then the cell holding the diagnosis", () => {
    const twins = [{ source: a, executionCount: 1 }, { source: a, executionCount: 2 }];
    expect(findCell(fileOf(a), { [fileOf(a)]: "cell [2]" }, twins)).toBe(1);
    expect(findCell(fileOf(a), {}, twins, 1)).toBe(1);
    expect(findCell(fileOf(a), {}, twins)).toBe(0);
  });
  it("returns null for a module on disk", () => {
    expect(findCell("/home/me/model.py", { "/home/me/model.py": "model.py" }, cells)).toBeNull();
    expect(labelCount("model.py")).toBeNull();
    expect(labelCount("cell [12]")).toBe(12);
  });
});

describe("the Diagnose gradients command", () => {
  it("sends the source as it is, as a Python string, without a magic line", () => {
    const source = 'print("a\\tb")\nx = \'q\'  # π\n';
    const code = diagnoseCode(source);
    expect(code).toMatch(/^__import__\("gradviz\.magic", fromlist=\["run_cell"\]\)\.run_cell\(get_ipython\(\), ".*", header=None\)$/s);
    expect(JSON.parse(code.slice(code.indexOf("), ") + 3, code.lastIndexOf(", header=None")))).toBe(source);
    expect(code.split("\n")).toHaveLength(1);
  });
  it("runs a cell that has the magic as it is", () => {
    expect(hasGradtapeMagic("%%gradtape --all\nx = 1")).toBe(true);
    expect(hasGradtapeMagic("x = 1  # %%gradtape")).toBe(false);
  });
});

describe("panelEntries", () => {
  it("lists one card per finding group, with the culprit's cell label and line", () => {
    const doc = outsideTape();
    const [entry] = panelEntries([{ cell: 3, doc }]);
    expect(entry.cell).toBe(3);
    expect(entry.headline).toBe(doc.summary.headline);
    const [call] = entry.calls;
    const [f] = call.findings;
    const source = doc.gradient_calls[0].sources.find((s) => s.status !== "ok")!;
    expect(f).toMatchObject({ status: "none", cause: "outside_tape", file: source.culprit_file, line: source.culprit_line, code: source.culprit_code!.trim() });
    expect(f.where).toMatch(new RegExp(`:${source.culprit_line}$`));
  });
  it("groups sources as the widget does and names them with the document's group label", () => {
    const doc = kerasMlpUnusedHead();
    const [entry] = panelEntries([{ cell: 0, doc }]);
    const call = doc.gradient_calls[0];
    expect(entry.calls[0].findings).toHaveLength(findingGroups(call).length);
    const aux = entry.calls[0].findings.find((f) => f.cause === "unused_variable")!;
    const group = call.groups.findIndex((g) => g.includes(4));
    expect(aux.names).toBe(call.group_labels[group]);
    expect(aux.key).toBe(`0:0:${findingGroups(call).find((g) => g.includes(4))![0]}`);
  });
  it("keeps notebook order and drops calls with nothing missing", () => {
    const clean = outsideTape();
    for (const s of clean.gradient_calls[0].sources) s.status = "ok";
    const entries = panelEntries([{ cell: 5, doc: kerasGrouped() }, { cell: 1, doc: clean }]);
    expect(entries.map((e) => e.cell)).toEqual([1, 5]);
    expect(entries[0].calls).toEqual([]);
    expect(entries[1].calls).toHaveLength(2);
  });
});
