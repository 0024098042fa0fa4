/**
 * package.json and deno.json export the same entry points: JSR publishes the TypeScript sources that
 * package.json's `portio-source` condition names (for the root entry: its `default`, the runtime-free core),
 * npm the built `dist/` files (run `npm run build` first, as `npm test` does). Every file named exists.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";

type Built = { types: string; import: string; default: string };
type Target = string | Record<string, string | Record<string, string>>;
const pkg = JSON.parse(readFileSync("package.json", "utf8")) as { exports: Record<string, Target> };
const deno = JSON.parse(readFileSync("deno.json", "utf8")) as { exports: Record<string, string> };
const entries = Object.entries(pkg.exports).filter((e): e is [string, Record<string, string | Built>] =>
  typeof e[1] !== "string"
);

/** The source file an entry gives runtimes other than Node (the root entry's Node flavour is separate). */
function source(c: Record<string, unknown>): string {
  const s = c["portio-source"];
  return typeof s === "string" ? s : (s as Record<string, string>).default!;
}
const builtOf = (src: string): Built => {
  const base = src.replace(/^\.\//, "./dist/").replace(/\.ts$/, "");
  return { types: `${base}.d.ts`, import: `${base}.js`, default: `${base}.js` };
};

test("deno.json exports equal package.json's source entries (the root: its runtime-free default)", () => {
  assert.deepEqual(deno.exports, Object.fromEntries(entries.map(([name, c]) => [name, source(c)])));
});

test("every entry's types, import and default use the built files of its source", () => {
  for (const [name, c] of entries) {
    const { types, import: imp, default: def } = c as unknown as Built;
    assert.deepEqual({ types, import: imp, default: def }, builtOf(source(c)), name);
    // condition order matters: the first match wins; the source condition first, `types` before `import`
    const keys = Object.keys(c);
    assert.equal(keys[0], "portio-source", name);
    assert.deepEqual(keys.slice(-3), ["types", "import", "default"], name);
  }
});

test("the root entry gives the runtime-free core to every runtime but Node, in sources and in dist", () => {
  const root = pkg.exports["."] as Record<string, Record<string, string> | string>;
  const src = root["portio-source"] as Record<string, string>;
  for (const c of ["deno", "bun", "workerd", "worker", "browser", "default"]) {
    assert.equal(src[c], "./src/index.ts", c);
    if (c !== "default") assert.deepEqual(root[c], builtOf("./src/index.ts"), c);
  }
  assert.equal(src.node, "./adapters/node/root.ts");
  assert.deepEqual(root.node, builtOf("./adapters/node/root.ts"));
  // conditions match in order: runtimes that also match "node" (Bun, Deno) must meet theirs first
  for (const keys of [Object.keys(src), Object.keys(root)]) {
    assert.ok(keys.indexOf("bun") < keys.indexOf("node") && keys.indexOf("deno") < keys.indexOf("node"));
  }
});

test("every exported file exists", () => {
  const files = (t: unknown): string[] =>
    typeof t === "string" ? [t] : Object.values(t as Record<string, unknown>).flatMap(files);
  for (const [name, c] of entries) {
    for (const file of files(c)) assert.ok(existsSync(file), `${name} → ${file}`);
  }
});
