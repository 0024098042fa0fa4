/**
 * The engine's side of WebTransport without a runtime: the `upgrades` list and the `transports` option,
 * HTTP requests naming the transport, and `onWebTransportSession` with a session made of in-memory Web
 * Streams (what an adapter hands over: ports.ts `WebTransportSessionLike`). Deno's real sessions are in
 * test/webtransport (run by test/e2e/webtransport.test.ts).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { EngineServer } from "../../src/engine/server.ts";
import type { WebTransportSessionLike, WebTransportStreamLike } from "../../src/ports.ts";
import { encodeFrame, FrameDecoder } from "../../src/engine/framing.ts";
import { acceptWebTransport } from "../../src/engine/webtransport.ts";
import type { EngineOptions } from "../../src/engine/options.ts";

async function upgradesOf(engine: EngineServer): Promise<string[]> {
  const res = await engine.handle(new Request("http://x/engine.io/?EIO=4&transport=polling"));
  return JSON.parse((await res!.text()).slice(1)).upgrades;
}

/** A session whose client side the test drives: `write` frames in, `read` frames out, `closed` as closed. */
function fakeSession(url = "https://x/engine.io/") {
  const toServer = new TransformStream<Uint8Array, Uint8Array>();
  const toClient = new TransformStream<Uint8Array, Uint8Array>();
  const streams = new TransformStream<WebTransportStreamLike, WebTransportStreamLike>();
  let close!: (info: { closeCode?: number; reason?: string }) => void;
  const closed = new Promise<{ closeCode?: number; reason?: string }>((r) => (close = r));
  const session: WebTransportSessionLike = {
    url,
    incomingBidirectionalStreams: streams.readable,
    closed,
    close: (info = {}) => close(info),
  };
  const writer = toServer.writable.getWriter();
  const reader = toClient.readable.getReader();
  const decoder = new FrameDecoder(1e6);
  const got: Array<string | Uint8Array> = [];
  return {
    session,
    closed,
    async openStream() {
      const w = streams.writable.getWriter();
      await w.write({ readable: toServer.readable, writable: toClient.writable });
      w.releaseLock();
    },
    write: (bytes: Uint8Array) => void writer.write(bytes),
    async read(): Promise<string | Uint8Array> {
      while (got.length === 0) {
        const { value, done } = await reader.read();
        if (done) throw new Error("ended");
        got.push(...decoder.push(value));
      }
      return got.shift()!;
    },
  };
}

const wtEngine = (opts: EngineOptions = {}) =>
  new EngineServer({ path: "/engine.io/", transports: ["polling", "websocket", "webtransport"], ...opts });

/** An engine an adapter serves WebTransport for: it handed the acceptor (as portio/deno does). */
function served(engine: EngineServer): EngineServer {
  engine.offerWebTransport(acceptWebTransport);
  return engine;
}

describe("WebTransport in the engine", () => {
  it("upgrades list webtransport only once an adapter offers it, and only when `transports` has it", async () => {
    const engine = wtEngine();
    assert.deepEqual(await upgradesOf(engine), ["websocket"]);
    assert.equal(engine.offerWebTransport(acceptWebTransport), true);
    assert.deepEqual(await upgradesOf(engine), ["websocket", "webtransport"]);
    const without = new EngineServer({ path: "/engine.io/", transports: ["polling", "websocket"] });
    assert.equal(without.offerWebTransport(acceptWebTransport), false);
    assert.deepEqual(await upgradesOf(without), ["websocket"]);
    const noUpgrades = wtEngine({ allowUpgrades: false });
    noUpgrades.offerWebTransport(acceptWebTransport);
    assert.deepEqual(await upgradesOf(noUpgrades), []);
    engine.close();
    without.close();
    noUpgrades.close();
  });

  it("an HTTP request for transport=webtransport is an unknown transport", async () => {
    const engine = wtEngine();
    const res = await engine.handle(new Request("http://x/engine.io/?EIO=4&transport=webtransport"));
    assert.equal(res!.status, 400);
    assert.deepEqual(await res!.json(), { code: 0, message: "Transport unknown" });
  });

  it("a session: open packet first, then a new Engine.IO session on the stream", async () => {
    const engine = served(wtEngine());
    const f = fakeSession();
    const accepted = engine.onWebTransportSession(f.session, { remoteAddress: "10.0.0.1" });
    await f.openStream();
    f.write(encodeFrame({ type: "open" }));
    await accepted;
    const open = await f.read();
    assert.equal(typeof open, "string");
    const sid = JSON.parse((open as string).slice(1)).sid;
    const session = engine.clients.get(sid)!;
    assert.equal(session.transport.name, "webtransport");
    assert.equal(session.remoteAddress, "10.0.0.1");
    const messages: unknown[] = [];
    session.on("message", (d) => messages.push(d));
    f.write(encodeFrame({ type: "message", data: "hi" }));
    f.write(encodeFrame({ type: "message", data: new Uint8Array([1, 2]) }));
    session.send("back");
    assert.equal(await f.read(), "4back");
    assert.deepEqual(messages.map((m) => (typeof m === "string" ? m : [...(m as Uint8Array)])), ["hi", [1, 2]]);
    engine.close();
  });

  for (
    const [label, opts, url] of [
      ["transports without webtransport", { transports: ["polling", "websocket"] }, undefined],
      ["another path", {}, "https://x/other/"],
      ["EIO=3", {}, "https://x/engine.io/?EIO=3"],
    ] as const
  ) {
    it(`a session is refused (4403): ${label}`, async () => {
      const engine = served(
        new EngineServer({
          path: "/engine.io/",
          transports: ["polling", "websocket", "webtransport"],
          ...opts as EngineOptions,
        }),
      );
      const f = fakeSession(url);
      await engine.onWebTransportSession(f.session);
      assert.equal((await f.closed).closeCode, 4403);
      assert.equal(engine.clientsCount, 0);
    });
  }

  it("engine middlewares refuse WebTransport sessions (they need an HTTP request)", async () => {
    const engine = served(wtEngine());
    engine.use((_req, _res, next) => next());
    const f = fakeSession();
    await engine.onWebTransportSession(f.session);
    assert.equal((await f.closed).reason, "engine middlewares need an HTTP request");
  });

  it("allowRequest sees the session's URL and can refuse it", async () => {
    const seen: string[] = [];
    const engine = served(wtEngine({
      allowRequest: (req, cb) => (seen.push(req.url), cb(null, !req.url.includes("deny"))),
    }));
    const f = fakeSession("https://x/engine.io/?deny=1");
    const accepted = engine.onWebTransportSession(f.session);
    await f.openStream();
    f.write(encodeFrame({ type: "open" }));
    await accepted;
    assert.equal((await f.closed).reason, "forbidden by allowRequest");
    assert.deepEqual(seen, ["https://x/engine.io/?deny=1"]);
  });

  it("without an acceptor (no adapter serves WebTransport) sessions are closed with a clear error", async () => {
    const errors: string[] = [];
    const logger = { debug() {}, info() {}, warn() {}, error: (...a: unknown[]) => void errors.push(a.join(" ")) };
    const engine = wtEngine({ logger });
    assert.equal(engine.offerWebTransport(), false);
    assert.deepEqual(await upgradesOf(engine), ["websocket"]);
    engine.close();
    const f = fakeSession();
    await engine.onWebTransportSession(f.session);
    assert.equal((await f.closed).closeCode, 4403);
    assert.equal(engine.clientsCount, 0);
    assert.equal(errors.length, 2);
    assert.match(errors[1]!, /WebTransport is served by portio\/deno/);
  });
});
