/**
 * The Redis stream is the recovery buffer of a fleet, and it is bounded by bytes as the in-memory one is
 * (`connectionStateRecovery.maxBufferBytes`): every node tracks the sizes of the entries it reads, whoever
 * wrote them, and trims the oldest (XTRIM MINID). A session whose offset was trimmed is not restored (a fresh
 * connection, never a replay with a gap); one whose offset is kept gets everything after it. Real Redis
 * (REDIS_URL, default 127.0.0.1:6379).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Server } from "../../src/index.ts";
import { PacketType } from "../../src/runtime.ts";
import { createAdapter, type RedisAdapterFactory } from "../../adapters/redis/index.ts";
import { cleanup, eventually, withRedis } from "../fixture/redis/fleet.ts";

const REDIS = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const PREFIX = `portio-bytes-${process.pid}-${Date.now().toString(36)}`;
const BOUND = 20_000;
const SIZE = 1000;

type Entry = [string, string[]];
const xrange = () => withRedis(REDIS, (send) => send(["XRANGE", PREFIX, "-", "+"])) as Promise<Entry[]>;
const bytesOf = (entries: Entry[]) =>
  entries.reduce((n, [, fields]) => n + fields.reduce((m, f) => m + f.length, 0), 0);

/** The stream's entries once `fn` returns them (it returns undefined until they are as expected). */
async function entriesWhen(fn: () => Promise<Entry[] | undefined>, ms: number, what: string): Promise<Entry[]> {
  return (await eventually(fn, ms, what))!;
}

describe("Redis stream byte bound (connectionStateRecovery.maxBufferBytes)", () => {
  const nodes: Array<{ io: Server; factory: RedisAdapterFactory }> = [];

  before(async () => {
    await withRedis(REDIS, (send) => send(["PING"])).catch((err) => {
      throw new Error(`Redis is not reachable at ${REDIS} (.ci/run starts it): ${err.message}`);
    });
    for (let i = 0; i < 2; i++) {
      const factory = createAdapter(REDIS, {
        streamName: PREFIX,
        channelPrefix: PREFIX,
        sessionKeyPrefix: `${PREFIX}:session:`,
      });
      const io = new Server({ adapter: factory, connectionStateRecovery: { maxBufferBytes: BOUND } });
      nodes.push({ io, factory });
      await factory.ready();
    }
  });
  after(async () => {
    for (const n of nodes) await n.io.close();
    await cleanup(REDIS, PREFIX);
  });

  it("the oldest entries are trimmed past the bound; an evicted offset restores nothing, a kept one everything after it", async () => {
    const [a, b] = nodes.map((n) => n.io.of("/").adapter);
    const packet = (data: unknown[]) => ({ type: PacketType.EVENT, nsp: "/", data });
    a!.broadcast(packet(["m", "first"]), { rooms: new Set() });
    const first = (await eventually(async () => (await xrange())[0]?.[0], 3000, "the first entry"))!;
    // ~100 kB from both nodes into a 20 kB bound
    for (let i = 0; i < 100; i++) (i % 2 ? b : a)!.broadcast(packet(["m", i, "x".repeat(SIZE)]), { rooms: new Set() });
    const last = await entriesWhen(
      async () => {
        const entries = await xrange();
        const tail = entries.at(-1);
        return tail && JSON.stringify(tail[1]).includes('"m\\",99') ? entries : undefined;
      },
      10_000,
      "the last entry",
    );
    // the bound holds once the readers have seen everything (plus the newest entry, kept as in memory)
    const kept = await entriesWhen(
      async () => {
        const entries = await xrange();
        return bytesOf(entries) <= BOUND + SIZE + 200 ? entries : undefined;
      },
      5000,
      `the stream trimmed to ${BOUND} bytes (was ${bytesOf(last)} in ${last.length} entries)`,
    );
    assert.ok(kept.length >= 10, `${kept.length} entries kept: the newest must stay`);
    assert.ok(kept[0]![0] !== first, "the oldest entry went first");
    // an evicted offset: no recovery at all
    a!.persistSession({ sid: "s1", pid: "p1", rooms: ["s1"], data: null });
    await eventually(
      async () => typeof (await withRedis(REDIS, (send) => send(["GET", `${PREFIX}:session:p1`]))) === "string",
      3000,
      "the session record",
    );
    assert.equal(await b!.restoreSession("p1", first), null, "an evicted offset must not give a partial replay");
    // a kept offset: every entry after it, in order
    b!.persistSession({ sid: "s2", pid: "p2", rooms: ["s2"], data: null });
    await eventually(
      async () => typeof (await withRedis(REDIS, (send) => send(["GET", `${PREFIX}:session:p2`]))) === "string",
      3000,
      "the session record",
    );
    const from = kept[2]![0];
    const session = await a!.restoreSession("p2", from);
    assert.ok(session, "a kept offset restores");
    assert.deepEqual(session.missedPackets.map((p) => p.at(-1)), kept.slice(3).map(([id]) => id));
  });
});
