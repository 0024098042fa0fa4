/**
 * The `parser` option: the fixture's `/msgpack` server speaks socket.io-msgpack-parser, and the official
 * client with the same parser gets events, acks, binary, rooms and broadcasts over every transport. The raw
 * checks prove the wire really is msgpack (binary frames) and that undecodable input closes the connection.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import msgpackParser from "socket.io-msgpack-parser";
import type { Socket as ClientSocket } from "socket.io-client";
import type { Section } from "../suite.ts";
import {
  arrives,
  client,
  closesWithin,
  once,
  rawWs,
  settled,
  type Target,
  TRANSPORT_MATRIX,
  type Transports,
} from "../harness.ts";

const PATH = "/msgpack/";

function mp(target: Target, transports: Transports): ClientSocket {
  return client(target, "/", { path: PATH, parser: msgpackParser, transports });
}

/** msgpack hands binary back as a Buffer or an ArrayBuffer depending on the runtime's notepack build */
function bytes(v: unknown): number[] {
  if (v instanceof ArrayBuffer) return [...new Uint8Array(v)];
  if (ArrayBuffer.isView(v)) return [...new Uint8Array(v.buffer, v.byteOffset, v.byteLength)];
  throw new Error(`not binary: ${JSON.stringify(v)}`);
}

/** whether binary inside payloads round-trips on this runtime (see the workerd runner's known differences) */
const binaryWorks = (t: Target) => !t.knownDifferences["msgpack-browser-build-binary"];

