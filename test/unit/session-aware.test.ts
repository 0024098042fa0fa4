/**
 * The in-memory recovery log (src/rooms/session-aware.ts) on its own, with mocked time: which packets a
 * restored session gets, in order, and what is gone after `maxDisconnectionDuration`.
 */
import { afterEach, describe, it, mock } from "node:test";
import assert from "node:assert/strict";
import { Server } from "../../src/index.ts";
import { PacketType } from "../../src/runtime.ts";
import { SessionAwareAdapter } from "../../src/rooms/session-aware.ts";

const packet = (data: unknown[]) => ({ type: PacketType.EVENT, nsp: "/", data });

function store(maxDisconnectionDuration: number) {
  const io = new Server({
    connectionStateRecovery: {},
    adapter: (nsp) => new SessionAwareAdapter(nsp, maxDisconnectionDuration),
  });
  return { io, adapter: io.sockets.adapter as SessionAwareAdapter };
}

/** the offset the store appended to the last packet it stored */
const lastOffset = (p: { data: unknown[] }) => p.data.at(-1) as string;

describe("SessionAwareAdapter", () => {
  afterEach(() => mock.timers.reset());

  it("replays the packets after the offset that concern the session's rooms, in order, once", async () => {
    const { io, adapter } = store(60_000);
    const first = packet(["m", "first"]);
    adapter.broadcast(first, { rooms: new Set() });
    const sent: number[] = [];
    for (let i = 0; i < 30; i++) {
      const rooms = new Set(i % 3 === 0 ? ["other"] : i % 3 === 1 ? ["r"] : []);
      const except = new Set(i % 5 === 0 ? ["vip"] : []);
      if (i % 3 !== 0 && i % 5 !== 0) sent.push(i);
      adapter.broadcast(packet(["m", i]), { rooms, except });
    }
    adapter.broadcast({ ...packet(["m", "acked"]), id: 7 }, { rooms: new Set() }); // expects acks: not stored
    adapter.broadcast(packet(["m", "volatile"]), { rooms: new Set(), flags: { volatile: true } });
    adapter.persistSession({ sid: "s", pid: "p", rooms: ["s", "r", "vip"], data: { n: 1 } });
    const session = await adapter.restoreSession("p", lastOffset(first));
    assert.ok(session);
    assert.deepEqual(session.missedPackets.map((p) => p[1]), sent);
    assert.deepEqual(session.data, { n: 1 });
    assert.equal(await adapter.restoreSession("p", lastOffset(first)), null, "restored twice");
    assert.equal(await adapter.restoreSession("unknown", lastOffset(first)), null);
    adapter.persistSession({ sid: "s2", pid: "p2", rooms: ["s2"], data: null });
    assert.equal(await adapter.restoreSession("p2", "not-an-offset"), null, "an unknown offset: a fresh session");
    await io.close();
  });

  it("an offset older than maxDisconnectionDuration is swept: the session starts fresh", async () => {
    mock.timers.enable({ apis: ["setInterval", "Date"], now: 1_000_000 });
    const { io, adapter } = store(1000);
    const old = packet(["m", "old"]);
    adapter.broadcast(old, { rooms: new Set() }); // the last packet this client saw
    mock.timers.tick(2000); // two sweeps: the packet is older than 1000 ms at the second
    adapter.persistSession({ sid: "s", pid: "p", rooms: ["s"], data: null });
    assert.equal(await adapter.restoreSession("p", lastOffset(old)), null, "replayed from a swept offset");
    await io.close();
  });

  it("a session disconnected longer than maxDisconnectionDuration is not restored", async () => {
    mock.timers.enable({ apis: ["setInterval", "Date"], now: 1_000_000 });
    const { io, adapter } = store(1000);
    const seen = packet(["m", "seen"]);
    adapter.broadcast(seen, { rooms: new Set() });
    adapter.persistSession({ sid: "s", pid: "p", rooms: ["s"], data: null });
    mock.timers.tick(1001);
    assert.equal(await adapter.restoreSession("p", lastOffset(seen)), null);
    await io.close();
  });
});
