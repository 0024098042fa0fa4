/** package.json and deno.json export the same entry points, and every entry exists. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";

const pkg = JSON.parse(readFileSync("package.json", "utf8")) as { exports: Record<string, string> };
const deno = JSON.parse(readFileSync("deno.json", "utf8")) as { exports: Record<string, string> };

test("deno.json exports equal package.json exports", () => {
  assert.deepEqual(deno.exports, pkg.exports);
});

test("every exported entry point exists", () => {
  for (const [name, file] of Object.entries(pkg.exports)) assert.ok(existsSync(file), `${name} → ${file}`);
});
