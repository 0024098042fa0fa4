/**
 * The soak: mixed load for a given time against the e2e fixture on Node, Deno or Bun, with the server's memory
 * sampled throughout. It fails when memory keeps growing after warm-up (the slope of a least-squares line through
 * the JS heap samples of the second half, above `maxSlope` bytes a minute) or when a message that should arrive
 * does not (every non-volatile room broadcast, counted per client that stays in the room; recovered ones included).
 *
 * The load, all at once: connect/disconnect churn over polling, WebSocket and polling-then-upgrade, each churned
 * client joining a room and exchanging acks both ways (`echo`: client → server, `ask`: server → client); room
 * broadcasts every 100 ms to steady clients over both transports; a client that drops its connection every few
 * seconds and recovers (connection state recovery); a slow consumer that stops reading for seconds at a time; raw
 * polling clients that connect, join and never poll again (closed by the heartbeat).
 */
import type { Duplex } from "node:stream";
import { io as ioc, type Socket as ClientSocket } from "socket.io-client";
import { startProcess } from "../e2e/harness.ts";

export type Runtime = "node" | "deno" | "bun";

export const FIXTURES: Record<Runtime, string[]> = {
  node: [process.execPath, "--expose-gc", "--import", "tsx", "test/fixture/node.ts"],
  deno: ["node_modules/.bin/deno", "run", "-A", "--no-check", "--v8-flags=--expose-gc", "test/fixture/deno.ts"],
  bun: ["node_modules/.bin/bun", "run", "test/fixture/bun.ts"],
};

export interface SoakOptions {
  runtime: Runtime;
  /** ms of load */
  duration: number;
  /** heap growth over the second half above this many bytes per minute fails the soak (default 4 MiB/min) */
  maxSlope?: number;
  /** progress lines */
  log?: (line: string) => void;
}

export interface SoakResult {
  runtime: Runtime;
  ok: boolean;
  failures: string[];
  /** heap and RSS samples: [ms since start, bytes] */
  heap: Array<[number, number]>;
  rss: Array<[number, number]>;
  /** least-squares slope over the second half, bytes per minute */
  heapSlope: number;
  rssSlope: number;
  /** counts of what the load did */
  stats: Record<string, number>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Least-squares slope of `points` in units per minute. */
export function slopePerMinute(points: ReadonlyArray<[number, number]>): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) (num += (x - mx) * (y - my)), (den += (x - mx) ** 2);
  return den === 0 ? 0 : (num / den) * 60_000;
}

const BROADCAST_ROOM = "soak";
/** messages per broadcast round (one `flood` call: numbered 0..n-1) */
export const ROUND = 5;

