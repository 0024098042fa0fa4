/**
 * socket.io's official examples (`examples/` in socketio/socket.io), each as a small copy written for this
 * test (test/e2e/official-examples/), started as its own Node process with the import changed to `portio`
 * and driven by the official socket.io-client: chat (also in Chromium, loading `/socket.io/socket.io.js`
 * from Portio), private-messaging (a cluster behind @socket.io/sticky, `portio/redis` on real Redis),
 * connection-state-recovery-example, express-session-example and passport-example. What each needed beyond
 * the import is in its file's header and in docs/migration.md.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { io as ioc, type Socket as ClientSocket } from "socket.io-client";
import { type Browser, chromium } from "playwright-core";
import { createClient } from "@redis/client";

const DIR = "test/e2e/official-examples";
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const clients: ClientSocket[] = [];
after(() => clients.forEach((c) => c.close()));

interface App {
  url: string;
  out: () => string;
  stop(): Promise<void>;
}

/** Starts `file` as a Node process on a free port, as a user would run it (the `portio` import resolved by
 * the package's own exports; `portio-source` + tsx only because the repository runs from its sources). */
function start(
  file: string,
  env: Record<string, string> = {},
  ready = /listening at http:\/\/\S+:(\d+)/,
): Promise<App> {
  const child: ChildProcess = spawn(
    process.execPath,
    ["--conditions=portio-source", "--import", "tsx", `${DIR}/${file}`],
    { env: { ...process.env, NODE_OPTIONS: "", PORT: "0", ...env }, stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  child.stderr!.on("data", (d) => (out += d));
  const stop = () =>
    new Promise<void>((done) => {
      if (child.exitCode !== null || child.signalCode !== null) return done();
      child.once("exit", () => done());
      child.kill("SIGTERM");
    });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (void stop(), reject(new Error(`${file} did not start:\n${out}`))), 30_000);
    child.once("exit", (code) => (clearTimeout(timer), reject(new Error(`${file} exited ${code}:\n${out}`))));
    child.stdout!.on("data", (d) => {
      out += d;
      const m = ready.exec(out);
      if (!m) return;
      clearTimeout(timer);
      resolve({ url: `http://127.0.0.1:${m[1]}`, out: () => out, stop });
    });
  });
}

function client(url: string, opts: Parameters<typeof ioc>[1] = {}): ClientSocket {
  const c = ioc(url, { forceNew: true, reconnection: false, ...opts });
  clients.push(c);
  return c;
}

