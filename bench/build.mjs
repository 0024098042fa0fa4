// Bundles the bench entries with esbuild, as an app would ship them: the numbers then measure Portio,
// not a TypeScript loader (tsx keeps function names and runs its hooks on a worker thread).
// The Node server, and the two Workers that bench/workerd-server.mjs runs in workerd (bundled as wrangler
// would: browser platform, the workerd/worker conditions).
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

for (const name of ["portio-workerd", "limit-workerd"]) {
  await build({
    entryPoints: [`bench/${name}.ts`],
    outfile: `bench/dist/${name}.js`,
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    conditions: ["workerd", "worker", "browser"],
    mainFields: ["module", "main"],
    logLevel: "warning",
  });
}
