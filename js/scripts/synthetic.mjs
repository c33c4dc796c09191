#!/usr/bin/env node
// Writes a synthetic gradviz Document for benchmarks: N ops spread over ~20 layer
// scopes (each with two nested sub-scopes) under a "model" wrapper, one gradient call
// whose sources are all the variables; one layer's op runs outside the tape (a broken
// edge) and one source gets a zero gradient. A quarter of the ops also take a tensor
// from up to 7 ops back (residual-style skips).
//
// --flat: a flat Keras-style model instead, as layers called one by one give: every layer
// is a top-level scope ("dense", "dense_1", ...) holding its ops and variables directly,
// with no wrapper and no sub-scopes.
//
//   node js/scripts/synthetic.mjs [--ops 2000] [--scopes 20] [--seed 1] [--flat] OUT.json
import { readFileSync, writeFileSync } from "node:fs";

// The schema_version the front end draws (js/src/types.ts is generated from gradviz/schema.py).
const types = readFileSync(new URL("../src/types.ts", import.meta.url), "utf8");
const SCHEMA_VERSION = Number(/export const SCHEMA_VERSION = (\d+);/.exec(types)[1]);

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const [value] = args.splice(i, 2).slice(1);
  return Number(value);
};
const flag = (name) => {
  const i = args.indexOf(`--${name}`);
  if (i >= 0) args.splice(i, 1);
  return i >= 0;
};
const flat = flag("flat");
const nOps = opt("ops", 2000);
const nScopes = opt("scopes", 20);
let seed = opt("seed", 1);
const out = args[0];
if (!out || !Number.isFinite(nOps) || nOps < nScopes * 4) {
  console.error("usage: node js/scripts/synthetic.mjs [--ops N>=4*scopes] [--scopes 20] [--seed 1] [--flat] OUT.json");
  process.exit(2);
}
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);

const FILE = "synthetic_model.py";
const TAPE = "tape:0";
const OP_TYPES = ["MatMul", "BiasAdd", "Relu", "Add", "Mul", "Conv2D", "Reshape", "Sigmoid", "Tanh", "Sub"];
const nodes = [];
const edges = [];
const sources = [];
const lines = {};
let seq = 0;
let tensorCount = 0;
let opCount = 0;
let varCount = 0;
const brokenAt = Math.floor(nScopes * 0.6);
let broken = null;

const edge = (source, target, kind, extra = {}) => edges.push({ source, target, kind, recorded_by: [TAPE], differentiable: true, ...extra });
function tensor(scope, line, label, origin = "op") {
  const id = `t:${tensorCount++}`;
  nodes.push({ id, kind: "tensor", label, file: FILE, line, scope, seq: seq++, dtype: "float32", shape: [32, 64], origin, watched_by: [] });
  return id;
}
function op(scope, line, opType, inputs, { outside = false } = {}) {
  const id = `op:${opCount++}`;
  nodes.push({
    id, kind: "op", label: opType, file: FILE, line, scope, seq: seq++, op_type: opType, function: null, phase: "forward",
    tape_state: { [TAPE]: outside ? "outside" : "recording" }, recorded_by: outside ? [] : [TAPE], differentiable: true,
  });
  inputs.forEach((t, index) => edge(t, id, "input", { index, recorded_by: outside ? [] : [TAPE] }));
  const t = tensor(scope, line, opType.toLowerCase());
  edge(id, t, "output", { index: 0, recorded_by: outside ? [] : [TAPE] });
  return { id, out: t };
}
function variable(scope, line, name) {
  const id = `v:${varCount++}`;
  nodes.push({ id, kind: "variable", label: name.split("/").pop(), file: FILE, line, scope, seq: seq++, name, trainable: true, dtype: "float32", shape: [64, 64] });
  const read = tensor(scope, line, name.split("/").pop(), "variable_read");
  edge(id, read, "read");
  return { id, read };
}

