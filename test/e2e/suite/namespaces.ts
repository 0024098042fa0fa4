/** Namespaces (static, dynamic, multiplexed), connection middleware and the handshake fields. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Section } from "../suite.ts";
import { Manager } from "socket.io-client";
import { client, clientDefaults, connected, once, TRANSPORT_MATRIX } from "../harness.ts";

const section: Section = (target) => {
  describe("namespaces and middleware", () => {
    for (const { label, transports } of TRANSPORT_MATRIX) {
      it(`multiplexes "/" and "/custom" on one connection (${label})`, async () => {
        // one Manager, two namespaces: the official client multiplexes them over one engine connection
        const manager = new Manager(target().url, { ...clientDefaults, transports, reconnection: false });
        const main = manager.socket("/");
        const custom = manager.socket("/custom");
        main.connect();
        custom.connect();
        const [welcome] = await once<[{ nsp: string; id: string }]>(custom, "welcome");
        await connected(main);
        assert.equal(welcome.nsp, "/custom");
        assert.notEqual(main.id, custom.id);
        assert.equal(await custom.timeout(2000).emitWithAck("echo", "c"), "c");
        assert.equal(await main.timeout(2000).emitWithAck("echo", "m"), "m");
        custom.disconnect(); // leaving one namespace keeps the other
        assert.equal(await main.timeout(2000).emitWithAck("echo", "still"), "still");
        main.close();
        manager.engine?.close();
      });

      it(`middleware refusal reaches connect_error with message and data (${label})`, async () => {
        const c = client(target(), "/", { transports, auth: { token: "bad" } });
        const [err] = await once<[Error & { data: unknown }]>(c, "connect_error");
        assert.equal(err.message, "not authorized");
        assert.deepEqual(err.data, { reason: "bad token", code: 401 });
        assert.equal(c.connected, false);
      });
    }

    it("a middleware that throws refuses the connection instead of crashing", async () => {
      const c = client(target(), "/", { auth: { token: "throw" } });
      const [err] = await once<[Error]>(c, "connect_error");
      assert.equal(err.message, "middleware threw");
    });

    it("namespace middleware runs per namespace", async () => {
      const c = client(target(), "/custom", { auth: { deny: true } });
      const [err] = await once<[Error]>(c, "connect_error");
      assert.equal(err.message, "custom refused");
    });

    it("an unknown namespace answers Invalid namespace", async () => {
      const c = client(target(), "/nope");
      const [err] = await once<[Error]>(c, "connect_error");
      assert.equal(err.message, "Invalid namespace");
    });

    it("dynamic namespaces by RegExp and by function", async () => {
      const a = client(target(), "/dyn-42");
      const [w] = await once<[{ nsp: string }]>(a, "welcome");
      assert.equal(w.nsp, "/dyn-42");
      assert.equal(await a.timeout(2000).emitWithAck("echo", "d"), "d");
      const b = client(target(), "/fn-ok");
      const [w2] = await once<[{ nsp: string }]>(b, "welcome");
      assert.equal(w2.nsp, "/fn-ok");
      const refused = client(target(), "/dyn-x");
      const [err] = await once<[Error]>(refused, "connect_error");
      assert.equal(err.message, "Invalid namespace");
    });

    it("handshake fields: auth, query, headers, address, time, issued, url, secure, xdomain", async () => {
      const before = Date.now();
      const c = client(target(), "/", {
        transports: ["websocket"],
        auth: { name: "ann", n: 1 },
        query: { room: "q1" },
      });
      const [w] = await once<[{ id: string; handshake: Record<string, unknown> }]>(c, "welcome");
      await connected(c);
      const h = w.handshake;
      assert.equal(w.id, c.id);
      assert.deepEqual(h.auth, { name: "ann", n: 1 });
      assert.equal((h.query as Record<string, string>).room, "q1");
      assert.equal((h.query as Record<string, string>).EIO, "4");
      assert.equal(h.address, "127.0.0.1");
      assert.equal(h.secure, false);
      assert.equal(h.xdomain, false);
      assert.match(h.url as string, /^\/socket\.io\/\?/);
      assert.ok((h.issued as number) >= before - 1000 && (h.issued as number) <= Date.now() + 1000);
      assert.equal(typeof h.time, "string");
    });
  });
};
export default section;
