/** The recovery buffer is bounded by bytes too (`connectionStateRecovery.maxBufferBytes`), oldest first. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { defaultScheduler } from "../../src/runtime.ts";
import { PacketType, SessionAwareAdapter, type StoreContext } from "../../src/room-store.ts";
import { defaultLogger } from "../../src/util/logger.ts";

function store(maxBytes: number): SessionAwareAdapter {
  const ctx: StoreContext = {
    name: "/",
    scheduler: defaultScheduler,
    logger: defaultLogger,
    recovery: { maxDisconnectionDuration: 60_000 },
    has: () => false,
    ids: () => [][Symbol.iterator](),
    deliver: () => {},
    deliverWithAck: () => 0,
    nextAckId: () => 1,
    details: () => undefined,
    disconnect: () => {},
    onServerSideEmit: () => {},
  };
  return new SessionAwareAdapter(ctx, 60_000, maxBytes);
}

/** Broadcasts `n` packets of ~`size` bytes to everyone; returns their offsets. */
function flood(s: SessionAwareAdapter, n: number, size: number): string[] {
  const offsets: string[] = [];
  for (let i = 0; i < n; i++) {
    const packet = { type: PacketType.EVENT, nsp: "/", data: ["m", i, "x".repeat(size)] as unknown[] };
    s.broadcast(packet, { rooms: new Set() });
    offsets.push((packet.data as unknown[]).at(-1) as string);
  }
  return offsets;
}

test("past maxBufferBytes the oldest broadcasts go; an evicted offset restores nothing, a kept one restores all after it", async () => {
  const s = store(10_000);
  const session = { sid: "s1", pid: "p1", rooms: [], data: null };
  s.persistSession(session);
  s.persistSession({ ...session, sid: "s2", pid: "p2" });
  const offsets = flood(s, 100, 1000); // ~100 kB into a 10 kB buffer
  assert.equal(await s.restoreSession("p1", offsets[5]!), null, "an evicted offset must not give a partial replay");
  const kept = await s.restoreSession("p2", offsets[95]!);
  assert.ok(kept, "a recent offset restores");
  assert.deepEqual(kept.missedPackets.map((p) => p[1]), [96, 97, 98, 99]);
  s.close();
});

test("the buffer never holds more than the bound (plus the newest packet)", async () => {
  const s = store(5_000);
  const offsets = flood(s, 50, 1000);
  let restorable = 0;
  for (const [i, offset] of offsets.entries()) {
    s.persistSession({ sid: `s${i}`, pid: `p${i}`, rooms: [], data: null });
    if (await s.restoreSession(`p${i}`, offset)) restorable++;
  }
  assert.ok(restorable <= 5, `${restorable} offsets still in a 5 kB buffer of 1 kB packets`);
  assert.ok(restorable >= 3, `${restorable}: the buffer should still hold the newest packets`);
  s.close();
});
