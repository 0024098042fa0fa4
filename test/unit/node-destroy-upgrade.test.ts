/**
 * engine.io's `destroyUpgrade` / `destroyUpgradeTimeout` on the Node adapter: on an http server shared with
 * other code, a WebSocket upgrade for another path that nothing answered within the timeout is ended; one the
 * app's own `upgrade` listener answers is left alone; `destroyUpgrade: false` leaves every such upgrade to the app.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server as HttpServer } from "node:http";
import { connect } from "node:net";
import WebSocket, { WebSocketServer } from "ws";
import { Server, type ServerOptions } from "../../src/index.ts";
import { attach } from "../../adapters/node/index.ts";

async function start(opts: ServerOptions): Promise<{ http: HttpServer; port: number; stop(): Promise<void> }> {
  const http = createServer();
  const io = new Server(opts);
  attach(io, http);
  await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
  return {
    http,
    port: (http.address() as { port: number }).port,
    stop: async () => {
      await io.close();
      http.closeAllConnections();
      await new Promise((r) => http.close(r));
    },
  };
}

/** A raw upgrade request for `path`; resolves with the ms until the server ended the connection, or null. */
function strayUpgrade(port: number, path: string, waitMs: number): Promise<number | null> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect(port, "127.0.0.1", () => {
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
          "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
      );
    });
    const timer = setTimeout(() => (socket.destroy(), resolve(null)), waitMs);
    socket.on("error", () => {});
    socket.on("close", () => (clearTimeout(timer), resolve(Date.now() - started)));
  });
}

test("destroyUpgrade (default on): an unanswered upgrade for another path is ended after destroyUpgradeTimeout", async () => {
  const s = await start({ destroyUpgradeTimeout: 300 });
  try {
    const ended = await strayUpgrade(s.port, "/elsewhere", 5000);
    assert.ok(ended !== null, "the stray upgrade was never ended");
    // a lower bound only (load can delay the timer, never advance it): the timeout, not an immediate refusal
    assert.ok(ended >= 250, `ended after ${ended} ms, before destroyUpgradeTimeout`);
  } finally {
    await s.stop();
  }
});

/** An app's own WebSocket server on `path`, answering upgrades after `delay` ms (an echo). */
function appWebSocket(http: HttpServer, path: string, delay: number): WebSocketServer {
  const wss = new WebSocketServer({ noServer: true });
  wss.on("connection", (ws) => ws.on("message", (m) => ws.send(`echo ${m}`)));
  http.on("upgrade", (req, socket, head) => {
    if (req.url !== path) return;
    setTimeout(() => wss.handleUpgrade(req, socket, head, (ws) => wss.emit("connection", ws, req)), delay);
  });
  return wss;
}

/** Opens a WebSocket to `path`, checks it still works after `holdMs`, closes it. */
async function echoesAfter(port: number, path: string, holdMs: number): Promise<void> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`);
  await new Promise((r, j) => (ws.once("open", r), ws.once("error", j)));
  await new Promise((r) => setTimeout(r, holdMs));
  assert.equal(ws.readyState, WebSocket.OPEN, "the app's WebSocket was ended");
  ws.send("hi");
  const [reply] = await new Promise<unknown[]>((r) => ws.once("message", (...a) => r(a)));
  assert.equal(String(reply), "echo hi");
  ws.close();
}

test("destroyUpgrade: an upgrade the app's own listener answers in time is kept past the timeout", async () => {
  const s = await start({ destroyUpgradeTimeout: 200 });
  const wss = appWebSocket(s.http, "/app-ws", 0);
  try {
    await echoesAfter(s.port, "/app-ws", 600);
  } finally {
    wss.close();
    await s.stop();
  }
});

test("destroyUpgrade: false leaves upgrades for other paths to the app, however late it answers", async () => {
  const s = await start({ destroyUpgrade: false, destroyUpgradeTimeout: 200 });
  // later than the timeout given and than the default (1000 ms)
  const wss = appWebSocket(s.http, "/late-ws", 1300);
  try {
    await echoesAfter(s.port, "/late-ws", 0);
  } finally {
    wss.close();
    await s.stop();
  }
});
