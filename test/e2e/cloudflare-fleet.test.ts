/**
 * A fleet of four Durable Object shards (portio/cloudflare/fleet) in workerd through Miniflare, driven by
 * official clients from Node: every cross-shard operation from every direction, with binary payloads and
 * acks; a hibernating shard woken by a broadcast; a shard reset mid-run with its storage; a shard that never
 * answers; connection state recovery through another shard; the Worker emitter.
 */
import { after, afterEach, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Socket as ClientSocket } from "socket.io-client";
import {
  arrives,
  client,
  closeClients,
  collect,
  connected,
  once,
  sleep,
  startProcess,
  type Target,
} from "./harness.ts";

const SHARDS = ["s0", "s1", "s2", "s3"];
/** workerd evicts an idle hibernatable object after 10 s */
const HIBERNATION_IDLE = 13_000;
/** the fixture's requestTimeout */
const REQUEST_TIMEOUT = 1500;

const start = (env: Record<string, string> = {}) =>
  startProcess("workerd", [process.execPath, "--import", "tsx", "test/fixture/cloudflare-node.ts"], {
    FIXTURE: "fleet",
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    WRANGLER_SEND_METRICS: "false",
    ...env,
  });

interface Who {
  shard: string;
  instance: number;
  id: string;
  recovered: boolean;
  restored: boolean;
  rooms: string[];
  data: unknown;
}

type Fetched = { ms: number; sockets?: Array<{ id: string; rooms: string[]; data: unknown }>; error?: string };

const ask = <T = unknown>(c: ClientSocket, ev: string, ...args: unknown[]) =>
  c.timeout(8000).emitWithAck(ev, ...args) as Promise<T>;
const who = (c: ClientSocket) => ask<Who>(c, "whoami");
let tag = 0;
/** a room name no other test uses */
const fresh = (name: string) => `${name}-${++tag}-${Math.random().toString(36).slice(2, 6)}`;

