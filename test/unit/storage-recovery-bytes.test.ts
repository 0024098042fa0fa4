/**
 * Connection state recovery in Durable Object storage is bounded by bytes as the in-memory buffer is
 * (`connectionStateRecovery.maxBufferBytes`): the oldest broadcasts are deleted first, also those an earlier
 * instance of the object stored (their sizes are stored beside them), and an evicted offset restores nothing.
 * workerd itself: test/e2e/cloudflare-recovery.test.ts.
 */
// deno-lint-ignore-file require-await -- the storage stand-in implements an async API over a Map: nothing to await
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Server } from "../../src/index.ts";
import { PacketType } from "../../src/runtime.ts";
import { type KeyValueStorage, StorageSessionAdapter } from "../../src/room-store.ts";

/** Durable Object storage's key-value API over a Map, keys listed in order. */
class MemoryStorage implements KeyValueStorage {
  readonly map = new Map<string, unknown>();
  get<T>(key: string): Promise<T | undefined>;
  get<T>(keys: string[]): Promise<Map<string, T>>;
  async get(k: string | string[]): Promise<unknown> {
    if (Array.isArray(k)) return new Map(k.filter((x) => this.map.has(x)).map((x) => [x, this.map.get(x)]));
    return structuredClone(this.map.get(k));
  }
  put<T>(key: string, value: T): Promise<void>;
  put<T>(entries: Record<string, T>): Promise<void>;
  async put(k: string | Record<string, unknown>, v?: unknown): Promise<void> {
    if (typeof k === "string") this.map.set(k, structuredClone(v));
    else for (const [kk, vv] of Object.entries(k)) this.map.set(kk, structuredClone(vv));
  }
  delete(key: string): Promise<boolean>;
  delete(keys: string[]): Promise<number>;
  async delete(k: string | string[]): Promise<boolean | number> {
    if (Array.isArray(k)) {
      assert.ok(k.length <= 128, "Durable Object storage takes at most 128 keys per call");
      return k.filter((x) => this.map.delete(x)).length;
    }
    return this.map.delete(k);
  }
  async list<T>(o: { start?: string; end?: string; prefix?: string } = {}): Promise<Map<string, T>> {
    const keys = [...this.map.keys()].sort().filter((k) =>
      (!o.prefix || k.startsWith(o.prefix)) && (o.start === undefined || k >= o.start) &&
      (o.end === undefined || k < o.end)
    );
    return new Map(keys.map((k) => [k, structuredClone(this.map.get(k)) as T]));
  }
  /** bytes of the stored broadcasts' arguments */
  storedBytes(): number {
    let n = 0;
    for (const [k, v] of this.map) if (k.includes(":p:")) n += JSON.stringify((v as { data: unknown[] }).data).length;
    return n;
  }
  offsets(): string[] {
    return [...this.map.keys()].filter((k) => k.includes(":p:")).sort().map((k) => k.slice(-14));
  }
}

const tick = () => new Promise((r) => setTimeout(r, 5));

function server(storage: MemoryStorage, maxBufferBytes: number): Server {
  return new Server({
    connectionStateRecovery: { maxBufferBytes },
    adapter: (nsp) =>
      new StorageSessionAdapter(nsp, storage, { prefix: "t:", maxDisconnectionDuration: 60_000, maxBufferBytes }),
  });
}

function flood(io: Server, n: number, size: number, from = 0): void {
  for (let i = from; i < from + n; i++) {
    io.sockets.adapter.broadcast({ type: PacketType.EVENT, nsp: "/", data: ["m", i, "x".repeat(size)] }, {
      rooms: new Set(),
    });
  }
}

describe("StorageSessionAdapter byte bound (maxBufferBytes)", () => {
  it("deletes the oldest broadcasts past the bound; an evicted offset restores nothing, a kept one all after it", async () => {
    const storage = new MemoryStorage();
    const io = server(storage, 10_000);
    flood(io, 1, 10);
    const first = storage.offsets()[0]!;
    flood(io, 100, 1000, 1); // ~100 kB into a 10 kB bound
    await tick();
    assert.ok(storage.storedBytes() <= 10_000 + 1100, `${storage.storedBytes()} bytes stored`);
    const kept = storage.offsets();
    assert.ok(kept.length >= 8 && kept.length <= 11, `${kept.length} broadcasts kept`);
    assert.ok(!kept.includes(first), "the oldest went first");
    const adapter = io.sockets.adapter;
    adapter.persistSession({ sid: "s1", pid: "p1", rooms: ["s1"], data: null });
    assert.equal(await adapter.restoreSession("p1", first), null, "an evicted offset must not give a partial replay");
    adapter.persistSession({ sid: "s2", pid: "p2", rooms: ["s2"], data: null });
    const session = await adapter.restoreSession("p2", kept[1]!);
    assert.ok(session, "a kept offset restores");
    assert.deepEqual(session.missedPackets.map((p) => p.at(-1)), kept.slice(2));
    // sizes go with their broadcasts
    assert.equal([...storage.map.keys()].filter((k) => k.includes(":z:")).length, kept.length);
    await io.close();
  });

  it("a new instance (a woken object) counts what earlier ones stored and evicts it first", async () => {
    const storage = new MemoryStorage();
    const before = server(storage, 10_000);
    flood(before, 8, 1000); // ~8 kB: within the bound
    await tick();
    const older = storage.offsets();
    assert.equal(older.length, 8);
    await before.close();
    const after = server(storage, 10_000);
    flood(after, 5, 1000, 100); // ~13 kB in all: the oldest of the earlier instance go
    await tick();
    assert.ok(storage.storedBytes() <= 10_000 + 1100, `${storage.storedBytes()} bytes stored`);
    const kept = storage.offsets();
    assert.deepEqual(kept, [...older, ...kept.slice(-5)].slice(-kept.length), "the oldest went first");
    assert.ok(!kept.includes(older[0]!) && kept.length >= 8, `${kept.length} kept`);
    await after.close();
  });
});
