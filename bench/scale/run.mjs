// `npm run bench:scale` (through bench/scale.sh, which raises the file-descriptor limit first): growth curves of
// Portio beside official socket.io on Node and Bun, each measured in the same window, servers alternating per
// point. Four parts (PARTS):
//   fanout  server CPU µs per delivered message, rooms of ROOM_SIZES members (sio-bench fanout)
//   memory  KiB RSS per idle connection at CONN_COUNTS connections (sio-bench connect, fresh server each)
//   rooms   µs per delivered message broadcasting to a room of ROOMS_CLIENTS members while the server holds
//           ROOM_COUNTS other rooms (rooms-hold.mjs creates them, sio-bench fanout measures)
//   redis   cross-node fan-out over a private Redis with REDIS_NODES nodes (cross-node.mjs)
// Appends one JSON line per run to OUT, then bench/scale/report.ts prints the tables and updates docs/benchmarks.md.
// Knobs (env): RUNTIMES ("node bun"), PORT (23000: servers on PORT..PORT+2), REDIS_PORT (23379), PARTS,
// ROOM_SIZES, CONN_COUNTS, ROOM_COUNTS, REDIS_NODES, FANOUT_MSGS (messages per fanout run), FANOUT_WINDOW (50),
// ROOMS_CLIENTS, REDIS_CLIENTS, REDIS_MSGS, ROUNDS (1), BENCH_DIR (../shared/bench), OUT, SCALE_QUICK=1 (smaller
// sizes, a few minutes), SCALE_NOTE (text for the docs heading, e.g. "smoke run"), DOCS=0 (docs untouched).
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import os from "node:os";

const env = process.env;
const quick = env.SCALE_QUICK === "1";
const list = (name, full, small) => (env[name] ?? (quick ? small : full)).split(/[\s,]+/).filter(Boolean);
const nums = (name, full, small) => list(name, full, small).map(Number);
const RUNTIMES = list("RUNTIMES", "node bun", "node bun");
const PARTS = list("PARTS", "fanout memory rooms redis", "fanout memory rooms redis");
const PORT = Number(env.PORT ?? 23000);
const REDIS_PORT = Number(env.REDIS_PORT ?? 23379);
const ROOM_SIZES = nums("ROOM_SIZES", "10 100 1000 10000", "10 1000");
const CONN_COUNTS = nums("CONN_COUNTS", "1000 10000 30000", "1000 5000");
const ROOM_COUNTS = nums("ROOM_COUNTS", "1 100 10000", "1 1000");
const REDIS_NODES = nums("REDIS_NODES", "2 3", "2");
const FANOUT_MSGS = Number(env.FANOUT_MSGS ?? (quick ? 150_000 : 1_200_000));
const FANOUT_WINDOW = Number(env.FANOUT_WINDOW ?? 50);
const ROOMS_CLIENTS = Number(env.ROOMS_CLIENTS ?? 1000);
const REDIS_CLIENTS = Number(env.REDIS_CLIENTS ?? 1000);
const REDIS_MSGS = Number(env.REDIS_MSGS ?? (quick ? 100_000 : 300_000));
const ROUNDS = Number(env.ROUNDS ?? 1);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..");
process.chdir(root);
const B = env.BENCH_DIR ?? path.resolve(root, "../shared/bench");
if (!fs.existsSync(`${B}/sio-bench.mjs`)) die(`no load generator at ${B} (set BENCH_DIR)`);
fs.mkdirSync(".tmp", { recursive: true });
const OUT = env.OUT ?? path.resolve(`.tmp/scale-${new Date().toISOString().replace(/[:.]/g, "-")}.jsonl`);
const bun = "node_modules/.bin/bun";

const servers = {
  node: [
    { label: "portio-node", cmd: "node bench/dist/portio-node.mjs", redis: "node bench/dist/portio-redis-node.mjs" },
    {
      label: "socketio-node",
      cmd: `node ${B}/servers/socketio-node.mjs`,
      redis: "node bench/scale/socketio-redis.mjs",
    },
  ],
  bun: [
    {
      label: "portio-bun",
      cmd: `${bun} bench/portio-bun.ts`,
      redis: `${bun} --conditions=portio-source bench/scale/portio-redis-bun.ts`,
    },
    {
      label: "socketio-bun",
      cmd: `${bun} ${B}/servers/socketio-bun.mjs`,
      redis: `${bun} bench/scale/socketio-redis.mjs`,
    },
  ],
};

