/**
 * Behaviours found by running socket.io's own server test suite against Portio (issue 11), each checked
 * against the official `socket.io` server: how protocol violations close a connection (the exact bytes a
 * polling client gets), the socket `error` event for undecodable packets, packets after a DISCONNECT,
 * volatile packets on a busy transport, `err.responses`, dynamic namespaces, rooms left behind, and the
 * order of a recovered session's packets.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Section } from "../suite.ts";
import {
  client,
  closesWithin,
  connected,
  once,
  type RawPolling,
  rawPolling,
  rawWs,
  SINGLE_TRANSPORTS,
  sleep,
  type Target,
} from "../harness.ts";

/** GETs until `done(packets so far)`; pings are answered. Returns every packet received, in order. */
async function pollUntil(p: RawPolling, done: (packets: string[]) => boolean, ms = 3000): Promise<string[]> {
  const packets: string[] = [];
  const deadline = Date.now() + ms;
  while (!done(packets)) {
    if (Date.now() > deadline) throw new Error(`expected packets not received, got ${JSON.stringify(packets)}`);
    const res = await p.get();
    const body = await res.text();
    assert.equal(res.status, 200, `GET answered ${res.status}: ${body}`);
    for (const packet of body.split("\x1e")) {
      if (packet === "2") await (await p.post("3")).text();
      else packets.push(packet);
    }
  }
  return packets;
}

/** A raw polling session CONNECTed to "/" (its `40{…}` read). */
async function connectedPolling(target: Target): Promise<RawPolling> {
  const p = await rawPolling(target);
  assert.equal(await (await p.post("40")).text(), "ok");
  await pollUntil(p, (ps) => ps.some((x) => x.startsWith("40{")));
  return p;
}

/** The body of the next GET (a ping is answered and skipped); fails after `ms`. */
async function nextBody(p: RawPolling, ms = 3000): Promise<string> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (Date.now() > deadline) throw new Error("only pings: the session was not closed");
    const res = await p.get();
    const body = await res.text();
    if (body !== "2") return body;
    await (await p.post("3")).text();
  }
}

