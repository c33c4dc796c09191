import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  root: fileURLToPath(new URL("..", import.meta.url)),
  resolve: {
    alias: { "gradviz:worker-source": fileURLToPath(new URL("./test/worker-source-stub.ts", import.meta.url)) },
  },
  test: { include: ["js/test/**/*.test.ts"], environment: "node" },
});
