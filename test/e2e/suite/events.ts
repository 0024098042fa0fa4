/** Events and acknowledgements both ways, timeouts, binary, catch-all listeners, socket middleware. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Section } from "../suite.ts";
import { arrives, client, connected, once, settled, sleep, TRANSPORT_MATRIX } from "../harness.ts";

const section: Section = (target) => {
  describe("events and acks", () => {
    for (const { label, transports } of TRANSPORT_MATRIX) {
      it(`acks client → server with callbacks and emitWithAck (${label})`, async () => {
        const c = client(target(), "/", { transports });
        await settled(c, transports);
        const viaCallback = await new Promise((resolve) => c.emit("echo", { deep: [1, "two", null] }, resolve));
        assert.deepEqual(viaCallback, { deep: [1, "two", null] });
        assert.equal(await c.emitWithAck("echo", "x"), "x");
      });

      it(`acks server → client: callback, emitWithAck, and timeout (${label})`, async () => {
        const c = client(target(), "/", { transports });
        c.on("question", (payload: unknown, ack?: (a: unknown) => void) => {
          if (payload === "slow?") return; // never answer: the server's timeout fires
          ack?.({ answer: payload });
        });
        await settled(c, transports);
        assert.deepEqual(await c.timeout(3000).emitWithAck("ask", 7), { answer: 7 });
        assert.deepEqual(await c.timeout(3000).emitWithAck("ask-with-ack", "w"), { answer: "w" });
        assert.deepEqual(await c.timeout(3000).emitWithAck("ask-timeout", 100), { error: "operation has timed out" });
      });

      it(`binary both ways, nested, with acks (${label})`, async () => {
        const c = client(target(), "/", { transports });
        await settled(c, transports);
        const sent = new Uint8Array([0, 1, 2, 253, 254, 255]);
        const res = await new Promise<unknown[]>((resolve) =>
          c.emit("binary", sent, { inner: [sent] }, (...a: unknown[]) => resolve(a))
        );
        assert.equal(res.length, 3);
        assert.deepEqual([...new Uint8Array(res[0] as ArrayBuffer)], [...sent]);
        const inner = (res[1] as { inner: ArrayBuffer[] }).inner[0]!;
        assert.deepEqual([...new Uint8Array(inner)], [...sent]);
        const extra = res[2] as { nested: ArrayBuffer[]; buf: ArrayBuffer };
        assert.deepEqual([...new Uint8Array(extra.nested[0]!)], [7, 8, 9]);
        assert.deepEqual([...new Uint8Array(extra.buf)], [1, 2]);
      });
    }

    it("a client ack that never comes times out on the client", async () => {
      const c = await connected(client(target()));
      await assert.rejects(c.timeout(150).emitWithAck("no-such-handler"), /operation has timed out/);
    });

    it("onAny and onAnyOutgoing see events; socket.use can refuse an event through the error event", async () => {
      const c = await connected(client(target()));
      await c.timeout(2000).emitWithAck("watch");
      c.emit("forbidden", 1);
      const [msg] = await once<[string]>(c, "socket-error");
      assert.equal(msg, "forbidden event");
      c.on("question", (_p: unknown, ack: (x: unknown) => void) => ack("a"));
      await c.timeout(2000).emitWithAck("ask", 1);
      await c.timeout(2000).emitWithAck("join", "watched");
      await c.timeout(2000).emitWithAck("bcast", { to: ["watched"] }, "room-news", 1);
      const seen = (await c.timeout(2000).emitWithAck("any-log")) as string[];
      assert.deepEqual(seen.filter((e) => e !== "in:any-log"), [
        "in:forbidden",
        "out:socket-error",
        "in:ask",
        "out:question",
        "in:join",
        "in:bcast",
        "out:room-news",
      ]);
    });

    it("emitting a reserved event name on the server throws, as in socket.io", async () => {
      const c = await connected(client(target()));
      for (const name of ["connect", "disconnect", "disconnecting", "newListener", "removeListener", "connect_error"]) {
        const r = (await c.timeout(2000).emitWithAck("emit-reserved", name)) as { threw: boolean; message: string };
        assert.equal(r.threw, true, name);
        assert.match(r.message, /reserved event name/);
      }
    });

    it("numeric event names reach string listeners", async () => {
      const c = await connected(client(target(), "/", { transports: ["websocket"] }));
      assert.equal(await c.timeout(2000).emitWithAck(123 as unknown as string), "numeric ok");
    });

    it("socket.data is kept and visible to fetchSockets", async () => {
      const c = await connected(client(target(), "/", { auth: { name: "zed" } }));
      await c.timeout(2000).emitWithAck("set-data", { name: "zed", score: 3 });
      const list = (await c.timeout(2000).emitWithAck("fetch", c.id)) as Array<{ id: string; data: unknown }>;
      assert.deepEqual(list, [{ id: c.id, rooms: [c.id], data: { name: "zed", score: 3 } }]);
    });

    const reasons: Array<[string, (c: ReturnType<typeof client>) => void, string]> = [
      ["client namespace disconnect", (c) => c.disconnect(), "client namespace disconnect"],
      ["server namespace disconnect", (c) => c.emit("disconnect-me", false), "server namespace disconnect"],
      ["server disconnect(true)", (c) => c.emit("disconnect-me", true), "server namespace disconnect"],
      ["transport close", (c) => c.io.engine.close(), "transport close"],
      ["engine closed by the server", (c) => c.emit("close-engine"), "forced close"],
      // a protocol violation, here a second CONNECT for "/" (the socket.io packet "0" in an engine message),
      // and an undecodable packet: over WebSocket socket.io 4.8 reports "forced close" for both (checked)
      [
        "protocol violation",
        (c) => (c.io.engine as unknown as { write(d: string): void }).write("0"),
        "forced close",
      ],
      ["undecodable packet", (c) => (c.io.engine as unknown as { write(d: string): void }).write("5"), "forced close"],
    ];
    for (const [label, act, expected] of reasons) {
      it(`disconnect reason: ${label}`, async () => {
        const c = await connected(client(target(), "/", { transports: ["websocket"] }));
        const id = c.id;
        act(c);
        await sleep(150);
        const observer = await connected(client(target()));
        const log = (await observer.timeout(2000).emitWithAck("log")) as Array<{ id: string; reason: string }>;
        const mine = log.filter((e) => e.id === id);
        assert.deepEqual(mine.map((e) => e.reason), [expected]);
      });
    }

    it("the client sees a server-side namespace disconnect as 'io server disconnect' and does not reconnect", async () => {
      const c = await connected(client(target(), "/", { reconnection: true }));
      c.emit("disconnect-me", false);
      const [reason] = await once<[string]>(c, "disconnect");
      assert.equal(reason, "io server disconnect");
      assert.equal(await arrives(c, "connect", 300), false);
    });
  });
};
export default section;
