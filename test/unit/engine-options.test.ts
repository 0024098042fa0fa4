/** engine.io options handled by the core: `initialPacket`, `addTrailingSlash`. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Server } from "../../src/index.ts";

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

describe("initialPacket", () => {
  for (
    const [label, initialPacket, wire] of [
      ["text", "hello", "4hello"],
      ["binary", new Uint8Array([1, 2, 3]), "bAQID"],
    ] as const
  ) {
    it(`${label}: the first packet after the open packet, before the CONNECT reply`, async () => {
      const io = new Server({ logger: quiet, initialPacket });
      const base = "http://x/socket.io/?EIO=4&transport=polling";
      const packets = (await (await io.handle(new Request(base)))!.text()).split("\x1e");
      assert.equal(packets[0]![0], "0");
      const sid = JSON.parse(packets[0]!.slice(1)).sid as string;
      if (packets.length === 1) packets.push(await (await io.handle(new Request(`${base}&sid=${sid}`)))!.text());
      assert.equal(packets[1], wire);
      await io.handle(new Request(`${base}&sid=${sid}`, { method: "POST", body: "40" }));
      assert.match(await (await io.handle(new Request(`${base}&sid=${sid}`)))!.text(), /^40\{"sid"/);
      await io.close();
    });
  }

  it("anything but text or binary is a TypeError", () => {
    assert.throws(() => new Server({ logger: quiet, initialPacket: 42 as never }), /initialPacket/);
  });
});

describe("addTrailingSlash", () => {
  it("false serves /socket.io?EIO=4… (no slash) and still /socket.io/?EIO=4…", async () => {
    const off = new Server({ logger: quiet, addTrailingSlash: false });
    const res = await off.handle(new Request("http://x/socket.io?EIO=4&transport=polling"));
    assert.equal(res?.status, 200);
    assert.match(await res!.text(), /^0\{"sid"/);
    assert.equal((await off.handle(new Request("http://x/socket.io/?EIO=4&transport=polling")))?.status, 200);
    await off.close();
  });
});

describe("bodyTimeout", () => {
  it("a polling POST body that stalls is answered 408 with Connection: close, and its session closes", async () => {
    const io = new Server({ logger: quiet, bodyTimeout: 50 });
    assert.equal(io.engine.opts.bodyTimeout, 50);
    const base = "http://x/socket.io/?EIO=4&transport=polling";
    const sid = JSON.parse((await (await io.handle(new Request(base)))!.text()).slice(1)).sid as string;
    const closed: string[] = [];
    io.engine.clients.get(sid)!.on("close", (reason: string, why: unknown) => void closed.push(`${reason}: ${why}`));
    // a body with one byte and then nothing: no Content-Length, the stream never ends
    const body = new ReadableStream<Uint8Array>({ start: (c) => c.enqueue(new TextEncoder().encode("4")) });
    const t0 = Date.now();
    const res = await io.handle(new Request(`${base}&sid=${sid}`, { method: "POST", body, duplex: "half" } as never));
    assert.equal(res?.status, 408);
    assert.equal(res?.headers.get("connection"), "close");
    assert.ok(Date.now() - t0 < 1000);
    assert.deepEqual(closed, ["transport error: body timeout"]);
    assert.equal((await io.handle(new Request(`${base}&sid=${sid}`)))?.status, 400);
    await io.close();
  });

  it("defaults to 20 s; 0 turns it off; anything but a number of ms is a TypeError", async () => {
    const io = new Server({ logger: quiet });
    assert.equal(io.engine.opts.bodyTimeout, 20_000);
    await io.close();
    const off = new Server({ logger: quiet, bodyTimeout: 0 });
    assert.equal(off.engine.opts.bodyTimeout, 0);
    await off.close();
    assert.throws(() => new Server({ logger: quiet, bodyTimeout: "5s" as never }), /"bodyTimeout" must be a number/);
  });
});