const section: Section = (target) => {
  describe("custom parser (socket.io-msgpack-parser)", () => {
    for (const { label, transports } of TRANSPORT_MATRIX) {
      it(`${label}: events, acks and binary both ways`, async () => {
        const c = mp(target(), transports);
        const welcome = once<[{ id: string; bin: unknown }]>(c, "welcome");
        await settled(c, transports);
        const [w] = await welcome;
        assert.equal(w.id, c.id);
        const bin3 = binaryWorks(target());
        if (bin3) assert.deepEqual(bytes(w.bin), [1, 2, 3]);
        const [text, obj, bin] = await c.timeout(3000).emitWithAck("echo", [
          "héllo",
          { n: 1, a: [true, null] },
          bin3 ? new Uint8Array([9, 8, 7]) : null,
        ]);
        assert.equal(text, "héllo");
        assert.deepEqual(obj, { n: 1, a: [true, null] });
        if (bin3) assert.deepEqual(bytes(bin), [9, 8, 7]);
        // a server → client ack
        c.on("question", (q: string, ack: (a: string) => void) => ack(q + "!"));
        assert.deepEqual(await c.timeout(5000).emitWithAck("ask", "why"), { answer: "why!" });
      });
    }

    it("rooms, broadcasts and broadcast acks reach msgpack clients on both transports", async () => {
      const t = target();
      const a = mp(t, ["websocket"]);
      const b = mp(t, ["polling"]);
      const outsider = mp(t, ["websocket"]);
      await Promise.all([settled(a, ["websocket"]), settled(b, ["polling"]), settled(outsider, ["websocket"])]);
      await a.timeout(2000).emitWithAck("join", "r");
      await b.timeout(2000).emitWithAck("join", "r");
      const payload = { big: "x".repeat(2000), bin: binaryWorks(t) ? new Uint8Array([4, 5]) : null };
      const got = once<[{ big: string; bin: unknown }]>(b, "in-room");
      const stray = arrives(outsider, "in-room", 500);
      await a.timeout(2000).emitWithAck("to-room", "r", "in-room", payload);
      const [p] = await got;
      assert.equal(p.big.length, 2000);
      if (binaryWorks(t)) assert.deepEqual(bytes(p.bin), [4, 5]);
      assert.equal(await stray, false, "a socket outside the room got the room broadcast");
      const all = [a, b, outsider].map((s) => once<[number]>(s, "all"));
      await b.timeout(2000).emitWithAck("to-all", 42);
      assert.deepEqual((await Promise.all(all)).map(([n]) => n), [42, 42, 42]);
      for (const s of [a, b]) s.on("poll", (room: string, ack: (x: string) => void) => ack(`${s.id}:${room}`));
      const res = await outsider.timeout(4000).emitWithAck("ask-room", "r");
      assert.deepEqual(res, { error: null, responses: [`${a.id}:r`, `${b.id}:r`].sort() });
    });

    it("a room broadcast with binary reaches every WebSocket member, through native fan-out where there is one", async () => {
      const t = target();
      const members = [mp(t, ["websocket"]), mp(t, ["websocket"])];
      await Promise.all(members.map((s) => settled(s, ["websocket"])));
      for (const s of members) await s.timeout(2000).emitWithAck("join", "pub");
      const payload = { n: 7, bin: binaryWorks(t) ? new Uint8Array([9, 8, 7]) : null };
      const counts: Array<number | null> = [];
      for (let i = 0; i < 2; i++) {
        const got = members.map((s) => once<[{ n: number; bin: unknown }]>(s, "pub-msg"));
        counts.push(await members[0]!.timeout(2000).emitWithAck("room-all", "pub", "pub-msg", payload));
        for (const [p] of await Promise.all(got)) {
          assert.equal(p.n, 7);
          if (binaryWorks(t)) assert.deepEqual(bytes(p.bin), [9, 8, 7]);
        }
      }
      // Bun: one publish per broadcast (the binary frame as is); elsewhere no native fan-out
      if (counts[0] !== null) assert.equal(counts[1]! - counts[0]!, 1, "the binary room broadcast was not published");
    });

    it("the wire is msgpack: CONNECT and events are binary frames", async () => {
      const r = await rawWs(target(), PATH);
      const next = async () => {
        for (;;) {
          const m = await r.next();
          if (m !== "2") return m; // pings (rawWs answers them)
        }
      };
      const encoder = new msgpackParser.Encoder();
      for (const frame of encoder.encode({ type: 0, nsp: "/" }) as unknown as unknown[]) {
        r.ws.send(frame as Uint8Array);
      }
      const frames: unknown[] = [await next(), await next()];
      const decoder = new msgpackParser.Decoder();
      const packets: Array<{ type: number; data: unknown }> = [];
      decoder.on("decoded", (p: { type: number; data: unknown }) => packets.push(p));
      for (const f of frames) {
        assert.ok(Buffer.isBuffer(f), `expected a binary frame, got ${JSON.stringify(f)}`);
        decoder.add(f);
      }
      assert.equal(packets[0]!.type, 0); // CONNECT reply
      assert.equal(packets[1]!.type, 2); // the welcome EVENT
      assert.equal((packets[1]!.data as unknown[])[0], "welcome");
      r.ws.close();
    });

    it("an undecodable frame closes the connection, and the server keeps serving", async () => {
      const r = await rawWs(target(), PATH);
      r.ws.send(new Uint8Array([0xc1])); // never used in msgpack
      assert.ok(await closesWithin(r), "connection stayed open after a frame the parser cannot decode");
      const r2 = await rawWs(target(), PATH);
      const send = (packet: object) => {
        for (const f of new msgpackParser.Encoder().encode(packet) as unknown as unknown[]) r2.ws.send(f as Uint8Array);
      };
      send({ type: 0, nsp: "/" });
      for (let binary = 0; binary < 2;) if (typeof (await r2.next()) !== "string") binary++; // CONNECT reply, welcome
      // valid msgpack and a valid packet for the parser, but a reserved event name: refused as the default
      // parser refuses it
      send({ type: 2, nsp: "/", data: ["disconnect"] });
      assert.ok(await closesWithin(r2), "connection stayed open after a reserved event name");
      const c = mp(target(), ["websocket"]);
      await settled(c, ["websocket"]);
      assert.equal(await c.timeout(2000).emitWithAck("echo", 1), 1);
      assert.ok(target().alive());
    });
  });
};

export default section;
