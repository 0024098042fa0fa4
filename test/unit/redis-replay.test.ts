/**
 * Recovery replay from the Redis stream, at the room-store layer, on a real Redis (REDIS_URL, default
 * 127.0.0.1:6379): two nodes broadcast interleaved, more than one XRANGE page (1000 entries), and the
 * session restored on a node is given exactly the entries after its offset that concern its rooms, in
 * stream order, each with its own id as offset.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Server } from "../../src/index.ts";
import { PacketType } from "../../src/runtime.ts";
import { createAdapter, type RedisAdapterFactory } from "../../adapters/redis/index.ts";
import { decodeEntry } from "../../adapters/redis/codec.ts";
import { cleanup, eventually, withRedis } from "../fixture/redis/fleet.ts";

const REDIS = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const PREFIX = `portio-replay-${process.pid}-${Date.now().toString(36)}`;

describe("Redis stream replay", () => {
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
      nodes.push({ io: new Server({ adapter: factory, connectionStateRecovery: {} }), factory });
      await factory.ready();
    }
  });
  after(async () => {
    for (const n of nodes) await n.io.close();
    await cleanup(REDIS, PREFIX);
  });

  it("replays the entries after the offset, in stream order, across XRANGE pages and nodes, for the session's rooms only", async () => {
    const [a, b] = nodes.map((n) => n.io.of("/").adapter);
    const packet = (data: unknown[]) => ({ type: PacketType.EVENT, nsp: "/", data });
    const xrange = () =>
      withRedis(REDIS, (send) => send(["XRANGE", PREFIX, "-", "+"])) as Promise<Array<[string, string[]]>>;
    a!.broadcast(packet(["m", "first"]), { rooms: new Set() });
    const offset = await eventually(async () => (await xrange())[0]?.[0], 3000, "the first entry");
    // 1200 broadcasts, alternating nodes and selections: one page of XRANGE is 1000 entries
    for (let i = 0; i < 1200; i++) {
      const rooms = new Set(i % 3 === 0 ? ["other"] : i % 3 === 1 ? ["r"] : []);
      const except = new Set(i % 5 === 0 ? ["vip"] : []);
      (i % 2 ? b : a)!.broadcast(packet(["m", i]), { rooms, except });
    }
    await eventually(async () => (await xrange()).length === 1201, 10_000, "all entries written");
    b!.persistSession({ sid: "s", pid: "p", rooms: ["s", "r", "vip"], data: null });
    await eventually(
      async () => typeof (await withRedis(REDIS, (send) => send(["GET", `${PREFIX}:session:p`]))) === "string",
      3000,
      "the session record",
    );
    // what the stream itself says the session missed: after the offset, to all or to "r", not except "vip"
    const expected = (await xrange()).slice(1).flatMap(([id, fields]) => {
      const m = decodeEntry(fields) as {
        data: { packet: { data: unknown[] }; opts: { rooms: string[]; except: string[] } };
      };
      const { rooms, except } = m.data.opts;
      const concerns = (rooms.length === 0 || rooms.includes("r")) && !except.includes("vip");
      return concerns ? [[...m.data.packet.data, id]] : [];
    });
    assert.ok(expected.length > 400, `${expected.length} expected entries`);
    const session = await a!.restoreSession("p", offset!);
    assert.ok(session, "not restored");
    assert.deepEqual(session.missedPackets, expected);
  });
});