export async function runSoak(opts: SoakOptions): Promise<SoakResult> {
  const log = opts.log ?? (() => {});
  const maxSlope = opts.maxSlope ?? 4 * 1024 * 1024;
  // recovery state is kept for 5 s instead of the fixture's 30 s, so the steady state comes within warm-up
  const target = await startProcess(opts.runtime, FIXTURES[opts.runtime], { RECOVERY_DURATION: "5000" });
  const clients = new Set<ClientSocket>();
  const stats: Record<string, number> = {
    churned: 0,
    acksClientToServer: 0,
    acksServerToClient: 0,
    rounds: 0,
    recoveries: 0,
    failedRecoveries: 0,
    slowPauses: 0,
    neverPolling: 0,
    errors: 0,
  };
  const failures: string[] = [];
  const make = (o: Parameters<typeof ioc>[1] = {}) => {
    const c = ioc(target.url, { forceNew: true, reconnection: false, timeout: 10_000, ...o });
    clients.add(c);
    return c;
  };
  const ready = (c: ClientSocket) =>
    new Promise<void>((resolve, reject) => {
      if (c.connected) return resolve();
      const t = setTimeout(() => reject(new Error("did not connect")), 10_000);
      c.once("connect", () => (clearTimeout(t), resolve()));
    });
  let stopping = false;
  const heap: Array<[number, number]> = [];
  const rss: Array<[number, number]> = [];
  const t0 = Date.now();
  try {
    // ---- steady members of the broadcast room: their counts must be exact ------------------------------
    interface Member {
      name: string;
      socket: ClientSocket;
      got: number;
    }
    const members: Member[] = [];
    const member = async (name: string, o: Parameters<typeof ioc>[1]) => {
      const socket = make(o);
      const m: Member = { name, socket, got: 0 };
      socket.on("flood-msg", () => m.got++);
      await ready(socket);
      await socket.timeout(5000).emitWithAck("join", BROADCAST_ROOM);
      members.push(m);
      return m;
    };
    await member("websocket", { transports: ["websocket"] });
    await member("polling", { transports: ["polling"] });
    await member("upgraded", { transports: ["polling", "websocket"] });
    // not faster: a reconnection that reaches the server before it has seen the old connection close finds no
    // session to restore yet (socket.io keeps a session once the disconnect is handled, as Portio's stores do)
    const reconnecting = { reconnection: true, reconnectionDelay: 400, reconnectionDelayMax: 800 };
    const recoverer = await member("recovering", { transports: ["websocket"], ...reconnecting });
    const slow = await member("slow consumer", { transports: ["websocket"], ...reconnecting });
    const monitor = make();
    const broadcaster = make();
    await Promise.all([ready(monitor), ready(broadcaster)]);

    const tasks: Array<Promise<void>> = [];
    const loop = (every: number, fn: () => Promise<void> | void) =>
      tasks.push((async () => {
        while (!stopping) {
          try {
            await fn();
          } catch (err) {
            stats.errors!++;
            if (stats.errors! <= 5) log(`  error: ${(err as Error).message}`);
          }
          await sleep(every);
        }
      })());

    // broadcasts: ROUND numbered messages to the room, every 100 ms
    loop(100, async () => {
      await broadcaster.timeout(10_000).emitWithAck("flood", BROADCAST_ROOM, ROUND, 300);
      stats.rounds!++;
    });
    // churn: a new client every 50 ms over one of the three transport setups, living 0.2-2 s
    const setups = [["polling"], ["websocket"], ["polling", "websocket"]] as const;
    let n = 0;
    loop(50, () => {
      const c = make({ transports: [...setups[n++ % 3]!] });
      c.on("question", (payload: unknown, ack: (a: unknown) => void) => ack(payload));
      void (async () => {
        try {
          await ready(c);
          await c.timeout(5000).emitWithAck("join", `churn-${n % 7}`);
          if ((await c.timeout(5000).emitWithAck("echo", n)) === n) stats.acksClientToServer!++;
          if ((await c.timeout(5000).emitWithAck("ask", n)) === n) stats.acksServerToClient!++;
          await sleep(200 + Math.random() * 1800);
        } catch {
          stats.errors!++;
        } finally {
          c.close();
          clients.delete(c);
          stats.churned!++;
        }
      })();
    });
    // recovery: drop the connection every 2 s; the client reconnects and must be recovered
    // (never while a reconnection is still being set up: a session restores once, so a drop between the server's
    // restore and the client's CONNECT loses it, in socket.io as here)
    let lastConnect = Date.now();
    recoverer.socket.on("connect", () => {
      lastConnect = Date.now();
      if (recoverer.socket.recovered) stats.recoveries!++;
      else stats.failedRecoveries!++;
    });
    loop(2000, () => {
      if (recoverer.socket.connected && Date.now() - lastConnect > 500) recoverer.socket.io.engine.close();
    });
    // a slow consumer: stops reading for 2 s out of every 3
    loop(1000, async () => {
      const tcp = (slow.socket.io.engine?.transport as unknown as { ws?: { _socket?: Duplex } })?.ws?._socket;
      if (!tcp) return;
      const resume = tcp.resume;
      tcp.resume = () => tcp;
      tcp.pause();
      stats.slowPauses!++;
      await sleep(2000);
      tcp.resume = resume;
      tcp.resume();
    });
    // clients that never poll: handshake, CONNECT, join, then silence (the heartbeat closes them)
    loop(1000, async () => {
      const base = `${target.url}/socket.io/?EIO=4&transport=polling`;
      const sid = JSON.parse((await (await fetch(base)).text()).slice(1)).sid as string;
      const url = `${base}&sid=${sid}`;
      await fetch(url, { method: "POST", body: "40" }).then((r) => r.text());
      await fetch(url).then((r) => r.text());
      await fetch(url, { method: "POST", body: `420["join","${BROADCAST_ROOM}"]` }).then((r) => r.text());
      stats.neverPolling!++;
    });
    // memory, after a collection, every 500 ms
    loop(500, async () => {
      const m = (await monitor.timeout(10_000).emitWithAck("mem")) as { rss: number | null; heap: number | null };
      const at = Date.now() - t0;
      if (m.heap !== null) heap.push([at, m.heap]);
      if (m.rss !== null) rss.push([at, m.rss]);
    });

    const progressEvery = Math.max(5000, Math.floor(opts.duration / 6));
    for (let at = 0; at < opts.duration; at += progressEvery) {
      await sleep(Math.min(progressEvery, opts.duration - at));
      const h = heap.at(-1)?.[1];
      log(
        `  ${((Date.now() - t0) / 1000).toFixed(0)} s: heap ${h ? (h / 1048576).toFixed(1) : "?"} MiB, ` +
          `${stats.churned} churned, ${stats.rounds} rounds, ${stats.recoveries} recoveries`,
      );
    }
    stopping = true;
    await Promise.all(tasks);
    // every steady member must have every message of every round: wait for stragglers (the slow one, a recovery)
    const expected = stats.rounds! * ROUND;
    const deadline = Date.now() + 15_000;
    while (members.some((m) => m.got < expected) && Date.now() < deadline) await sleep(100);
    for (const m of members) {
      if (m.got !== expected) failures.push(`${m.name}: ${m.got} of ${expected} room broadcasts arrived`);
    }
    if (stats.recoveries === 0) failures.push("the recovering client was never recovered");
    if (stats.failedRecoveries) failures.push(`${stats.failedRecoveries} reconnection(s) not recovered`);
    if (stats.acksClientToServer === 0 || stats.acksServerToClient === 0) failures.push("no acks went through");
    if (!target.alive()) failures.push(`the server died\n${target.logs()}`);
  } finally {
    stopping = true;
    for (const c of clients) c.close();
    await target.stop();
  }
  const secondHalf = <T extends [number, number]>(s: T[]) => s.filter(([at]) => at >= opts.duration / 2);
  const heapSlope = slopePerMinute(secondHalf(heap));
  const rssSlope = slopePerMinute(secondHalf(rss));
  if (heap.length < 4) failures.push(`only ${heap.length} memory samples`);
  if (heapSlope > maxSlope) {
    failures.push(
      `the heap kept growing after warm-up: ${(heapSlope / 1048576).toFixed(2)} MiB/min ` +
        `(limit ${(maxSlope / 1048576).toFixed(2)})`,
    );
  }
  return { runtime: opts.runtime, ok: failures.length === 0, failures, heap, rss, heapSlope, rssSlope, stats };
}

/** One line per result, for logs and the README. */
export function describeResult(r: SoakResult): string {
  const mib = (b: number) => (b / 1048576).toFixed(2);
  const first = r.heap.find(([at]) => at >= (r.heap.at(-1)?.[0] ?? 0) / 2)?.[1];
  const last = r.heap.at(-1)?.[1];
  const drift = first !== undefined && last !== undefined ? mib(last - first) : "?";
  return `${r.runtime}: heap ${mib(r.heap[0]?.[1] ?? 0)} → ${mib(last ?? 0)} MiB, second half ${drift} MiB ` +
    `(slope ${mib(r.heapSlope)} MiB/min; RSS slope ${mib(r.rssSlope)} MiB/min); ` +
    Object.entries(r.stats).map(([k, v]) => `${k} ${v}`).join(", ") +
    (r.ok ? "" : `; FAILED: ${r.failures.join("; ")}`);
}
