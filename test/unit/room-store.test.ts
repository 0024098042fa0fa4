/** The in-memory room store: membership, room selection, and one encoding per broadcast. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { type Fanout, InMemoryAdapter, PacketType, type StoreNamespace, type StoreSocket } from "../../src/index.ts";
import { defaultScheduler } from "../../src/index.ts";
import { SharedMessage } from "../../src/engine/packet.ts";

function fakeNamespace(ids: string[], fanout?: Fanout) {
  const writes = new Map<string, unknown[]>();
  const sockets = new Map<string, StoreSocket>();
  const nsp: StoreNamespace = {
    name: "/",
    sockets,
    scheduler: defaultScheduler,
    fanout,
    _outgoingListeners: 0,
    _nextAckId: () => 1,
  };
  const adapter = new InMemoryAdapter(nsp);
  for (const id of ids) {
    writes.set(id, []);
    sockets.set(id, {
      id,
      handshake: {},
      data: {},
      rooms: new Set(),
      _writeEncoded: (encoded) => writes.get(id)!.push(encoded),
      _writeShared: (message) => writes.get(id)!.push(message),
      _notifyOutgoing: () => {},
      _checkBackpressure: () => {},
      _registerAck: () => {},
      join: (r) => adapter.addAll(id, Array.isArray(r) ? r : [r]),
      leave: (r) => adapter.del(id, r),
      disconnect: () => {},
    });
    adapter.addAll(id, [id]);
  }
  return { adapter, writes, nsp };
}

test("a broadcast is encoded once: every member gets the very same encoded frames", () => {
  const { adapter, writes } = fakeNamespace(["a", "b", "c"]);
  adapter.addAll("a", ["room"]);
  adapter.addAll("b", ["room"]);
  adapter.broadcast({ type: PacketType.EVENT, nsp: "/", data: ["ev", new Uint8Array([1])] }, {
    rooms: new Set(["room"]),
  });
  const [wa] = writes.get("a")!;
  const [wb] = writes.get("b")!;
  assert.equal(wa, wb, "encoded once, shared by reference");
  assert.deepEqual(wa, ['51-["ev",{"_placeholder":true,"num":0}]', new Uint8Array([1])]);
  assert.equal(writes.get("c")!.length, 0);
});

test("a text broadcast shares one SharedMessage: the engine frame is built once for all members", () => {
  const { adapter, writes } = fakeNamespace(["a", "b"]);
  adapter.addAll("a", ["room"]);
  adapter.addAll("b", ["room"]);
  adapter.broadcast({ type: PacketType.EVENT, nsp: "/", data: ["ev", "x"] }, { rooms: new Set(["room"]) });
  const [ma] = writes.get("a")!;
  const [mb] = writes.get("b")!;
  assert.ok(ma instanceof SharedMessage);
  assert.equal(ma, mb);
  assert.equal((ma as SharedMessage).wire, '42["ev","x"]');
});

test("rooms: union without duplicates, except, delAll and room events", () => {
  const { adapter, writes } = fakeNamespace(["a", "b", "c"]);
  const events: string[] = [];
  adapter.on("create-room", (r) => events.push(`create:${r}`));
  adapter.on("delete-room", (r) => events.push(`delete:${r}`));
  adapter.addAll("a", ["x", "y"]);
  adapter.addAll("b", ["y"]);
  adapter.addAll("c", ["vip", "x"]);
  adapter.broadcast({ type: PacketType.EVENT, nsp: "/", data: ["e"] }, {
    rooms: new Set(["x", "y"]),
    except: new Set(["vip"]),
  });
  assert.deepEqual([...writes].map(([id, w]) => [id, w.length]), [["a", 1], ["b", 1], ["c", 0]]);
  adapter.delAll("c");
  assert.equal(adapter.rooms.has("vip"), false);
  assert.deepEqual(events, ["create:x", "create:y", "create:vip", "delete:c", "delete:vip"]);
  assert.deepEqual([...adapter.socketRooms("a")!].sort(), ["a", "x", "y"]);
});

/** A fake runtime pub/sub: topic → subscribers, publish delivers to each like Bun's server.publish. */
function fakePubSub() {
  const topics = new Map<string, Set<string>>();
  const published: Array<[string, string | Uint8Array]> = [];
  const received = new Map<string, Array<string | Uint8Array>>();
  const fanout: Fanout = {
    publish(topic, frame) {
      published.push([topic, frame]);
      for (const id of topics.get(topic) ?? []) (received.get(id) ?? received.set(id, []).get(id)!).push(frame);
    },
  };
  const sink = (id: string) => ({
    subscribe: (t: string) => (topics.get(t) ?? topics.set(t, new Set()).get(t)!).add(id),
    unsubscribe: (t: string) => topics.get(t)?.delete(id),
  });
  return { fanout, sink, published, received, topics };
}

test("native fan-out: one publish for subscribed members, direct writes for the others, same result", () => {
  const ps = fakePubSub();
  const { adapter, writes } = fakeNamespace(["ws1", "ws2", "poll"], ps.fanout);
  for (const id of ["ws1", "ws2", "poll"]) adapter.addAll(id, ["room"]);
  adapter.attachTopics("ws1", ps.sink("ws1"));
  adapter.attachTopics("ws2", ps.sink("ws2"));
  adapter.broadcast({ type: PacketType.EVENT, nsp: "/", data: ["ev", 1] }, { rooms: new Set(["room"]) });
  assert.deepEqual(ps.published, [["/\u0000room", '42["ev",1]']]);
  assert.deepEqual(ps.received.get("ws1"), ['42["ev",1]']);
  assert.deepEqual(ps.received.get("ws2"), ['42["ev",1]']);
  assert.deepEqual(writes.get("poll")!.map((m) => (m as SharedMessage).wire), ['42["ev",1]']);
  assert.equal(writes.get("ws1")!.length, 0);
});

