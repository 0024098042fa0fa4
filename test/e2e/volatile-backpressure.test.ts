/**
 * `volatile` means "dropped while the transport cannot take it" (socket.io), the same on Node, Deno and Bun: a
 * WebSocket client that stops reading while ~200 MB of volatile room broadcasts go out is sent only what its
 * connection could take, and is not closed as a slow consumer (nothing is queued for it). On Bun, room broadcasts
 * go through the runtime's fan-out (`server.publish`), which would queue every frame for a backpressured
 * subscriber: a volatile broadcast is published natively only when every subscriber can take it now.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Duplex } from "node:stream";
import { client, closeClients, connected, sleep, startProcess, type Target } from "./harness.ts";

const COUNT = 2000;
/** 2000 × 100 kB = 200 MB: more than the kernel buffers of a local connection take (here ~50 MB) */
const SIZE = 100_000;

const runtimes: Record<string, string[]> = {
  node: [process.execPath, "--import", "tsx", "test/fixture/node.ts"],
  deno: ["node_modules/.bin/deno", "run", "-A", "--no-check", "test/fixture/deno.ts"],
  bun: ["node_modules/.bin/bun", "run", "test/fixture/bun.ts"],
};

const only = process.env.SLOW_RUNTIMES?.split(",");
for (const [name, cmd] of Object.entries(runtimes).filter(([n]) => !only || only.includes(n))) {
  describe(`volatile broadcasts to a backpressured client on ${name}`, () => {
    let target: Target;
    before(async () => {
      target = await startProcess(name, cmd);
    });
    after(async () => {
      closeClients();
      await target?.stop();
    });

    it("a paused WebSocket client is sent only what it can take, and stays connected", async () => {
      const slow = client(target, "/", { transports: ["websocket"] });
      const got: number[] = [];
      slow.on("vflood-msg", (i: number) => got.push(i));
      let disconnects = 0;
      slow.on("disconnect", () => disconnects++);
      await connected(slow);
      const id = slow.id;
      await slow.timeout(2000).emitWithAck("join", "vol");
      // a reading member of the same room: native fan-out has a subscriber that can take everything
      const reader = await connected(client(target, "/", { transports: ["websocket"] }));
      await reader.timeout(2000).emitWithAck("join", "vol");
      let readerGot = 0;
      reader.on("vflood-msg", () => readerGot++);
      const sender = await connected(client(target));

      const tcp = (slow.io.engine.transport as unknown as { ws: { _socket: Duplex } }).ws._socket;
      const resume = tcp.resume;
      tcp.resume = () => tcp;
      tcp.pause();
      await sender.timeout(60_000).emitWithAck("vflood", "vol", COUNT, SIZE);
      // an ordinary message after the flood: it must arrive, after whatever volatile ones were sent
      const marker = new Promise<void>((resolve) => slow.once("flood-msg", () => resolve()));
      await sender.timeout(2000).emitWithAck("flood", "vol", 1, 10);
      tcp.resume = resume;
      tcp.resume();
      const arrived = await Promise.race([marker.then(() => true), sleep(30_000).then(() => false)]);
      const log = (await sender.timeout(2000).emitWithAck("log")) as Array<{ id: string; reason?: string }>;
      console.log(
        `# ${name}: paused client got ${got.length}/${COUNT} volatile broadcasts, the reading one ${readerGot}; ` +
          `${disconnects} disconnect(s) (${log.find((e) => e.id === id)?.reason ?? "none"})`,
      );
      assert.equal(disconnects, 0, "closed as a slow consumer: volatile frames were queued for it");
      assert.ok(arrived, "the ordinary message after the flood did not arrive");
      assert.ok(
        got.length < COUNT / 2,
        `${got.length} of ${COUNT} volatile broadcasts were queued for a paused client`,
      );
      assert.deepEqual(got, [...got].sort((a, b) => a - b), "reordered");
      assert.ok(target.alive(), target.logs());
    });
  });
}
