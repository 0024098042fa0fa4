/**
 * The chat example, one app, on every runtime entry: each starts as a real process, serves the page and the
 * client bundle, and two official clients chat through it.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { io as ioc } from "socket.io-client";
import { assertClientBundle } from "./harness.ts";

const examples: Array<[string, string[]]> = [
  ["node (npm start)", [process.execPath, "--import", "tsx", "examples/chat/server.ts"]],
  ["deno", ["node_modules/.bin/deno", "run", "-A", "--no-check", "examples/deno/server.ts"]],
  ["bun", ["node_modules/.bin/bun", "run", "examples/bun/server.ts"]],
  ["hono on node", [process.execPath, "--import", "tsx", "examples/hono/server.ts"]],
];

function start(cmd: string[]): Promise<{ url: string; stop(): Promise<void> }> {
  const child = spawn(cmd[0]!, cmd.slice(1), {
    env: { ...process.env, PORT: "0", HOST: "127.0.0.1", DENO_NO_UPDATE_CHECK: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stderr.on("data", (d) => (err += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`did not start: ${err}`)), 30_000);
    child.stdout.on("data", (d) => {
      out += d;
      const m = /http:\/\/[^\s:]+:(\d+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      resolve({
        url: `http://127.0.0.1:${m[1]}`,
        stop: () => new Promise<void>((done) => (child.once("exit", () => done()), child.kill("SIGTERM"))),
      });
    });
    child.once("exit", (code) => (clearTimeout(timer), reject(new Error(`exited ${code}: ${err}`))));
  });
}

describe("the chat example on every runtime", () => {
  for (const [name, cmd] of examples) {
    it(name, async () => {
      const app = await start(cmd);
      try {
        const page = await fetch(app.url + "/");
        assert.equal(page.status, 200);
        assert.match(await page.text(), /Portio/);
        await assertClientBundle(await fetch(app.url + "/socket.io.min.js"));
        const a = ioc(app.url, { forceNew: true, reconnection: false });
        const b = ioc(app.url, { forceNew: true, reconnection: false, transports: ["websocket"] });
        await a.timeout(5000).emitWithAck("join", "ann", "lobby");
        const members = await b.timeout(5000).emitWithAck("join", "bob", "lobby");
        assert.ok(JSON.stringify(members).includes("ann"), JSON.stringify(members));
        const got = new Promise<{ from: string; text: string }>((resolve) =>
          a.on("message", (m: { from: string; text: string }) => m.from === "bob" && resolve(m))
        );
        assert.deepEqual(await b.timeout(5000).emitWithAck("message", `hi from ${name}`), { ok: true });
        const m = await got;
        assert.equal(m.text, `hi from ${name}`);
        a.close();
        b.close();
      } finally {
        await app.stop();
      }
    });
  }
});
