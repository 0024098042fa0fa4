/**
 * WebTransport on Deno, beyond the shared suite (suite.deno.ts): the official client next to a WebSocket
 * client in one room, heartbeats, recovery after a dropped session, disconnects, the `upgrades` list, and
 * hostile input on the stream (oversized and malformed frames, stalls, a client that stops reading). Runs
 * under Deno (`--unstable-net`) against the Deno fixture process (test/fixture/deno-webtransport.ts).
 */
import { after, afterEach, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createPacketDecoderStream, type Packet } from "engine.io-parser";
import type { Socket as ClientSocket } from "socket.io-client";
import "./client-shims.ts";
import { hashBytes, makeCertificate } from "../../examples/webtransport/cert.ts";
import {
  client as ioClient,
  clientDefaults,
  closeClients,
  connected,
  logOf,
  once,
  settled,
  startProcess,
  type Target,
  waitFor,
} from "../e2e/harness.ts";

const cert = await makeCertificate({ days: 2 });
const hashes = [{ algorithm: "sha-256", value: hashBytes(cert.hash) }];
clientDefaults.transportOptions = { webtransport: { serverCertificateHashes: hashes } };

let target: Target;
const raws: WebTransport[] = [];

function client(transports: Array<"polling" | "websocket" | "webtransport">, opts = {}): ClientSocket {
  return ioClient(target, "/", { transports, ...opts });
}

/** A raw WebTransport session on `path`: bytes out, packets in (decoded by the official engine.io-parser). */
async function rawWt(path = "/socket.io/") {
  const wt = new WebTransport(`${target.url.replace("http:", "https:")}${path}`, { serverCertificateHashes: hashes });
  raws.push(wt);
  const closed = wt.closed.then((info) => info, (err) => ({ closeCode: -1, reason: String(err) }));
  await wt.ready;
  const stream = await wt.createBidirectionalStream();
  const writer = stream.writable.getWriter();
  const packets = stream.readable.pipeThrough(createPacketDecoderStream(1e9, "arraybuffer")).getReader();
  return {
    wt,
    closed,
    send: (bytes: number[] | Uint8Array) => writer.write(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)),
    /** one text packet as a frame (short packets only: one-byte length) */
    text: (s: string) => {
      const b = new TextEncoder().encode(s);
      return writer.write(new Uint8Array([b.byteLength, ...b]));
    },
    next: async (): Promise<Packet> => {
      const { value, done } = await packets.read();
      if (done) throw new Error("stream ended");
      return value as Packet;
    },
    /** never read again (the stalled client) */
    stopReading: () => packets.releaseLock(),
  };
}