const section: Section = (target) => {
  describe("socket.io parity (socket.io's own test suite)", () => {
    describe("protocol violations close the connection cleanly", () => {
      // socket.io closes the engine session gracefully: the next poll gets a noop and the close packet
      // (`6\x1e1`, the bytes socket.io 4.8 sends), not 400 "Session ID unknown"
      it("a second CONNECT for the same namespace (polling) → the next GET is 6\\x1e1", async () => {
        const p = await connectedPolling(target());
        assert.equal(await (await p.post("40")).text(), "ok");
        assert.equal(await nextBody(p), "6\x1e1");
      });

      it("an EVENT before any CONNECT (polling) → the next GET is 6\\x1e1", async () => {
        const p = await rawPolling(target());
        assert.equal(await (await p.post('42["echo"]')).text(), "ok");
        assert.equal(await nextBody(p), "6\x1e1");
      });

      it("an invalid socket.io packet (polling) → the next GET is 6\\x1e1", async () => {
        const p = await connectedPolling(target());
        assert.equal(await (await p.post("4abc")).text(), "ok");
        // the fixture's "error" listener answers first (socket-error), then the session closes
        let body = await nextBody(p);
        if (body.startsWith('42["socket-error"')) body = await nextBody(p);
        assert.equal(body, "6\x1e1");
      });

      it("a second CONNECT for the same namespace (websocket) → closed", async () => {
        const r = await rawWs(target());
        r.ws.send("40");
        for (;;) if (String(await r.next()).startsWith("40{")) break;
        r.ws.send("40");
        assert.equal(await closesWithin(r), true);
      });
    });

    for (const transports of SINGLE_TRANSPORTS) {
      for (const [name, data] of [["raw binary data", "5woooot"], ["an empty binary packet", "5"]]) {
        it(`${name} → the socket's "error" event, then the connection closes (${transports[0]})`, async () => {
          const c = await connected(client(target(), "/", { transports }));
          const reported = once<[string]>(c, "socket-error"); // the fixture relays its "error" event
          const closed = once<[string]>(c, "disconnect");
          (c.io.engine as unknown as { write(d: string): void }).write(data!);
          const [message] = await reported;
          assert.match(message, /Illegal attachments/); // socket.io-parser's wording
          await closed;
        });
      }
    }

    it("an event the client sent just before its DISCONNECT is not dispatched (socket.io's rule)", async () => {
      // over polling the binary event's attachment and the DISCONNECT go in one POST: socket.io runs the
      // listener on the next tick, after the DISCONNECT, and then drops it
      const c = await connected(client(target(), "/", { transports: ["polling"] }));
      const id = c.id;
      c.emit("late", new Uint8Array(10));
      c.disconnect();
      await sleep(200);
      const observer = await connected(client(target()));
      const log = (await observer.timeout(2000).emitWithAck("log")) as Array<{ id: string; event: string }>;
      assert.deepEqual(log.filter((e) => e.id === id).map((e) => e.event), ["disconnect"]);
    });

    for (const transports of SINGLE_TRANSPORTS) {
      it(`volatile packets are dropped while the transport is busy (${transports[0]})`, async () => {
        const c = await connected(client(target(), "/", { transports }));
        await sleep(50);
        const got: number[] = [];
        c.on("v", (n: number) => got.push(n));
        c.emit("volatile-burst");
        await sleep(500);
        // 1 regular; 2 right after it: dropped; 3 after a pause: sent; 4 right after it: dropped
        assert.deepEqual(got, [1, 3]);
      });
    }

    it("emitWithAck with a timeout rejects with err.responses (the acks that arrived)", async () => {
      const asker = await connected(client(target()));
      const answering = await connected(client(target()));
      const silent = await connected(client(target()));
      for (const c of [answering, silent]) await c.timeout(2000).emitWithAck("join", "parity-acks");
      answering.on("poll", (_room: string, ack: (r: string) => void) => ack("yes"));
      silent.on("poll", () => {});
      const res = await asker.timeout(3000).emitWithAck("ask-room-with-ack", "parity-acks", 200);
      assert.deepEqual(res, { error: "operation has timed out", responses: ["yes"] });
    });

    describe("dynamic namespaces", () => {
      it("parentNamespace.to(room).emit() reaches the children's sockets in that room", async () => {
        const child = client(target(), "/dyn-7");
        await once(child, "welcome");
        const got = once<[string]>(child, "dyn-hello");
        const sender = await connected(client(target()));
        await sender.timeout(2000).emitWithAck("dyn-parent-emit", "dyn-room");
        const [room] = await got; // (a recovery offset may follow: the fixture has recovery on)
        assert.equal(room, "dyn-room");
      });

      it("cleanupEmptyChildNamespaces: an empty child is removed, and a client can connect to it again", async () => {
        const observer = await connected(client(target()));
        const a = client(target(), "/dyn-55");
        await once(a, "welcome");
        assert.equal(await observer.timeout(2000).emitWithAck("has-nsp", "/dyn-55"), true);
        a.disconnect();
        await sleep(200);
        assert.equal(await observer.timeout(2000).emitWithAck("has-nsp", "/dyn-55"), false);
        const b = client(target(), "/dyn-55");
        await once(b, "welcome");
        assert.equal(await b.timeout(2000).emitWithAck("echo", "again"), "again");
      });

      it('io.of("/dyn-100") created after a matching RegExp parent is its child (parent middleware and listeners)', async () => {
        const c = client(target(), "/dyn-100");
        const [w] = await once<[{ nsp: string }]>(c, "welcome"); // the parent's connection listener ran
        assert.equal(w.nsp, "/dyn-100");
        assert.deepEqual(await c.timeout(2000).emitWithAck("data"), { viaParent: true });
      });
    });

    describe("rooms are released", () => {
      it("rooms joined in a middleware that then refuses are gone from the store", async () => {
        const refused = client(target(), "/", { auth: { token: "join-then-refuse" } });
        const [err] = await once<[Error]>(refused, "connect_error");
        assert.equal(err.message, "refused after join");
        const observer = await connected(client(target()));
        const rooms = (await observer.timeout(2000).emitWithAck("store-rooms", "/")) as string[];
        assert.equal(rooms.includes("refused-room"), false, `rooms: ${rooms.join(", ")}`);
      });

      it("a join after the socket disconnected is ignored", async () => {
        const c = await connected(client(target()));
        const gone = once(c, "disconnect");
        c.emit("disconnect-then-join", "after-disconnect-room");
        await gone;
        const observer = await connected(client(target()));
        const rooms = (await observer.timeout(2000).emitWithAck("store-rooms", "/")) as string[];
        assert.equal(rooms.includes("after-disconnect-room"), false, `rooms: ${rooms.join(", ")}`);
      });
    });

    it("a recovered session gets its missed packets before the CONNECT, as socket.io sends them", async () => {
      const p = await rawPolling(target());
      assert.equal(await (await p.post("40")).text(), "ok");
      const first = await pollUntil(p, (ps) => ps.some((x) => x.startsWith("40{")));
      const { pid } = JSON.parse(first.find((x) => x.startsWith("40{"))!.slice(2)) as { pid: string };
      // a broadcast gives the raw session an offset
      assert.equal(await (await p.post('421["bcast",{},"parity-m0",0]')).text(), "ok");
      const got = await pollUntil(p, (ps) => ps.some((x) => x.startsWith('42["parity-m0"')));
      const m0 = JSON.parse(got.find((x) => x.startsWith('42["parity-m0"'))!.slice(2)) as unknown[];
      const offset = m0[m0.length - 1] as string;
      assert.equal(await (await p.post("1")).text(), "ok"); // the client closes: the session is kept
      await sleep(100);
      const sender = await connected(client(target()));
      await sender.timeout(2000).emitWithAck("bcast", {}, "parity-m1", 1);
      const again = await rawPolling(target());
      assert.equal(await (await again.post(`40${JSON.stringify({ pid, offset })}`)).text(), "ok");
      const packets = await pollUntil(again, (ps) => ps.some((x) => x.startsWith("40{")));
      const missed = packets.findIndex((x) => x.startsWith('42["parity-m1"'));
      const connect = packets.findIndex((x) => x.startsWith("40{"));
      assert.ok(missed !== -1, `missed packet not replayed: ${JSON.stringify(packets)}`);
      assert.ok(missed < connect, `the missed packet should come before the CONNECT: ${JSON.stringify(packets)}`);
      assert.equal(JSON.parse(packets[connect]!.slice(2)).pid, pid);
    });
  });
};

export default section;
