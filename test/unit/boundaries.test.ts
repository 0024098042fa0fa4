/**
 * The room stores (src/rooms/) and the socket layer (src/socket/) meet at one contract (rooms/types.ts:
 * `InMemoryAdapter` and `StoreContext`): the import graph and the code at the boundary are checked here, so a
 * rename in the socket layer cannot break clustering at run time where the compiler does not look.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";

const ROOMS = "src/rooms";
/** What a room store may build on: the contract, the packet shape, ports and utilities. Not sockets, not the engine. */
const FORBIDDEN = ["src/socket/", "src/engine/", "adapters/"];

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(".ts"))
    .map((e) => join(e.parentPath, e.name));
}

/** Every module specifier a file imports or re-exports (static, type-only and dynamic). */
function importsOf(source: string): string[] {
  const out: string[] = [];
  const re =
    /(?:^|[\s;])(?:import|export)\s[^"';]*?from\s*["']([^"']+)["']|import\s*\(\s*["']([^"']+)["']\s*\)|^import\s+["']([^"']+)["']/gm;
  for (const m of source.matchAll(re)) out.push((m[1] ?? m[2] ?? m[3])!);
  return out;
}

/** Source without comments and string contents, so prose naming `_members` does not count. */
function code(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "").replace(/(["'`])(?:\\.|(?!\1).)*\1/g, '""');
}

test("src/rooms imports nothing from src/socket or src/engine", () => {
  const offenders: string[] = [];
  for (const file of files(ROOMS)) {
    for (const spec of importsOf(readFileSync(file, "utf8"))) {
      if (!spec.startsWith(".")) {
        offenders.push(`${file} imports the package ${spec}`);
        continue;
      }
      const target = normalize(join(dirname(file), spec)).replaceAll("\\", "/");
      if (FORBIDDEN.some((f) => target.startsWith(f))) offenders.push(`${file} → ${relative(".", target)}`);
    }
  }
  assert.deepEqual(offenders, []);
});

test("no cast and no `_` member crosses the boundary: rooms/ reads no `x._y` and casts nothing `as unknown as`", () => {
  const offenders: string[] = [];
  for (const file of files(ROOMS)) {
    const text = code(readFileSync(file, "utf8"));
    for (const m of text.matchAll(/\bas unknown as\b/g)) offenders.push(`${file}: ${m[0]}`);
    for (const m of text.matchAll(/\.\s*_[A-Za-z]\w*/g)) offenders.push(`${file}: ${m[0]}`);
  }
  assert.deepEqual(offenders, []);
});

test("the contract has no `_` members: what a store and its context see of each other is public", () => {
  const types = code(readFileSync(join(ROOMS, "types.ts"), "utf8"));
  assert.deepEqual([...types.matchAll(/^\s*(?:readonly\s+)?(_\w+)\??\s*[(:]/gm)].map((m) => m[1]), []);
});

test("no engine framing in rooms/: the engine's message prefix is the socket layer's business", () => {
  const offenders: string[] = [];
  for (const file of files(ROOMS)) {
    // the engine's "message" packet type prepended to a frame, as `"4" + frame` or `` `4${frame}` ``
    const text = readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");
    if (/["']4["']\s*\+|`4\$\{/.test(text)) offenders.push(file);
  }
  assert.deepEqual(offenders, []);
});
