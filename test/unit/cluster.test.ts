/**
 * The cluster room store base (src/rooms/cluster.ts) over an in-process bus: what it promises regardless of
 * the transport. Ordering of local deliveries behind pending offsets, request timeouts against a node that
 * never answers, a transport that is down, malformed messages, offsets on remote broadcasts.
 */
import { after, afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { io as ioc, type Socket as ClientSocket } from "socket.io-client";
import { Server } from "../../src/index.ts";
import {
  type AnyClusterMessage,
  ClusterAdapter,
  type ClusterMessage,
  type ClusterResponse,
  MessageType,
  type StoreContext,
} from "../../src/room-store.ts";
import { serve } from "../../adapters/node/index.ts";

class Bus {
  nodes: BusAdapter[] = [];
  seq = 0;
  /** ms before a publish is acknowledged and delivered (a slow transport) */
  delay = 0;
  down = false;
  /** nodes that receive but never answer (a hung process) */
  mute = new Set<string>();
}

class BusAdapter extends ClusterAdapter {
  constructor(nsp: StoreContext, readonly bus: Bus) {
    super(nsp, { requestTimeout: 300 });
    bus.nodes.push(this);
  }

  protected doPublish(message: ClusterMessage): Promise<string> {
    if (this.bus.down) return Promise.reject(new Error("bus down"));
    const wire = structuredClone(message); // serialized now, as the contract asks
    const id = `${Date.now()}-${++this.bus.seq}`;
    return new Promise((resolve) =>
      setTimeout(() => {
        for (const n of this.bus.nodes) if (n !== this && n.ctx.name === wire.nsp) n.deliver(structuredClone(wire), id);
        resolve(id);
      }, this.bus.delay)
    );
  }

  protected doPublishResponse(uid: string, response: ClusterResponse): Promise<void> {
    if (this.bus.mute.has(this.uid)) return Promise.resolve();
    const wire = structuredClone(response);
    setTimeout(() => this.bus.nodes.find((n) => n.uid === uid)?.onMessage(wire), 0);
    return Promise.resolve();
  }

  override serverCount(): Promise<number> {
    return Promise.resolve(this.bus.nodes.filter((n) => n.ctx.name === this.ctx.name).length);
  }

  deliver(message: AnyClusterMessage, id: string): void {
    this.onMessage(message, id);
  }
}

async function fleet(n: number, recovery = false) {
  const bus = new Bus();
  const servers = [];
  for (let i = 0; i < n; i++) {
    const io = new Server({
      adapter: (nsp) => new BusAdapter(nsp, bus),
      ...(recovery ? { connectionStateRecovery: {} } : {}),
    });
    io.on("whoami", (cb: (x: unknown) => void) => cb(i));
    const handle = await serve(io, { port: 0, hostname: "127.0.0.1" });
    servers.push({ io, handle, url: `http://127.0.0.1:${handle.port}` });
  }
  return { bus, servers };
}

const clients: ClientSocket[] = [];
function connect(url: string): Promise<ClientSocket> {
  const c = ioc(url, { forceNew: true, reconnection: false, transports: ["websocket"] });
  clients.push(c);
  return new Promise((resolve, reject) => (c.once("connect", () => resolve(c)), c.once("connect_error", reject)));
}

const closers: Array<() => Promise<void>> = [];
afterEach(() => clients.splice(0).forEach((c) => c.close()));
after(async () => {
  for (const close of closers) await close();
});

describe("ClusterAdapter base", () => {
  it("a local delivery waits for earlier broadcasts' offsets: the last words arrive before the disconnect", async () => {
    const { bus, servers } = await fleet(2, true);
    closers.push(...servers.map((s) => () => s.handle.close()));
    const c = await connect(servers[0]!.url);
    bus.delay = 30;
    const events: string[] = [];
    c.on("bye", (...args: unknown[]) => events.push(`bye:${typeof args[1]}`));
    c.on("disconnect", (reason) => events.push(`disconnect:${reason}`));
    const io = servers[0]!.io;
    io.emit("bye", 1);
    io.disconnectSockets();
    await new Promise((r) => c.once("disconnect", r));
    assert.deepEqual(
      events,
      ["bye:string", "disconnect:io server disconnect"],
      "bye with its offset, then the disconnect",
    );
  });

  it("remote broadcasts get the transport's offset when recovery is on; volatile ones do not", async () => {
    const { servers } = await fleet(2, true);
    closers.push(...servers.map((s) => () => s.handle.close()));
    const c = await connect(servers[1]!.url);
    const got = new Promise<unknown[][]>((resolve) => {
      const seen: unknown[][] = [];
      c.on("m", (...args: unknown[]) => seen.push(args) === 2 && resolve(seen));
    });
    servers[0]!.io.emit("m", "kept");
    await new Promise((r) => c.once("m", r));
    // after a pause: a volatile packet written right behind another one is dropped (socket.io's rule)
    await new Promise((r) => setTimeout(r, 50));
    servers[0]!.io.volatile.emit("m", "volatile");
    const [kept, volatile] = await got;
    assert.equal(kept![0], "kept");
    assert.match(String(kept![1]), /^\d+-\d+$/);
    assert.deepEqual(volatile, ["volatile"]);
  });

  it("except crosses nodes: a remote socket in an excluded room is skipped, its neighbours are not", async () => {
    const { servers } = await fleet(2);
    closers.push(...servers.map((s) => () => s.handle.close()));
    const [here, there, thereVip, hereVip] = await Promise.all([
      connect(servers[0]!.url),
      connect(servers[1]!.url),
      connect(servers[1]!.url),
      connect(servers[0]!.url),
    ]);
    for (const [i, c] of [[0, here], [1, there], [1, thereVip], [0, hereVip]] as const) {
      servers[i]!.io.in(c.id!).socketsJoin("room");
    }
    servers[1]!.io.in(thereVip.id!).socketsJoin("vip");
    servers[0]!.io.in(hereVip.id!).socketsJoin("vip");
    const got: string[] = [];
    const names = new Map([[here, "here"], [there, "there"], [thereVip, "thereVip"], [hereVip, "hereVip"]]);
    for (const [c, name] of names) c.on("m", (from: string) => got.push(`${name}<-${from}`));
    // from each node in turn, then a marker from each node that everyone gets: the bus keeps each sender's
    // order, so once a client has both markers, every "m" meant for it has arrived
    for (const [i, from] of [[0, "n0"], [1, "n1"]] as const) {
      servers[i]!.io.to("room").except("vip").emit("m", from);
      servers[i]!.io.except(thereVip.id!).emit("m", `${from}-by-id`);
    }
    const markers = [...names.keys()].map((c) =>
      new Promise((r) => {
        let n = 0;
        c.on("marker", () => ++n === 2 && r(n));
      })
    );
    servers[0]!.io.emit("marker");
    servers[1]!.io.emit("marker");
    await Promise.all(markers);
    assert.deepEqual(got.sort(), [
      "here<-n0",
      "here<-n0-by-id",
      "here<-n1",
      "here<-n1-by-id",
      "hereVip<-n0-by-id",
      "hereVip<-n1-by-id",
      "there<-n0",
      "there<-n0-by-id",
      "there<-n1",
      "there<-n1-by-id",
    ]);
  });

  it("a node that never answers: fetchSockets rejects and serverSideEmit acks with an error at the timeout", async () => {
    const { bus, servers } = await fleet(3);
    closers.push(...servers.map((s) => () => s.handle.close()));
    bus.mute.add(bus.nodes[2]!.uid);
    const t0 = Date.now();
    await assert.rejects(servers[0]!.io.fetchSockets(), /timeout reached: only 1 responses received out of 2/);
    const elapsed = Date.now() - t0;
    assert.ok(elapsed >= 250 && elapsed < 1500, `${elapsed} ms`);
    const err = await servers[0]!.io.serverSideEmitWithAck("whoami").then(
      () => null,
      (e: Error & { responses: unknown[] }) => e,
    );
    assert.match(String(err?.message), /timeout reached/);
    assert.deepEqual(err?.responses, [1], "the answers that did arrive");
    bus.mute.clear();
    assert.deepEqual((await servers[0]!.io.serverSideEmitWithAck("whoami")).sort(), [1, 2]);
  });

  it("a transport that is down: local clients are still served, requests fail at once", async () => {
    const { bus, servers } = await fleet(2, true);
    closers.push(...servers.map((s) => () => s.handle.close()));
    const c = await connect(servers[0]!.url);
    bus.down = true;
    const got = new Promise<unknown[]>((resolve) => c.once("local", (...args: unknown[]) => resolve(args)));
    servers[0]!.io.emit("local", 1);
    assert.deepEqual(await got, [1], "delivered, without an offset");
    const t0 = Date.now();
    await assert.rejects(servers[0]!.io.fetchSockets(), /bus down/);
    assert.ok(Date.now() - t0 < 200);
  });

  it("malformed messages are ignored", async () => {
    const { bus, servers } = await fleet(2);
    closers.push(...servers.map((s) => () => s.handle.close()));
    const node = bus.nodes[1]!;
    const bad = [
      { uid: "x", nsp: "/", type: MessageType.BROADCAST, data: { packet: null, opts: null } },
      {
        uid: "x",
        nsp: "/",
        type: MessageType.BROADCAST,
        data: { packet: { type: 2, nsp: "/", data: "no array" }, opts: { rooms: [] } },
      },
      { uid: "x", nsp: "/", type: MessageType.SOCKETS_JOIN, data: { opts: "all", rooms: ["r"] } },
      { uid: "x", nsp: "/", type: 99 },
      { uid: "x", nsp: "/", type: MessageType.FETCH_SOCKETS_RESPONSE, data: { requestId: "nope", sockets: null } },
    ] as unknown as AnyClusterMessage[];
    for (const m of bad) node.deliver(m, "1-0");
    const c = await connect(servers[1]!.url);
    assert.deepEqual((await servers[0]!.io.fetchSockets()).map((s) => s.id), [c.id]);
  });
});
