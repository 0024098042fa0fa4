/**
 * Fleet requests settle within `requestTimeout` (plus a small margin) whatever Redis does: two Portio nodes
 * (Node and Bun) reach a real Redis through a TCP proxy in this test, which then stalls every byte (connections
 * open, nothing moves) or delays each chunk by 1.5 s. `fetchSockets`, `serverSideEmitWithAck` and a broadcast
 * with acks must answer (with a timeout error) within `requestTimeout` + MARGIN.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import type { Socket as ClientSocket } from "socket.io-client";
import { client, closeClients, connected, type Target } from "./harness.ts";
import { cleanup, eventually, type FleetNode, startNode, stopNode } from "../fixture/redis/fleet.ts";

const REDIS = new URL(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
const PREFIX = `portio-stall-${process.pid}-${Date.now().toString(36)}`;
const REQUEST_TIMEOUT = 2000;
const MARGIN = 500;

type Mode = { kind: "pass" } | { kind: "stall" } | { kind: "slow"; ms: number };

/** A TCP proxy to Redis whose links can be made to stall or lag, in both directions, keeping order. */
class Proxy {
  mode: Mode = { kind: "pass" };
  #server = net.createServer((down) => this.#link(down));
  #links = new Set<() => void>();
  port = 0;

  async start(): Promise<void> {
    await new Promise<void>((r) => this.#server.listen(0, "127.0.0.1", r));
    this.port = (this.#server.address() as net.AddressInfo).port;
  }

  /** Releases what a stall held back. */
  set(mode: Mode): void {
    this.mode = mode;
    for (const flush of this.#links) flush();
  }

  #link(down: net.Socket): void {
    const up = net.connect(Number(REDIS.port || 6379), REDIS.hostname);
    const held: Array<[net.Socket, Buffer]> = [];
    let chain = Promise.resolve();
    const forward = (to: net.Socket, chunk: Buffer) => {
      const m = this.mode;
      if (m.kind === "stall") return void held.push([to, chunk]);
      if (m.kind === "pass" && held.length === 0) return void to.write(chunk);
      const ms = m.kind === "slow" ? m.ms : 0;
      chain = chain.then(() => new Promise((r) => setTimeout(r, ms))).then(() => void to.write(chunk));
    };
    const flush = () => {
      if (this.mode.kind === "stall") return;
      for (const [to, chunk] of held.splice(0)) to.write(chunk);
    };
    this.#links.add(flush);
    down.on("data", (c) => forward(up, c));
    up.on("data", (c) => forward(down, c));
    const end = () => (this.#links.delete(flush), down.destroy(), up.destroy());
    down.on("error", end).on("close", end);
    up.on("error", end).on("close", end);
  }

  close(): Promise<void> {
    return new Promise((r) => this.#server.close(() => r()));
  }
}

const ask = <T = unknown>(c: ClientSocket, ev: string, ...args: unknown[]) =>
  c.timeout(REQUEST_TIMEOUT * 10).emitWithAck(ev, ...args) as Promise<T>;

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = Date.now();
  const value = await fn();
  return [value, Date.now() - t0];
}

describe("fleet requests settle within requestTimeout whatever Redis does", () => {
  const proxy = new Proxy();
  let nodes: FleetNode[] = [];
  const clients: ClientSocket[] = [];

  before(async () => {
    await proxy.start();
    const env = {
      REDIS_URL: `redis://127.0.0.1:${proxy.port}`,
      STREAM: PREFIX,
      REQUEST_TIMEOUT: String(REQUEST_TIMEOUT),
    };
    nodes = await Promise.all([startNode("node", "node", env), startNode("bun", "bun", env)]);
    for (const n of nodes) {
      clients.push(await connected(client({ url: n.url } as Target, "/", { transports: ["websocket"] })));
    }
    await eventually(async () => (await ask(clients[0]!, "server-count")) === 2, 5000, "both nodes counted");
  });
  after(async () => {
    proxy.set({ kind: "pass" });
    closeClients();
    await Promise.all(nodes.map(stopNode));
    await proxy.close();
    await cleanup(REDIS.href, PREFIX);
  });

  for (const mode of [{ kind: "stall" }, { kind: "slow", ms: 1500 }] as Mode[]) {
    const label = mode.kind === "slow" ? `slow (${mode.ms} ms per chunk)` : "stalled";
    for (const [i, runtime] of ["node", "bun"].entries()) {
      it(`${runtime}: fetchSockets, serverSideEmitWithAck and broadcast acks with Redis ${label}`, async () => {
        const c = clients[i]!;
        proxy.set(mode);
        try {
          const [fetched, tFetch] = await timed(() => ask<{ error?: string }>(c, "fetch", {}));
          const [emitted, tEmit] = await timed(() => ask<{ error: string | null }>(c, "whoami", "whoami"));
          const [, tAck] = await timed(() => ask<{ error: string | null }>(c, "bcast-ack", {}, REQUEST_TIMEOUT));
          console.log(
            `# ${runtime}, Redis ${label}: fetchSockets ${tFetch} ms (${fetched.error ?? "ok"}), ` +
              `serverSideEmitWithAck ${tEmit} ms (${emitted.error ?? "ok"}), broadcast acks ${tAck} ms`,
          );
          assert.ok(fetched.error, "fetchSockets cannot have every node's answer");
          assert.ok(emitted.error, "serverSideEmitWithAck cannot have every node's answer");
          for (const [what, t] of [["fetchSockets", tFetch], ["serverSideEmitWithAck", tEmit], ["acks", tAck]]) {
            assert.ok((t as number) <= REQUEST_TIMEOUT + MARGIN, `${what} took ${t} ms`);
          }
        } finally {
          proxy.set({ kind: "pass" });
        }
        // and once Redis answers again, so does the fleet
        await eventually(async () => !(await ask<{ error?: string }>(c, "fetch", {})).error, 15_000, "fleet back");
        for (const n of nodes) assert.ok(n.alive(), `${n.name} died:\n${n.logs()}`);
      });
    }
  }
});
