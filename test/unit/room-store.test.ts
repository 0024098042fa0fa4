/**
 * The in-memory room store on socket ids (membership, selection, what it asks its context to deliver) and
 * the socket layer's delivery (socket/delivery.ts): one encoding per broadcast, shared frames, native fan-out.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { defaultScheduler } from "../../src/runtime.ts";
import { InMemoryAdapter, type Packet, PacketType, type StoreContext } from "../../src/room-store.ts";
import { Delivery, type DeliveryHost, type LocalSocket, type RoutedFanout } from "../../src/socket/delivery.ts";
import { topicRouting } from "../../src/socket/topics.ts";
import { encode } from "../../src/socket/parser.ts";
import { SharedMessage } from "../../src/engine/packet.ts";
import { defaultLogger } from "../../src/util/logger.ts";

/** A namespace of fake sockets (recording what is written to them) with the real delivery and store. */
function fakeNamespace(ids: string[], fanout?: RoutedFanout) {
  const writes = new Map<string, unknown[]>();
  const sockets = new Map<string, LocalSocket>();
  const host: DeliveryHost = {
    name: "/",
    sockets,
    scheduler: defaultScheduler,
    fanout,
    logger: defaultLogger,
    server: { _recovery: undefined },
    _outgoingListeners: 0,
    _encode: encode,
    _onServerSideEmit: () => {},
  };
  const delivery = new Delivery(host);
  const adapter = new InMemoryAdapter(delivery);
  delivery.bind(adapter);
  for (const id of ids) {
    writes.set(id, []);
    sockets.set(id, {
      id,
      handshake: {},
      data: {},
      pid: undefined,
      get rooms() {
        return adapter.socketRooms(id) ?? new Set();
      },
      client: {
        _write: (encoded) => void writes.get(id)!.push(encoded),
        _writeShared: (message) => void writes.get(id)!.push(message),
        conn: { canSendVolatile: true },
      },
      _notifyOutgoing: () => {},
      _checkBackpressure: () => {},
      _registerAck: () => {},
      disconnect: () => {},
    });
    adapter.addAll(id, [id]);
  }
  return { adapter, writes, delivery, host };
}

/** A context that records the ids each delivery reaches, for the store alone. */
function recordingContext(connected: string[]) {
  const delivered: string[][] = [];
  const disconnected: string[] = [];
  const ctx: StoreContext = {
    name: "/",
    scheduler: defaultScheduler,
    logger: defaultLogger,
    recovery: undefined,
    has: (id) => connected.includes(id),
    ids: () => connected[Symbol.iterator](),
    deliver(_packet, _opts, targets) {
      const ids: string[] = [];
      targets((id) => connected.includes(id) && ids.push(id));
      delivered.push(ids);
    },
    deliverWithAck(_packet, _opts, targets) {
      let n = 0;
      targets((id) => connected.includes(id) && n++);
      return n;
    },
    nextAckId: () => 7,
    details: (id) => ({ id, handshake: {}, rooms: [], data: null }),
    disconnect: (id) => void disconnected.push(id),
    onServerSideEmit: () => {},
  };
  return { ctx, delivered, disconnected };
}

const event = (...data: unknown[]): Packet => ({ type: PacketType.EVENT, nsp: "/", data });

test("the store selects socket ids: rooms ∪, except, each once, and acks count the reached sockets", () => {
  const { ctx, delivered, disconnected } = recordingContext(["a", "b", "c"]);
  const store = new InMemoryAdapter(ctx);
  store.addAll("a", ["x", "y"]);
  store.addAll("b", ["y", "vip"]);
  store.addAll("c", ["x"]);
  store.addAll("ghost", ["x"]); // not connected (in its middlewares): the context skips it
  store.broadcast(event("e"), { rooms: new Set(["x", "y"]), except: new Set(["vip"]) });
  store.broadcast(event("e"), { rooms: new Set() });
  store.broadcast(event("e"), { rooms: new Set(), except: new Set(["vip"]) });
  assert.deepEqual(delivered, [["a", "c"], ["a", "b", "c"], ["a", "c"]]);
  const packet = event("e");
  let count = -1;
  store.broadcastWithAck(packet, { rooms: new Set(["x"]) }, (n) => (count = n), () => {});
  assert.equal(count, 2);
  assert.equal(packet.id, 7, "the ack id comes from the context");
  store.disconnectSockets({ rooms: new Set(["y"]) }, false);
  assert.deepEqual(disconnected, ["a", "b"]);
});

test("fetchSockets names local sockets by id; addSockets and delSockets change membership", async () => {
  const { ctx } = recordingContext(["a", "b"]);
  const store = new InMemoryAdapter(ctx);
  store.addAll("a", ["r"]);
  store.addAll("b", []);
  store.addAll("ghost", ["r"]);
  assert.deepEqual(await store.fetchSockets({ rooms: new Set(["r"]) }), ["a"]);
  store.addSockets({ rooms: new Set(["r"]) }, ["s"]);
  assert.deepEqual([...store.socketRooms("a")!], ["r", "s"]);
  store.delSockets({ rooms: new Set(["s"]) }, ["r", "s"]);
  assert.deepEqual([...store.socketRooms("a")!], []);
});

