// `npm run bench:wake`: the cost of a wake from hibernation, per socket. N idle WebSocket clients are held
// on one Durable Object (Portio's Worker, then the limit Worker: bench/portio-workerd.ts, limit-workerd.ts),
// in workerd through Miniflare (bench/workerd-server.mjs); nobody sends anything for IDLE seconds, so workerd
// evicts the object (it does after 10 s with no event and no timer; Portio's heartbeat alarm is pushed past
// the run by PING_INTERVAL=600000). Then one client sends one event: the time to its ack and the CPU the
// server's processes used meanwhile are the wake (a new instance: setup, then every socket restored), beside
// the same event on the awake object. A broadcast to the room every client joined then checks that each
// socket came back with its room.
//   N=1000 ROUNDS=3 PORT=3999 npm run bench:wake
// INSPECT=<port>: a CPU profile of each wake too (.tmp/wake-<server>-<round>.cpuprofile, top functions
// printed; the inspector slows the isolate, so the figures of such a run are not the ones to quote).
import fs from "node:fs";
import os from "node:os";
import { spawn } from "node:child_process";
import WebSocket from "ws";
import { startProfile } from "./cdp-profile.mjs";

const N = Number(process.env.N ?? 1000);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const IDLE = Number(process.env.IDLE ?? 13) * 1000;
const PORT = Number(process.env.PORT ?? 3999);
const WHICH = (process.env.WHICH ?? "portio limit").split(/\s+/).filter(Boolean);
const TICK_MS = 1000 / 100; // /proc counts CPU in clock ticks of 10 ms (USER_HZ 100)

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const children = (pid) => {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(
      Number,
    );
  } catch {
    return [];
  }
};
/** CPU ms of pid and its descendants, and of pid alone (the Node launcher) */
const cpu = (pid) => {
  const own = (p) => {
    try {
      const f = fs.readFileSync(`/proc/${p}/stat`, "utf8").split(") ")[1].split(" ");
      return (Number(f[11]) + Number(f[12])) * TICK_MS;
    } catch {
      return 0;
    }
  };
  const tree = (p) => own(p) + children(p).reduce((n, c) => n + tree(c), 0);
  return { tree: tree(pid), launcher: own(pid) };
};

function start(which) {
  const child = spawn(process.execPath, ["bench/workerd-server.mjs", which], {
    env: { ...process.env, PORT: String(PORT), PING_INTERVAL: "600000", PING_TIMEOUT: "20000", WAKE: "1" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`${which}-workerd exited (${code})`)));
    child.stdout.on("data", (d) => String(d).includes("listening") && resolve(child));
  });
}

/** One raw Engine.IO/Socket.IO client: handshake, CONNECT, then acked events. */
function client() {
  const ws = new WebSocket(`ws://127.0.0.1:${PORT}/socket.io/?EIO=4&transport=websocket`);
  const acks = new Map();
  let id = 0;
  const c = {
    ws,
    msgs: 0,
    ask: (ev, ...args) =>
      new Promise((resolve) => {
        acks.set(id, resolve);
        ws.send(`42${id++}${JSON.stringify([ev, ...args])}`);
      }),
  };
  return new Promise((resolve, reject) => {
    ws.on("error", reject);
    ws.on("close", () => (c.closed = true));
    ws.on("message", (data) => {
      const s = String(data);
      if (s[0] === "0") ws.send("40");
      else if (s.startsWith("40")) resolve(c);
      else if (s === "2") ws.send("3");
      else if (s.startsWith("43")) {
        const m = /^43(\d+)/.exec(s);
        acks.get(Number(m[1]))?.(JSON.parse(s.slice(m[0].length))[0]);
        acks.delete(Number(m[1]));
      } else if (s.startsWith('42["msg"')) c.msgs++;
    });
  });
}

/** the ack time (ms) and CPU (ms: workerd + launcher, launcher alone) of one event */
async function timed(pid, c, ev, ...args) {
  const before = cpu(pid);
  const t0 = performance.now();
  const answer = await c.ask(ev, ...args);
  const ms = performance.now() - t0;
  await sleep(200); // CPU spent after the ack (a storage write) counts too
  const after = cpu(pid);
  return { ms, cpuMs: after.tree - before.tree, launcherMs: after.launcher - before.launcher, answer };
}

const pct = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return `${s[0].toFixed(1)}..${s.at(-1).toFixed(1)} (median ${s[s.length >> 1].toFixed(1)})`;
};

console.log(
  `# wake from hibernation: ${N} idle sockets in one Durable Object, ${ROUNDS} wakes after ${IDLE / 1000} s idle; ` +
    `${os.cpus().length} cores, load average ${os.loadavg().map((x) => x.toFixed(2)).join(" ")}`,
);
for (const which of WHICH) {
  const server = await start(which);
  try {
    const clients = [];
    for (let i = 0; i < N; i += 100) {
      clients.push(...await Promise.all(Array.from({ length: Math.min(100, N - i) }, client)));
    }
    for (let i = 0; i < N; i += 200) await Promise.all(clients.slice(i, i + 200).map((c) => c.ask("join", "r")));
    const first = clients[0];
    const warm = [];
    for (let i = 0; i < 5; i++) warm.push(await timed(server.pid, first, "echo", "x"));
    const wakes = [];
    for (let round = 1; round <= ROUNDS; round++) {
      await sleep(IDLE);
      const stop = process.env.INSPECT
        ? await startProfile(process.env.INSPECT, `.tmp/wake-${which}-${round}.cpuprofile`)
        : undefined;
      const wake = await timed(server.pid, first, "start");
      if (stop) console.log((await stop(15)).join("\n"));
      const awake = await timed(server.pid, first, "start");
      // every socket back, in its room
      const before = clients.reduce((n, c) => n + c.msgs, 0);
      first.ws.send(`42${JSON.stringify(["bcast", "r", "w"])}`);
      for (let t = 0; t < 100 && clients.reduce((n, c) => n + c.msgs, 0) - before < N; t++) await sleep(50);
      const got = clients.reduce((n, c) => n + c.msgs, 0) - before;
      const closed = clients.filter((c) => c.closed).length;
      wakes.push(wake);
      console.log(
        `${which} wake ${round}: ack ${wake.ms.toFixed(1)} ms, CPU ${wake.cpuMs} ms (launcher ${wake.launcherMs}); ` +
          `start ${JSON.stringify(wake.answer)} (awake: ${JSON.stringify(awake.answer)}, ${
            awake.ms.toFixed(1)
          } ms); broadcast after: ${got}/${N}, closed ${closed}`,
      );
      if (got < N || closed) throw new Error(`${which}: sockets lost in the wake`);
    }
    const warmMs = warm.map((w) => w.ms).sort((a, b) => a - b)[2];
    const perSocket = wakes.map((w) => (w.cpuMs * 1000) / N);
    console.log(
      `${which}: wake ack ${pct(wakes.map((w) => w.ms))} ms (an awake echo: ${warmMs.toFixed(2)} ms); ` +
        `wake CPU ${pct(wakes.map((w) => w.cpuMs))} ms = ${pct(perSocket)} µs per socket ` +
        `(10 ms /proc ticks: ±${(TICK_MS * 1000 / N).toFixed(0)} µs per socket at N=${N})`,
    );
    for (const c of clients) c.ws.terminate();
  } finally {
    server.kill("SIGTERM");
    await new Promise((r) => server.once("exit", r));
  }
}