// ---- limits: connections need a descriptor each on both sides and an ephemeral port each on the client side
const notes = [];
const fdLimit = Number(/Max open files\s+(\d+)/.exec(fs.readFileSync("/proc/self/limits", "utf8"))?.[1] ?? 1024);
const [lo, hi] = fs.readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/).map(Number);
const portRange = hi - lo + 1;
const maxConns = Math.min(fdLimit - 300, portRange - 1500);
if (env.SCALE_LIMITS_NOTE) notes.push(env.SCALE_LIMITS_NOTE);
notes.push(
  `open files limit ${fdLimit} (server and generator each), ephemeral ports ${lo}-${hi} (${portRange}): at most ` +
    `${maxConns} connections per run from one source address to 127.0.0.1`,
);

const record = (r) => {
  const line = JSON.stringify({ tool: "scale", round: r.round ?? 1, ...r });
  fs.appendFileSync(OUT, line + "\n");
};
const log = (...a) => console.error("[scale]", ...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function portUp(port) {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: "127.0.0.1" }, () => {
      s.destroy();
      resolve(true);
    });
    s.on("error", () => resolve(false));
  });
}

// every server this run started and has not stopped: killed on the way out, whatever happened
const live = new Set();
process.on("exit", () => live.forEach((c) => c.kill("SIGKILL")));

async function startServer(cmd, port, extraEnv = {}) {
  if (await portUp(port)) die(`port ${port} is taken: refusing to benchmark an unknown server`);
  const child = spawn("bash", ["-c", `exec ${cmd}`], {
    env: { ...env, PORT: String(port), ...extraEnv },
    stdio: ["ignore", "ignore", "pipe"],
  });
  live.add(child);
  let err = "";
  child.stderr.on("data", (d) => (err += d).length > 4000 && (err = err.slice(-4000)));
  for (let i = 0; i < 150; i++) {
    if (await portUp(port)) return child;
    if (child.exitCode !== null) break;
    await sleep(100);
  }
  child.kill("SIGKILL");
  throw new Error(`server did not listen on ${port}: ${cmd}\n${err}`);
}

async function stop(child, port) {
  live.delete(child);
  if (child.exitCode === null) {
    child.kill("SIGTERM");
    for (let i = 0; i < 50 && child.exitCode === null; i++) await sleep(100);
    if (child.exitCode === null) child.kill("SIGKILL");
  }
  for (let i = 0; port && i < 100 && (await portUp(port)); i++) await sleep(100);
}

/** runs a node script, resolves with its last JSON line (or a failure record) */
function runJson(args, timeoutSec) {
  return new Promise((resolve) => {
    const child = spawn("node", args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "", err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d).length > 4000 && (err = err.slice(-4000)));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutSec * 1000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      const line = out.trim().split("\n").filter((l) => l.startsWith("{")).pop();
      let j = null;
      try {
        j = line ? JSON.parse(line) : null;
      } catch { /* reported below */ }
      if (!j || !j.ok) {
        log(`run failed (exit ${code}): ${args.join(" ")}\n${(j?.errors ?? j?.error ?? err).toString().slice(-600)}`);
      }
      resolve(j ?? { ok: false, exitCode: code, error: err.slice(-600) });
    });
  });
}

/**
 * Ephemeral ports still held by the kernel: wait until `need` are free. Sockets in TIME_WAIT count only when the
 * kernel cannot reuse them for new loopback connections (net.ipv4.tcp_tw_reuse 0).
 */
const twReuse = Number(fs.readFileSync("/proc/sys/net/ipv4/tcp_tw_reuse", "utf8").trim());
async function waitForPorts(need) {
  const used = () =>
    ["/proc/net/tcp", "/proc/net/tcp6"].reduce((n, f) => {
      try {
        const rows = fs.readFileSync(f, "utf8").split("\n").slice(1).filter(Boolean);
        return n + rows.filter((r) => {
          const [, local, , st] = r.trim().split(/\s+/);
          const port = parseInt(local.split(":").pop(), 16);
          return port >= lo && port <= hi && (twReuse === 0 || st !== "06");
        }).length;
      } catch {
        return n;
      }
    }, 0);
  for (let i = 0; i < 70 && portRange - used() < need + 1000; i++) {
    if (i === 0) log(`waiting for sockets to close (${used()} held, ${need} ephemeral ports needed)`);
    await sleep(1000);
  }
}

