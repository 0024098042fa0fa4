/**
 * The root entry per runtime, through the real resolvers: Node's export conditions (and tsx) give the Node
 * `Server`; Bun's (`bun` before `node`) and Deno's (deno.json) give the runtime-free core, which refuses a
 * port with a TypeError naming the runtime entries.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";

const PROBE = "test/fixture/entry/probe.ts";
const run = (cmd: string[]) => {
  const r = spawnSync(cmd[0]!, cmd.slice(1), {
    encoding: "utf8",
    timeout: 30_000,
    env: { ...process.env, DENO_NO_UPDATE_CHECK: "1" },
  });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
};
const CORE_REFUSAL =
  /^TypeError: portio: new Server\(0\) needs an HTTP server this runtime does not have\..*"portio\/deno"/;

describe('"portio" on each runtime', () => {
  it("Node: the Node entry (takes a port)", () => {
    assert.equal(run([process.execPath, "--import", "tsx", PROBE]), "node-entry function");
  });

  it("Bun: the runtime-free core, with a clear error for a port", () => {
    assert.match(run(["node_modules/.bin/bun", "run", PROBE]), CORE_REFUSAL);
  });

  it("Deno: the runtime-free core, with a clear error for a port", () => {
    assert.match(run(["node_modules/.bin/deno", "run", "-A", "--no-check", PROBE]), CORE_REFUSAL);
  });
});
