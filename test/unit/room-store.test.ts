/** The in-memory room store: membership, room selection, and one encoding per broadcast. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { InMemoryAdapter, PacketType, type StoreNamespace, type StoreSocket } from "../../src/index.ts";
import { defaultScheduler } from "../../src/index.ts";

function fakeNamespace(ids: string[]) {
  const writes = new Map<string, unknown[]>();
  const sockets = new Map<string, StoreSocket>();
  const nsp: StoreNamespace = { name: "/", sockets, scheduler: defaultScheduler, _nextAckId: () => 1 };
  const adapter = new InMemoryAdapter(nsp);
  for (const id of ids) {
    writes.set(id, []);
    sockets.set(id, {
      id, handshake: {}, data: {}, rooms: new Set(),
      _writeEncoded: (encoded) => writes.get(id)!.push(encoded),
      _notifyOutgoing: () => {}, _registerAck: () => {},
      join: (r) => adapter.addAll(id, Array.isArray(r) ? r : [r]), leave: (r) => adapter.del(id, r), disconnect: () => {},
    });
    adapter.addAll(id, [id]);
  }
  return { adapter, writes };
}

test("a broadcast is encoded once: every member gets the very same encoded frames", () => {
  const { adapter, writes } = fakeNamespace(["a", "b", "c"]);
  adapter.addAll("a", ["room"]);
  adapter.addAll("b", ["room"]);
  adapter.broadcast({ type: PacketType.EVENT, nsp: "/", data: ["ev", new Uint8Array([1])] }, { rooms: new Set(["room"]) });
  const [wa] = writes.get("a")!;
  const [wb] = writes.get("b")!;
  assert.equal(wa, wb, "encoded once, shared by reference");
  assert.deepEqual(wa, ['51-["ev",{"_placeholder":true,"num":0}]', new Uint8Array([1])]);
  assert.equal(writes.get("c")!.length, 0);
});

test("rooms: union without duplicates, except, delAll and room events", () => {
  const { adapter, writes } = fakeNamespace(["a", "b", "c"]);
  const events: string[] = [];
  adapter.on("create-room", (r) => events.push(`create:${r}`));
  adapter.on("delete-room", (r) => events.push(`delete:${r}`));
  adapter.addAll("a", ["x", "y"]);
  adapter.addAll("b", ["y"]);
  adapter.addAll("c", ["vip", "x"]);
  adapter.broadcast({ type: PacketType.EVENT, nsp: "/", data: ["e"] }, { rooms: new Set(["x", "y"]), except: new Set(["vip"]) });
  assert.deepEqual([...writes].map(([id, w]) => [id, w.length]), [["a", 1], ["b", 1], ["c", 0]]);
  adapter.delAll("c");
  assert.equal(adapter.rooms.has("vip"), false);
  assert.deepEqual(events, ["create:x", "create:y", "create:vip", "delete:c", "delete:vip"]);
  assert.deepEqual([...adapter.socketRooms("a")!].sort(), ["a", "x", "y"]);
});
