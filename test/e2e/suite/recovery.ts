/** Connection state recovery: pid/offset on the wire, restored id, rooms, data and missed messages, once. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Section } from "../suite.ts";
import { client, collect, connected, logOf, once, rawWs, SINGLE_TRANSPORTS } from "../harness.ts";

const section: Section = (target) => {
  describe("connection state recovery", () => {
    for (const transports of SINGLE_TRANSPORTS) {
      it(`a dropped client recovers its id, rooms, data and the messages it missed (${transports[0]})`, async () => {
        const c = client(target(), "/", {
          transports,
          reconnection: true,
          reconnectionDelay: 100,
          reconnectionDelayMax: 200,
        });
        await connected(c);
        await c.timeout(2000).emitWithAck("join", "rec");
        await c.timeout(2000).emitWithAck("set-data", { name: "rex" });
        const sender = await connected(client(target()));
        // one broadcast received before the drop gives the client an offset
        const first = collect(c, "rec-msg", 1);
        await sender.timeout(2000).emitWithAck("bcast", { to: ["rec"] }, "rec-msg", 0);
        await first;
        const id = c.id;
        const dropped = once(c, "disconnect");
        c.io.engine.close(); // simulate a network drop: the client reconnects by itself
        await dropped;
        for (let i = 1; i <= 3; i++) await sender.timeout(2000).emitWithAck("bcast", { to: ["rec"] }, "rec-msg", i);
        const missed = collect(c, "rec-msg", 3);
        await once(c, "connect");
        assert.equal(c.recovered, true, "client not recovered");
        assert.equal(c.id, id);
        assert.deepEqual((await missed).map((a) => a[0]), [1, 2, 3]);
        const state = (await c.timeout(2000).emitWithAck("state")) as {
          id: string;
          recovered: boolean;
          rooms: string[];
          data: unknown;
        };
        assert.equal(state.recovered, true);
        assert.equal(state.id, id);
        assert.deepEqual(state.rooms.sort(), [id!, "rec"].sort());
        assert.deepEqual(state.data, { name: "rex" });
      });
    }

    it("the CONNECT reply carries a pid and broadcasts carry an offset as last argument", async () => {
      const ws = await rawWs(target());
      ws.ws.send("40");
      let connect = await ws.next();
      while (connect === "2") connect = await ws.next();
      const reply = JSON.parse(String(connect).slice(2));
      assert.equal(typeof reply.sid, "string");
      assert.equal(typeof reply.pid, "string");
      const welcome = String(await ws.next());
      const args = JSON.parse(welcome.slice(2));
      assert.equal(args[0], "welcome");
      assert.equal(typeof args[args.length - 1], "string", "no offset appended");
      ws.ws.close();
    });

    it("a session is restored once: a second attempt with the same pid is a fresh session", async () => {
      const c = client(target(), "/", {
        transports: ["websocket"],
        reconnection: true,
        reconnectionDelay: 50,
        reconnectionDelayMax: 100,
      });
      const welcome = once(c, "welcome");
      await connected(c);
      await welcome;
      const pid = (c as unknown as { _pid: string })._pid;
      const offset = (c as unknown as { _lastOffset: string })._lastOffset;
      assert.ok(pid && offset);
      c.io.engine.close();
      await once(c, "connect");
      assert.equal(c.recovered, true);
      const id = c.id;
      c.close();
      // the server has seen the second disconnect (a client that left on purpose)
      await logOf(target(), { id }, (mine) => mine.some((e) => e.reason === "client namespace disconnect"));
      const again = client(target(), "/", { transports: ["websocket"], auth: { pid, offset } });
      await connected(again);
      assert.equal(again.recovered, false);
    });

    it("an unknown pid or offset gives a fresh session", async () => {
      const c = client(target(), "/", { transports: ["websocket"], auth: { pid: "nope", offset: "nope" } });
      await connected(c);
      assert.equal(c.recovered, false);
    });

    it("a client that left on purpose is not recoverable", async () => {
      const c = client(target(), "/", { transports: ["websocket"] });
      const welcome = once(c, "welcome");
      await connected(c);
      await welcome;
      const pid = (c as unknown as { _pid: string })._pid;
      const offset = (c as unknown as { _lastOffset: string })._lastOffset;
      const id = c.id;
      c.disconnect();
      await logOf(target(), { id });
      const again = client(target(), "/", { transports: ["websocket"], auth: { pid, offset } });
      await connected(again);
      assert.equal(again.recovered, false);
    });
  });
};
export default section;
