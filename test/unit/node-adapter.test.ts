/** The Node adapter: attach to an existing http server (its routes keep working), serve + graceful close. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { io as ioc } from "socket.io-client";
import { Server } from "../../src/index.ts";
import { attach, serve } from "../../adapters/node/index.ts";

test("attach keeps the http server's own routes and serves socket.io on its path", async () => {
  const http = createServer((_req, res) => res.end("app route"));
  const io = new Server();
  io.on("connection", (s) => s.on("echo", (x: unknown, ack: (y: unknown) => void) => ack(x)));
  attach(io, http);
  await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
  const port = (http.address() as { port: number }).port;
  assert.equal(await (await fetch(`http://127.0.0.1:${port}/anything`)).text(), "app route");
  for (const transports of [["polling"], ["websocket"]] as const) {
    const c = ioc(`http://127.0.0.1:${port}`, { transports: [...transports], forceNew: true, reconnection: false });
    assert.equal(await c.timeout(3000).emitWithAck("echo", transports[0]), transports[0]);
    c.close();
  }
  await io.close();
  http.closeAllConnections();
  await new Promise((r) => http.close(r));
});

test("serve with a fallback fetch; close() disconnects clients with 'server shutting down' and frees the port", async () => {
  const io = new Server();
  const reasons: string[] = [];
  io.on("connection", (s) => s.on("disconnect", (r) => reasons.push(r)));
  const handle = await serve(io, { port: 0, hostname: "127.0.0.1", fetch: () => new Response("fallback") });
  const url = `http://127.0.0.1:${handle.port}`;
  assert.equal(await (await fetch(`${url}/x`)).text(), "fallback");
  const c = ioc(url, { transports: ["websocket"], forceNew: true, reconnection: false });
  await new Promise((r) => c.once("connect", () => r(undefined)));
  const closed = new Promise((r) => c.once("disconnect", r));
  await handle.close();
  assert.equal(await closed, "transport close");
  assert.deepEqual(reasons, ["server shutting down"]);
  await assert.rejects(fetch(`${url}/x`));
});

test("an upgrade on a path no server owns is refused without crashing", async () => {
  const io = new Server();
  const handle = await serve(io, { port: 0, hostname: "127.0.0.1" });
  const { default: WebSocket } = await import("ws");
  const ws = new WebSocket(`ws://127.0.0.1:${handle.port}/elsewhere/`);
  const outcome = await new Promise((r) => {
    ws.on("error", () => r("refused"));
    ws.on("open", () => r("opened"));
  });
  assert.equal(outcome, "refused");
  await handle.close();
});

test("perMessageDeflate: ws's own permessage-deflate options reach ws on Node, as engine.io hands them over", async () => {
  const io = new Server({ perMessageDeflate: { threshold: 0, serverNoContextTakeover: true } });
  const handle = await serve(io, { port: 0, hostname: "127.0.0.1" });
  const { default: WebSocket } = await import("ws");
  const ws = new WebSocket(`ws://127.0.0.1:${handle.port}/socket.io/?EIO=4&transport=websocket`);
  const headers = await new Promise<Record<string, unknown>>((r, j) => {
    ws.once("upgrade", (res) => r(res.headers));
    ws.once("error", j);
  });
  assert.match(String(headers["sec-websocket-extensions"]), /permessage-deflate; server_no_context_takeover/);
  ws.close();
  await handle.close();
});

test("a binary broadcast (msgpack parser) is framed once and reaches every WebSocket member intact", async () => {
  const { default: msgpackParser } = await import("socket.io-msgpack-parser");
  const io = new Server({ parser: msgpackParser });
  io.on("connection", (s) => s.on("join", (room: string, ack: () => void) => (s.join(room), ack())));
  const handle = await serve(io, { port: 0, hostname: "127.0.0.1" });
  const url = `http://127.0.0.1:${handle.port}`;
  // no permessage-deflate on this server: the shared pre-built frame is written to each TCP socket
  const clients = [0, 1, 2].map(() =>
    ioc(url, { transports: ["websocket"], forceNew: true, reconnection: false, parser: msgpackParser })
  );
  await Promise.all(clients.map((c) => c.timeout(3000).emitWithAck("join", "r")));
  const got = clients.map((c) =>
    new Promise<unknown[]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("the broadcast did not arrive")), 3000);
      c.once("b", (...a: unknown[]) => (clearTimeout(timer), resolve(a)));
    })
  );
  io.to("r").emit("b", "text", new Uint8Array(300).fill(7), { n: 1 });
  for (const [text, bin, obj] of await Promise.all(got)) {
    assert.equal(text, "text");
    assert.deepEqual([...new Uint8Array(bin as ArrayBuffer)], new Array(300).fill(7));
    assert.deepEqual(obj, { n: 1 });
  }
  for (const c of clients) c.close();
  await handle.close();
});

test("perMessageDeflate is negotiated only on the paths of the servers that ask for it", async () => {
  const plain = new Server();
  const deflated = new Server({ path: "/deflate", perMessageDeflate: true });
  const handle = await serve([plain, deflated], { port: 0, hostname: "127.0.0.1" });
  const { default: WebSocket } = await import("ws");
  const extensions = async (path: string) => {
    const ws = new WebSocket(`ws://127.0.0.1:${handle.port}${path}?EIO=4&transport=websocket`); // offers deflate
    const headers = await new Promise<Record<string, unknown>>((r, j) => {
      ws.once("upgrade", (res) => r(res.headers));
      ws.once("error", j);
    });
    ws.close();
    return String(headers["sec-websocket-extensions"] ?? "");
  };
  assert.match(await extensions("/deflate/"), /permessage-deflate/);
  assert.equal(await extensions("/socket.io/"), "", "a server without perMessageDeflate negotiated it");
  await handle.close();
});
