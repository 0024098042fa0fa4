/** Events and acknowledgements both ways, timeouts, binary, catch-all listeners, socket middleware. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Section } from "../suite.ts";
import { arrives, client, connected, logOf, once, rawWs, settled, TRANSPORT_MATRIX } from "../harness.ts";

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
        // different bytes in every attachment position: an index mix-up cannot pass unnoticed
        const first = new Uint8Array([0, 1, 2, 253, 254, 255]);
        const second = new Uint8Array([10, 20, 30]);
        const res = await new Promise<unknown[]>((resolve) =>
          c.emit("binary", first, { inner: [second] }, (...a: unknown[]) => resolve(a))
        );
        assert.equal(res.length, 3);
        assert.deepEqual([...new Uint8Array(res[0] as ArrayBuffer)], [...first]);
        const inner = (res[1] as { inner: ArrayBuffer[] }).inner[0]!;
        assert.deepEqual([...new Uint8Array(inner)], [...second]);
        const extra = res[2] as { nested: ArrayBuffer[]; buf: ArrayBuffer };
        assert.deepEqual([...new Uint8Array(extra.nested[0]!)], [7, 8, 9]);
        assert.deepEqual([...new Uint8Array(extra.buf)], [1, 2]);
      });

      // not over WebTransport: engine.io-parser's stream framing (the official client's, and socket.io's server)
      // refuses a zero-length frame, so an empty attachment closes that connection with socket.io too
      if (transports.includes("webtransport")) continue;
      it(`an empty attachment both ways, and the connection stays (${label})`, async () => {
        // found by the fuzzer (test/fuzz): Bun's send() answers 0 for an empty frame it did send, and the
        // adapter took that for a dropped frame and closed the connection
        const c = client(target(), "/", { transports });
        await settled(c, transports);
        const res = await new Promise<unknown[]>((resolve, reject) =>
          c.timeout(3000).emit(
            "echo",
            new Uint8Array(0),
            "after",
            (err: Error | null, ...a: unknown[]) => err ? reject(err) : resolve(a),
          )
        );
        assert.equal((res[0] as ArrayBuffer).byteLength, 0);
        assert.equal(res[1], "after");
        assert.equal(await c.timeout(3000).emitWithAck("echo", "still connected"), "still connected");
      });
    }

    it("an event nobody handles gets no ack: the client's timeout fires, later acks keep their ids", async () => {
      // raw: the server must never answer ack 1 (no handler), and must answer ack 2 with its own id
      const r = await rawWs(target());
      r.ws.send("40");
      await r.next(); // CONNECT reply
      r.ws.send('421["no-such-handler"]');
      r.ws.send('422["echo","x"]');
      r.ws.send('423["echo","y"]');
      const acks: string[] = [];
      while (acks.length < 2) {
        const m = String(await r.next());
        if (m.startsWith("43")) acks.push(m);
      }
      assert.deepEqual(acks, ['432["x"]', '433["y"]']);
      r.ws.close();
      // the official client sees the missing ack as its own timeout
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
        const mine = await logOf(target(), { id });
        assert.deepEqual(mine.map((e) => e.reason), [expected]);
      });
    }

    it("the client sees a server-side namespace disconnect as 'io server disconnect' and does not reconnect", async () => {
      // a reconnect would start after 50 ms (no jitter): 600 ms without one is a real "no"
      const c = await connected(
        client(target(), "/", { reconnection: true, reconnectionDelay: 50, randomizationFactor: 0 }),
      );
      c.emit("disconnect-me", false);
      const [reason] = await once<[string]>(c, "disconnect");
      assert.equal(reason, "io server disconnect");
      assert.equal(await arrives(c, "connect", 600), false);
    });
  });
};
export default section;