function next<T = unknown>(c: ClientSocket, event: string, ms = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "${event}" within ${ms} ms`)), ms);
    c.once(event, (arg: T) => (clearTimeout(timer), resolve(arg)));
  });
}

/** The first `event` whose argument satisfies `pred`. */
function until<T>(c: ClientSocket, event: string, pred: (arg: T) => boolean, ms = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (c.off(event, on), reject(new Error(`no matching "${event}" in ${ms} ms`))), ms);
    const on = (arg: T) => pred(arg) && (clearTimeout(timer), c.off(event, on), resolve(arg));
    c.on(event, on);
  });
}

const cookieOf = (res: Response) => res.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");

describe("socket.io's official examples on Portio", { concurrency: 1 }, () => {
  describe('chat (require("portio")(server), express.static, /socket.io/socket.io.js)', () => {
    let app: App;
    let browser: Browser | undefined;
    before(async () => (app = await start("chat/index.cjs")));
    after(async () => {
      await browser?.close();
      await app?.stop();
    });

    it("two official clients chat: login count, user joined, new message, typing, user left", async () => {
      const ann = client(app.url);
      const bob = client(app.url, { transports: ["websocket"] });
      ann.emit("add user", "ann");
      assert.deepEqual(await next(ann, "login"), { numUsers: 1 });
      const joined = next(ann, "user joined");
      bob.emit("add user", "bob");
      assert.deepEqual(await next(bob, "login"), { numUsers: 2 });
      assert.deepEqual(await joined, { username: "bob", numUsers: 2 });
      const said = next(ann, "new message");
      bob.emit("new message", "hello ann");
      assert.deepEqual(await said, { username: "bob", message: "hello ann" });
      const typing = next(bob, "typing");
      ann.emit("typing");
      assert.deepEqual(await typing, { username: "ann" });
      const left = next(ann, "user left");
      bob.close();
      assert.deepEqual(await left, { username: "bob", numUsers: 1 });
      ann.close();
    });

    it("in Chromium: the page loads the client from /socket.io/socket.io.js and chats with a Node client", async () => {
      assert.ok(existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM} (see browser.test.ts)`);
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu"] });
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      const node = client(app.url);
      node.emit("add user", "node");
      await next(node, "login");
      const joined = until<{ username: string }>(node, "user joined", (u) => u.username === "page");
      await page.goto(`${app.url}/?name=page`);
      await joined;
      await page.waitForFunction(() => document.body.textContent!.includes("login"));
      node.emit("new message", "hi page");
      await page.waitForFunction(() => document.body.textContent!.includes("node: hi page"), null, { timeout: 10_000 });
      const fromPage = next(node, "new message");
      await page.evaluate(() => (globalThis as unknown as { say(t: string): void }).say("hi node"));
      assert.deepEqual(await fromPage, { username: "page", message: "hi node" });
      assert.deepEqual(errors, []);
      node.close();
    });
  });

  describe("connection-state-recovery-example (new Server(httpServer, { connectionStateRecovery }))", () => {
    let app: App;
    before(async () => (app = await start("connection-state-recovery.mjs", { TICK_MS: "100" })));
    after(() => app?.stop());

    it("a client cut off for a while gets back its rooms, its data and the pings it missed", async () => {
      const c = client(app.url, { reconnection: true, reconnectionDelay: 800, reconnectionDelayMax: 800 });
      const pings: string[] = [];
      c.on("ping", (t: string) => pings.push(t));
      await next(c, "connect");
      assert.deepEqual(await c.timeout(5000).emitWithAck("state"), {
        recovered: false,
        rooms: [c.id, "sample room"],
        data: { foo: "bar" },
      });
      await until(c, "ping", () => c.io.engine.transport.name === "websocket");
      const id = c.id;
      const cutAt = new Date().toISOString();
      c.io.engine.close(); // as a network loss: the client reconnects on its own
      await next(c, "connect");
      const backAt = new Date().toISOString();
      assert.equal(c.recovered, true);
      assert.equal(c.id, id);
      assert.deepEqual(await c.timeout(5000).emitWithAck("state"), {
        recovered: true,
        rooms: [id, "sample room"],
        data: { foo: "bar" },
      });
      const missed = pings.filter((t) => t > cutAt && t < backAt);
      assert.ok(missed.length >= 3, `pings sent while cut off were replayed (${missed.length})`);
      c.close();
    });
  });

  describe("express-session-example (io.engine.use(sessionMiddleware), socket.request.session)", () => {
    let app: App;
    before(async () => (app = await start("express-session.mjs")));
    after(() => app?.stop());

    it("HTTP and Socket.IO share the session: counts from both sides, logout disconnects", async () => {
      const cookie = cookieOf(await fetch(app.url + "/"));
      assert.match(cookie, /connect\.sid=/);
      const incr = async () => (await fetch(app.url + "/incr", { method: "POST", headers: { cookie } })).text();
      assert.equal(await incr(), "1");
      // default transports (as in the page, once upgraded) and WebSocket only. Not polling only: there, the
      // example's session middleware (resave: true) saves each poll's copy of the session when the poll ends,
      // over what the "incr" handler saved; socket.io runs it on every request just the same.
      for (const transports of [["polling", "websocket"], ["websocket"]]) {
        const c = client(app.url, { transports, extraHeaders: { cookie } });
        await next(c, "connect");
        if (c.io.engine.transport.name !== "websocket") await new Promise((r) => c.io.engine.once("upgrade", r));
        const count = Number(await c.timeout(5000).emitWithAck("incr"));
        const pushed = next(c, "current count");
        assert.equal(await incr(), String(count + 1));
        assert.equal(await pushed, count + 1);
        c.close();
      }
      const c = client(app.url, { extraHeaders: { cookie } });
      await next(c, "connect");
      const gone = next(c, "disconnect");
      assert.equal((await fetch(app.url + "/logout", { method: "POST", headers: { cookie } })).status, 204);
      assert.equal(await gone, "io server disconnect");
    });
  });

  describe("passport-example (passport.session() as an engine middleware, req._query.sid, res.writeHead(401))", () => {
    let app: App;
    before(async () => (app = await start("passport.mjs")));
    after(() => app?.stop());

    it("refuses the handshake without a login, knows the user after it, logout disconnects", async () => {
      const anonymous = client(app.url, { transports: ["polling"] });
      const refused = await next<Error>(anonymous, "connect_error");
      assert.match(refused.message, /xhr poll error/);
      assert.equal((refused as unknown as { description: number }).description, 401);
      // a WebSocket-only client: the middleware's 401 answers the upgrade request (engine.io's WebSocketResponse)
      const anonymousWs = client(app.url, { transports: ["websocket"] });
      assert.match((await next<Error>(anonymousWs, "connect_error")).message, /websocket error/);

      const login = await fetch(app.url + "/login", {
        method: "POST",
        body: new URLSearchParams({ username: "john", password: "changeit" }),
        redirect: "manual",
      });
      assert.equal(login.status, 302);
      assert.equal(login.headers.get("location"), "/");
      const cookie = cookieOf(login);
      for (const transports of [["polling", "websocket"], ["polling"]]) {
        const c = client(app.url, { transports, extraHeaders: { cookie } });
        await next(c, "connect");
        assert.equal(await c.timeout(5000).emitWithAck("whoami"), "john");
        c.close();
      }
      const c = client(app.url, { extraHeaders: { cookie } });
      await next(c, "connect");
      const gone = next(c, "disconnect");
      assert.equal((await fetch(app.url + "/logout", { method: "POST", headers: { cookie } })).status, 204);
      assert.equal(await gone, "io server disconnect");
    });
  });

  describe("private-messaging (cluster + @socket.io/sticky, portio/redis on Redis)", () => {
    const prefix = `pm-${randomUUID().slice(0, 8)}:`;
    let app: App;
    before(async () => {
      app = await start(
        "private-messaging/cluster.cjs",
        { WORKERS: "2", KEY_PREFIX: prefix },
        /listening at http:\/\/\S+:(\d+)[\s\S]*ready[\s\S]*ready/,
      );
    });
    after(async () => {
      await app?.stop();
      const redis = createClient({ url: "redis://127.0.0.1:6379" });
      await redis.connect();
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length) await redis.del(keys);
      await redis.quit();
    });

    type Session = { sessionID: string; userID: string; worker: number };
    type User = { userID: string; username: string; connected: boolean };

    it("users on different workers see each other, message privately, and a session survives a reconnect", async () => {
      const alice = client(app.url, { auth: { username: "alice" } });
      // the server sends "session" then "users" back to back: both listeners go on before either can arrive
      const aliceUsers = next(alice, "users");
      const aliceSession = await next<Session>(alice, "session");
      await aliceUsers;
      const bob = client(app.url, { auth: { username: "bob" } });
      const bobConnected = until<User>(alice, "user connected", (u) => u.username === "bob");
      const bobUsers = next<User[]>(bob, "users");
      const bobSession = await next<Session>(bob, "session");
      // least-connection: the second client goes to the other worker, so what follows crosses Redis
      assert.notEqual(bobSession.worker, aliceSession.worker);
      const users = await bobUsers;
      assert.deepEqual(users.map((u) => u.username).sort(), ["alice", "bob"]);
      assert.equal((await bobConnected).userID, bobSession.userID);

      // private messages cross workers through Redis
      const got = next<{ content: string; from: string; to: string }>(bob, "private message");
      alice.emit("private message", { content: "hi bob", to: bobSession.userID });
      assert.deepEqual(await got, { content: "hi bob", from: aliceSession.userID, to: bobSession.userID });

      const left = next<string>(alice, "user disconnected");
      bob.close();
      assert.equal(await left, bobSession.userID);

      const again = client(app.url, { auth: { sessionID: bobSession.sessionID } });
      const againUsers = next<Array<User & { messages: unknown[] }>>(again, "users");
      const restored = await next<Session>(again, "session");
      assert.equal(restored.userID, bobSession.userID, "the session was found in Redis");
      const mine = await againUsers;
      assert.equal(mine.find((u) => u.userID === aliceSession.userID)?.messages.length, 1);
      alice.close();
      again.close();
    });

    it("refuses a client without a username (connect_error from the middleware)", async () => {
      const c = client(app.url);
      assert.equal((await next<Error>(c, "connect_error")).message, "invalid username");
    });
  });
});