const fanoutArgs = (port, pid, clients, label) => {
  const messages = Math.max(20, Math.ceil(FANOUT_MSGS / clients));
  // the same window at every size: servers that coalesce the frames of one event-loop turn per socket pay per
  // turn, so a smaller window at 10,000 members measured the window, not the room (6.8 µs/msg at W=5, 2.6 at W=50)
  const window = FANOUT_WINDOW;
  const warmup = Math.min(50, Math.max(2, Math.ceil(messages / 10)));
  return [
    `${B}/sio-bench.mjs`,
    ...["--scenario", "fanout", "--port", port, "--server-pid", pid, "--clients", clients, "--messages", messages],
    // sio-bench's stall clock starts before its connections open (10,000 take 4 s on a quiet box, 45 s on a loaded
    // one): the guard must outlast connecting at 100 handshakes/s
    ...["--window", window, "--warmup", warmup, "--stall", 20 + Math.ceil(clients / 100), "--timeout", 400],
    ...["--label", label, "--quiet"],
  ].map(String);
};

const brief = (j) => ({
  ok: !!j.ok,
  error: j.ok ? undefined : String(j.errors?.[0] ?? j.error ?? `exit ${j.exitCode}`).slice(0, 300),
  usPerMsg: j.cpu?.serverUsPerOp,
  msgsPerSec: j.fanout?.msgsPerSec,
  serverCores: j.cpu?.serverCores,
  genCores: j.cpu?.genCores,
  otherCores: j.cpu?.otherCores,
  reliable: j.cpu?.reliable,
});

async function fanoutPart(rt, s, round, size) {
  const child = await startServer(s.cmd, PORT);
  log(`fanout ${s.label} room of ${size}`);
  const j = await runJson(fanoutArgs(PORT, child.pid, size, s.label), 430);
  await stop(child, PORT);
  record({ part: "fanout", runtime: rt, label: s.label, x: size, round, ...brief(j) });
}

async function memoryPart(rt, s, round, asked) {
  const conns = Math.min(asked, maxConns);
  await waitForPorts(conns);
  const child = await startServer(s.cmd, PORT);
  log(`memory ${s.label} ${conns} connections${conns < asked ? ` (asked ${asked})` : ""}`);
  const args = ["--scenario", "connect", "--port", PORT, "--server-pid", child.pid, "--conns", conns];
  const j = await runJson(
    [`${B}/sio-bench.mjs`, ...args, "--hold", 3, "--timeout", 300, "--label", s.label, "--quiet"].map(String),
    330,
  );
  await stop(child, PORT);
  record({
    part: "memory",
    runtime: rt,
    label: s.label,
    x: asked,
    conns,
    round,
    ok: !!j.ok,
    error: j.ok ? undefined : String(j.errors?.[0] ?? j.error ?? "").slice(0, 300),
    kibPerConn: j.mem?.perConnKiB,
    rssBeforeKiB: j.mem?.rssBeforeKiB,
    rssHeldKiB: j.mem?.rssHeldKiB,
    handshakesPerSec: j.connect?.handshakesPerSec,
    usPerHandshake: j.cpu?.serverUsPerOp,
  });
}

