/**
 * socket.io's entry shapes on Node, through the package's own `portio` specifier (the `node` export
 * condition): `new Server(httpServer | port | options, options)`, `attach`, `listen`, `httpServer`, `close()`
 * closing the http server, `require("portio")(server)`, `io.engine.use` with express-session, and a prompt
 * exit after `close()`. Driven by the official client.
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import session from "express-session";
import { Server } from "portio";
import { Server as CoreServer } from "../../src/index.ts";
import { client, closeClients, connected, once } from "./harness.ts";

const portOf = (http: HttpServer) => (http.address() as AddressInfo).port;
const target = (port: number) => ({
  name: "node-entry",
  url: `http://127.0.0.1:${port}`,
  knownDifferences: {},
  logs: () => "",
  alive: () => true,
  stop: async () => {},
});
const listening = (http: HttpServer) => new Promise<void>((r) => http.listening ? r() : http.once("listening", r));

after(() => closeClients());

describe("portio on Node: socket.io's entry shapes", () => {
  it('"portio" resolves to the Node Server, a subclass of the runtime-free one', () => {
    assert.notEqual(Server, CoreServer);
    assert.ok(new Server() instanceof CoreServer);
  });

  it("new Server(httpServer, options): the app's listener keeps other paths, options apply", async () => {
    const http = createServer((_req, res) => res.end("app"));
    const io = new Server(http, { pingInterval: 1234 });
    assert.equal(io.httpServer, http);
    io.on("connection", (s) => s.emit("hi", s.request.constructor.name));
    http.listen(0, "127.0.0.1");
    await listening(http);
    assert.equal(await (await fetch(`http://127.0.0.1:${portOf(http)}/other`)).text(), "app");
    const open = await (await fetch(`http://127.0.0.1:${portOf(http)}/socket.io/?EIO=4&transport=polling`)).text();
    assert.equal(JSON.parse(open.slice(1)).pingInterval, 1234);
    const c = client(target(portOf(http)));
    const [kind] = await once(c, "hi");
    assert.equal(kind, "IncomingMessage", "socket.request is the IncomingMessage, as in socket.io");
    await io.close();
    assert.equal(http.listening, false, "close() closes the http server, as socket.io does");
  });

  it("new Server(port) and io.listen(port) create and own an http server", async () => {
    const a = new Server(0);
    await listening(a.httpServer as HttpServer);
    const b = new Server();
    b.listen(0, { path: "/b" });
    await listening(b.httpServer as HttpServer);
    for (const [io, path] of [[a, "/socket.io"], [b, "/b"]] as const) {
      io.on("connection", (s) => s.emit("hi"));
      const port = portOf(io.httpServer as HttpServer);
      await connected(client(target(port), "/", { path }));
    }
    await a.close();
    await b.close();
    assert.equal((a.httpServer as HttpServer).listening, false);
    assert.equal((b.httpServer as HttpServer).listening, false);
  });

  it("attach(srv, opts): options fill what the constructor did not set (socket.io's precedence)", async () => {
    const io = new Server({ pingInterval: 700 });
    const http = createServer();
    io.attach(http, { pingInterval: 5000, pingTimeout: 900 });
    http.listen(0, "127.0.0.1");
    await listening(http);
    const open = JSON.parse(
      (await (await fetch(`http://127.0.0.1:${portOf(http)}/socket.io/?EIO=4&transport=polling`)).text()).slice(1),
    );
    assert.equal(open.pingInterval, 700);
    assert.equal(open.pingTimeout, 900);
    assert.throws(() => io.attach(http), /already attached/);
    assert.throws(() => io.attach({} as never), /http server or a port/);
    assert.throws(
      () => new Server().attach(createServer(), { pingIntervall: 1 } as never),
      /did you mean "pingInterval"/,
    );
    await io.close();
  });

  it("io.close() with a polling session that never polls again lets the process exit at once", () => {
    const script = `
      import { Server } from "portio";
      const io = new Server(0);
      io.httpServer.once("listening", async () => {
        const port = io.httpServer.address().port;
        await (await fetch("http://127.0.0.1:" + port + "/socket.io/?EIO=4&transport=polling")).text();
        globalThis.t0 = Date.now();
        await io.close();
      });
    `;
    const t0 = Date.now();
    const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      encoding: "utf8",
      timeout: 20_000,
    });
    assert.equal(r.status, 0, r.stderr);
    // the default heartbeat (25 s + 20 s) used to keep it alive; startup with tsx is ~1 s
    assert.ok(Date.now() - t0 < 5000, `exited after ${Date.now() - t0} ms`);
  });

  it("io.engine.use(express-session): socket.request.session is the HTTP session, shared with the app", async () => {
    const sessionMiddleware = session({ secret: "portio", resave: false, saveUninitialized: false });
    const http = createServer((req, res) => {
      // the app's login route sets the session
      sessionMiddleware(req as never, res as never, () => {
        (req as unknown as { session: { user?: string } }).session.user = "alice";
        res.end("logged in");
      });
    });
    const io = new Server(http);
    io.engine.use(sessionMiddleware);
    io.on("connection", (socket) => socket.emit("who", socket.request.session?.user ?? null));
    http.listen(0, "127.0.0.1");
    await listening(http);
    const port = portOf(http);
    const login = await fetch(`http://127.0.0.1:${port}/login`);
    const cookie = login.headers.get("set-cookie")!.split(";")[0]!;
    assert.match(cookie, /^connect\.sid=/);
    for (const transports of [["polling"], ["websocket"]] as const) {
      const c = client(target(port), "/", { transports: [...transports], extraHeaders: { cookie } });
      const [who] = await once(c, "who");
      assert.equal(who, "alice", transports[0]);
      c.close();
    }
    const anonymous = client(target(port));
    assert.deepEqual(await once(anonymous, "who"), [null]);
    await io.close();
  });
});

describe('require("portio") (CommonJS, Node\'s require(esm))', () => {
  // outside the repository: inside it, "portio" would resolve to the repository itself (package self-reference)
  const dir = mkdtempSync(join(tmpdir(), "portio-cjs-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("is callable with an http server and carries the named exports, from the built entry under plain node", async () => {
    // the way the published package behaves: the Node entry as plain ESM, required from CommonJS without tsx
    mkdirSync(`${dir}/node_modules/portio`, { recursive: true });
    await build({
      entryPoints: ["adapters/node/root.ts"],
      bundle: true,
      platform: "node",
      format: "esm",
      // one self-contained file (ws and the rest inlined), as an installed package would resolve them
      banner: { js: 'import { createRequire as __cr } from "node:module"; const require = __cr(import.meta.url);' },
      outfile: `${dir}/node_modules/portio/index.mjs`,
      logLevel: "silent",
    });
    // the optional peers portio/node loads at run time (`requirePeer`), installed next to it as an app would
    mkdirSync(`${dir}/node_modules/@hono`, { recursive: true });
    for (const peer of ["ws", "@hono/node-server"]) {
      symlinkSync(join(process.cwd(), "node_modules", peer), `${dir}/node_modules/${peer}`, "dir");
    }
    writeFileSync(
      `${dir}/node_modules/portio/package.json`,
      JSON.stringify({ name: "portio", type: "module", exports: { ".": { node: "./index.mjs" } } }),
    );
    writeFileSync(
      `${dir}/app.cjs`,
      `const http = require("node:http").createServer((req, res) => res.end("app"));
       const io = require("portio")(http);
       const { Server } = require("portio");
       if (!(io instanceof Server)) throw new Error("not a Server");
       io.on("connection", (s) => s.emit("hi", "from cjs"));
       http.listen(0, "127.0.0.1", () => console.log("LISTENING " + http.address().port));
       process.on("SIGTERM", () => io.close(() => process.exit(0)));`,
    );
    const child = spawn(process.execPath, [`${dir}/app.cjs`], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    try {
      const port = await new Promise<number>((resolve, reject) => {
        child.stdout.on("data", (d) => {
          const m = /LISTENING (\d+)/.exec(String(d));
          if (m) resolve(Number(m[1]));
        });
        child.once("exit", (code) => reject(new Error(`exited ${code}: ${stderr}`)));
      });
      const c = client(target(port));
      assert.deepEqual(await once(c, "hi"), ["from cjs"]);
      c.close();
    } finally {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await once(child, "exit");
      }
    }
  });
});
