/**
 * socket.io-client 2.x with `allowEIO3` (as socket.io 4 serves it): Engine.IO v3 framing (length-prefixed
 * polling payloads, type-prefixed binary WebSocket frames, client-initiated heartbeat) and the Socket.IO v4
 * protocol (implicit main namespace, auth in the namespace's query, ids `<nsp>#<engine id>`).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import iocV2 from "socket.io-client-v2";
import type { Section } from "../suite.ts";
import { once, sleep, TRANSPORT_MATRIX } from "../harness.ts";

interface V2Socket {
  id: string;
  connected: boolean;
  io: { engine: { transport: { name: string } } };
  on(ev: string, fn: (...args: unknown[]) => void): V2Socket;
  emit(ev: string, ...args: unknown[]): V2Socket;
  close(): void;
}
const connect = iocV2 as unknown as (url: string, opts: Record<string, unknown>) => V2Socket;

const section: Section = (target) => {
  describe("socket.io-client 2.x (allowEIO3)", () => {
    const open: V2Socket[] = [];
    const v2 = (nsp: string, transports: string[], query?: Record<string, string>) => {
      const s = connect(`${target().url}${nsp}`, {
        path: "/v2",
        transports,
        forceNew: true,
        reconnection: false,
        timeout: 5000,
        ...(query ? { query } : {}),
      });
      open.push(s);
      return s;
    };
    const closeAll = () => open.splice(0).forEach((s) => s.close());

    it("a v3 client is refused where allowEIO3 is off (400, unsupported protocol version)", async () => {
      const res = await fetch(`${target().url}/socket.io/?EIO=3&transport=polling`);
      assert.equal(res.status, 400);
      assert.deepEqual(await res.json(), { code: 5, message: "Unsupported protocol version" });
    });

    it("polling answers with v3 length-prefixed payloads", async () => {
      const res = await fetch(`${target().url}/v2/?EIO=3&transport=polling`);
      const text = await res.text();
      const m = /^(\d+):(0\{.*?\})/.exec(text);
      assert.ok(m, text);
      assert.equal(Number(m![1]), m![2]!.length);
      assert.deepEqual(JSON.parse(m![2]!.slice(1)).upgrades, ["websocket"]);
    });

    for (const { label, transports } of TRANSPORT_MATRIX) {
      it(`connects to the main namespace implicitly, events, binary and acks, heartbeat over ${label}`, async () => {
        try {
          const c = v2("/", transports);
          const [welcome] = await once(c as never, "welcome") as [{ id: string; bin: Uint8Array }];
          assert.equal(welcome.id, c.id, "the server's socket.id is the one the v2 client derives");
          assert.deepEqual([...welcome.bin], [1, 2, 3]);
          const acked = await new Promise<unknown[]>((resolve) =>
            c.emit("echo", "x", Buffer.from([9, 8]), { n: 1 }, (...args: unknown[]) => resolve(args))
          );
          assert.equal(acked[0], "x");
          assert.deepEqual([...(acked[1] as Uint8Array)], [9, 8]);
          assert.deepEqual(acked[2], { n: 1 });
          // several v3 heartbeats (the client pings every 300 ms; silence would close after 600 ms)
          await sleep(1200);
          assert.ok(c.connected);
          if (transports.includes("websocket")) assert.equal(c.io.engine.transport.name, "websocket");
        } finally {
          closeAll();
        }
      });
    }

    for (const transports of [["polling"], ["websocket"]]) {
      it(`a namespace gets its auth from the query; a middleware error reaches the v2 client (${transports})`, async () => {
        try {
          const ok = v2("/auth", transports, { token: "ok" });
          const [welcome] = await once(ok as never, "welcome") as [{ id: string; auth: unknown }];
          assert.equal(welcome.id, ok.id);
          assert.match(welcome.id, /^\/auth#/);
          assert.deepEqual(welcome.auth, { token: "ok" });
          const bad = v2("/auth", transports, { token: "no" });
          assert.deepEqual(await once(bad as never, "error"), ["bad token"]);
        } finally {
          closeAll();
        }
      });
    }
  });
};

export default section;
