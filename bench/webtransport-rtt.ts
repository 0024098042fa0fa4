/**
 * Echo round-trip over WebTransport vs WebSocket on Deno, same server, same run: a Portio server in its own
 * Deno process (this file with `--serve`), and the official socket.io-client in this one, one client per
 * transport, taking turns in rounds (A B A B …) so machine load hits both alike. Each sample is one
 * `emitWithAck("echo", payload)` waited for before the next. Prints p50/p90/p99 in µs per transport.
 *
 *   deno run -A --unstable-net bench/webtransport-rtt.ts [--rounds 10] [--per-round 500] [--size 32]
 */
import { Server } from "../src/index.ts";
import { serve } from "../adapters/deno/index.ts";
import { io as ioc, type Socket } from "socket.io-client";
import { hashBytes, makeCertificate } from "../examples/webtransport/cert.ts";

const arg = (name: string, fallback: number) => {
  const i = Deno.args.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(Deno.args[i + 1]);
};

if (Deno.args.includes("--serve")) {
  const io = new Server({ transports: ["polling", "websocket", "webtransport"] });
  io.on("connection", (s) => s.on("echo", (x: unknown, ack: (x: unknown) => void) => ack(x)));
  const h = await serve(io, {
    port: 0,
    hostname: "127.0.0.1",
    webTransport: { cert: Deno.env.get("WT_CERT")!, key: Deno.env.get("WT_KEY")! },
  });
  console.log(`LISTENING ${h.port}`);
  await new Promise(() => {});
}

const rounds = arg("rounds", 10);
const perRound = arg("per-round", 500);
const payload = "x".repeat(arg("size", 32));
const cert = await makeCertificate({ days: 1 });
const server = new Deno.Command(Deno.execPath(), {
  args: ["run", "-A", "--unstable-net", new URL(import.meta.url).pathname, "--serve"],
  env: { WT_CERT: cert.cert, WT_KEY: cert.key, DENO_NO_UPDATE_CHECK: "1" },
  stdout: "piped",
  stderr: "inherit",
}).spawn();
const lines = server.stdout.pipeThrough(new TextDecoderStream()).getReader();
let out = "";
let port = 0;
while (!port) {
  const { value, done } = await lines.read();
  if (done) throw new Error("server exited");
  out += value;
  port = Number(/LISTENING (\d+)/.exec(out)?.[1] ?? 0);
}

const hashes = [{ algorithm: "sha-256", value: hashBytes(cert.hash) }];
async function connect(transport: "websocket" | "webtransport"): Promise<Socket> {
  const c = ioc(`http://127.0.0.1:${port}`, {
    transports: [transport],
    transportOptions: { webtransport: { serverCertificateHashes: hashes } },
  });
  await new Promise<void>((resolve, reject) => (c.once("connect", resolve), c.once("connect_error", reject)));
  return c;
}

const clients = { websocket: await connect("websocket"), webtransport: await connect("webtransport") };
const samples: Record<string, number[]> = { websocket: [], webtransport: [] };
// warm-up: JIT and QUIC congestion window
for (const c of Object.values(clients)) for (let i = 0; i < 200; i++) await c.emitWithAck("echo", payload);
for (let r = 0; r < rounds; r++) {
  for (const [name, c] of Object.entries(clients)) {
    for (let i = 0; i < perRound; i++) {
      const t0 = performance.now();
      await c.emitWithAck("echo", payload);
      samples[name]!.push((performance.now() - t0) * 1000);
    }
  }
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
console.log(
  `deno ${Deno.version.deno}, ${rounds} rounds × ${perRound} echoes of ${payload.length} bytes, per transport`,
);
console.log("| transport | samples | p50 µs | p90 µs | p99 µs |");
console.log("| --- | --- | --- | --- | --- |");
for (const [name, list] of Object.entries(samples)) {
  const s = [...list].sort((a, b) => a - b);
  const f = (p: number) => pct(s, p).toFixed(0);
  console.log(`| ${name} | ${s.length} | ${f(0.5)} | ${f(0.9)} | ${f(0.99)} |`);
}
for (const c of Object.values(clients)) c.close();
server.kill("SIGTERM");
await server.status;
Deno.exit(0);
