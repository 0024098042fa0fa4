/**
 * WebTransport (issue 14) runs in Deno: the official client needs a `WebTransport` global, which Deno has
 * with `--unstable-net` and Node has not. This file starts the two Deno test files and fails with their
 * output: the shared suite's WebTransport variants (test/webtransport/suite.deno.ts) and the WebTransport
 * tests of its own (test/webtransport/webtransport.deno.ts).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";

function deno(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn("node_modules/.bin/deno", args, {
      env: { ...process.env, DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("exit", (code) => resolve({ code, out }));
  });
}

const denoTest = (args: string[]) => deno(["test", "-A", "--unstable-net", "--no-check", ...args]);

describe("WebTransport on Deno (deno test --unstable-net)", () => {
  it("the shared e2e suite's WebTransport variants pass", { timeout: 180_000 }, async () => {
    const r = await denoTest(["--import-map", "test/webtransport/import-map.json", "test/webtransport/suite.deno.ts"]);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /\(webtransport\) \.\.\. ok/, "no WebTransport variant ran");
  });

  it("without --unstable-net: serve() with webTransport fails with a message naming the flag; without it, works", async () => {
    const script = `
      import { Server } from "./src/index.ts";
      import { serve } from "./adapters/deno/index.ts";
      const io = new Server({ transports: ["polling", "websocket", "webtransport"] });
      const plain = await serve(io, { port: 0, hostname: "127.0.0.1" });
      console.log("PLAIN OK " + plain.port);
      await plain.close();
      try {
        await serve(io, { port: 0, webTransport: { cert: "", key: "" } });
      } catch (e) {
        console.log("ERROR " + e.message);
      }
      Deno.exit(0);
    `;
    const r = await deno(["eval", "--no-check", script]);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /PLAIN OK \d+/);
    assert.match(
      r.out,
      /ERROR portio\/deno: WebTransport needs Deno's unstable QUIC API: run deno with --unstable-net/,
    );
  });

  it("the WebTransport tests pass (official client, WebSocket in the same room, recovery, hostile input)", {
    timeout: 180_000,
  }, async () => {
    const r = await denoTest(["test/webtransport/webtransport.deno.ts"]);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /a client that stops reading is closed as a slow consumer/);
  });
});