test("a broadcast is encoded once: every member gets the very same encoded frames", () => {
  const { adapter, writes } = fakeNamespace(["a", "b", "c"]);
  adapter.addAll("a", ["room"]);
  adapter.addAll("b", ["room"]);
  adapter.broadcast(event("ev", new Uint8Array([1])), { rooms: new Set(["room"]) });
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
  adapter.broadcast(event("ev", "x"), { rooms: new Set(["room"]) });
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
  adapter.broadcast(event("e"), { rooms: new Set(["x", "y"]), except: new Set(["vip"]) });
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
  const fanout: RoutedFanout = {
    routing: topicRouting,
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
  const { adapter, writes, delivery } = fakeNamespace(["ws1", "ws2", "poll"], ps.fanout);
  for (const id of ["ws1", "ws2", "poll"]) adapter.addAll(id, ["room"]);
  delivery.attach("ws1", ps.sink("ws1"));
  delivery.attach("ws2", ps.sink("ws2"));
  adapter.broadcast(event("ev", 1), { rooms: new Set(["room"]) });
  assert.deepEqual(ps.published, [["/\u0000room", '42["ev",1]']]);
  assert.deepEqual(ps.received.get("ws1"), ['42["ev",1]']);
  assert.deepEqual(ps.received.get("ws2"), ['42["ev",1]']);
  assert.deepEqual(writes.get("poll")!.map((m) => (m as SharedMessage).wire), ['42["ev",1]']);
  assert.equal(writes.get("ws1")!.length, 0);
});

test("native fan-out of a custom parser's single binary frame: published as is, polling members written to", () => {
  const ps = fakePubSub();
  const { adapter, writes, delivery, host } = fakeNamespace(["ws1", "ws2", "poll"], ps.fanout);
  const bytes = new Uint8Array([0x83, 1, 2]);
  host._encode = () => [bytes]; // what socket.io-msgpack-parser's Encoder returns: one binary part
  for (const id of ["ws1", "ws2", "poll"]) adapter.addAll(id, ["room"]);
  delivery.attach("ws1", ps.sink("ws1"));
  delivery.attach("ws2", ps.sink("ws2"));
  adapter.broadcast({ type: PacketType.EVENT, nsp: "/", data: ["ev", 1] }, { rooms: new Set(["room"]) });
  assert.deepEqual(ps.published, [["/\u0000room", bytes]]);
  assert.deepEqual(ps.received.get("ws2"), [bytes]);
  assert.deepEqual(writes.get("poll")!.map((m) => (m as SharedMessage).wire), [bytes]);
  assert.equal(writes.get("ws1")!.length, 0);
});

test("native fan-out is skipped where it would change the result: except, several rooms, binary", () => {
  const ps = fakePubSub();
  const { adapter, writes, delivery } = fakeNamespace(["a", "b"], ps.fanout);
  adapter.addAll("a", ["r", "s"]);
  adapter.addAll("b", ["r", "s", "vip"]);
  delivery.attach("a", ps.sink("a"));
  delivery.attach("b", ps.sink("b"));
  adapter.broadcast(event("e"), { rooms: new Set(["r"]), except: new Set(["vip"]) });
  adapter.broadcast(event("e"), { rooms: new Set(["r", "s"]) });
  adapter.broadcast(event("e", new Uint8Array([1])), { rooms: new Set(["r"]) });
  assert.equal(ps.published.length, 0);
  assert.equal(writes.get("a")!.length, 3); // except did not apply to a; two rooms delivered once; binary
  assert.equal(writes.get("b")!.length, 2);
});

test("joining after attaching subscribes; leaving a room or disconnecting unsubscribes its topics", () => {
  const ps = fakePubSub();
  const { adapter, delivery } = fakeNamespace(["a"], ps.fanout);
  adapter.addAll("a", ["r"]);
  delivery.attach("a", ps.sink("a"));
  adapter.addAll("a", ["s"]);
  assert.deepEqual([...ps.topics.keys()].sort(), ["/\u0000r", "/\u0000s"]);
  adapter.del("a", "r");
  assert.equal(ps.topics.get("/\u0000r")!.size, 0);
  adapter.delAll("a");
  assert.equal(ps.topics.get("/\u0000s")!.size, 0);
});

test("a socket attached to topics twice counts once: members without a topic still get the broadcast", () => {
  const ps = fakePubSub();
  const { adapter, writes, delivery } = fakeNamespace(["ws", "poll"], ps.fanout);
  adapter.addAll("ws", ["room"]);
  adapter.addAll("poll", ["room"]);
  delivery.attach("ws", ps.sink("ws"));
  delivery.attach("ws", ps.sink("ws")); // an upgrade reported twice must not subscribe twice
  adapter.broadcast(event("ev"), { rooms: new Set(["room"]) });
  assert.deepEqual(ps.received.get("ws"), ['42["ev"]']);
  assert.deepEqual(writes.get("poll")!.map((m) => (m as SharedMessage).wire), ['42["ev"]']);
});

test("without a runtime fan-out nothing is subscribed", () => {
  const ps = fakePubSub();
  const { adapter, writes, delivery } = fakeNamespace(["a"]);
  adapter.addAll("a", ["room"]);
  delivery.attach("a", ps.sink("a"));
  assert.equal(ps.topics.size, 0);
  adapter.broadcast(event("ev"), { rooms: new Set(["room"]) });
  assert.equal(writes.get("a")!.length, 1);
});

test("a room with no subscribed member is not published to the runtime: its members are written to", () => {
  const ps = fakePubSub();
  const { adapter, writes } = fakeNamespace(["poll"], ps.fanout);
  adapter.addAll("poll", ["room"]);
  adapter.broadcast(event("ev"), { rooms: new Set(["room"]) });
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
  for (const rooms of [["x"], ["x", "y"]]) adapter.broadcast(event("ev"), { rooms: new Set(rooms) });
  assert.equal(writes.get("a")!.length, 2);
});
