/**
 * The report of `npm run bench:scale` (bench/scale/tables.ts): tables from its JSON lines and the splice into
 * docs/benchmarks.md. The runs themselves are too heavy for `npm test`.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { fmt, growthSection, median, type ScaleRecord, SECTION, spliceSection } from "../../bench/scale/tables.ts";

const fanout = (label: string, x: number, usPerMsg: number, reliable = true): ScaleRecord => ({
  part: "fanout",
  label,
  x,
  ok: true,
  usPerMsg,
  msgsPerSec: 100_000,
  reliable,
});

test("median of the numbers only; fmt abbreviates thousands and marks a missing value", () => {
  assert.equal(median([3, undefined, 1, "x", 2]), 2);
  assert.equal(median([4, 1]), 2.5);
  assert.equal(median([]), undefined);
  assert.equal(fmt(undefined), "–");
  assert.equal(fmt(1.234, 2), "1.23");
  assert.equal(fmt(1500), "1.5 k");
  assert.equal(fmt(123_456), "123 k");
});

test("a curve has one row per size, one column per server, and last ÷ first as growth", () => {
  const rs = [
    fanout("portio-node", 10, 2),
    fanout("portio-node", 100, 1),
    fanout("portio-node", 100, 3), // two rounds: the median (2) is shown
    fanout("socketio-node", 10, 10),
    fanout("socketio-node", 100, 15, false),
  ];
  const md = growthSection(rs, { note: "smoke run", sizes: { FANOUT_MSGS: 1000 } }, "Node x", "npm run bench:scale");
  assert.ok(md.startsWith(`${SECTION} — smoke run\n`));
  assert.match(md, /\| room members \| portio-node \| socketio-node \|/);
  assert.match(md, /\| 10 \| 2\.00 \| 10\.00 \|/);
  assert.match(md, /\| 100 \| 2\.00 \| 15\.00\* \|/); // * = CPU interval too short to trust
  assert.match(md, /\| growth 10 → 100 \| 1\.00× \| 1\.50× \|/);
  // parts that did not run leave no heading
  assert.doesNotMatch(md, /Memory|Redis/);
});

test("failed runs show as failed in the table and are listed with their error", () => {
  const rs: ScaleRecord[] = [
    fanout("portio-node", 10, 2),
    { part: "fanout", label: "socketio-node", x: 10, ok: false, error: "stall" },
  ];
  const md = growthSection(rs, {}, "v", "c");
  assert.match(md, /\| 10 \| 2\.00 \| failed \|/);
  assert.match(md, /Failed runs: fanout socketio-node 10: stall\./);
});

test("memory capped by the machine's limits says what was asked and what was measured", () => {
  const rs: ScaleRecord[] = [
    { part: "memory", label: "portio-bun", x: 1000, conns: 1000, ok: true, kibPerConn: 5 },
    { part: "memory", label: "portio-bun", x: 30000, conns: 19700, ok: true, kibPerConn: 6 },
  ];
  const md = growthSection(rs, { notes: ["open files limit 20000"] }, "v", "c");
  assert.match(md, /\| 30,000 \(19,700 measured\) \| 6\.0 \|/);
  assert.match(md, /Capped: 30,000 asked, 19,700 measured/);
  assert.match(md, /Notes: open files limit 20000\./);
});

test("cross-node rows: node 1, the median of the other nodes, the fleet and Redis", () => {
  const rs: ScaleRecord[] = [{
    part: "redis",
    label: "portio-node",
    x: 3,
    ok: true,
    msgsPerSec: 50_000,
    nodeUsPerMsg: [4, 2, 3],
    fleetUsPerMsg: 3,
    redisUsPerMsg: 0.25,
    reliable: true,
  }];
  assert.match(growthSection(rs, {}, "v", "c"), /\| portio-node \| 3 \| 50 k \| 4\.00 \| 2\.50 \| 3\.00 \| 0\.25 \|/);
});

test("the section replaces its old text up to the next heading, or is appended", () => {
  const doc = `# Benchmarks\n\nintro\n\n${SECTION} — old\n\nold table\n\n## Next\n\nkept\n`;
  const out = spliceSection(doc, `${SECTION}\n\nnew table\n`);
  assert.equal(out, `# Benchmarks\n\nintro\n\n${SECTION}\n\nnew table\n\n## Next\n\nkept\n`);
  assert.equal(spliceSection(out, `${SECTION}\n\nnewer\n`).match(/## Growth/g)?.length, 1);
  assert.equal(spliceSection("# B\n", `${SECTION}\n\nx\n`), `# B\n\n${SECTION}\n\nx\n`);
  // the last section of the file: replaced to the end
  assert.equal(spliceSection(`# B\n\n${SECTION}\n\nold\n`, `${SECTION}\n\nnew\n`), `# B\n\n${SECTION}\n\nnew\n`);
});
