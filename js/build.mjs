// Builds gradviz/static/widget.js (anywidget ES module) and report.js (IIFE for the HTML report).
// The layout worker is bundled first, on its own, and inlined into both as a string.
import * as esbuild from "esbuild";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
// GRADVIZ_UNMINIFIED=1 node js/build.mjs keeps function names, for reading a browser profile.
const minify = !process.env.GRADVIZ_UNMINIFIED;
const common = { bundle: true, minify, target: "es2020", legalComments: "none", absWorkingDir: root, logLevel: "warning" };

const worker = await esbuild.build({ ...common, entryPoints: ["js/src/worker.ts"], format: "iife", write: false });
const workerSource = worker.outputFiles[0].text;

const inlineWorker = {
  name: "inline-worker",
  setup(build) {
    build.onResolve({ filter: /^gradviz:worker-source$/ }, (args) => ({ path: args.path, namespace: "gv-worker" }));
    build.onLoad({ filter: /.*/, namespace: "gv-worker" }, () => ({
      contents: `export default ${JSON.stringify(workerSource)};`,
      loader: "js",
    }));
  },
};

await Promise.all([
  esbuild.build({ ...common, entryPoints: ["js/src/widget.ts"], format: "esm", outfile: "gradviz/static/widget.js", plugins: [inlineWorker] }),
  esbuild.build({ ...common, entryPoints: ["js/src/report.ts"], format: "iife", outfile: "gradviz/static/report.js", plugins: [inlineWorker] }),
]);

for (const name of ["widget.js", "report.js"]) {
  const text = readFileSync(`${root}/gradviz/static/${name}`, "utf8");
  // report.js is inlined into a <script> element: it must not close it.
  if (/<\/script/i.test(text)) throw new Error(`${name} contains "</script"`);
  console.log(`gradviz/static/${name}: ${(text.length / 1024).toFixed(1)} KB`);
}
