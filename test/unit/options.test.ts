/** Option checking of the core `Server`, the logger, and refusing socket.io room-store adapters. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createServer } from "node:http";
import { Adapter as SocketIoAdapter } from "socket.io-adapter";
import { Server } from "../../src/index.ts";
import { InMemoryAdapter, type StoreContext } from "../../src/room-store.ts";
import { debugEnabled, IGNORED_OPTIONS } from "../../src/runtime.ts";

const quiet = { warn() {}, error() {}, info() {}, debug() {} };

describe("option checking", () => {
  it("an unknown option is a TypeError naming it, with the closest valid name", () => {
    assert.throws(() => new Server({ pingIntervall: 1000 } as never), {
      name: "TypeError",
      message: 'portio: unknown option "pingIntervall" (did you mean "pingInterval"?)',
    });
    assert.throws(() => new Server({ maxHttpBuferSize: 1 } as never), /did you mean "maxHttpBufferSize"/);
    assert.throws(() => new Server({ zzz: 1 } as never), { message: 'portio: unknown option "zzz"' });
  });

  it("a wrong type is a TypeError naming the option and the value", () => {
    assert.throws(() => new Server({ pingInterval: "abc" } as never), {
      name: "TypeError",
      message: 'portio: option "pingInterval" must be a number of milliseconds (>= 0), got "abc"',
    });
    assert.throws(() => new Server({ pingTimeout: Number.NaN }), /"pingTimeout" must be/);
    assert.throws(() => new Server({ transports: ["polling", "smoke"] } as never), /"transports" must be/);
    assert.throws(() => new Server({ path: "socket.io" }), /"path" must be a string starting with "\/"/);
    assert.throws(() => new Server({ cookie: "yes" } as never), /"cookie" must be/);
    assert.throws(
      () => new Server({ connectionStateRecovery: { maxDisconnectionDuration: "1m" } } as never),
      /"connectionStateRecovery.maxDisconnectionDuration" must be/,
    );
    assert.throws(() => new Server("options" as never), /options must be an object/);
  });

  it("every socket.io / engine.io option name is accepted, unimplemented ones with a warning", async () => {
    const warnings: string[] = [];
    const io = new Server({
      serveClient: false,
      perMessageDeflate: false,
      httpCompression: true,
      allowEIO3: false,
      addTrailingSlash: true,
      destroyUpgrade: false,
      destroyUpgradeTimeout: 1000,
      cleanupEmptyChildNamespaces: true,
      initialPacket: undefined,
      logger: { ...quiet, warn: (msg: string) => warnings.push(msg) },
    });
    assert.deepEqual(warnings, []);
    assert.deepEqual([...IGNORED_OPTIONS].sort(), ["wsEngine"]);
    await io.close();
  });

  it('transports with "webtransport" are accepted without a warning (portio/deno serves it; elsewhere it is unused)', async () => {
    const warnings: string[] = [];
    const logger = { ...quiet, warn: (msg: string) => warnings.push(msg) };
    const io = new Server({ transports: ["polling", "websocket", "webtransport"] as never, logger });
    assert.deepEqual(warnings, []);
    assert.deepEqual(io.engine.opts.transports, ["polling", "websocket", "webtransport"]);
    await io.close();
  });

  it("a port or an http server given to the runtime-free Server is a clear error", () => {
    assert.throws(() => new Server(3000 as never), {
      name: "TypeError",
      message: /new Server\(3000\) needs an HTTP server this runtime does not have.*portio\/deno/,
    });
    const http = createServer();
    assert.throws(() => new Server(http as never), /Node-only.*portio\/node/);
  });
});

describe("adapter option", () => {
  it("a socket.io adapter (a factory returning a socket.io-adapter store) points to portio/redis", () => {
    // what @socket.io/redis-adapter's and redis-streams-adapter's `createAdapter()` return: a factory of
    // socket.io-adapter subclasses (theirs need a live Redis; the base class is the same contract)
    let closed = 0;
    const factory = (nsp: unknown) => {
      const store = new SocketIoAdapter(nsp as never);
      store.close = () => void closed++;
      return store;
    };
    assert.throws(() => new Server({ adapter: factory as never }), {
      name: "TypeError",
      message: /not a Portio room store.*"portio\/redis"/,
    });
    return Promise.resolve().then(() => assert.equal(closed, 1, "the refused store is closed"));
  });

  it("a socket.io adapter class (socket.io-redis, socket.io-adapter subclasses) points to portio/redis", () => {
    class RedisAdapter extends SocketIoAdapter {}
    assert.throws(() => new Server({ adapter: RedisAdapter as never }), /the class RedisAdapter.*portio\/redis/s);
  });

  it("a Portio store class or factory is accepted", async () => {
    class MyStore extends InMemoryAdapter {}
    const a = new Server({ adapter: MyStore as never });
    assert.ok(a.sockets.adapter instanceof MyStore);
    const b = new Server({ adapter: (nsp: StoreContext) => new MyStore(nsp) });
    assert.ok(b.of("/x").adapter instanceof MyStore);
    await a.close();
    await b.close();
  });
});

describe("logger", () => {
  it("DEBUG patterns: portio names, socket.io's names, exclusions", () => {
    assert.ok(debugEnabled("portio:*", ["portio:engine"]));
    assert.ok(debugEnabled("socket.io:*", ["portio:socket", "socket.io:server"]));
    assert.ok(debugEnabled("engine*", ["portio:engine", "engine"]));
    assert.ok(!debugEnabled("portio:*,-portio:engine", ["portio:engine"]));
    assert.ok(!debugEnabled("", ["portio:engine"]));
    assert.ok(!debugEnabled("express:*", ["portio:engine", "engine"]));
  });

  it("DEBUG=portio:* prints the engine's debug lines; a logger option receives them instead", () => {
    const script = `
      import { Server } from "./src/index.ts";
      const lines = [];
      const io = new Server(process.argv[1] === "custom" ? { logger: { debug: (...a) => lines.push(a.join(" ")) } } : {});
      const open = await (await io.handle(new Request("http://x/socket.io/?EIO=4&transport=polling"))).text();
      const sid = JSON.parse(open.slice(1)).sid;
      const url = "http://x/socket.io/?EIO=4&transport=polling&sid=" + sid;
      await io.handle(new Request(url, { method: "POST", body: "40/nope," }));
      await io.close();
      if (lines.length) console.log("CUSTOM " + lines[0]);
    `;
    const run = (env: string, arg = "") =>
      spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script, arg], {
        env: { ...process.env, DEBUG: env },
        encoding: "utf8",
      });
    for (const spec of ["portio:*", "engine*", "portio:engine"]) {
      assert.match(run(spec).stderr, /portio:engine handshake \S+ over polling/, spec);
    }
    assert.doesNotMatch(run("").stderr, /handshake/);
    const socketIo = run("socket.io:*").stderr;
    assert.doesNotMatch(socketIo, /portio:engine/);
    assert.match(socketIo, /portio:socket client \S+: no namespace \/nope/);
    const custom = run("", "custom");
    assert.match(custom.stdout, /^CUSTOM handshake \S+ over polling/m);
  });
});
