/**
 * The runtime-agnostic pieces behind the Cloudflare entry, with fakes instead of workerd: the alarm-driven
 * scheduler, the heartbeat after a wake, recovery kept in a key-value storage, and a whole hibernation
 * cycle (a connection restored into a brand-new Server from its attachment and storage).
 */
// deno-lint-ignore-file require-await -- the storage stand-in implements an async API over a Map: nothing to await
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Server, type ServerOptions } from "../../src/index.ts";
import { PacketType, type WebSocketHandler } from "../../src/runtime.ts";
import { type KeyValueStorage, StorageSessionAdapter } from "../../src/room-store.ts";
import { AlarmScheduler, heartbeatAfterWake, Hibernation } from "../../src/hibernation/index.ts";

/**
 * Durable Object storage's key-value API over a Map (keys listed in order, as storage does; at most 128 keys
 * per batch call, as storage enforces).
 */
class MemoryStorage implements KeyValueStorage {
  readonly map = new Map<string, unknown>();
  #batch(n: number): void {
    if (n > 128) throw new RangeError(`${n} keys in one call: Durable Object storage takes at most 128`);
  }
  alarm: number | null = null;
  alarmCalls = 0;
  get<T>(key: string): Promise<T | undefined>;
  get<T>(keys: string[]): Promise<Map<string, T>>;
  async get(k: string | string[]): Promise<unknown> {
    if (Array.isArray(k)) {
      this.#batch(k.length);
      return new Map(k.filter((x) => this.map.has(x)).map((x) => [x, structuredClone(this.map.get(x))]));
    }
    return structuredClone(this.map.get(k));
  }
  put<T>(key: string, value: T): Promise<void>;
  put<T>(entries: Record<string, T>): Promise<void>;
  async put(k: string | Record<string, unknown>, v?: unknown): Promise<void> {
    if (typeof k === "string") this.map.set(k, structuredClone(v));
    else {
      this.#batch(Object.keys(k).length);
      for (const [kk, vv] of Object.entries(k)) this.map.set(kk, structuredClone(vv));
    }
  }
  delete(key: string): Promise<boolean>;
  delete(keys: string[]): Promise<number>;
  async delete(k: string | string[]): Promise<boolean | number> {
    if (Array.isArray(k)) {
      this.#batch(k.length);
      return k.filter((x) => this.map.delete(x)).length;
    }
    return this.map.delete(k);
  }
  async list<T>(
    o: { start?: string; end?: string; prefix?: string; reverse?: boolean; limit?: number } = {},
  ): Promise<Map<string, T>> {
    let keys = [...this.map.keys()].sort().filter((k) =>
      (!o.prefix || k.startsWith(o.prefix)) && (o.start === undefined || k >= o.start) &&
      (o.end === undefined || k < o.end)
    );
    if (o.reverse) keys.reverse();
    if (o.limit !== undefined) keys = keys.slice(0, o.limit);
    return new Map(keys.map((k) => [k, structuredClone(this.map.get(k)) as T]));
  }
  async setAlarm(t: number): Promise<void> {
    this.alarm = t;
    this.alarmCalls++;
  }
  async deleteAlarm(): Promise<void> {
    this.alarm = null;
    this.alarmCalls++;
  }
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe("AlarmScheduler", () => {
  it("heartbeat timers share one alarm set for the earliest; others are real timers", async () => {
    const storage = new MemoryStorage();
    let now = 1_000_000;
    const s = new AlarmScheduler(storage, { now: () => now, maxCoalesce: 0 });
    const fired: string[] = [];
    const late = s.setTimeout(() => fired.push("late"), 25_000, "heartbeat");
    s.setTimeout(() => fired.push("early"), 5_000, "heartbeat");
    await tick();
    assert.equal(storage.alarm, now + 5_000);
    assert.equal(storage.alarmCalls, 1, "one storage call for both timers");
    let real = false;
    s.clearTimeout(s.setTimeout(() => (real = true), 1)); // not a heartbeat: a real, clearable timer
    await new Promise((r) => setTimeout(r, 5));
    assert.equal(real, false);
    now += 5_000;
    s.fire();
    assert.deepEqual(fired, ["early"]);
    await tick();
    assert.equal(storage.alarm, 1_000_000 + 25_000, "re-armed for the next one");
    s.clearTimeout(late);
    await tick();
    assert.equal(storage.alarm, null, "no timer left: the alarm is deleted");
    assert.equal(s.size, 0);
  });

  it("a timer a little later than the one due runs with it (at most a tenth of its delay early)", async () => {
    const storage = new MemoryStorage();
    let now = 0;
    const s = new AlarmScheduler(storage, { now: () => now });
    const fired: number[] = [];
    s.setTimeout(() => fired.push(1), 10_000, "heartbeat");
    s.setTimeout(() => fired.push(2), 10_500, "heartbeat"); // may run 1000 ms early
    s.setTimeout(() => fired.push(3), 10_300, "heartbeat");
    s.setTimeout(() => fired.push(4), 1_000, "heartbeat");
    now = 1_000;
    s.fire();
    assert.deepEqual(fired, [4]);
    now = 10_000;
    s.fire();
    assert.deepEqual(fired, [4, 1, 3, 2]);
  });
});

