/**
 * The Engine.IO session state machine (src/engine/socket.ts) and the packet codec (src/engine/packet.ts) on
 * their own: real PollingTransport and WebSocketTransport, a recording WebSocket and a hand-driven clock, so
 * each rule is checked exactly (limits at their boundary, the events apps observe, the upgrade's noop), not
 * only through what a client happens to notice end to end.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Scheduler } from "../../src/ports.ts";
import { EngineSocket, type SessionConfig } from "../../src/engine/socket.ts";
import { PollingTransport, WebSocketTransport } from "../../src/engine/transports.ts";
import { HeaderList } from "../../src/engine/http.ts";
import { createLogger } from "../../src/util/logger.ts";
import {
  decodePacket,
  decodePayload,
  encodeForPolling,
  encodeForWebSocket,
  encodePayload,
  EngineParseError,
  type Packet,
} from "../../src/engine/packet.ts";

/** Timers that run only when the test advances the clock. */
class ManualClock implements Scheduler {
  now = 0;
  #timers = new Map<number, { at: number; fn: () => void }>();
  #next = 0;
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.#next;
    this.#timers.set(id, { at: this.now + ms, fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }
  advance(ms: number): void {
    const until = this.now + ms;
    for (;;) {
      const due = [...this.#timers].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.#timers.delete(due[0]);
      this.now = due[1].at;
      due[1].fn();
    }
    this.now = until;
  }
}

function recordingWs() {
  const sent: Array<string | Uint8Array> = [];
  const closes: number[] = [];
  return {
    sent,
    closes,
    like: { send: (d: string | Uint8Array) => void sent.push(d), close: (c = 0) => void closes.push(c) },
  };
}

const request = { url: "http://x/engine.io/?EIO=4", method: "GET", headers: { get: () => null } };

function session(transport: PollingTransport | WebSocketTransport, over: Partial<SessionConfig> = {}) {
  const clock = new ManualClock();
  const config: SessionConfig = {
    pingInterval: 100,
    pingTimeout: 50,
    upgradeTimeout: 80,
    maxHttpBufferSize: 10,
    maxBufferedAmount: 4 * 1024 * 1024,
    upgrades: ["websocket"],
    scheduler: clock,
    logger: createLogger("engine"),
    ...over,
  };
  const s = new EngineSocket("sid1", request as never, "", transport, config);
  const closed: Array<[string, unknown]> = [];
  s.on("close", (reason, description) => void closed.push([reason, description]));
  return { s, clock, closed };
}

/** Parks a GET on a polling transport; resolves with the packets it delivers. */
const poll = (t: PollingTransport) =>
  t.handleGet(undefined, new HeaderList()).then((r) => decodePayload(r.body as string));

describe("engine packet codec", () => {
  it("maps every packet type code both ways", () => {
    const types = ["open", "close", "ping", "pong", "message", "upgrade", "noop"] as const;
    types.forEach((type, code) => {
      assert.deepEqual(decodePacket(String(code)), { type });
      assert.equal(encodeForWebSocket({ type }), String(code));
      assert.equal(encodeForPolling({ type, data: "x" }), `${code}x`);
    });
  });

  it("refuses what is not a packet with an EngineParseError", () => {
    for (const raw of ["", "7", "x", "9hello", "b%%%"]) {
      assert.throws(() => decodePacket(raw), EngineParseError, JSON.stringify(raw));
    }
  });

  it("payloads join with \\x1e, binary as b+base64, and read back", () => {
    const packets: Packet[] = [{ type: "message", data: "a" }, { type: "message", data: new Uint8Array([1, 2, 3]) }, {
      type: "ping",
    }];
    const text = encodePayload(packets);
    assert.equal(text, "4a\x1ebAQID\x1e2");
    assert.deepEqual(decodePayload(text), [packets[0], { type: "message", data: new Uint8Array([1, 2, 3]) }, {
      type: "ping",
    }]);
    assert.equal(encodePayload([]), "");
    assert.equal(encodeForWebSocket({ type: "message", data: new Uint8Array([9]) }).constructor, Uint8Array);
  });
});

describe("engine session", () => {
  it("accepts a packet of exactly maxHttpBufferSize, closes on one byte more", () => {
    const ws = recordingWs();
    const { s, closed } = session(new WebSocketTransport(ws.like));
    const got: unknown[] = [];
    s.on("message", (d) => void got.push(d));
    s.open();
    s.transport.events.onPacket("4" + "x".repeat(9)); // 10 bytes: the limit
    assert.deepEqual(got, ["x".repeat(9)]);
    assert.deepEqual(closed, []);
    s.transport.events.onPacket("4" + "x".repeat(10));
    assert.deepEqual(closed, [["transport error", "payload too large"]]);
    assert.deepEqual(ws.closes, [1009], "a WebSocket is closed with 1009 (message too big)");
  });

  it("write() is send(): buffered until a GET, flushed with one flush event and a drain, length reported", async () => {
    const t = new PollingTransport();
    const { s } = session(t);
    s.open();
    assert.deepEqual((await poll(t)).map((p) => p.type), ["open"]);
    const flushed: number[] = [];
    let drains = 0;
    s.on("flush", (buffer) => void flushed.push(buffer.length));
    s.on("drain", () => void drains++);
    let written = false;
    s.write("a", undefined, () => (written = true));
    s.send("b", { compress: false });
    s.sendMany(["c", new Uint8Array([1])]);
    assert.equal(s.writeBufferLength, 4, "nothing parked: all four wait");
    assert.equal(written, false);
    const got = await poll(t);
    assert.deepEqual(got.map((p) => p.data), ["a", "b", "c", new Uint8Array([1])]);
    assert.equal(s.writeBufferLength, 0);
    assert.deepEqual(flushed, [4]);
    assert.equal(drains, 1);
    assert.equal(written, true, "the write callback runs once its buffer was flushed");
  });

  it("packetCreate sees each packet with its compress flag; a parked GET takes a message at once", async () => {
    const t = new PollingTransport();
    const { s } = session(t);
    s.open();
    await poll(t);
    const created: Packet[] = [];
    s.on("packetCreate", (p) => void created.push({ ...p }));
    const parked = poll(t);
    s.send("x", { compress: true });
    s.send("y");
    assert.deepEqual(created, [{ type: "message", data: "x", compress: true }, { type: "message", data: "y" }]);
    assert.deepEqual((await parked).map((p) => p.data), ["x"]);
    assert.deepEqual((await poll(t)).map((p) => p.data), ["y"]);
    // several packets (an event with attachments) go out together on the GET that is parked
    const next = poll(t);
    s.sendMany(["51-[...]", new Uint8Array([7])]);
    assert.deepEqual((await next).map((p) => p.data), ["51-[...]", new Uint8Array([7])]);
  });

  it("heartbeat: a ping every pingInterval, a pong re-arms it, a missing pong closes with ping timeout", () => {
    const ws = recordingWs();
    const { s, clock, closed } = session(new WebSocketTransport(ws.like));
    let beats = 0;
    s.on("heartbeat", () => void beats++);
    s.open();
    clock.advance(99);
    assert.deepEqual(ws.sent.slice(1), [], "no ping before pingInterval");
    clock.advance(1);
    assert.deepEqual(ws.sent.slice(1), ["2"]);
    clock.advance(49);
    s.transport.events.onPacket("3");
    assert.equal(beats, 1);
    clock.advance(99);
    assert.deepEqual(ws.sent.slice(1), ["2"], "the next ping waits a full interval after the pong");
    clock.advance(1);
    assert.deepEqual(ws.sent.slice(1), ["2", "2"]);
    clock.advance(49);
    assert.deepEqual(closed, []);
    clock.advance(1);
    assert.deepEqual(closed, [["ping timeout", undefined]]);
    assert.equal(s.readyState, "closed");
  });

  it("a client ping, an open or an upgrade on the active transport is a parse error; a close packet a transport close", () => {
    for (
      const [raw, reason] of [["2", "parse error"], ["0", "parse error"], ["5", "parse error"], [
        "1",
        "transport close",
      ]]
    ) {
      const ws = recordingWs();
      const { s, closed } = session(new WebSocketTransport(ws.like));
      s.open();
      s.transport.events.onPacket(raw!);
      assert.equal(closed[0]?.[0], reason, raw);
      assert.equal(s.readyState, "closed");
      assert.deepEqual(ws.closes, [1000], "the WebSocket is closed normally (RFC 6455 1000)");
    }
  });

  it("upgrade: 3probe, a parked GET released with a noop, then the buffer goes over the WebSocket", async () => {
    const t = new PollingTransport();
    const { s, clock } = session(t);
    s.open();
    await poll(t);
    const parked = poll(t);
    const ws = recordingWs();
    const wt = new WebSocketTransport(ws.like);
    let upgraded = false;
    s.on("upgrade", () => (upgraded = true));
    s.maybeUpgrade(wt);
    wt.events.onPacket("2probe");
    assert.deepEqual(ws.sent, ["3probe"]);
    assert.deepEqual(await parked, [{ type: "noop" }], "the pending poll is released so the client can pause");
    s.send("after-probe");
    wt.events.onPacket("5");
    assert.equal(upgraded, true);
    assert.equal(s.transport, wt);
    assert.deepEqual(ws.sent, ["3probe", "4after-probe"]);
    clock.advance(80); // upgradeTimeout: its timer is gone, nothing closes the WebSocket
    assert.deepEqual(ws.closes, []);
    assert.equal(s.readyState, "open");
  });

  it("an upgrade that never completes is dropped after upgradeTimeout, the session stays on polling", async () => {
    const t = new PollingTransport();
    const { s, clock, closed } = session(t, { pingInterval: 10_000 });
    s.open();
    await poll(t);
    const ws = recordingWs();
    s.maybeUpgrade(new WebSocketTransport(ws.like));
    clock.advance(79);
    assert.deepEqual(ws.closes, []);
    clock.advance(1);
    assert.deepEqual(ws.closes, [1000]);
    assert.equal(s.upgrading, false);
    assert.deepEqual(closed, []);
    s.send("still polling");
    assert.deepEqual((await poll(t)).map((p) => p.data), ["still polling"]);
  });

  it("close() flushes what is buffered before the close packet", async () => {
    const t = new PollingTransport();
    const { s, closed } = session(t);
    s.open();
    await poll(t);
    s.send("last words");
    const got: unknown[] = [];
    s.on("message", (d) => void got.push(d));
    s.close();
    assert.equal(s.readyState, "closing");
    t.events.onPacket("4too late");
    assert.deepEqual(got, [], "a closing session reads nothing more");
    assert.deepEqual((await poll(t)).map((p) => p.data), ["last words"]);
    // socket.io's closing bytes on polling: a noop, then the close packet (`6\x1e1`)
    assert.deepEqual(await poll(t), [{ type: "noop" }, { type: "close" }]);
    assert.deepEqual(closed, [["forced close", undefined]]);
    assert.equal(s.readyState, "closed");
  });

  it("close(true) discards what is buffered: the next GET carries only the closing noop and close packet", async () => {
    const t = new PollingTransport();
    const { s, closed } = session(t);
    s.open();
    await poll(t);
    s.send("never sent");
    s.close(true);
    assert.deepEqual(await poll(t), [{ type: "noop" }, { type: "close" }]);
    assert.deepEqual(closed, [["forced close", undefined]]);
  });

  it("a session that closes mid-upgrade closes the probe WebSocket normally too", async () => {
    const t = new PollingTransport();
    const { s, clock, closed } = session(t, { upgradeTimeout: 10_000 });
    s.open();
    await poll(t);
    const ws = recordingWs();
    s.maybeUpgrade(new WebSocketTransport(ws.like));
    clock.advance(150); // ping at 100, no pong by 150: ping timeout while the probe is pending
    assert.deepEqual(closed.map((c) => c[0]), ["ping timeout"]);
    assert.deepEqual(ws.closes, [1000]);
  });
});
