// Bundles the Node bench entry with esbuild, as an app would ship it: the numbers then measure Portio,
// not a TypeScript loader (tsx keeps function names and runs its hooks on a worker thread).
import { build } from "esbuild";

await build({
  entryPoints: ["bench/portio-node.ts"],
  outfile: "bench/dist/portio-node.mjs",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  packages: "external",
  logLevel: "warning",
});