describe("heartbeatAfterWake", () => {
  it("resumes the ping schedule where it was, and closes a silent client on time", () => {
    assert.deepEqual(heartbeatAfterWake(0, 10_000, 25_000, 20_000), { nextPingIn: 15_000, pongWithin: 20_000 });
    assert.deepEqual(heartbeatAfterWake(0, 30_000, 25_000, 20_000), { nextPingIn: 0, pongWithin: 15_000 });
    assert.deepEqual(heartbeatAfterWake(0, 60_000, 25_000, 20_000), { nextPingIn: 0, pongWithin: 0 });
  });
});

describe("StorageSessionAdapter", () => {
  it("stores broadcasts with ordered offsets and restores a session once, with the packets of its rooms", async () => {
    const storage = new MemoryStorage();
    const io = new Server({
      connectionStateRecovery: {},
      adapter: (nsp) => new StorageSessionAdapter(nsp, storage, { prefix: "t:", maxDisconnectionDuration: 60_000 }),
    });
    const adapter = io.sockets.adapter;
    const packet = (data: unknown[]) => ({ type: PacketType.EVENT, nsp: "/", data });
    adapter.broadcast(packet(["a", 1]), { rooms: new Set(["r1"]) });
    const offset = [...storage.map.keys()].at(-1)!.split(":").at(-1)!;
    for (let i = 0; i < 3; i++) adapter.broadcast(packet(["b", i]), { rooms: new Set(["r1"]) });
    adapter.broadcast(packet(["other", 0]), { rooms: new Set(["r2"]) });
    adapter.broadcast(packet(["except", 0]), { rooms: new Set(), except: new Set(["r1"]) });
    adapter.broadcast(packet(["all", 0]), { rooms: new Set() });
    adapter.persistSession({ sid: "s1", pid: "p1", rooms: ["s1", "r1"], data: { n: 1 } });
    await tick();
    const keys = [...storage.map.keys()].filter((k) => k.includes(":p:"));
    assert.deepEqual(keys, [...keys].sort(), "key order is emission order");
    const session = await adapter.restoreSession("p1", offset);
    assert.ok(session);
    assert.deepEqual(session.missedPackets.map((p) => [p[0], p[1]]), [["b", 0], ["b", 1], ["b", 2], ["all", 0]]);
    assert.deepEqual(session.data, { n: 1 });
    assert.equal(await adapter.restoreSession("p1", offset), null, "restored twice");
    adapter.persistSession({ sid: "s2", pid: "p2", rooms: ["s2"], data: null });
    assert.equal(await adapter.restoreSession("p2", "00000000000000"), null, "an unknown offset gives a fresh session");
    await io.close();
  });
});

describe("StorageSessionAdapter replay order", () => {
  it("replays in emission order: many in one millisecond, across milliseconds, and after a restart with a clock behind", async () => {
    const realNow = Date.now;
    let now = 1_700_000_000_000;
    Date.now = () => now;
    try {
      const storage = new MemoryStorage();
      const make = () =>
        new Server({
          connectionStateRecovery: {},
          adapter: (nsp) => new StorageSessionAdapter(nsp, storage, { prefix: "t:", maxDisconnectionDuration: 60_000 }),
        });
      const packet = (data: unknown[]) => ({ type: PacketType.EVENT, nsp: "/", data });
      const first = make();
      first.sockets.adapter.broadcast(packet(["m", -1]), { rooms: new Set() });
      const offset = [...storage.map.keys()].at(-1)!.split(":").at(-1)!;
      const sent: number[] = [];
      // 40 in one millisecond: the counter goes past "z" (base 36) to "10", which must still sort after "z"
      for (let i = 0; i < 40; i++) {
        sent.push(i), first.sockets.adapter.broadcast(packet(["m", i]), { rooms: new Set() });
      }
      for (let i = 40; i < 45; i++) {
        now += 1;
        sent.push(i), first.sockets.adapter.broadcast(packet(["m", i]), { rooms: new Set() });
      }
      first.sockets.adapter.persistSession({ sid: "s", pid: "p", rooms: ["s"], data: null });
      await first.close();
      // the object restarts on a machine whose clock is 5 s behind: offsets must keep growing all the same
      now -= 5000;
      const second = make();
      await tick(); // the new instance reads the last stored offset
      for (let i = 45; i < 50; i++) {
        sent.push(i), second.sockets.adapter.broadcast(packet(["m", i]), { rooms: new Set() });
      }
      await tick();
      const session = await second.sockets.adapter.restoreSession("p", offset);
      assert.ok(session, "not restored");
      assert.deepEqual(session.missedPackets.map((p) => p[1]), sent);
      await second.close();
    } finally {
      Date.now = realNow;
    }
  });
});