describe("Cloudflare fleet: four Durable Object shards", () => {
  let target: Target;

  const join = async (shard: string, opts: { name?: string; rooms?: string[]; transports?: string[] } = {}) => {
    const c = client(target, "/", {
      path: "/fleet/",
      query: { shard },
      auth: { name: opts.name ?? shard },
      transports: (opts.transports ?? ["websocket"]) as Array<"websocket" | "polling">,
    });
    await connected(c);
    if (opts.rooms) await ask(c, "join", opts.rooms);
    return c;
  };

  before(async () => {
    target = await start();
  });
  after(async () => {
    closeClients();
    await target?.stop();
  });
  afterEach(() => {
    closeClients();
    assert.ok(target.alive(), `workerd died\n${target.logs()}`);
  });

  it("route() spreads clients over the shards; broadcasts to a room and to everybody reach every shard, binary intact", async () => {
    // by key: shardOf() places each on a shard named in SHARDS
    const spread = await Promise.all(
      Array.from(
        { length: 12 },
        (_, i) =>
          connected(client(target, "/", { path: "/fleet/", query: { key: `user-${i}` }, transports: ["websocket"] })),
      ),
    );
    const shards = new Set((await Promise.all(spread.map(who))).map((w) => w.shard));
    assert.deepEqual([...shards].sort(), SHARDS, "route() did not spread 12 keys over the 4 shards");

    const room = fresh("r");
    const members = await Promise.all(SHARDS.map((s) => join(s, { rooms: [room] })));
    const outsiders = await Promise.all(SHARDS.map((s) => join(s)));
    for (const from of SHARDS) {
      const got = members.map((m) => once<unknown[]>(m, "to-room"));
      const not = outsiders.map((o) => arrives(o, "to-room", 300));
      const bin = new Uint8Array([0, 255, from.charCodeAt(1)]);
      assert.equal(await ask(members[SHARDS.indexOf(from)]!, "bcast", { to: [room] }, "to-room", [from, bin]), from);
      for (const args of await Promise.all(got)) {
        assert.equal(args[0], from);
        assert.deepEqual(new Uint8Array(args[1] as ArrayBuffer), bin);
        assert.match(String(args[2]), /^[0-9a-z]{14}\.[A-Za-z0-9_-]+$/, "recovery offset names the shard");
      }
      assert.deepEqual(await Promise.all(not), [false, false, false, false], "a non-member got a room broadcast");
    }
    // everybody, except one room
    const all = [...members, ...outsiders];
    const got = all.slice(SHARDS.length).map((c) => once<unknown[]>(c, "to-all"));
    const notMembers = members.map((m) => arrives(m, "to-all", 300));
    await ask(outsiders[2]!, "bcast", { except: [room] }, "to-all", ["hi"]);
    for (const args of await Promise.all(got)) assert.equal(args[0], "hi");
    assert.deepEqual(await Promise.all(notMembers), [false, false, false, false]);
  });

  it("fetchSockets across shards, and the remote sockets' emit, join, leave and disconnect", async () => {
    const room = fresh("f");
    const members = await Promise.all(SHARDS.map((s) => join(s, { rooms: [room], name: `n-${s}` })));
    const ids = members.map((m) => m.id!).sort();
    for (const [i, c] of members.entries()) {
      const r = await ask<Fetched>(c, "fetch", { to: [room] });
      assert.equal(r.error, undefined, `from ${SHARDS[i]}: ${r.error}`);
      assert.deepEqual(r.sockets!.map((s) => s.id), ids);
      for (const s of r.sockets!) assert.deepEqual(s.rooms, [s.id, room].sort());
      assert.deepEqual(r.sockets!.map((s) => (s.data as { name: string }).name).sort(), SHARDS.map((s) => `n-${s}`));
    }
    // remote emit with binary, from s0 to the sockets on s1..s3
    const got = members.slice(1).map((m) => once<unknown[]>(m, "remote-msg"));
    assert.equal(await ask(members[0]!, "remote", { to: [room] }, "emit", "psst"), 4);
    for (const args of await Promise.all(got)) {
      assert.equal(args[0], "psst");
      assert.deepEqual(new Uint8Array(args[1] as ArrayBuffer), new Uint8Array([1, 2, 3]));
    }
    const extra = fresh("x");
    await ask(members[3]!, "remote", { to: [room] }, "join", extra);
    for (const m of members.slice(0, 3)) assert.ok((await who(m)).rooms.includes(extra), "remote join missed");
    await ask(members[1]!, "remote", { to: [room] }, "leave", extra);
    for (const m of [members[0]!, members[2]!]) assert.ok(!(await who(m)).rooms.includes(extra), "remote leave missed");
    assert.ok((await who(members[1]!)).rooms.includes(extra), "a socket left itself (fetchSockets skips its caller)");
    const gone = members.slice(0, 2).map((m) => once(m, "disconnect"));
    await ask(members[2]!, "remote", { to: [room], except: [] }, "disconnect", null).catch(() => {});
    await Promise.all(gone);
  });

  it("socketsJoin, socketsLeave and disconnectSockets reach every shard", async () => {
    const room = fresh("j");
    const target2 = fresh("t");
    const members = await Promise.all(SHARDS.map((s) => join(s, { rooms: [room] })));
    const outsider = await join("s2");
    await ask(members[1]!, "sockets-join", { to: [room] }, target2);
    for (const m of members) assert.ok((await who(m)).rooms.includes(target2), "socketsJoin missed a shard");
    assert.ok(!(await who(outsider)).rooms.includes(target2));
    await ask(members[3]!, "sockets-leave", { to: [room] }, target2);
    for (const m of members) assert.ok(!(await who(m)).rooms.includes(target2), "socketsLeave missed a shard");
    const gone = members.map((m) => once<[string]>(m, "disconnect"));
    await ask(outsider, "disconnect-sockets", { to: [room] });
    for (const [reason] of await Promise.all(gone)) assert.equal(reason, "io server disconnect");
    assert.equal(outsider.connected, true);
  });

  it("serverSideEmit reaches the other shards, with and without acks", async () => {
    const c = await Promise.all(SHARDS.map((s) => join(s)));
    await Promise.all(c.map((x) => ask(x, "hello-log"))); // empty the logs
    assert.equal(await ask(c[0]!, "sse", ["plain", new Uint8Array([4, 2])], false), null);
    await sleep(300);
    const logs = (await Promise.all(c.map((x) => ask<unknown[][]>(x, "hello-log")))).flat();
    // module state is per isolate: every shard's log is the same list here, so each shard logged once
    assert.deepEqual(logs.map((l) => l[0]).sort(), ["s1", "s2", "s3"]);
    for (const l of logs) assert.deepEqual(new Uint8Array(l[2] as ArrayBuffer), new Uint8Array([4, 2]));
    const r = await ask<{ responses: Array<{ shard: string; got: unknown[] }> }>(c[2]!, "sse", ["acked", 7], true);
    assert.deepEqual(r.responses.map((x) => x.shard).sort(), ["s0", "s1", "s3"]);
    for (const x of r.responses) assert.deepEqual(x.got, ["acked", 7]);
  });

  it("broadcast acks come back from every shard", async () => {
    const room = fresh("a");
    const members = await Promise.all(SHARDS.map((s) => join(s, { rooms: [room] })));
    for (const [i, m] of members.entries()) {
      m.on("poll", (bin: ArrayBuffer, ack: (x: unknown) => void) => ack({ from: SHARDS[i], len: bin.byteLength }));
    }
    const polled = members.map((m) => once(m, "poll"));
    const r = await ask<{ responses: Array<{ from: string; len: number }>; error: string | null }>(
      members[1]!,
      "bcast-ack",
      { to: [room] },
      "poll",
      3000,
    );
    await Promise.all(polled);
    assert.equal(r.error, null);
    assert.deepEqual(r.responses.map((x) => x.from).sort(), SHARDS);
  });

  it("the Worker emitter (a plain route, no socket) reaches clients on every shard", async () => {
    const room = fresh("w");
    const members = await Promise.all(SHARDS.map((s) => join(s, { rooms: [room] })));
    const outsiders = await Promise.all(SHARDS.map((s) => join(s)));
    const got = members.map((m) => once<unknown[]>(m, "from-worker"));
    const not = outsiders.map((o) => arrives(o, "from-worker", 300));
    const res = await fetch(`${target.url}/emit?room=${room}&text=breaking`);
    const result = (await res.json()) as { delivered: string[]; failed: unknown[] };
    assert.deepEqual({ ...result, delivered: result.delivered.sort() }, { delivered: SHARDS, failed: [] });
    for (const args of await Promise.all(got)) {
      assert.equal(args[0], "breaking");
      assert.deepEqual(new Uint8Array(args[1] as ArrayBuffer), new Uint8Array([9, 8, 7]));
    }
    assert.deepEqual(await Promise.all(not), [false, false, false, false]);
    // to everybody
    const all = [...members, ...outsiders].map((c) => once<unknown[]>(c, "from-worker"));
    await fetch(`${target.url}/emit?text=all`);
    for (const args of await Promise.all(all)) assert.equal(args[0], "all");
  });

  it("a cron trigger (the Worker's scheduled handler) reaches clients on every shard", async () => {
    const clients = await Promise.all(SHARDS.map((s) => join(s)));
    const got = clients.map((c) => once<unknown[]>(c, "tick"));
    const res = await fetch(`${target.url}/cdn-cgi/handler/scheduled`);
    assert.equal(res.status, 200, await res.text());
    for (const args of await Promise.all(got)) assert.equal(typeof args[0], "number");
  });

  it("a shard that never answers: fetchSockets fails within requestTimeout, naming it; the rest of the fleet goes on", async () => {
    const room = fresh("s");
    const members = await Promise.all(SHARDS.map((s) => join(s, { rooms: [room] })));
    await ask(members[3]!, "stall", true);
    try {
      const r = await ask<Fetched>(members[0]!, "fetch", { to: [room] });
      assert.match(r.error ?? "", /shard "s3" did not answer within 1500 ms|timeout reached/);
      assert.ok(r.ms >= REQUEST_TIMEOUT - 100 && r.ms < REQUEST_TIMEOUT + 1500, `settled after ${r.ms} ms`);
      // broadcasts to the other shards are not held up by the silent one
      const got = members.slice(0, 3).map((m) => once<unknown[]>(m, "still"));
      const t0 = Date.now();
      await ask(members[1]!, "bcast", { to: [room] }, "still", ["here"]);
      await Promise.all(got);
      assert.ok(Date.now() - t0 < REQUEST_TIMEOUT, "a broadcast waited for the silent shard");
      // serverSideEmit with an ack: the silent shard is reported, not waited for past the timeout
      const sse = await ask<{ error?: string }>(members[0]!, "sse", ["q"], true);
      assert.match(sse.error ?? "", /s3|timeout reached/);
    } finally {
      await ask(members[3]!, "stall", false);
    }
    const r = await ask<Fetched>(members[0]!, "fetch", { to: [room] });
    assert.equal(r.error, undefined);
    assert.equal(r.sockets!.length, 4);
  });

  it("a hibernating shard is woken by a broadcast and delivers it; its rooms are intact", async () => {
    const room = fresh("h");
    const members = await Promise.all(SHARDS.map((s) => join(s, { rooms: [room] })));
    const before = await Promise.all(members.map(who));
    await sleep(HIBERNATION_IDLE); // nothing scheduled (pingInterval 30 s): workerd evicts the idle objects
    const got = members.map((m) => once<unknown[]>(m, "wake"));
    await ask(members[0]!, "bcast", { to: [room] }, "wake", ["up"]);
    for (const args of await Promise.all(got)) assert.equal(args[0], "up");
    const after = await Promise.all(members.map(who));
    for (const [i, w] of after.entries()) {
      assert.notEqual(w.instance, before[i]!.instance, `${SHARDS[i]} did not hibernate (same instance)`);
      assert.equal(w.restored, true);
      assert.deepEqual(w.rooms, before[i]!.rooms);
    }
  });

  it("a shard reset mid-run (new instance, same storage): its clients recover, and fleet operations reach it again", async () => {
    const room = fresh("c");
    const opts = {
      path: "/fleet/",
      transports: ["websocket" as const],
      reconnectionDelay: 100,
      reconnectionDelayMax: 300,
    };
    const members = await Promise.all(
      SHARDS.map((s) => connected(client(target, "/", { ...opts, query: { shard: s }, reconnection: true }))),
    );
    for (const m of members) await ask(m, "join", [room]);
    const first = members.map((m) => once(m, "before"));
    await ask(members[0]!, "bcast", { to: [room] }, "before", [0]);
    await Promise.all(first);
    const victim = members[2]!;
    const before = await who(victim);
    const dropped = once(victim, "disconnect", 10_000);
    await ask(victim, "crash");
    await dropped;
    // while it is down: a broadcast it must replay on recovery
    await ask(members[1]!, "bcast", { to: [room] }, "during", [1]);
    const missed = collect(victim, "during", 1, 10_000);
    await once(victim, "connect", 10_000);
    assert.equal(victim.recovered, true, "not recovered after the reset");
    const after = await who(victim);
    assert.equal(after.shard, "s2");
    assert.notEqual(after.instance, before.instance);
    assert.deepEqual(after.rooms, before.rooms);
    assert.equal((await missed)[0]![0], 1);
    // both directions again
    const got = members.map((m) => once<unknown[]>(m, "again"));
    await ask(victim, "bcast", { to: [room] }, "again", ["from s2"]);
    await Promise.all(got);
    const r = await ask<Fetched>(members[0]!, "fetch", { to: [room] });
    assert.equal(r.error, undefined, `${r.error}\n${target.logs()}`);
    assert.deepEqual(r.sockets!.map((s) => s.id).sort(), members.map((m) => m.id!).sort());
  });

  it("connection state recovery through another shard: the session and what it missed come from the shard that held it", async () => {
    const room = fresh("m");
    const c = await join("s1", { rooms: [room], name: "moving" });
    const sender = await join("s3", { rooms: [room] });
    const first = once(c, "rec");
    await ask(sender, "bcast", { to: [room] }, "rec", [0]);
    await first;
    const id = c.id;
    const dropped = once(c, "disconnect");
    c.io.engine.close();
    await dropped;
    for (const i of [1, 2]) await ask(sender, "bcast", { to: [room] }, "rec", [i, new Uint8Array([i])]);
    // routing now sends it elsewhere (the key changed, or the shard count did)
    (c.io.opts.query as Record<string, string>).shard = "s0";
    const missed = collect(c, "rec", 2);
    c.connect();
    await connected(c);
    assert.equal(c.recovered, true, "not recovered through another shard");
    assert.equal(c.id, id);
    const got = await missed;
    assert.deepEqual(got.map((a) => a[0]), [1, 2]);
    assert.deepEqual(new Uint8Array(got[1]![1] as ArrayBuffer), new Uint8Array([2]));
    const w = await who(c);
    assert.equal(w.shard, "s0");
    assert.deepEqual(w.rooms, [id!, room].sort());
    assert.deepEqual(w.data, { name: "moving" });
    // and it is in the room on its new shard
    const next = once<unknown[]>(c, "rec");
    await ask(sender, "bcast", { to: [room] }, "rec", [3]);
    assert.equal((await next)[0], 3);
  });

  it("a client cannot pass for a shard: the Worker strips the peer header from what it forwards", async () => {
    // forwarded as a peer request, the object would read the (empty) body as a batch and answer 204 instead
    // of an Engine.IO handshake
    const res = await fetch(`${target.url}/fleet/?EIO=4&transport=polling&shard=s0`, {
      headers: { "x-portio-peer": "/fleet/" },
    });
    assert.equal(res.status, 200);
    assert.match(await res.text(), /^0\{"sid"/);
  });
});

describe("Cloudflare fleet: a runtime that does not tell an object its name (no ctx.id.name)", () => {
  let target: Target;
  before(async () => {
    target = await start({ HIDE_ID_NAME: "1" });
  });
  after(async () => {
    closeClients();
    await target?.stop();
  });

  it("each shard learns its name from its sockets' session ids: it does not ask itself, and offsets name it", async () => {
    const room = fresh("n");
    const members = await Promise.all(
      SHARDS.map((shard) =>
        connected(client(target, "/", { path: "/fleet/", query: { shard }, transports: ["websocket"] }))
      ),
    );
    for (const m of members) await ask(m, "join", [room]);
    // counting itself among the others, a shard would wait for its own answer until the timeout
    const r = await ask<Fetched>(members[0]!, "fetch", { to: [room] });
    assert.equal(r.error, undefined, r.error);
    assert.equal(r.sockets!.length, 4);
    const got = members.map((m) => once<unknown[]>(m, "named"));
    await ask(members[1]!, "bcast", { to: [room] }, "named", [1]);
    // each client's offset names the shard that holds it (where its session would be recovered from)
    for (const [i, args] of (await Promise.all(got)).entries()) {
      assert.match(String(args[1]), new RegExp(`\\.${Buffer.from(SHARDS[i]!).toString("base64url")}$`));
    }
  });
});
