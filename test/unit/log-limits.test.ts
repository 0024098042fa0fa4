/**
 * Errors a client can cause at will never write a line per request at warn/error level: refusals are debug
 * lines, and what reaches the error level (an app hook or listener that throws on what a client sent, a request
 * no URL can hold) is logged at most once a minute per kind (util/log-limiter.ts).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Server } from "../../src/index.ts";
import { LogLimiter } from "../../src/util/log-limiter.ts";

/** A logger that records every warn/error line (debug and info are free). */
function fakeLogger() {
  const lines: string[] = [];
  const line = (level: string) => (...args: unknown[]) =>
    void lines.push(`${level} ${args.map((a) => (a instanceof Error ? a.message : String(a))).join(" ")}`);
  return { lines, logger: { debug() {}, info() {}, warn: line("warn"), error: line("error") } };
}

const BASE = "http://x/socket.io/?EIO=4&transport=polling";
const tick = () => new Promise((r) => setTimeout(r, 0));

async function open(io: Server): Promise<string> {
  const sid = JSON.parse((await (await io.handle(new Request(BASE)))!.text()).slice(1)).sid as string;
  await io.handle(new Request(`${BASE}&sid=${sid}`, { method: "POST", body: "40" }));
  return sid;
}

describe("client-triggerable errors are logged at most once a minute per kind", () => {
  it("LogLimiter: one line per kind per period, then the count of those left out", () => {
    const { lines, logger } = fakeLogger();
    let now = 0;
    const limiter = new LogLimiter(logger, 60_000, () => now);
    for (let i = 0; i < 1000; i++) limiter.error("a", "boom a");
    limiter.error("b", "boom b");
    assert.deepEqual(lines, ["error boom a", "error boom b"]);
    now = 60_000;
    limiter.error("a", "boom a");
    assert.deepEqual(lines.slice(2), ["error boom a (and 999 more like it since the last report, not logged)"]);
    // kinds are bounded: a flood of distinct ones is one more line a period
    lines.length = 0;
    for (let i = 0; i < 10_000; i++) limiter.error(`k${i}`, "distinct");
    assert.ok(lines.length <= 101, `${lines.length} lines`);
  });

  it("a server under repeated bad requests and throwing app code writes one line per kind", async () => {
    const { lines, logger } = fakeLogger();
    const io = new Server({ logger });
    // an app hook that fails for some clients: 500, logged once
    io.engine.on("initial_headers", (_headers, req) => {
      if (new URL(req.url).searchParams.has("boom")) throw new Error("initial_headers listener failed");
    });
    io.on("connection", (socket) => {
      if (socket.handshake.auth.boom) throw new Error("connection listener failed");
      socket.on("boom", (what: unknown) => {
        throw new TypeError(`listener failed on ${String(what).slice(0, 10)}`);
      });
    });
    const N = 50;
    for (let i = 0; i < N; i++) {
      // refusals: debug only
      assert.equal((await io.handle(new Request("http://x/socket.io/?EIO=9&transport=polling")))?.status, 400);
      assert.equal((await io.handle(new Request(`${BASE}&sid=nope`)))?.status, 400);
      const upgrade = new Request("http://x/socket.io/?EIO=4&transport=websocket", {
        headers: { upgrade: "websocket", connection: "Upgrade", "sec-websocket-version": "99" },
      });
      assert.equal((await io.handle(upgrade))?.status, 400);
      // a Host header no URL can hold (Node builds the URL from it)
      const badHost = await io.respond({
        url: "http://a b/socket.io/?EIO=4&transport=polling",
        method: "GET",
        headers: new Headers(),
      });
      assert.equal(badHost?.status, 400);
      // a throwing app hook: 500
      assert.equal((await io.handle(new Request(`${BASE}&boom=1`)))?.status, 500);
      // undecodable Engine.IO and Socket.IO payloads
      const sid = await open(io);
      await io.handle(new Request(`${BASE}&sid=${sid}`, { method: "POST", body: "zzz" }));
      const sid2 = await open(io);
      await io.handle(new Request(`${BASE}&sid=${sid2}`, { method: "POST", body: '42["boom",{]' }));
      // a listener that throws on what the client sent, and a connection listener that throws
      const sid3 = await open(io);
      await io.handle(new Request(`${BASE}&sid=${sid3}`, { method: "POST", body: `42["boom","x${i}"]` }));
      const sid4 = JSON.parse((await (await io.handle(new Request(BASE)))!.text()).slice(1)).sid as string;
      await io.handle(new Request(`${BASE}&sid=${sid4}`, { method: "POST", body: '40{"boom":true}' }));
      await tick();
    }
    await tick();
    // one line per kind: the headers hook, the event listener, the connection listener
    assert.equal(lines.length, 3, lines.join("\n"));
    assert.ok(lines.some((l) => l.includes("initial_headers listener failed")));
    assert.ok(lines.some((l) => l.includes("listener failed on x0")));
    assert.ok(lines.some((l) => l.includes("connection listener failed")));
    await io.close();
  });
});
