/**
 * Connection state recovery in Durable Object storage, bounded by bytes (`connectionStateRecovery.maxBufferBytes`,
 * 20 kB on the fixture's `/rb/` server), in workerd through Miniflare: past the bound the oldest broadcasts are
 * deleted from storage; a client whose offset went gets a clean, non-recovered connection with nothing replayed,
 * and one whose offset is kept recovers everything after it.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { arrives, client, closeClients, collect, connected, once, startProcess, type Target } from "./harness.ts";

const BOUND = 20_000;
const shard = (name: string) => `${name}-${Math.random().toString(36).slice(2, 8)}`;

describe("Cloudflare: the recovery buffer in storage is bounded by bytes", () => {
  let target: Target;
  before(async () => {
    target = await startProcess("workerd", [process.execPath, "--import", "tsx", "test/fixture/cloudflare-node.ts"], {
      CLOUDFLARE_CF_FETCH_ENABLED: "false",
      WRANGLER_SEND_METRICS: "false",
    });
  });
  after(async () => {
    closeClients();
    await target?.stop();
  });

  it("an evicted offset connects without recovery and without a partial replay; a kept one recovers all after it", async () => {
    const key = shard("rb");
    const opts = { query: { shard: key }, transports: ["websocket" as const] };
    const evicted = await connected(client(target, "/", { ...opts, path: "/rb/" }));
    await evicted.timeout(3000).emitWithAck("join", "r");
    const sender = await connected(client(target, "/", { ...opts, path: "/rb/" }));
    const first = collect(evicted, "m", 1);
    await sender.timeout(3000).emitWithAck("bcast", "r", "m", "first");
    await first;
    const dropped = once(evicted, "disconnect");
    evicted.io.engine.close();
    await dropped;

    // ~40 kB to the room while it is away: its offset is evicted (oldest first)
    for (let i = 0; i < 40; i++) await sender.timeout(3000).emitWithAck("bcast", "r", "m", `${i}:${"x".repeat(1000)}`);
    const stored = (await sender.timeout(3000).emitWithAck("stored")) as { count: number; bytes: number };
    console.log(`# workerd: ${stored.count} broadcasts, ${stored.bytes} bytes stored after ~41 kB (bound ${BOUND})`);
    assert.ok(stored.bytes <= BOUND + 1100, `${stored.bytes} bytes stored`);
    assert.ok(stored.count >= 15, `${stored.count} broadcasts stored: the newest must stay`);

    // a kept offset: a second client drops now and recovers the three broadcasts it missed
    const kept = await connected(client(target, "/", { ...opts, path: "/rb/" }));
    await kept.timeout(3000).emitWithAck("join", "r");
    const latest = collect(kept, "m", 1);
    await sender.timeout(3000).emitWithAck("bcast", "r", "m", "latest");
    await latest;
    const keptDropped = once(kept, "disconnect");
    kept.io.engine.close();
    await keptDropped;
    for (const i of [1, 2, 3]) await sender.timeout(3000).emitWithAck("bcast", "r", "m", `after-${i}`);

    const replayed = arrives(evicted, "m", 500);
    evicted.connect();
    await connected(evicted);
    assert.equal(evicted.recovered, false, "recovered from an evicted offset");
    assert.equal(await replayed, false, "something was replayed to a client that was not recovered");

    const missed = collect(kept, "m", 3);
    kept.connect();
    await connected(kept);
    assert.equal(kept.recovered, true, "a kept offset did not recover");
    assert.deepEqual((await missed).map((a) => a[0]), ["after-1", "after-2", "after-3"]);
  });
});
