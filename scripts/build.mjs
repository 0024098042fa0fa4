// npm run build (and prepack): dist/ = one ESM .js per source module (esbuild) + its .d.ts (tsc).
// One file per module rather than one bundle per entry: the entries share the core (portio/node's
// Server must be the `Server` of `portio`, or `instanceof` and the shared room store break), a user's
// bundler tree-shakes per module (sideEffects: false), and stack traces name the real file.
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { execFileSync } from "node:child_process";
import { build } from "esbuild";

const root = new URL("..", import.meta.url).pathname;
const dist = join(root, "dist");

function sources(dir) {
  return readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(".ts") && !e.name.endsWith(".d.ts"))
    .map((e) => relative(root, join(e.parentPath, e.name)));
}

rmSync(dist, { recursive: true, force: true });

// Each module is its own entry and every import stays external: relative `./x.ts` becomes `./x.js`
// (what Node, Deno and bundlers load from dist/), bare specifiers (peers, node:*) are left as written.
const keepImports = {
  name: "keep-imports",
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind === "entry-point") return undefined;
      const path = /^\.\.?\//.test(args.path) ? args.path.replace(/\.ts$/, ".js") : args.path;
      return { path, external: true };
    });
  },
};
await build({
  absWorkingDir: root,
  entryPoints: [...sources("src"), ...sources("adapters")],
  outdir: dist,
  outbase: ".",
  bundle: true,
  format: "esm",
  platform: "neutral",
  target: "es2022",
  plugins: [keepImports],
  logLevel: "warning",
});

execFileSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"], {
  cwd: root,
  stdio: "inherit",
});

// tsc keeps `.ts` specifiers in declarations; users resolve `.js` (NodeNext) or either (bundler).
const rewrite = (s) => s.replace(/((?:from|import)\s*\(?\s*["'])(\.\.?\/[^"']+)\.ts(["'])/g, "$1$2.js$3");
let count = 0;
for (const e of readdirSync(dist, { withFileTypes: true, recursive: true })) {
  if (!e.isFile() || !e.name.endsWith(".d.ts")) continue;
  const file = join(e.parentPath, e.name);
  const text = readFileSync(file, "utf8");
  const out = rewrite(text);
  if (out !== text) writeFileSync(file, out);
  count++;
}
rmSync(join(dist, "scripts"), { recursive: true, force: true });
console.log(`dist/: ${count} declaration files`);