async function roomsPart(rt, s, round, rooms) {
  const child = await startServer(s.cmd, PORT);
  log(`rooms ${s.label}: ${rooms} other rooms, broadcast to ${ROOMS_CLIENTS}`);
  const holder = spawn("node", ["bench/scale/rooms-hold.mjs", String(PORT), String(rooms)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const ready = await new Promise((resolve) => {
    let out = "";
    holder.stdout.on("data", (d) => (out += d).includes("READY") && resolve(true));
    holder.on("exit", () => resolve(false));
  });
  const j = ready
    ? await runJson(fanoutArgs(PORT, child.pid, ROOMS_CLIENTS, s.label), 430)
    : { ok: false, error: "rooms-hold failed" };
  await stop(holder);
  await stop(child, PORT);
  record({ part: "rooms", runtime: rt, label: s.label, x: rooms, round, members: ROOMS_CLIENTS, ...brief(j) });
}

let redis = null;
async function redisPart(rt, s, round, nodes) {
  if (!redis) {
    if (spawnSync("redis-server", ["--version"]).status !== 0) {
      notes.push("redis part skipped: no redis-server on PATH");
      return;
    }
    redis = await startServer(`redis-server --port ${REDIS_PORT} --save '' --appendonly no`, REDIS_PORT);
  }
  spawnSync("redis-cli", ["-p", String(REDIS_PORT), "flushall"]); // our private Redis: a clean stream per run
  const stream = `scale-${s.label}-${nodes}-${Date.now()}`;
  const redisEnv = { REDIS_URL: `redis://127.0.0.1:${REDIS_PORT}`, STREAM: stream };
  const ports = Array.from({ length: nodes }, (_, i) => PORT + i);
  const children = [];
  for (const p of ports) children.push(await startServer(s.redis, p, redisEnv));
  await sleep(500);
  log(`redis ${s.label} ${nodes} nodes, ${REDIS_CLIENTS} subscribers`);
  const messages = Math.max(20, Math.ceil(REDIS_MSGS / REDIS_CLIENTS));
  const j = await runJson(
    [
      "bench/scale/cross-node.mjs",
      ...["--ports", ports.join(","), "--pids", children.map((c) => c.pid).join(","), "--redis-pid", redis.pid],
      ...["--clients", REDIS_CLIENTS, "--messages", messages, "--window", 20, "--label", s.label],
    ].map(String),
    200,
  );
  for (const [i, c] of children.entries()) await stop(c, ports[i]);
  const { tool: _t, part: _p, label: _l, nodes: _n, ...rest } = j;
  record({ part: "redis", runtime: rt, label: s.label, x: nodes, round, ...rest });
}

const partFns = { fanout: fanoutPart, memory: memoryPart, rooms: roomsPart, redis: redisPart };
const partXs = { fanout: ROOM_SIZES, memory: CONN_COUNTS, rooms: ROOM_COUNTS, redis: REDIS_NODES };
const meta = {
  started: new Date().toISOString(),
  loadBefore: os.loadavg().map((l) => l.toFixed(2)).join(" "),
};
log(`results: ${OUT}`);
spawnSync("node", ["bench/build.mjs"], { stdio: "inherit" });
try {
  for (const part of PARTS) {
    if (!partFns[part]) die(`unknown part ${part} (PARTS: ${Object.keys(partFns).join(" ")})`);
    for (const rt of RUNTIMES) {
      if (!servers[rt]) die(`unknown runtime ${rt} (RUNTIMES: node bun)`);
      // Portio and socket.io alternate point by point (same minute, same machine load), round by round
      for (let round = 1; round <= ROUNDS; round++) {
        for (const x of partXs[part]) {
          for (const s of servers[rt]) {
            try {
              await partFns[part](rt, s, round, x);
            } catch (e) {
              log(`${part} ${s.label} ${x}: ${e.message}`);
              record({ part, runtime: rt, label: s.label, x, round, ok: false, error: e.message.slice(0, 300) });
              for (const c of [...live]) if (c !== redis) await stop(c);
            }
          }
        }
      }
    }
  }
} finally {
  if (redis) await stop(redis, REDIS_PORT);
}
record({
  part: "meta",
  ...meta,
  finished: new Date().toISOString(),
  loadAfter: os.loadavg().map((l) => l.toFixed(2)).join(" "),
  notes,
  quick,
  note: env.SCALE_NOTE ?? (quick ? "smoke run (SCALE_QUICK=1)" : ""),
  // the knobs this run was given, as a command line for the docs
  command: [
    ...["SCALE_QUICK", "RUNTIMES", "PARTS", "ROOM_SIZES", "CONN_COUNTS", "ROOM_COUNTS", "REDIS_NODES", "FANOUT_MSGS"],
    ...["FANOUT_WINDOW"],
    ...["ROOMS_CLIENTS", "REDIS_CLIENTS", "REDIS_MSGS", "ROUNDS", "SCALE_SYSCTL"],
  ].filter((k) => env[k] !== undefined).map((k) => `${k}=${JSON.stringify(env[k]).replace(/^"([\w.-]*)"$/, "$1")} `)
    .join("") +
    "npm run bench:scale",
  sizes: { FANOUT_MSGS, FANOUT_WINDOW, ROOMS_CLIENTS, REDIS_CLIENTS, REDIS_MSGS, ROUNDS },
});
const rep = spawnSync("node", [
  "--import",
  "tsx",
  "bench/scale/report.ts",
  OUT,
  ...(env.DOCS === "0" ? [] : ["--docs"]),
], {
  stdio: "inherit",
});
process.exit(rep.status ?? 1);

function die(msg) {
  console.error(`bench:scale: ${msg}`);
  process.exit(2);
}
