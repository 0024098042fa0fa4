/**
 * The Redis `Emitter` (portio/redis), on a real Redis (REDIS_URL, default 127.0.0.1:6379): each operation
 * is one stream entry in the official emitter's shape (uid "emitter", the namespace, the message type, the
 * selection), on the stream the namespace hashes to; refused calls write nothing.
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type ClusterMessage, EMITTER_UID, MessageType, PacketType } from "../../src/room-store.ts";
import { Emitter } from "../../adapters/redis/emitter.ts";
import { Connection, rangeEntries } from "../../adapters/redis/client.ts";
import { decodeEntry } from "../../adapters/redis/codec.ts";
import { streamFor } from "../../adapters/redis/fleet.ts";

const REDIS = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const STREAM = `portio-emitter-${process.pid}-${Date.now().toString(36)}`;

describe("Redis Emitter", () => {
  const redis = Connection.fromUrl(REDIS, "test");
  const emitter = new Emitter(REDIS, { streamName: STREAM, streamCount: 3 });
  const streams = [0, 1, 2].map((i) => `${STREAM}-${i}`);

  after(async () => {
    await redis.send(["DEL", ...streams, STREAM]);
    await emitter.close();
    await redis.close();
  });

  /** The entry `id` of the stream of `nsp`, decoded. */
  async function entry(nsp: string, id: string): Promise<ClusterMessage> {
    const stream = streamFor(nsp, { streamName: STREAM, streamCount: 3 });
    const [found] = rangeEntries(await redis.send(["XRANGE", stream, id, id]));
    assert.ok(found, `entry ${id} on ${stream}`);
    return decodeEntry(found[1]) as ClusterMessage;
  }

  it("a broadcast: the event and its arguments, the rooms, the exclusions and the flags", async () => {
    await redis.open();
    const id = await emitter.to("r1").to(["r2"]).except("vip").volatile.emit("news", { n: 1 }, "x");
    assert.deepEqual(await entry("/", id), {
      uid: EMITTER_UID,
      nsp: "/",
      type: MessageType.BROADCAST,
      data: {
        packet: { type: PacketType.EVENT, nsp: "/", data: ["news", { n: 1 }, "x"] },
        opts: { rooms: ["r1", "r2"], except: ["vip"], flags: { volatile: true } },
      },
    });
  });

  it("of(nsp): the namespace's stream and name; fleet operations and serverSideEmit", async () => {
    const admin = emitter.of("admin");
    assert.equal(admin.nsp, "/admin");
    const join = await admin.in("a").socketsJoin(["b", "c"]);
    assert.deepEqual(await entry("/admin", join), {
      uid: EMITTER_UID,
      nsp: "/admin",
      type: MessageType.SOCKETS_JOIN,
      data: { opts: { rooms: ["a"], except: [], flags: {} }, rooms: ["b", "c"] },
    });
    const leave = await admin.socketsLeave("b");
    assert.equal((await entry("/admin", leave)).type, MessageType.SOCKETS_LEAVE);
    const kick = await admin.except("x").disconnectSockets(true);
    assert.deepEqual((await entry("/admin", kick)).data, {
      opts: { rooms: [], except: ["x"], flags: {} },
      close: true,
    });
    const sse = await admin.serverSideEmit("ping", 1);
    assert.deepEqual(await entry("/admin", sse), {
      uid: EMITTER_UID,
      nsp: "/admin",
      type: MessageType.SERVER_SIDE_EMIT,
      data: { packet: ["ping", 1] },
    });
  });

  it("reserved names and acknowledgements are refused before anything is written", async () => {
    const before = await redis.send(["XLEN", streamFor("/", { streamName: STREAM, streamCount: 3 })]);
    assert.throws(() => emitter.emit("disconnect" as never), /reserved event name/);
    assert.throws(() => emitter.to("r").emit("ev", () => {}), /Acknowledgements are not supported/);
    assert.throws(() => emitter.serverSideEmit("connection" as never), /reserved event name/);
    assert.equal(await redis.send(["XLEN", streamFor("/", { streamName: STREAM, streamCount: 3 })]), before);
  });
});
