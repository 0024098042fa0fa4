/**
 * The slow-consumer policy (`maxBufferedAmount`, README "Slow consumers") on Node, Deno and Bun: a WebSocket
 * client that stops reading while ~50 MB of ordinary room broadcasts go out either gets all of them or is
 * disconnected and gets the rest by connection state recovery; never a silent gap. The server holds at most
 * the bound (4 MiB by default) plus a small constant for it, not the 50 MB.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Duplex } from "node:stream";
import { client, closeClients, connected, sleep, startProcess, type Target } from "./harness.ts";

const COUNT = 500;
const SIZE = 100_000; // 500 × 100 kB = 50 MB
const DEFAULT_BOUND = 4 * 1024 * 1024;
/** what a runtime's heap and allocator may add around a 50 MB burst of short-lived frames */
const SLACK = 40 * 1024 * 1024;

// --expose-gc: the fixture's `rss` collects first, so the figures are what the server holds (see test/fixture/app.ts)
const runtimes: Record<string, string[]> = {
  node: [process.execPath, "--expose-gc", "--import", "tsx", "test/fixture/node.ts"],
  deno: ["node_modules/.bin/deno", "run", "-A", "--no-check", "--v8-flags=--expose-gc", "test/fixture/deno.ts"],
  bun: ["node_modules/.bin/bun", "run", "test/fixture/bun.ts"],
};

const only = process.env.SLOW_RUNTIMES?.split(",");
for (const [name, cmd] of Object.entries(runtimes).filter(([n]) => !only || only.includes(n))) {
  describe(`slow consumer on ${name}`, () => {
    let target: Target;
    before(async () => {
      target = await startProcess(name, cmd);
    });
    after(async () => {
      closeClients();
      await target?.stop();
    });

    it("a paused WebSocket client under 50 MB of room broadcasts loses nothing and costs at most the bound", async () => {
      const slow = client(target, "/", {
        transports: ["websocket"],
        reconnection: true,
        reconnectionDelay: 100,
        reconnectionDelayMax: 200,
      });
      const got: number[] = [];
      slow.on("flood-msg", (i: number, payload: string) => {
        assert.equal(payload.length, SIZE);
        got.push(i);
      });
      let disconnects = 0;
      slow.on("disconnect", () => disconnects++);
      await connected(slow);
      const id = slow.id;
      await slow.timeout(2000).emitWithAck("join", "flood");
      const sender = await connected(client(target));
      await sleep(300);
      const baseline = (await sender.timeout(2000).emitWithAck("rss")) as number;

      // stop reading: frames pile up in the kernel, then in the server
      const tcp = (slow.io.engine.transport as unknown as { ws: { _socket: Duplex } }).ws._socket;
      // `ws` resumes its socket by itself when its receiver drains: keep it paused until the flood is over
      const resume = tcp.resume;
      tcp.resume = () => tcp;
      tcp.pause();
      const peak = (await sender.timeout(60_000).emitWithAck("flood", "flood", COUNT, SIZE)) as number;
      const log = (await sender.timeout(2000).emitWithAck("log")) as Array<{ id: string; reason?: string }>;
      tcp.resume = resume;
      tcp.resume();

      const deadline = Date.now() + 60_000;
      while (got.length < COUNT && Date.now() < deadline) await sleep(100);
      const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
      const closed = log.find((e) => e.id === id)?.reason;
      console.log(
        `# ${name}: ${got.length}/${COUNT} delivered, ${disconnects} disconnect(s) (${closed ?? "none"}), ` +
          `recovered ${slow.recovered}; RSS +${mb(peak - baseline)} MiB under a ${mb(COUNT * SIZE)} MB flood`,
      );
      assert.equal(got.length, COUNT, `only ${got.length} of ${COUNT} messages arrived`);
      assert.deepEqual(got, Array.from({ length: COUNT }, (_, i) => i), "messages lost, repeated or reordered");
      if (disconnects) {
        assert.equal(slow.recovered, true, "disconnected but not recovered");
        assert.equal(closed, "transport error", "the app saw another disconnect reason");
      }
      assert.ok(
        peak - baseline < DEFAULT_BOUND + SLACK,
        `the server grew by ${mb(peak - baseline)} MiB for one paused client (bound ${mb(DEFAULT_BOUND)} MiB)`,
      );
      if (!target.alive()) assert.fail(`${name} died\n${target.logs()}`);
    });

    it("a polling client that never polls is closed past the bound, not left holding the flood", async () => {
      const base = `${target.url}/socket.io/?EIO=4&transport=polling`;
      const open = await (await fetch(base)).text();
      const sid = JSON.parse(open.slice(1)).sid as string;
      const url = `${base}&sid=${sid}`;
      const post = (body: string) => fetch(url, { method: "POST", body }).then((r) => r.text());
      assert.equal(await post("40"), "ok");
      const connect = await (await fetch(url)).text();
      const id = JSON.parse(connect.split("\x1e")[0]!.slice(2)).sid as string;
      assert.equal(await post('420["join","flood"]'), "ok");
      // from here on the client never polls again
      const sender = await connected(client(target));
      await sleep(300);
      const baseline = (await sender.timeout(2000).emitWithAck("rss")) as number;
      const peak = (await sender.timeout(60_000).emitWithAck("flood", "flood", COUNT, SIZE)) as number;
      const log = (await sender.timeout(2000).emitWithAck("log")) as Array<{ id: string; reason?: string }>;
      const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
      console.log(`# ${name}: never-polling client: RSS +${mb(peak - baseline)} MiB under the flood`);
      assert.equal(log.find((e) => e.id === id)?.reason, "transport error", "not closed as a slow consumer");
      assert.ok(
        peak - baseline < DEFAULT_BOUND + SLACK,
        `the server grew by ${mb(peak - baseline)} MiB for one client that never polls`,
      );
    });
  });
}