describe("StorageSessionAdapter sweep and expiry", () => {
  it("sweeps old packets and sessions in batches of at most 128 keys, and only under its own prefix", async () => {
    const realNow = Date.now;
    let now = 1_700_000_000_000;
    Date.now = () => now;
    try {
      const storage = new MemoryStorage();
      const make = (prefix: string) =>
        new Server({
          connectionStateRecovery: {},
          adapter: (nsp) => new StorageSessionAdapter(nsp, storage, { prefix, maxDisconnectionDuration: 1000 }),
        });
      const [mine, other] = [make("t:"), make("a:")];
      const packet = (data: unknown[]) => ({ type: PacketType.EVENT, nsp: "/", data });
      for (let i = 0; i < 300; i++) mine.sockets.adapter.broadcast(packet(["old", i]), { rooms: new Set() });
      mine.sockets.adapter.persistSession({ sid: "s", pid: "old", rooms: ["s"], data: null });
      now += 1500;
      other.sockets.adapter.broadcast(packet(["recent"]), { rooms: new Set() }); // another server's, recent
      mine.sockets.adapter.broadcast(packet(["new"]), { rooms: new Set() }); // a second later: a sweep
      for (let i = 0; i < 5; i++) await tick();
      const keys = (prefix: string) => [...storage.map.keys()].filter((k) => k.startsWith(prefix));
      assert.equal(keys("t:%2F:p:").length, 1, "the old packets are swept, the new one kept");
      assert.deepEqual(keys("t:%2F:r:"), [], "the old session is swept");
      assert.equal(keys("a:%2F:p:").length, 1, "another prefix's packets are not touched");
      await Promise.all([mine.close(), other.close()]);
    } finally {
      Date.now = realNow;
    }
  });

  it("a session is restorable up to maxDisconnectionDuration after the drop, not a millisecond later", async () => {
    const realNow = Date.now;
    let now = 1_700_000_000_000;
    Date.now = () => now;
    try {
      const storage = new MemoryStorage();
      const io = new Server({
        connectionStateRecovery: {},
        adapter: (nsp) => new StorageSessionAdapter(nsp, storage, { prefix: "t:", maxDisconnectionDuration: 1000 }),
      });
      const adapter = io.sockets.adapter;
      adapter.broadcast({ type: PacketType.EVENT, nsp: "/", data: ["m"] }, { rooms: new Set() });
      const offset = [...storage.map.keys()].at(-1)!.split(":").at(-1)!;
      for (const [pid, after, restored] of [["p1", 1000, true], ["p2", 1001, false]] as const) {
        adapter.persistSession({ sid: pid, pid, rooms: [pid], data: null });
        await tick();
        now += after;
        assert.equal((await adapter.restoreSession(pid, offset)) !== null, restored, `${after} ms after the drop`);
        now -= after;
      }
      await io.close();
    } finally {
      Date.now = realNow;
    }
  });
});

/** A runtime socket that keeps its attachment through "hibernation" (structured clone, as workerd does). */
function fakeSocket() {
  let attachment: unknown = null;
  const sent: Array<string | Uint8Array> = [];
  return {
    sent,
    serializeAttachment: (v: unknown) => void (attachment = structuredClone(v)),
    deserializeAttachment: () => attachment,
    like: { send: (d: string | Uint8Array) => void sent.push(d), close: () => {} },
  };
}

/** the headers of a valid WebSocket upgrade (RFC 6455 §4.1), which the core checks */
const WS_HANDSHAKE = {
  upgrade: "websocket",
  "sec-websocket-version": "13",
  "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
};

