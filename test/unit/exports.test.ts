/**
 * package.json and deno.json export the same entry points: JSR publishes the TypeScript sources that
 * package.json's `portio-source` condition names, npm the built `dist/` files (run `npm run build` first,
 * as `npm test` does). Every file named exists.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";

type Conditions = { "portio-source": string; types: string; import: string; default: string };
const pkg = JSON.parse(readFileSync("package.json", "utf8")) as { exports: Record<string, Conditions | string> };
const deno = JSON.parse(readFileSync("deno.json", "utf8")) as { exports: Record<string, string> };
const entries = Object.entries(pkg.exports).filter((e): e is [string, Conditions] => typeof e[1] !== "string");

test("deno.json exports equal package.json's source entries", () => {
  assert.deepEqual(deno.exports, Object.fromEntries(entries.map(([name, c]) => [name, c["portio-source"]])));
});

test("every entry's types, import and default use the built files of its source", () => {
  for (const [name, c] of entries) {
    const built = c["portio-source"].replace(/^\.\//, "./dist/").replace(/\.ts$/, "");
    assert.deepEqual(
      { types: c.types, import: c.import, default: c.default },
      { types: `${built}.d.ts`, import: `${built}.js`, default: `${built}.js` },
      name,
    );
    // condition order matters: the first match wins, and `types` must precede `import`/`default`
    assert.deepEqual(Object.keys(c), ["portio-source", "types", "import", "default"], name);
  }
});

test("every exported file exists", () => {
  for (const [name, c] of entries) {
    for (const file of Object.values(c)) assert.ok(existsSync(file), `${name} → ${file}`);
  }
});
