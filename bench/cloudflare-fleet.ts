/**
 * Fleet benchmark: four Durable Object shards in workerd (Miniflare, the e2e fleet fixture), SOCKETS clients
 * per shard (official socket.io-client over WebSocket, from this process).
 * - broadcast to everybody from a client on s0: latency from the emit (the client sends the request) to the
 *   last delivery among all clients, p50/p99 over ROUNDS; fleet requests and messages s0 sent per broadcast
 * - fetchSockets of every socket from s0: the time the server measured, and the count
 *
 *   NODE_OPTIONS=--conditions=portio-source node --import tsx bench/cloudflare-fleet.ts
 *   (SOCKETS=500 ROUNDS=30 by default)
 */
import { io as ioc, type Socket } from "socket.io-client";
import { loadavg } from "node:os";
import { startProcess } from "../test/e2e/harness.ts";

const SHARDS = ["s0", "s1", "s2", "s3"];
const SOCKETS = Number(process.env.SOCKETS ?? 500);
const ROUNDS = Number(process.env.ROUNDS ?? 30);

const target = await startProcess("workerd", [process.execPath, "--import", "tsx", "test/fixture/cloudflare-node.ts"], {
  FIXTURE: "fleet",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  WRANGLER_SEND_METRICS: "false",
});
const clients: Socket[] = [];
const connect = (shard: string) =>
  new Promise<Socket>((resolve, reject) => {
    const c = ioc(target.url, {
      path: "/fleet/",
      query: { shard },
      transports: ["websocket"],
      forceNew: true,
      reconnection: false,
      timeout: 60_000,
    });
    c.once("connect", () => resolve(c));
    c.once("connect_error", reject);
    clients.push(c);
  });
const ask = <T>(c: Socket, ev: string, ...args: unknown[]) => c.timeout(60_000).emitWithAck(ev, ...args) as Promise<T>;
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;

try {
  const t0 = Date.now();
  for (const shard of SHARDS) {
    for (let i = 0; i < SOCKETS; i += 50) {
      await Promise.all(Array.from({ length: Math.min(50, SOCKETS - i) }, () => connect(shard)));
    }
  }
  console.log(
    `# ${clients.length} clients connected in ${Date.now() - t0} ms; load average ${
      loadavg().map((x) => x.toFixed(2)).join(" ")
    }`,
  );
  const sender = clients[0]!;
  const latencies: number[] = [];
  /** per round: the last delivery on the sender's shard, and on the other three */
  const local: number[] = [];
  const remote: number[] = [];
  let round = 0;
  let start = 0;
  let pending = 0;
  let lastLocal = 0;
  let lastRemote = 0;
  let done: () => void = () => {};
  for (const [i, c] of clients.entries()) {
    const onSender = i < SOCKETS; // clients[0 .. SOCKETS) are on s0
    c.on("b", (r: number) => {
      if (r !== round) return;
      const t = performance.now() - start;
      if (onSender) lastLocal = t;
      else lastRemote = t;
      if (--pending === 0) {
        latencies.push(t);
        local.push(lastLocal);
        remote.push(lastRemote);
        done();
      }
    });
  }
  const before = await ask<{ requests: number; messages: number }>(sender, "stats");
  for (round = 1; round <= ROUNDS; round++) {
    pending = clients.length;
    const all = new Promise<void>((r) => (done = r));
    start = performance.now();
    sender.emit("bcast", {}, "b", [round, "x".repeat(64)], () => {});
    await all;
  }
  const after = await ask<{ requests: number; messages: number }>(sender, "stats");
  const stats = {
    requests: (after.requests - before.requests) / ROUNDS,
    messages: (after.messages - before.messages) / ROUNDS,
  };
  console.log(
    `broadcast to everybody, ${SHARDS.length} shards × ${SOCKETS} sockets: p50 ${pct(latencies, 0.5).toFixed(1)} ms, ` +
      `p99 ${pct(latencies, 0.99).toFixed(1)} ms (emit → last of ${clients.length} deliveries, ${ROUNDS} rounds); ` +
      `s0 sent ${stats.requests.toFixed(2)} requests carrying ${stats.messages.toFixed(2)} messages per broadcast`,
  );
  console.log(
    `  last delivery on the sender's shard: p50 ${pct(local, 0.5).toFixed(1)} ms; on the other shards: p50 ` +
      `${pct(remote, 0.5).toFixed(1)} ms, p99 ${pct(remote, 0.99).toFixed(1)} ms`,
  );
  const fetchMs: number[] = [];
  let count = 0;
  for (let i = 0; i < 10; i++) {
    const t = performance.now();
    const r = await ask<{ ms: number; sockets?: unknown[]; error?: string }>(sender, "fetch", {});
    if (r.error) throw new Error(r.error);
    count = r.sockets!.length;
    fetchMs.push(performance.now() - t);
  }
  console.log(
    `fetchSockets across ${SHARDS.length} shards (${count} sockets): p50 ${pct(fetchMs, 0.5).toFixed(1)} ms, ` +
      `max ${Math.max(...fetchMs).toFixed(1)} ms (client round trip, 10 calls)`,
  );
  // a burst: BURST broadcasts asked back to back; what is asked while a batch is in flight goes in the next
  const BURST = Number(process.env.BURST ?? 20);
  let received = 0;
  const expected = BURST * clients.length;
  let disconnected = 0;
  const reasons = new Map<string, number>();
  for (const c of clients) {
    c.on("disconnect", (r: string) => (disconnected++, reasons.set(r, (reasons.get(r) ?? 0) + 1)));
  }
  const allIn = new Promise<void>((resolve) => {
    for (const c of clients) c.on("burst", () => ++received === expected && resolve());
    setTimeout(resolve, 60_000);
  });
  const s1 = await ask<{ requests: number; messages: number }>(sender, "stats");
  const tb = performance.now();
  for (let i = 0; i < BURST; i++) sender.emit("bcast", {}, "burst", [i], () => {});
  await allIn;
  const burstMs = performance.now() - tb;
  const s2 = await ask<{ requests: number; messages: number }>(sender, "stats");
  if (received < expected) {
    console.log(`# burst: only ${received} of ${expected} in 60 s; ${disconnected} disconnected`);
  }
  console.log(
    `burst of ${BURST} broadcasts to everybody: all ${expected} deliveries in ${burstMs.toFixed(0)} ms ` +
      `(${(expected / burstMs * 1000).toFixed(0)} deliveries/s); s0 sent ${s2.requests - s1.requests} requests ` +
      `(${((s2.requests - s1.requests) / BURST).toFixed(2)} per broadcast) carrying ${
        s2.messages - s1.messages
      } messages`,
  );
  console.log(`# load average ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);
} finally {
  for (const c of clients) c.close();
  await target.stop();
}