describe("Hibernation", () => {
  const options: ServerOptions = { pingInterval: 60_000, connectionStateRecovery: {} };
  function app(storage: MemoryStorage) {
    const io = new Server({
      ...options,
      adapter: (nsp) =>
        new StorageSessionAdapter(nsp, storage, { prefix: "pio:/socket.io/:", maxDisconnectionDuration: 60_000 }),
    });
    const keeper = new Hibernation(io, storage);
    const runs: Array<{ id: string; restored: boolean }> = [];
    io.on("connection", (socket) => {
      runs.push({ id: socket.id, restored: socket.restored });
      if (!socket.restored) socket.data = { name: socket.handshake.auth.name };
      socket.on("join", (room: string, ack: (r: string[]) => void) => {
        socket.join(room);
        ack([...socket.rooms]);
      });
      socket.on(
        "whoami",
        (ack: (x: unknown) => void) =>
          ack({ id: socket.id, rooms: [...socket.rooms], data: socket.data, restored: socket.restored }),
      );
    });
    return { io, keeper, runs };
  }

  it("a connection comes back in a new Server with its id, rooms, data and handlers, without a CONNECT", async () => {
    const storage = new MemoryStorage();
    const first = app(storage);
    const ws = fakeSocket();
    let handler: WebSocketHandler | undefined;
    await first.io.handle(
      new Request("http://h/socket.io/?EIO=4&transport=websocket", {
        headers: { ...WS_HANDSHAKE, "x-custom": "kept" },
      }),
      {
        remoteAddress: "10.0.0.1",
        upgrade: (h) => {
          handler = h;
          first.keeper.accept(ws, null, () => h.onOpen(ws.like));
          return undefined;
        },
      },
    );
    handler!.onMessage('40{"name":"ann"}');
    await tick();
    handler!.onMessage('421["join","room-a"]');
    await tick();
    const sid = JSON.parse(String(ws.sent[1]).slice(2)).sid as string;
    const attachment = JSON.stringify(ws.deserializeAttachment());
    assert.ok(attachment.length < 200, `attachment of ${attachment.length} bytes`);

    // hibernation: every JS object is gone; a new Server and keeper start from storage and the socket
    const second = app(storage);
    ws.sent.length = 0;
    const handlers = await second.keeper.restore([{ ws, like: ws.like }]);
    const restored = handlers.get(ws);
    assert.ok(restored, "not restored");
    assert.deepEqual(second.runs, [{ id: sid, restored: true }], "connection listeners run again, flagged");
    assert.deepEqual(ws.sent, [], "a restored socket must not get a CONNECT or anything else");
    restored.onMessage('422["whoami"]');
    await tick();
    const reply = JSON.parse(String(ws.sent.at(-1)).slice(3)) as [
      { id: string; rooms: string[]; data: unknown; restored: boolean },
    ];
    assert.deepEqual(reply[0], { id: sid, rooms: [sid, "room-a"], data: { name: "ann" }, restored: true });
    const socket = second.io.sockets.sockets.get(sid)!;
    assert.equal(socket.handshake.headers["x-custom"], "kept");
    assert.equal(socket.handshake.address, "10.0.0.1");
    assert.equal(second.io.engine.clientsCount, 1);
    await second.io.close();
    await first.io.close();
  });

  it("records of a socket the runtime lost (a restart) become a recovery session", async () => {
    const storage = new MemoryStorage();
    const first = app(storage);
    const ws = fakeSocket();
    let handler: WebSocketHandler | undefined;
    await first.io.handle(
      new Request("http://h/socket.io/?EIO=4&transport=websocket", { headers: WS_HANDSHAKE }),
      {
        upgrade: (h) => {
          handler = h;
          first.keeper.accept(ws, null, () => h.onOpen(ws.like));
          return undefined;
        },
      },
    );
    handler!.onMessage("40");
    await tick();
    handler!.onMessage('421["join","room-b"]');
    await tick();
    const { sid, pid } = JSON.parse(String(ws.sent[1]).slice(2)) as { sid: string; pid: string };
    first.io.sockets.to("room-b").emit("news", 1); // stored with an offset the client would have
    await tick();
    const lastOffset = [...storage.map.keys()].filter((k) => k.includes(":p:")).at(-1)!.split(":").at(-1)!;
    const second = app(storage);
    assert.equal((await second.keeper.restore([])).size, 0);
    assert.equal(
      [...storage.map.keys()].some((k) => k.includes(":c:") || k.includes(":s:")),
      false,
      "stale records left",
    );
    const session = await second.io.sockets.adapter.restoreSession(pid, lastOffset);
    assert.ok(session, "no recovery session from the stale record");
    assert.equal(session.sid, sid);
    assert.deepEqual(session.rooms.sort(), [sid, "room-b"].sort());
    await second.io.close();
    await first.io.close();
  });
});
