/**
 * What only the Cloudflare entry has, in workerd through Miniflare: routing of every request of a session
 * to its Durable Object, hibernation with sockets connected (the object leaves memory and a new instance
 * restores them), heartbeats driven by the storage alarm across hibernation, and connection state recovery
 * across a restart of the runtime with persisted storage.
 *
 * Hibernation is proven, not assumed: the fixture's object instances are numbered (module state outlives
 * them), so after the idle period a different instance answers, with `socket.restored` set.
 */
import { after, afterEach, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { io as ioc, Manager, type Socket as ClientSocket } from "socket.io-client";
import {
  arrives,
  client,
  closeClients,
  collect,
  connected,
  once,
  settled,
  sleep,
  startProcess,
  type Target,
} from "./harness.ts";

const ENV = { CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" };
const start = (env: Record<string, string> = {}) =>
  startProcess("workerd", [process.execPath, "--import", "tsx", "test/fixture/cloudflare-node.ts"], { ...ENV, ...env });

interface Who {
  instance: number;
  object: string | null;
  id: string;
  restored: boolean;
  recovered: boolean;
  rooms: string[];
  data: unknown;
}

const who = (c: ClientSocket) => c.timeout(3000).emitWithAck("whoami") as Promise<Who>;
const shard = (name: string) => `${name}-${Math.random().toString(36).slice(2, 8)}`;
/** workerd evicts an idle hibernatable object after 10 s */
const HIBERNATION_IDLE = 13_000;

describe("Cloudflare: routing, hibernation, heartbeats", () => {
  let target: Target;
  before(async () => {
    target = await start();
  });
  after(async () => {
    closeClients();
    await target?.stop();
  });
  afterEach(() => closeClients());

  it("two objects keep their rooms apart; every request of a polling session reaches its own object", async () => {
    const [ra, rb] = [shard("ra"), shard("rb")];
    const a1 = await connected(client(target, "/", { query: { shard: ra } }));
    const a2 = await connected(client(target, "/", { query: { shard: ra }, transports: ["polling"] }));
    const b1 = await connected(client(target, "/", { query: { shard: rb } }));
    for (const c of [a1, a2, b1]) await c.timeout(2000).emitWithAck("join", "r");
    assert.deepEqual(
      await a1.timeout(2000).emitWithAck("cf-instance").then((x) => (x as { object: string }).object),
      ra,
    );
    assert.deepEqual(
      await b1.timeout(2000).emitWithAck("cf-instance").then((x) => (x as { object: string }).object),
      rb,
    );
    const onB = arrives(b1, "news", 500);
    const onA2 = once(a2, "news");
    await a1.timeout(2000).emitWithAck("bcast", { to: ["r"] }, "news", "only ra");
    assert.equal((await onA2)[0], "only ra"); // recovery is on: an offset follows as last argument
    assert.equal(await onB, false, "a broadcast crossed objects");
    const inA = (await a1.timeout(2000).emitWithAck("fetch", "r")) as Array<{ id: string }>;
    assert.deepEqual(inA.map((s) => s.id), [a1.id, a2.id].sort());
    const inB = (await b1.timeout(2000).emitWithAck("fetch", "r")) as Array<{ id: string }>;
    assert.deepEqual(inB.map((s) => s.id), [b1.id]);

    // a raw polling session opened on ra; later requests claim rb in their query: the sid decides
    const hs = await fetch(`${target.url}/socket.io/?EIO=4&transport=polling&shard=${ra}`);
    const sid = JSON.parse((await hs.text()).slice(1)).sid as string;
    assert.match(sid, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{20}$/);
    const url = `${target.url}/socket.io/?EIO=4&transport=polling&sid=${encodeURIComponent(sid)}&shard=${rb}`;
    const post = async (body: string) =>
      assert.equal((await fetch(url, { method: "POST", body })).status, 200, "a polling POST reached another object");
    const getUntil = async (part: string) => {
      let body = "";
      for (let i = 0; i < 10 && !body.includes(part); i++) {
        const res = await fetch(url);
        assert.equal(res.status, 200, "a polling GET of the session reached another object");
        const text = await res.text();
        if (text.split("\x1e").includes("2")) await post("3");
        body += text;
      }
      return body;
    };
    await post("40");
    assert.match(await getUntil("40{"), /40\{"sid"/);
    await post('421["cf-instance"]');
    assert.match(await getUntil("431"), new RegExp(`431\\[\\{"instance":\\d+,"object":"${ra}"\\}\\]`));
    // the same random part under another object's prefix is unknown there
    const forged = `${Buffer.from(rb).toString("base64url")}.${sid.split(".")[1]}`;
    const res = await fetch(`${target.url}/socket.io/?EIO=4&transport=polling&sid=${forged}`);
    assert.equal(res.status, 400);
    assert.deepEqual(await res.json(), { code: 1, message: "Session ID unknown" });
  });

  describe("hibernation", { concurrency: true }, () => {
    it("the object hibernates with sockets connected and wakes with every socket, its rooms, data and handlers", async () => {
      const key = shard("hib");
      const opts = { path: "/hib/", query: { shard: key }, reconnection: false };
      const welcomes: unknown[] = [];
      const a = client(target, "/", { ...opts, transports: ["websocket"], auth: { name: "ann" } });
      a.on("welcome", (w) => welcomes.push(w));
      const b = client(target, "/", { ...opts, transports: ["polling", "websocket"], auth: { name: "bob" } });
      await settled(a, ["websocket"]);
      await settled(b, ["polling", "websocket"]);
      // one connection, two namespaces: both sockets must come back on it
      const manager = new Manager(target.url, { ...opts, transports: ["websocket"], forceNew: true });
      const main = manager.socket("/", { auth: { name: "cy" } });
      const side = manager.socket("/side");
      main.connect();
      side.connect();
      await connected(main);
      await connected(side);
      for (const c of [a, b, main]) await c.timeout(2000).emitWithAck("join", "h1");
      await a.timeout(2000).emitWithAck("join", "h2");
      await side.timeout(2000).emitWithAck("join", "side-room");
      await b.timeout(2000).emitWithAck("set-data", { name: "bob", score: 7 });
      const before = await who(a);
      const disconnects: string[] = [];
      for (const c of [a, b, main, side]) c.on("disconnect", (r: string) => disconnects.push(r));

      await sleep(HIBERNATION_IDLE); // nothing scheduled on /hib/ (pingInterval 30 s): workerd evicts the object

      b.on("poll", (_room: string, ack: (x: unknown) => void) => ack("b"));
      main.on("poll", (_room: string, ack: (x: unknown) => void) => ack("main"));
      a.on("poll", (_room: string, ack: (x: unknown) => void) => ack("a"));
      // the first message wakes the object: a broadcast to a room with acks from every member
      const t0 = Date.now();
      const polled = (await a.timeout(5000).emitWithAck("ask-room", "h1", 3000)) as {
        error: string | null;
        responses: string[];
      };
      const wakeRtt = Date.now() - t0;
      assert.deepEqual(polled, { error: null, responses: ["a", "b", "main"] });
      const after = await who(a);
      assert.notEqual(after.instance, before.instance, "the object did not hibernate (same instance answered)");
      assert.equal(after.restored, true);
      assert.deepEqual(after.rooms, before.rooms);
      assert.deepEqual(after.data, { name: "ann" });
      const whoB = await who(b);
      assert.deepEqual(whoB.rooms, [b.id!, "h1"].sort());
      assert.deepEqual(whoB.data, { name: "bob", score: 7 });
      assert.equal(whoB.id, b.id);
      const whoSide = await who(side);
      assert.equal(whoSide.id, side.id);
      assert.deepEqual(whoSide.rooms, [side.id!, "side-room"].sort());
      // broadcasts still follow the restored rooms; server → client acks work on restored handlers
      const onlyA = collect(a, "news", 1);
      const notB = arrives(b, "news", 400);
      await main.timeout(2000).emitWithAck("bcast", "h2", "news", "to h2");
      assert.equal((await onlyA)[0]![0], "to h2");
      assert.equal(await notB, false);
      b.on("question", (q: unknown, ack: (x: unknown) => void) => ack({ q }));
      assert.deepEqual(await b.timeout(5000).emitWithAck("ask", 1), { answer: { q: 1 } });
      const list = (await a.timeout(2000).emitWithAck("fetch", "h1")) as Array<{ id: string }>;
      assert.deepEqual(list.map((s) => s.id), [a.id, b.id, main.id].sort());
      assert.equal(welcomes.length, 1, "the connection listener re-sent its welcome after the wake");
      assert.deepEqual(disconnects, [], "a client was disconnected");
      for (const c of [a, b, main]) assert.equal(c.connected, true);
      console.log(`# woke and answered a broadcast with 3 acks in ${wakeRtt} ms`);
      manager.engine?.close();
    });

    it("heartbeats go on across hibernation: the storage alarm wakes the object for each ping", async () => {
      const key = shard("hb");
      // not from `client()`: the concurrent test's afterEach closes those
      const c = ioc(target.url, {
        path: "/hb/",
        query: { shard: key },
        transports: ["websocket"],
        forceNew: true,
        reconnection: false,
      });
      after(() => void c.close());
      await connected(c);
      const first = await who(c);
      let pings = 0;
      c.io.engine.on("ping", () => pings++);
      const reasons: string[] = [];
      c.on("disconnect", (r: string, d: unknown) => reasons.push(`${r} ${JSON.stringify(d)}`));
      // pingInterval 12 s > the 10 s hibernation delay: the object sleeps before every ping
      await sleep(27_000);
      assert.deepEqual(reasons, [], `the client was disconnected\n${target.logs()}`);
      assert.ok(pings >= 2, `only ${pings} pings in 27 s (pingInterval 12 s)`);
      const later = await who(c);
      assert.notEqual(later.instance, first.instance, "the object never hibernated");
      assert.equal(later.restored, true);
      assert.equal(later.id, c.id);
    });
  });
});

describe("Cloudflare: connection state recovery across a restart", () => {
  const dir = mkdtempSync(join(tmpdir(), "portio-do-"));
  let target: Target | undefined;
  before(async () => {
    target = await start({ PERSIST: dir });
  });
  after(async () => {
    closeClients();
    await target?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("a client that dropped before the restart recovers its id, rooms, data and every missed message", async () => {
    const port = new URL(target!.url).port;
    const key = shard("restart");
    const c = client(target!, "/", { query: { shard: key }, transports: ["websocket"] });
    await connected(c);
    await c.timeout(2000).emitWithAck("join", "rr");
    await c.timeout(2000).emitWithAck("set-data", { name: "rex" });
    const sender = await connected(client(target!, "/", { query: { shard: key } }));
    const first = collect(c, "rec-msg", 1);
    await sender.timeout(2000).emitWithAck("bcast", { to: ["rr"] }, "rec-msg", 0);
    await first;
    const id = c.id;
    const dropped = once(c, "disconnect");
    c.io.engine.close();
    await dropped;
    for (const i of [1, 2]) await sender.timeout(2000).emitWithAck("bcast", { to: ["rr"] }, "rec-msg", i);
    sender.close();

    await target!.stop(); // the runtime goes away; Durable Object storage stays on disk
    target = await start({ PERSIST: dir, PORT: port });
    const sender2 = await connected(client(target, "/", { query: { shard: key } }));
    await sender2.timeout(2000).emitWithAck("bcast", { to: ["rr"] }, "rec-msg", 3);

    const missed = collect(c, "rec-msg", 3);
    c.connect(); // same pid and offset as before the restart
    await connected(c);
    assert.equal(c.recovered, true, "not recovered after the restart");
    assert.equal(c.id, id);
    assert.deepEqual((await missed).map((a) => a[0]), [1, 2, 3]);
    const state = (await c.timeout(2000).emitWithAck("state")) as { rooms: string[]; data: unknown };
    assert.deepEqual(state.rooms.sort(), [id!, "rr"].sort());
    assert.deepEqual(state.data, { name: "rex" });
  });

  for (const transport of ["websocket", "polling"] as const) {
    it(`a client still connected when the runtime stops recovers too (${transport}: its stored socket record becomes a session)`, async () => {
      const port = new URL(target!.url).port;
      const key = shard("crash");
      const c = client(target!, "/", {
        query: { shard: key },
        transports: [transport],
        reconnection: true,
        reconnectionDelay: 200,
        reconnectionDelayMax: 400,
      });
      await connected(c);
      await c.timeout(2000).emitWithAck("join", "cr");
      await c.timeout(2000).emitWithAck("set-data", { name: "cat" });
      const got = collect(c, "cr-msg", 1);
      await c.timeout(2000).emitWithAck("bcast", { to: ["cr"] }, "cr-msg", 0);
      await got;
      const id = c.id;
      const dropped = once(c, "disconnect", 10_000);
      await target!.stop(); // no close event reaches the object
      await dropped;
      target = await start({ PERSIST: dir, PORT: port });
      await once(c, "connect", 15_000);
      assert.equal(c.recovered, true, "not recovered after the runtime stopped under it");
      assert.equal(c.id, id);
      const state = (await c.timeout(2000).emitWithAck("state")) as { rooms: string[]; data: unknown };
      assert.deepEqual(state.rooms.sort(), [id!, "cr"].sort());
      assert.deepEqual(state.data, { name: "cat" });
    });
  }
});
