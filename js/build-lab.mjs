// Builds gradviz's prebuilt JupyterLab extension into gradviz/labextension/ (shipped by the wheel to
// share/jupyter/labextensions/gradviz). esbuild first bundles js/src/lab/ (TypeScript, with the
// widget's shared modules) into one ES module, leaving JupyterLab's own packages external; then
// @jupyterlab/builder (webpack module federation) turns it into a federated extension that shares
// those packages with the running JupyterLab. The core metadata (which packages JupyterLab shares)
// comes from @jupyterlab/core-meta, so the build needs neither Python nor the network.
import * as esbuild from "esbuild";
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const stage = `${root}build/lab`;
const core = `${root}build/lab-core`;
const require = createRequire(import.meta.url);

// The packages the extension imports: shared with (never bundled beside) the running JupyterLab.
const shared = {
  "@codemirror/state": "^6.0.0",
  "@codemirror/view": "^6.0.0",
  "@jupyterlab/application": "^4.0.0",
  "@jupyterlab/apputils": "^4.0.0",
  "@jupyterlab/cells": "^4.0.0",
  "@jupyterlab/notebook": "^4.0.0",
  "@jupyterlab/outputarea": "^4.0.0",
  "@jupyterlab/ui-components": "^4.0.0",
  "@lumino/widgets": "^2.0.0",
};

const version = /__version__ = "([^"]+)"/.exec(readFileSync(`${root}gradviz/_version.py`, "utf8"))[1];

rmSync(stage, { recursive: true, force: true });
mkdirSync(`${stage}/lib`, { recursive: true });
mkdirSync(core, { recursive: true });
await esbuild.build({
  entryPoints: ["js/src/lab/index.ts"],
  absWorkingDir: root,
  bundle: true,
  format: "esm",
  target: "es2020",
  outfile: `${stage}/lib/index.js`,
  external: Object.keys(shared),
  legalComments: "none",
  logLevel: "warning",
});
cpSync(`${root}js/src/lab/schema`, `${stage}/schema`, { recursive: true });
writeFileSync(`${stage}/package.json`, JSON.stringify({
  name: "gradviz",
  version,
  description: "gradviz: why did tf.GradientTape.gradient return None? (JupyterLab extension)",
  license: "MIT",
  main: "lib/index.js",
  files: ["lib/", "schema/"],
  dependencies: shared,
  jupyterlab: { extension: true, schemaDir: "schema", outputDir: "../../gradviz/labextension" },
}, null, 2));
const coreMeta = require.resolve("@jupyterlab/core-meta/core.package.json");
writeFileSync(`${core}/package.json`, readFileSync(coreMeta));

rmSync(`${root}gradviz/labextension`, { recursive: true, force: true });
const builder = require.resolve("@jupyterlab/builder/lib/build-labextension.js");
execFileSync(process.execPath, [builder, "--core-path", core, stage], { cwd: root, stdio: "inherit" });
console.log(`gradviz/labextension: gradviz ${version} (JupyterLab extension)`);
