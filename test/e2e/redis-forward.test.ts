/**
 * Fleets without sticky sessions, end to end on a real Redis: Portio nodes on Node, Deno and Bun behind a
 * round-robin balancer that sends every HTTP request and every upgrade to the next node in turn, so a
 * session's requests keep landing on nodes that do not own it and are forwarded to its owner (polling) or
 * relayed (WebSocket). Official clients throughout; an official socket.io node on the same Redis; the owner
 * SIGKILLed under a polling client. Each run uses its own stream and keys.
 */
import { after, afterEach, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { ManagerOptions, Socket as ClientSocket, SocketOptions } from "socket.io-client";
import { client, closeClients, collect, connected, once, type Target } from "./harness.ts";
import { cleanup, eventually, type FleetNode, startAll, stopNode, withRedis } from "../fixture/redis/fleet.ts";
import { RoundRobin } from "../fixture/redis/round-robin.ts";
import WebSocket from "ws";
import { createClient } from "@redis/client";

const REDIS = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const PREFIX = `portio-fwd-${process.pid}-${Date.now().toString(36)}`;

type Opts = Partial<ManagerOptions & SocketOptions>;
const ask = <T = unknown>(c: ClientSocket, ev: string, ...args: unknown[]) =>
  c.timeout(5000).emitWithAck(ev, ...args) as Promise<T>;
interface State {
  id: string;
  recovered: boolean;
  rooms: string[];
  node: string;
}
const sidOf = (c: ClientSocket) => (c.io.engine as unknown as { id: string }).id;
const transportOf = (c: ClientSocket) => c.io.engine.transport.name;

/** Counts the client's disconnects (a session that broke and came back would hide behind a reconnect). */
function drops(c: ClientSocket): () => number {
  let n = 0;
  c.on("disconnect", () => n++);
  return () => n;
}

/** A raw Engine.IO polling request. */
async function poll(url: string, query: string, init: RequestInit = {}): Promise<{ status: number; body: string }> {
  const res = await fetch(`${url}/socket.io/?EIO=4&transport=polling${query}`, init);
  return { status: res.status, body: await res.text() };
}

describe("redis fleet without sticky sessions: round-robin balancer over Node, Deno, Bun", () => {
  let nodes: FleetNode[] = [];
  let official: FleetNode | undefined;
  let lb: RoundRobin;
  const env = { REDIS_URL: REDIS, STREAM: PREFIX };
  const via = (opts: Opts = {}) => connected(client({ url: lb.url } as Target, "/", { reconnection: false, ...opts }));
  const direct = (node: FleetNode, opts: Opts = {}) =>
    connected(client({ url: node.url } as Target, "/", { transports: ["websocket"], ...opts }));

  before(async () => {
    await withRedis(REDIS, (send) => send(["PING"])).catch((err) => {
      throw new Error(`Redis is not reachable at ${REDIS} (.ci/run starts it): ${err.message}`);
    });
    const all = await startAll([["node", "node"], ["deno", "deno"], ["bun", "bun"], ["official", "official"]], env);
    nodes = all.slice(0, 3);
    official = all[3];
    lb = await new RoundRobin(nodes.map((n) => n.port)).listen();
  });
  after(async () => {
    closeClients();
    await lb?.close();
    await Promise.all([...nodes, ...(official ? [official] : [])].map(stopNode));
    await cleanup(REDIS, PREFIX);
  });
  afterEach(() => {
    closeClients();
    for (const n of nodes) if (!n.alive() && !n.name.startsWith("killed")) assert.fail(`${n.name} died:\n${n.logs()}`);
  });

  it("default transports: connects, upgrades, acks, joins rooms, gets every node's broadcasts, stays up", async () => {
    const cs = await Promise.all([0, 1, 2].map((i) => via({ auth: { name: `d${i}` } })));
    const dropCounts = cs.map(drops);
    // every session is upgraded, whichever node its upgrade request reached (relayed when not the owner)
    await eventually(() => cs.every((c) => transportOf(c) === "websocket"), 5000, "every client upgraded");
    const owners = await Promise.all(cs.map((c) => ask<State>(c, "state")));
    for (const [i, c] of cs.entries()) {
      assert.match(sidOf(c), /^[A-Za-z0-9_-]{8}\.[A-Za-z0-9_-]{20}$/, "the session id names its node");
      assert.equal(owners[i]!.id, c.id);
    }
    for (const c of cs) assert.deepEqual(await ask<string[]>(c, "join", "rr-room"), [c.id, "rr-room"].sort());
    // a broadcast from a client of each node reaches every balanced client, in order
    const senders = await Promise.all(nodes.map((n) => direct(n)));
    const got = cs.map((c) => collect(c, "rr", 6, 5000));
    for (const [i, s] of senders.entries()) {
      await ask(s, "bcast", { to: ["rr-room"] }, "rr", { from: nodes[i]!.name, n: 2 * i });
      await ask(s, "bcast", { to: ["rr-room"] }, "rr", { from: nodes[i]!.name, n: 2 * i + 1 });
    }
    // each node's broadcasts in the order it sent them; across nodes the fleet orders nothing (a node delivers its
    // own broadcasts at once and the others' when its stream reader gets them, with sticky sessions as well)
    for (const g of got) {
      const ns = (await g).map((args) => (args[0] as { n: number }).n);
      assert.deepEqual([...ns].sort(), [0, 1, 2, 3, 4, 5], "each once");
      for (let i = 0; i < 3; i++) assert.ok(ns.indexOf(2 * i) < ns.indexOf(2 * i + 1), `${nodes[i]!.name}'s in order`);
    }
    // several ping cycles (pingInterval and pingTimeout are 1 s on the fixture nodes), then acks still flow
    const since = Date.now();
    await eventually(() => Date.now() - since > 4500, 6000, "4.5 s");
    for (const [i, c] of cs.entries()) {
      assert.equal(c.connected, true);
      assert.equal(dropCounts[i]!(), 0, "no disconnect");
      const s = await ask<State>(c, "state");
      assert.equal(s.node, owners[i]!.node, "the session stayed on its owner");
      assert.deepEqual(s.rooms, [c.id, "rr-room"].sort());
    }
    // the balancer really spread the requests over every node
    for (const n of nodes) assert.ok((lb.sent.get(n.port) ?? 0) > 3, `${n.name} got requests`);
  });

  it("polling only: a long run of polls and posts through the balancer, nothing lost, repeated or reordered", async () => {
    const cs = await Promise.all([0, 1, 2].map((i) => via({ transports: ["polling"], auth: { name: `p${i}` } })));
    const dropCounts = cs.map(drops);
    for (const c of cs) await ask(c, "join", "poll-room");
    const sender = await direct(nodes[1]!);
    const total = () => [...lb.sent.values()].reduce((a, b) => a + b, 0);
    const requestsBefore = total();
    const N = 60;
    const got = cs.map((c) => collect(c, "seq", N, 20_000));
    // acked emits from the polling clients (POSTs) interleaved with broadcasts to them (GETs)
    for (let i = 0; i < N; i++) {
      await ask(sender, "bcast", { to: ["poll-room"] }, "seq", i);
      await Promise.all(cs.map((c) => ask(c, "state")));
    }
    for (const g of got) assert.deepEqual((await g).map((args) => args[0]), [...Array(N).keys()]);
    const since = Date.now();
    await eventually(() => Date.now() - since > 3500, 5000, "3.5 s");
    for (const [i, c] of cs.entries()) {
      assert.equal(transportOf(c), "polling");
      assert.equal(dropCounts[i]!(), 0, "no disconnect");
      assert.equal((await ask<State>(c, "state")).id, c.id);
    }
    // a long run: hundreds of GETs and POSTs, two in three of them reaching a node that does not own the session
    assert.ok(total() - requestsBefore > 300, `${total() - requestsBefore} requests`);
  });

  it("an upgrade at a non-owner is relayed, on every runtime as the edge: probe, noop, acks in order, close", async () => {
    for (const [i, edge] of nodes.entries()) {
      const owner = nodes[(i + 1) % nodes.length]!;
      const open = await poll(owner.url, "");
      const sid = (JSON.parse(open.body.slice(1)) as { sid: string }).sid;
      await poll(owner.url, `&sid=${sid}`, { method: "POST", body: "40" });
      await eventually(async () => (await poll(owner.url, `&sid=${sid}`)).body.includes("welcome"), 3000, "welcome");
      const parked = poll(owner.url, `&sid=${sid}`);
      const ws = new WebSocket(`${edge.url.replace("http", "ws")}/socket.io/?EIO=4&transport=websocket&sid=${sid}`);
      const frames: string[] = [];
      ws.on("message", (d) => frames.push(String(d)));
      const closed = new Promise<number>((r) => ws.once("close", r));
      await new Promise((r, j) => (ws.once("open", r), ws.once("error", j)));
      ws.send("2probe");
      await eventually(() => frames.includes("3probe"), 3000, `3probe through ${edge.name}`);
      // the GET parked at the owner is released with a noop, as for a local upgrade
      assert.deepEqual(await parked, { status: 200, body: "6" });
      ws.send("5");
      for (let k = 0; k < 20; k++) ws.send(`42${k}["state"]`);
      await eventually(() => frames.filter((f) => f.startsWith("43")).length === 20, 5000, "20 acks");
      const acks = frames.filter((f) => f.startsWith("43")).map((f) => Number(/^43(\d+)/.exec(f)![1]));
      assert.deepEqual(acks, [...Array(20).keys()], `acks in order through ${edge.name}`);
      const state = JSON.parse(frames.find((f) => f.startsWith("430"))!.slice(3)) as [State];
      assert.equal(state[0].node, owner.name, "the session stayed on its owner");
      // the client closes: the owner's session ends (its id is unknown there afterwards)
      ws.close();
      await closed;
      await eventually(async () => (await poll(owner.url, `&sid=${sid}`)).status === 400, 3000, "session closed");
    }
  });

  it("ids that name no live node, or no session of a live one, get Session ID unknown", async () => {
    const unknown = JSON.stringify({ code: 1, message: "Session ID unknown" });
    // a node id nobody subscribes to: PUBLISH reaches no one, answered at once
    assert.deepEqual(await poll(nodes[0]!.url, "&sid=ZZZZZZZZ.aaaaaaaaaaaaaaaaaaaa"), { status: 400, body: unknown });
    // a live node's id with a session it does not have: the owner says so, through the node asked
    const c = await via({ transports: ["polling"] });
    const owner = sidOf(c).slice(0, 8);
    for (const n of nodes) {
      const r = await poll(n.url, `&sid=${owner}.bbbbbbbbbbbbbbbbbbbb`);
      assert.deepEqual(r, { status: 400, body: unknown }, n.name);
    }
  });

  it("a POST body over maxHttpBufferSize is refused where it arrives and closes the session at its owner", async () => {
    const c = await via({ transports: ["polling"] });
    const closed = once(c, "disconnect", 8000);
    const sid = sidOf(c);
    const state = await ask<State>(c, "state");
    const other = nodes.find((n) => n.name !== state.node)!;
    // chunked, no Content-Length: only the node that reads the body can tell, and the owner must hear it
    const big = new TextEncoder().encode("4" + "x".repeat(1_000_001));
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < big.length; i += 65536) c.enqueue(big.subarray(i, i + 65536));
        c.close();
      },
    });
    const r = await poll(other.url, `&sid=${sid}`, { method: "POST", body, duplex: "half" } as RequestInit);
    assert.equal(r.status, 413);
    // the client learns it from its parked GET (a close packet) or its next request (400), as timing has it
    const [reason] = await closed as [string];
    assert.ok(["transport error", "transport close"].includes(reason), reason);
    const owner = nodes.find((n) => n.name === state.node)!;
    assert.equal((await poll(owner.url, `&sid=${sid}`)).status, 400, "the owner closed the session");
  });

  it("with an official socket.io node in the fleet: broadcasts cross, and foreign ids are refused safely", async () => {
    const off = official!;
    const cs = await Promise.all([0, 1].map(() => via()));
    const onOfficial = await direct(off);
    for (const c of [...cs, onOfficial]) await ask(c, "join", "mixed");
    // official → balanced Portio clients, and a balanced client → the official node's client
    const got = [...cs, onOfficial].map((c) => collect(c, "m", 2, 5000));
    await ask(onOfficial, "bcast", { to: ["mixed"] }, "m", "from-official");
    await ask(cs[0]!, "bcast", { to: ["mixed"] }, "m", "from-portio");
    // (sorted: across nodes the fleet keeps no order, see the first test)
    for (const g of got) assert.deepEqual((await g).map((a) => a[0]).sort(), ["from-official", "from-portio"]);
    // a session the official node owns, asked of a Portio node: its id names no node, so "Session ID unknown"
    // at once (no forwarding, nothing published), and the official session is untouched
    const open = await poll(off.url, "");
    const sid = (JSON.parse(open.body.slice(1)) as { sid: string }).sid;
    assert.match(sid, /^[A-Za-z0-9_-]{20}$/);
    const published: string[] = [];
    const watcher = createClient({ url: REDIS });
    watcher.on("error", () => {});
    await watcher.connect();
    await watcher.pSubscribe(`${PREFIX}#fwd#*`, (_m, channel) => published.push(channel));
    try {
      for (const n of nodes) {
        assert.deepEqual(await poll(n.url, `&sid=${sid}`), {
          status: 400,
          body: JSON.stringify({ code: 1, message: "Session ID unknown" }),
        });
      }
      // a forwarded request would have been published by now (each answer above came after its PUBLISH)
      await new Promise((r) => setTimeout(r, 200));
      assert.deepEqual(published, [], "nothing forwarded for an official node's session");
    } finally {
      watcher.destroy();
    }
    assert.equal((await poll(off.url, `&sid=${sid}`, { method: "POST", body: "40" })).status, 200);
    // a Portio session asked of the official node: the same answer (what a balancer that includes official
    // nodes gets: the client reconnects, so official nodes keep needing affinity or WebSocket only)
    const r = await poll(off.url, `&sid=${sidOf(cs[0]!)}`);
    assert.equal(r.status, 400);
    assert.equal(cs[0]!.connected, true);
    // WebSocket-only clients need no affinity at all, official nodes in the balancer included: one connection
    const all = await new RoundRobin([...nodes, off].map((n) => n.port)).listen();
    try {
      const ws = await Promise.all(
        [0, 1, 2, 3].map(() => connected(client({ url: all.url } as Target, "/", { transports: ["websocket"] }))),
      );
      const where = await Promise.all(ws.map((c) => ask<State>(c, "state")));
      assert.deepEqual(where.map((w) => w.node).sort(), ["bun", "deno", "node", "official"]);
      for (const c of ws) await ask(c, "join", "mixed");
      const heard = [...ws, onOfficial].map((c) => collect(c, "w", 1, 5000));
      await ask(ws[0]!, "bcast", { to: ["mixed"] }, "w", "all");
      for (const h of heard) assert.deepEqual((await h)[0]![0], "all");
    } finally {
      await all.close();
    }
  });

  it("the owner SIGKILLed under a polling client: it reconnects through the balancer and recovers", async () => {
    const c = client({ url: lb.url } as Target, "/", {
      transports: ["polling"],
      reconnection: true,
      reconnectionDelay: 100,
      reconnectionDelayMax: 500,
    });
    await connected(c);
    await ask(c, "join", "k-room");
    const before = await ask<State>(c, "state");
    const owner = nodes.find((n) => n.name === before.node)!;
    const survivor = nodes.find((n) => n !== owner)!;
    const sender = await direct(survivor);
    const seen: number[] = [];
    c.on("k", (n: number) => seen.push(n));
    await ask(sender, "bcast", { to: ["k-room"] }, "k", 0);
    await eventually(() => seen.length === 1, 3000, "first message");
    // a raw session of the same owner, its GET parked there through a survivor
    const raw = JSON.parse((await poll(owner.url, "")).body.slice(1)) as { sid: string };
    const parked = poll(survivor.url, `&sid=${raw.sid}`);
    const reconnected = once(c, "connect", 15_000);
    owner.name = `killed-${owner.name}`;
    await owner.kill("SIGKILL");
    // the balancer's health check takes the dead node out
    lb.targets = lb.targets.filter((p) => p !== owner.port);
    for (let i = 1; i <= 5; i++) await ask(sender, "bcast", { to: ["k-room"] }, "k", i);
    await reconnected;
    // the survivor gave up on the dead owner: the answer for an unknown session, so that client reconnects too
    assert.deepEqual(await parked, { status: 400, body: JSON.stringify({ code: 1, message: "Session ID unknown" }) });
    const after = await ask<State>(c, "state");
    assert.equal(after.recovered, true, "connection state recovery");
    assert.equal(after.id, before.id);
    assert.deepEqual(after.rooms, before.rooms);
    assert.notEqual(after.node, before.node);
    await ask(sender, "bcast", { to: ["k-room"] }, "k", 6);
    await eventually(() => seen.length >= 7, 5000, "all seven messages");
    assert.deepEqual(seen, [0, 1, 2, 3, 4, 5, 6]);
  });
});
