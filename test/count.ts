/**
 * Counts a test run honestly: reads the TAP output of `node --test --test-reporter=tap` on stdin and prints
 * how many tests ran (runs: every transport variant on every runtime counts) and how many distinct behaviours
 * they check (test names with the transport variant and the runtime removed). Used for the README's figures:
 *
 *   node --import tsx --test --test-concurrency=1 --test-reporter=tap test/unit/*.test.ts test/e2e/*.test.ts \
 *     | node --import tsx test/count.ts
 */
import process from "node:process";

let input = "";
for await (const chunk of process.stdin) input += chunk;
const lines = input.split("\n");

const RESULT = /^(\s*)(not )?ok \d+ - (.*?)(?: # (SKIP|TODO).*)?$/;
const leaves: Array<{ name: string; ok: boolean }> = [];
for (let i = 0; i < lines.length; i++) {
  const m = RESULT.exec(lines[i]!);
  if (!m || m[4]) continue; // skipped or todo: not a run
  // a suite reports like a test; its YAML block says `type: 'suite'`
  let suite = false;
  for (let j = i + 1; j < lines.length && !RESULT.test(lines[j]!) && !/^\s*# Subtest/.test(lines[j]!); j++) {
    if (lines[j]!.includes("type: 'suite'")) suite = true;
  }
  if (!suite && !m[3]!.startsWith("test/")) leaves.push({ name: m[3]!, ok: !m[2] });
}

/** the same behaviour over another transport: "(polling)", "over websocket", … */
const behaviour = (name: string) =>
  name.replace(/ ?\((polling|websocket|upgrade)\)/g, "").replace(/\b(polling|websocket|upgrade)\b/g, "<transport>");

const distinct = new Set(leaves.map((l) => behaviour(l.name)));
console.log(`runs: ${leaves.length} (${leaves.filter((l) => !l.ok).length} failed)`);
console.log(`distinct behaviours: ${distinct.size} (names without transport variant or runtime)`);
