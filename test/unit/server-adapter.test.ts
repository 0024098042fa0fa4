/** `io.adapter()` and the `adapter` option: a class (socket.io's form) or a factory, set or replaced. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Server } from "../../src/index.ts";
import { InMemoryAdapter, type StoreContext } from "../../src/room-store.ts";

class TaggedStore extends InMemoryAdapter {
  readonly tag = "tagged";
}

test("the adapter option takes a class, as socket.io does, or a factory", async () => {
  const byClass = new Server({ adapter: TaggedStore });
  assert.ok(byClass.of("/a").adapter instanceof TaggedStore);
  const made: string[] = [];
  const byFactory = new Server({
    adapter: (nsp: StoreContext) => {
      made.push(nsp.name);
      return new TaggedStore(nsp);
    },
  });
  assert.ok(byFactory.of("/b").adapter instanceof TaggedStore);
  assert.deepEqual(made, ["/", "/b"]);
  await byClass.close();
  await byFactory.close();
});

test("io.adapter(Store) replaces the store of every namespace and of later ones; io.adapter() returns it", async () => {
  const io = new Server();
  const before = io.of("/x").adapter;
  assert.equal(io.adapter(), undefined);
  assert.equal(io.adapter(TaggedStore), io);
  assert.equal(io.adapter(), TaggedStore);
  assert.notEqual(io.of("/x").adapter, before);
  assert.ok(io.of("/x").adapter instanceof TaggedStore);
  assert.ok(io.sockets.adapter instanceof TaggedStore);
  assert.ok(io.of("/later").adapter instanceof TaggedStore);
  await io.close();
});

test("io.of(name) after a matching RegExp parent creates its child; a non-matching name stays plain", async () => {
  const io = new Server();
  const parent = io.of(/^\/dyn-\d+$/);
  const child = io.of("/dyn-101");
  assert.equal((parent as unknown as { children: Set<unknown> }).children.has(child), true);
  const plain = io.of("/other");
  assert.equal((parent as unknown as { children: Set<unknown> }).children.has(plain), false);
  await io.close();
});
