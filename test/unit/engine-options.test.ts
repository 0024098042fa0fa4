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