const x = tensor("", 3, "x_batch", "constant");
lines["3"] = "x_batch = next(batches)";
let current = x;
const allVars = [];
const perScope = Math.floor((nOps - 2) / nScopes); // the loss takes 2 ops
for (let s = 0; s < nScopes; s++) {
  const block = flat ? (s === 0 ? "dense" : `dense_${s}`) : `model/block_${s}`;
  const line = 10 + s;
  lines[String(line)] = flat ? `    h = layers[${s}](h)` : `    h = self.block_${s}(h)`;
  const subs = flat ? [block, block] : [`${block}/dense`, `${block}/norm`];
  const vars = flat
    ? [variable(block, line, `${block}/kernel`), variable(block, line, `${block}/bias`)]
    : subs.flatMap((sub) => [variable(sub, line, `block_${s}/${sub.split("/").pop()}/kernel`), variable(sub, line, `block_${s}/${sub.split("/").pop()}/bias`)]);
  const history = [current];
  const count = s === nScopes - 1 ? nOps - 2 - perScope * (nScopes - 1) : perScope;
  for (let i = 0; i < count; i++) {
    const scope = i < count / 3 ? subs[0] : i < (2 * count) / 3 ? subs[1] : block;
    const type = OP_TYPES[Math.floor(rand() * OP_TYPES.length)];
    const inputs = [current];
    if (i < vars.length) inputs.push(vars[i].read);
    // residual-style skip connections reach a few ops back
    else if (rand() < 0.25) inputs.push(history[Math.max(0, history.length - 2 - Math.floor(rand() * 6))]);
    const outside = s === brokenAt && i === Math.floor(perScope / 2);
    const o = op(scope, line, type, inputs, { outside });
    if (outside) broken = { source: current, target: o.id, cause: "outside_tape", line };
    current = o.out;
    history.push(current);
  }
  vars.forEach((v, i) => allVars.push({ v, s, i }));
}
for (const { v, s, i } of allVars) {
  const late = s <= brokenAt;
  const zero = s === nScopes - 1 && i === 0;
  sources.push({
    expr: `model.trainable_variables[${sources.length}]`, name: nodes.find((n) => n.id === v.id).name, node: v.id,
    status: late ? "none" : zero ? "zero" : "ok",
    cause: late ? "outside_tape" : null,
    culprit_file: late ? FILE : null, culprit_line: late ? broken.line : null, culprit_code: late ? lines[String(broken.line)] : null,
    explanation: late ? `An op of ${flat ? "layer " : "block_"}${brokenAt} ran while the tape was not recording.` : zero ? "A piecewise-constant op gives a zero gradient." : "",
    fix: late ? "Run the whole forward pass inside the `with tf.GradientTape()` block." : "",
    broken_edges: late ? [{ source: broken.source, target: broken.target, cause: "outside_tape" }] : [],
    path: [v.id], ran_file: null, ran_line: null, subject: null, layer: null,
    evidence: late ? [{ fact: "An op on the path ran while the tape was not recording.", nodes: [broken.source, broken.target] }] : [],
  });
}
const sq = op("loss", 40, "Square", [current]);
const mean = op("loss", 40, "Mean", [sq.out]);
lines["40"] = "    loss = tf.reduce_mean(tf.square(h))";
lines["42"] = "grads = tape.gradient(loss, model.trainable_variables)";

const missing = sources.filter((x) => x.status === "none").length;
const zero = sources.filter((x) => x.status === "zero").length;
const doc = {
  schema_version: SCHEMA_VERSION,
  meta: { program: FILE, started: new Date(0).toISOString(), duration_s: 1.0, gradviz: "0.0.0", tensorflow: "2.17.0", keras: "3.5.0",
    python: "3.11.9", ops_seen: opCount, ops_kept: opCount, ops_dropped: 0, error: null,
    internal_errors: { count: 0, first: [] }, capture_gaps: [] },
  source_lines: { [FILE]: lines },
  summary: { headline: `${missing} of ${sources.length} gradients are missing`, gradient_calls: 1, missing, zero, all_connected: false },
  gradient_calls: [{ id: 0, file: FILE, line: 42, code: lines["42"], tape: TAPE, target: "loss", target_nodes: [mean.out], count: 1,
    unconnected_gradients: "none", sources, nodes: nodes.map((n) => n.id) }],
  graph: { directed: true, multigraph: false, graph: { tapes: [{ id: TAPE, file: FILE, line: 30, persistent: false, watch_accessed_variables: true }] }, nodes, edges },
};
writeFileSync(out, JSON.stringify(doc));
console.log(`${out}: ${opCount} ops, ${nodes.length} nodes, ${edges.length} edges, ${(JSON.stringify(doc).length / 1024).toFixed(0)} KB`);