/** Resolves the session's close info, or fails after `ms`. */
async function closedWithin(closed: Promise<{ closeCode?: number; reason?: string }>, ms = 3000) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`session still open after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([closed, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The fixture still serves: a fresh WebTransport client connects and gets an ack. */
async function stillServes(): Promise<void> {
  assert.ok(target.alive(), "the fixture process crashed");
  const c = client(["webtransport"]);
  await connected(c);
  assert.equal(await c.timeout(3000).emitWithAck("echo", "alive"), "alive");
}

describe("WebTransport on Deno", () => {
  before(async () => {
    target = await startProcess(
      "deno-webtransport",
      ["node_modules/.bin/deno", "run", "-A", "--unstable-net", "--no-check", "test/fixture/deno-webtransport.ts"],
      { WT_CERT: cert.cert, WT_KEY: cert.key },
    );
  });
  after(async () => {
    closeClients();
    await target?.stop();
  });
  afterEach(() => {
    closeClients();
    for (const wt of raws.splice(0)) wt.close();
  });

  describe("with the official client", () => {
    it("the handshake lists webtransport in upgrades; an HTTP request for it is an unknown transport", async () => {
      const res = await fetch(`${target.url}/socket.io/?EIO=4&transport=polling`);
      const open = JSON.parse((await res.text()).slice(1));
      assert.deepEqual(open.upgrades, ["websocket", "webtransport"]);
      const wrong = await fetch(`${target.url}/socket.io/?EIO=4&transport=webtransport`);
      assert.equal(wrong.status, 400);
      assert.deepEqual(await wrong.json(), { code: 0, message: "Transport unknown" });
    });

    it("a WebTransport client and a WebSocket client in one room reach each other", async () => {
      const wt = client(["webtransport"]);
      const ws = client(["websocket"]);
      await settled(wt, ["webtransport"]);
      await settled(ws, ["websocket"]);
      assert.equal(wt.io.engine.transport.name, "webtransport");
      await wt.timeout(2000).emitWithAck("join", "mixed");
      await ws.timeout(2000).emitWithAck("join", "mixed");
      const toWt = once<[string]>(wt, "hello");
      await ws.timeout(2000).emitWithAck("bcast", { from: "socket", to: ["mixed"] }, "hello", "from ws");
      assert.equal((await toWt)[0], "from ws"); // then the recovery offset
      const toWs = once<[unknown, string]>(ws, "hello");
      const bytes = new Uint8Array([1, 2, 250]);
      await wt.timeout(2000).emitWithAck("bcast", { from: "socket", to: ["mixed"] }, "hello", bytes);
      const [got] = await toWs;
      assert.deepEqual([...new Uint8Array(got as ArrayBuffer)], [1, 2, 250]);
    });

    it("heartbeat: the client answers pings over WebTransport and stays connected", async () => {
      // /limits/: pingInterval 150, pingTimeout 150: six intervals
      const c = ioClient(target, "/", { path: "/limits/", transports: ["webtransport"] });
      await connected(c);
      let pings = 0;
      c.io.engine.on("ping", () => pings++);
      await waitFor(() => pings >= 6, 5000, "six pings");
      assert.equal(c.connected, true);
      assert.equal(await c.timeout(2000).emitWithAck("echo", "still"), "still");
    });

    it("heartbeat timeout: an official client whose pongs stop is closed with 'ping timeout'", async () => {
      const c = ioClient(target, "/", { path: "/limits/", transports: ["webtransport"] });
      await connected(c);
      const id = c.id!;
      const gone = once<[string]>(c, "disconnect", 5000);
      // the client keeps reading but writes nothing more: its pongs never leave (pingTimeout 150 ms)
      (c.io.engine.transport as unknown as { write: () => void }).write = () => {};
      await gone;
      const [line] = await logOf(target, { id });
      assert.equal(line!.reason, "ping timeout");
    });

    it("disconnects both ways: the server sees the client leave, the client sees 'io server disconnect'", async () => {
      const a = client(["webtransport"]);
      await connected(a);
      const id = a.id!;
      a.disconnect();
      const [line] = await logOf(target, { id });
      // engine.io-client closes its WebTransport session as soon as the disconnect packet is handed to the
      // stream, before it is sent (WT.doClose does not wait for the writer): the server sees the session end,
      // as socket.io's own server does with this client
      assert.equal(line!.reason, "transport close");
      const b = client(["webtransport"]);
      await connected(b);
      const gone = once<[string]>(b, "disconnect");
      b.emit("disconnect-me", true);
      assert.equal((await gone)[0], "io server disconnect");
    });

    it("a dropped WebTransport session is recovered: same id, rooms, and the missed broadcast", async () => {
      const c = client(["webtransport"], { reconnection: true, reconnectionDelay: 100, randomizationFactor: 0 });
      await connected(c);
      await c.timeout(2000).emitWithAck("join", "rec-room");
      const id = c.id!;
      const other = client(["websocket"]);
      await connected(other);
      // the network drops the session (the client's own WebTransport object goes away, no close packet)
      const dropped = once<[string]>(c, "disconnect");
      (c.io.engine.transport as unknown as { _transport: WebTransport })._transport.close();
      assert.equal((await dropped)[0], "transport close");
      await logOf(target, { id }); // the server saw it too
      await other.timeout(2000).emitWithAck("bcast", { from: "io", to: ["rec-room"] }, "missed", 42);
      const missed = once<[number, string]>(c, "missed");
      await once(c, "connect", 5000);
      assert.equal(c.recovered, true);
      assert.equal(c.id, id);
      assert.equal((await missed)[0], 42);
      assert.equal(c.io.engine.transport.name, "webtransport");
    });

    it("volatile packets are dropped while the stream is busy (webtransport)", async () => {
      const c = client(["webtransport"]);
      await connected(c);
      const got: number[] = [];
      c.on("v", (n: number) => got.push(n));
      c.emit("volatile-burst");
      await waitFor(() => got.includes(3), 3000, "the volatile packet sent after a pause");
      await new Promise((r) => setTimeout(r, 200));
      // 1 regular; 2 right after it: dropped; 3 after a pause: sent; 4 right after it: dropped
      assert.deepEqual(got, [1, 3]);
    });

    it("a polling session upgrades to WebTransport and keeps its packets in order", async () => {
      const c = client(["polling", "webtransport"]);
      const seq: number[] = [];
      c.on("seq", (i: number) => seq.push(i));
      await connected(c);
      c.emit("burst", 200); // spread over turns: overlaps the upgrade
      await settled(c, ["polling", "webtransport"]);
      await waitFor(() => seq.length === 200, 5000, "200 messages");
      assert.deepEqual(seq, [...Array(200).keys()]);
    });
  });

  describe("hostile input on the stream", () => {
    it("an oversized frame is refused from its header (1009), the server goes on", async () => {
      const r = await rawWt("/limits/");
      await r.text("0");
      assert.equal((await r.next()).type, "open");
      await r.send([126, 0x13, 0x88]); // a 5000-byte frame announced, maxHttpBufferSize is 1000
      const info = await closedWithin(r.closed);
      assert.equal(info.closeCode, 1009);
      await stillServes();
    });

    it("a 64-bit length past 2^53 is refused", async () => {
      const r = await rawWt("/limits/");
      await r.text("0");
      await r.next();
      await r.send([127, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
      assert.equal((await closedWithin(r.closed)).closeCode, 1009);
    });

    for (
      const [label, bytes] of [
        ["an empty frame", [0]],
        ["text that is not UTF-8", [2, 0x34, 0xff]],
        ["an unknown packet type", [2, 0x39, 0x39]],
        ["a second open packet", [1, 0x30]],
      ] as const
    ) {
      it(`${label} after the open closes the session`, async () => {
        const r = await rawWt("/limits/");
        await r.text("0");
        await r.next();
        await r.send([...bytes]);
        const info = await closedWithin(r.closed);
        assert.notEqual(info.closeCode, -1, `closed by the server, not the network: ${info.reason}`);
      });
    }

    it("a first packet that is not an open packet, or an unknown sid, is refused (4403)", async () => {
      const r = await rawWt();
      await r.text('42["hi"]');
      assert.equal((await closedWithin(r.closed)).closeCode, 4403);
      const s = await rawWt();
      await s.text('0{"sid":"nope"}');
      assert.equal((await closedWithin(s.closed)).closeCode, 4403);
    });

    it("a session that opens no stream, or stalls inside the open frame, is closed after upgradeTimeout", async () => {
      const url = `${target.url.replace("http:", "https:")}/limits/`;
      const idle = new WebTransport(url, { serverCertificateHashes: hashes });
      raws.push(idle);
      const idleClosed = idle.closed.then((i) => i, (e) => ({ closeCode: -1, reason: String(e) }));
      await idle.ready;
      assert.equal((await closedWithin(idleClosed, 3000)).closeCode, 4403); // upgradeTimeout 300 ms
      const half = await rawWt("/limits/");
      await half.send([5, 0x30]); // 5 bytes announced, 1 sent
      assert.equal((await closedWithin(half.closed, 3000)).closeCode, 4403);
    });

    it("a QUIC connection that never asks for a WebTransport session is closed (handshakeTimeout)", async () => {
      const conn = await Deno.connectQuic({
        hostname: "127.0.0.1",
        port: Number(new URL(target.url).port),
        serverName: "localhost",
        alpnProtocols: ["h3"],
        caCerts: [cert.cert],
      });
      const info = await closedWithin(conn.closed, 5000); // the fixture's handshakeTimeout is 1000 ms
      assert.equal(info.reason, "no WebTransport session in time");
      await stillServes();
    });

    it("a second stream does not disturb the session on the first", async () => {
      // the server cancels any further stream (src/engine/webtransport.ts, refuseMoreStreams); Deno 2.9's
      // client does not observe a peer's cancel or abort, so only the session's going on is checked here
      const r = await rawWt();
      await r.text("0");
      assert.equal((await r.next()).type, "open");
      const extra = await r.wt.createBidirectionalStream();
      await extra.writable.getWriter().write(new Uint8Array([1, 0x30]));
      await r.text("40");
      assert.equal((await r.next()).type, "message"); // the CONNECT reply on the first stream
    });

    it("a client that stops answering pings is closed by the heartbeat", async () => {
      const r = await rawWt("/limits/");
      await r.text("0");
      assert.equal((await r.next()).type, "open");
      assert.equal((await r.next()).type, "ping"); // pingInterval 150
      const info = await closedWithin(r.closed, 3000); // pingTimeout 150
      assert.notEqual(info.closeCode, -1);
    });

    it("a client that stops reading is closed as a slow consumer (1013), not buffered without bound", async () => {
      const r = await rawWt();
      await r.text("0");
      await r.next();
      await r.text("40");
      assert.equal((await r.next()).data?.toString().startsWith("0"), true); // CONNECT
      await r.text('421["join","slow-wt"]');
      await r.next();
      r.stopReading();
      const flooder = client(["websocket"]);
      await connected(flooder);
      // 2000 × 10 kB to the room: far past maxBufferedAmount (4 MiB) once the QUIC window is full
      void flooder.timeout(20_000).emitWithAck("flood", "slow-wt", 2000, 10_000).catch(() => {});
      const info = await closedWithin(r.closed, 15_000);
      assert.equal(info.closeCode, 1013);
      await stillServes();
    });
  });
});