test("native fan-out of a custom parser's single binary frame: published as is, polling members written to", () => {
  const ps = fakePubSub();
  const { adapter, writes, nsp } = fakeNamespace(["ws1", "ws2", "poll"], ps.fanout);
  const bytes = new Uint8Array([0x83, 1, 2]);
  nsp._encode = () => [bytes]; // what socket.io-msgpack-parser's Encoder returns: one binary part
  for (const id of ["ws1", "ws2", "poll"]) adapter.addAll(id, ["room"]);
  adapter.attachTopics("ws1", ps.sink("ws1"));
  adapter.attachTopics("ws2", ps.sink("ws2"));
  adapter.broadcast({ type: PacketType.EVENT, nsp: "/", data: ["ev", 1] }, { rooms: new Set(["room"]) });
  assert.deepEqual(ps.published, [["/\u0000room", bytes]]);
  assert.deepEqual(ps.received.get("ws2"), [bytes]);
  assert.deepEqual(writes.get("poll")!.map((m) => (m as SharedMessage).wire), [bytes]);
  assert.equal(writes.get("ws1")!.length, 0);
});

test("native fan-out is skipped where it would change the result: except, several rooms, binary", () => {
  const ps = fakePubSub();
  const { adapter, writes } = fakeNamespace(["a", "b"], ps.fanout);
  adapter.addAll("a", ["r", "s"]);
  adapter.addAll("b", ["r", "s", "vip"]);
  adapter.attachTopics("a", ps.sink("a"));
  adapter.attachTopics("b", ps.sink("b"));
  adapter.broadcast({ type: PacketType.EVENT, nsp: "/", data: ["e"] }, {
    rooms: new Set(["r"]),
    except: new Set(["vip"]),
  });
  adapter.broadcast({ type: PacketType.EVENT, nsp: "/", data: ["e"] }, { rooms: new Set(["r", "s"]) });
  adapter.broadcast({ type: PacketType.EVENT, nsp: "/", data: ["e", new Uint8Array([1])] }, { rooms: new Set(["r"]) });
  assert.equal(ps.published.length, 0);
  assert.equal(writes.get("a")!.length, 3); // except did not apply to a; two rooms delivered once; binary
  assert.equal(writes.get("b")!.length, 2);
});

test("leaving a room or disconnecting unsubscribes its topics", () => {
  const ps = fakePubSub();
  const { adapter } = fakeNamespace(["a"], ps.fanout);
  adapter.addAll("a", ["r", "s"]);
  adapter.attachTopics("a", ps.sink("a"));
  assert.deepEqual([...ps.topics.keys()].sort(), ["/\u0000r", "/\u0000s"]);
  adapter.del("a", "r");
  assert.equal(ps.topics.get("/\u0000r")!.size, 0);
  adapter.delAll("a");
  assert.equal(ps.topics.get("/\u0000s")!.size, 0);
});

test("a socket attached to topics twice counts once: members without a topic still get the broadcast", () => {
  const ps = fakePubSub();
  const { adapter, writes } = fakeNamespace(["ws", "poll"], ps.fanout);
  adapter.addAll("ws", ["room"]);
  adapter.addAll("poll", ["room"]);
  adapter.attachTopics("ws", ps.sink("ws"));
  adapter.attachTopics("ws", ps.sink("ws")); // an upgrade reported twice must not subscribe twice
  adapter.broadcast({ type: PacketType.EVENT, nsp: "/", data: ["ev"] }, { rooms: new Set(["room"]) });
  assert.deepEqual(ps.received.get("ws"), ['42["ev"]']);
  assert.deepEqual(writes.get("poll")!.map((m) => (m as SharedMessage).wire), ['42["ev"]']);
});

test("without a runtime fan-out nothing is subscribed", () => {
  const ps = fakePubSub();
  const { adapter, writes } = fakeNamespace(["a"]);
  adapter.addAll("a", ["room"]);
  adapter.attachTopics("a", ps.sink("a"));
  assert.equal(ps.topics.size, 0);
  adapter.broadcast({ type: PacketType.EVENT, nsp: "/", data: ["ev"] }, { rooms: new Set(["room"]) });
  assert.equal(writes.get("a")!.length, 1);
});

test("a room with no subscribed member is not published to the runtime: its members are written to", () => {
  const ps = fakePubSub();
  const { adapter, writes } = fakeNamespace(["poll"], ps.fanout);
  adapter.addAll("poll", ["room"]);
  adapter.broadcast({ type: PacketType.EVENT, nsp: "/", data: ["ev"] }, { rooms: new Set(["room"]) });
  assert.deepEqual(ps.published, []);
  assert.equal(writes.get("poll")!.length, 1);
});

test("sockets(rooms) lists the members of the rooms, once each", async () => {
  const { adapter } = fakeNamespace(["a", "b", "c"]);
  adapter.addAll("a", ["x", "y"]);
  adapter.addAll("b", ["y"]);
  assert.deepEqual([...(await adapter.sockets(new Set(["x", "y"])))].sort(), ["a", "b"]);
  assert.deepEqual([...(await adapter.sockets(new Set()))].sort(), ["a", "b", "c"]);
});

test("a member id with no socket (leaving, not yet removed) is skipped, in one room and in several", () => {
  const { adapter, writes } = fakeNamespace(["a"]);
  adapter.addAll("a", ["x", "y"]);
  adapter.addAll("ghost", ["x", "y"]);
  for (const rooms of [["x"], ["x", "y"]]) {
    adapter.broadcast({ type: PacketType.EVENT, nsp: "/", data: ["ev"] }, { rooms: new Set(rooms) });
  }
  assert.equal(writes.get("a")!.length, 2);
});
