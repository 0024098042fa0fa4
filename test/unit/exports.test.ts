/** package.json and deno.json export the same entry points, and every entry exists. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";

type Target = string | Record<string, string>;
const pkg = JSON.parse(readFileSync("package.json", "utf8")) as { exports: Record<string, Target> };
const deno = JSON.parse(readFileSync("deno.json", "utf8")) as { exports: Record<string, string> };

// deno.json (JSR) has no conditions: it exports what package.json gives runtimes other than Node (`default`)
const defaults = Object.fromEntries(
  Object.entries(pkg.exports).map(([k, v]) => [k, typeof v === "string" ? v : v.default]),
);

test("deno.json exports equal package.json exports (their `default` condition)", () => {
  assert.deepEqual(deno.exports, defaults);
});

test("every exported entry point exists, in every condition", () => {
  for (const [name, target] of Object.entries(pkg.exports)) {
    for (const file of typeof target === "string" ? [target] : Object.values(target)) {
      assert.ok(existsSync(file), `${name} → ${file}`);
    }
  }
});

test("the root entry gives the runtime-free core to every runtime but Node", () => {
  const root = pkg.exports["."] as Record<string, string>;
  for (const c of ["deno", "bun", "workerd", "worker", "browser", "default"]) assert.equal(root[c], "./src/index.ts");
  assert.equal(root.node, "./adapters/node/root.ts");
  // conditions match in order: runtimes that also match "node" (Bun, Deno) must meet theirs first
  const keys = Object.keys(root);
  assert.ok(keys.indexOf("bun") < keys.indexOf("node") && keys.indexOf("deno") < keys.indexOf("node"));
});
