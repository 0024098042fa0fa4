/**
 * examples/cloudflare with wrangler itself, offline: `wrangler dev` serves the chat page and two official
 * clients chat through the Durable Object; `wrangler deploy --dry-run` bundles what a deploy would upload.
 * The sharded chat (fleet.ts, wrangler.fleet.jsonc): clients in one room on different shards chat, and the
 * Worker's `POST /announce` reaches all of them.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { io as ioc } from "socket.io-client";
import { assertClientBundle } from "./harness.ts";

const cwd = "examples/cloudflare";
const wrangler = join(process.cwd(), "node_modules/.bin/wrangler");
const env = { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" };

/** Runs wrangler in its own process group, so stopping it stops the workerd it spawned too. */
function run(
  args: string[],
  ready?: RegExp,
): Promise<{ out: () => string; code: Promise<number | null>; stop(): Promise<void> }> {
  const child = spawn(wrangler, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  const code = new Promise<number | null>((resolve) => child.once("exit", resolve));
  const handle = {
    out: () => out,
    code,
    stop: async () => {
      if (child.exitCode !== null) return;
      process.kill(-child.pid!, "SIGTERM");
      await Promise.race([code, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) process.kill(-child.pid!, "SIGKILL");
    },
  };
  if (!ready) return Promise.resolve(handle);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`wrangler did not start:\n${out}`)), 60_000);
    child.stdout.on("data", () => {
      if (ready.test(out)) (clearTimeout(timer), resolve(handle));
    });
    void code.then((c) => (clearTimeout(timer), reject(new Error(`wrangler exited ${c}:\n${out}`))));
  });
}

describe("examples/cloudflare with wrangler (offline)", () => {
  it("wrangler dev serves the chat page and two clients chat through the Durable Object", async () => {
    const state = mkdtempSync(join(tmpdir(), "portio-wrangler-"));
    // a port below 32768 that is unlikely to be taken; wrangler picks another if it is
    const port = 20000 + Math.floor(Math.random() * 10000);
    const dev = await run(
      ["dev", "--ip", "127.0.0.1", "--port", String(port), "--persist-to", state],
      /Ready on http:\/\/[\d.]+:\d+/,
    );
    try {
      const url = /Ready on (http:\/\/[\d.]+:\d+)/.exec(dev.out())![1]!;
      const page = await fetch(url + "/");
      assert.equal(page.status, 200);
      assert.match(await page.text(), /Portio/);
      await assertClientBundle(await fetch(url + "/socket.io.min.js"));
      const a = ioc(url, { forceNew: true, reconnection: false });
      const b = ioc(url, { forceNew: true, reconnection: false, transports: ["websocket"] });
      try {
        await a.timeout(5000).emitWithAck("join", "ann", "lobby");
        const members = await b.timeout(5000).emitWithAck("join", "bob", "lobby");
        assert.ok(JSON.stringify(members).includes("ann"), JSON.stringify(members));
        const got = new Promise<{ from: string; text: string }>((resolve) =>
          a.on("message", (m: { from: string; text: string }) => m.from === "bob" && resolve(m))
        );
        assert.deepEqual(await b.timeout(5000).emitWithAck("message", "hi from workerd"), { ok: true });
        assert.equal((await got).text, "hi from workerd");
      } finally {
        a.close();
        b.close();
      }
    } finally {
      await dev.stop();
      rmSync(state, { recursive: true, force: true });
      rmSync(join(cwd, ".wrangler"), { recursive: true, force: true });
    }
  });

  it("the sharded chat: a room spans shards, and POST /announce reaches every shard", async () => {
    const state = mkdtempSync(join(tmpdir(), "portio-wrangler-"));
    const port = 20000 + Math.floor(Math.random() * 10000);
    const dev = await run(
      ["dev", "-c", "wrangler.fleet.jsonc", "--ip", "127.0.0.1", "--port", String(port), "--persist-to", state],
      /Ready on http:\/\/[\d.]+:\d+/,
    );
    const clients: ReturnType<typeof ioc>[] = [];
    try {
      const url = /Ready on (http:\/\/[\d.]+:\d+)/.exec(dev.out())![1]!;
      assert.equal((await fetch(url + "/")).status, 200);
      // route() shards by the `room` query: these two keys land on different shards, both chat in "lobby"
      for (const key of ["a", "b"]) {
        clients.push(
          ioc(url, { forceNew: true, reconnection: false, transports: ["websocket"], query: { room: key } }),
        );
      }
      const [a, b] = clients as [ReturnType<typeof ioc>, ReturnType<typeof ioc>];
      await a.timeout(10_000).emitWithAck("join", "ann", "lobby");
      const members = await b.timeout(10_000).emitWithAck("join", "bob", "lobby");
      assert.deepEqual((members as { members: string[] }).members, ["ann", "bob"], JSON.stringify(members));
      assert.notEqual(a.id!.split(".")[0], b.id!.split(".")[0], "both clients landed on one shard");
      const got = new Promise<string>((resolve) =>
        a.on("message", (m: { from: string; text: string }) => m.from === "bob" && resolve(m.text))
      );
      await b.timeout(10_000).emitWithAck("message", "across shards");
      assert.equal(await got, "across shards");
      const announced = clients.map((c) =>
        new Promise<string>((resolve) =>
          c.on("system", (m: { text: string }) => m.text === "maintenance" && resolve(m.text))
        )
      );
      const res = await fetch(url + "/announce?text=maintenance", { method: "POST" });
      assert.equal(((await res.json()) as { delivered: string[] }).delivered.length, 4);
      await Promise.all(announced);
    } finally {
      for (const c of clients) c.close();
      await dev.stop();
      rmSync(state, { recursive: true, force: true });
      rmSync(join(cwd, ".wrangler"), { recursive: true, force: true });
    }
  });

  it("wrangler deploy --dry-run bundles the Worker with its Durable Object binding", async () => {
    const outdir = mkdtempSync(join(tmpdir(), "portio-bundle-"));
    try {
      const dry = await run(["deploy", "--dry-run", "--outdir", outdir]);
      assert.equal(await dry.code, 0, dry.out());
      assert.match(dry.out(), /env\.CHAT \(ChatObject\)\s+Durable Object/);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
      rmSync(join(cwd, ".wrangler"), { recursive: true, force: true });
    }
  });
});
