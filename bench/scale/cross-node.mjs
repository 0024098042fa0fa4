// Cross-node fan-out over Redis for bench:scale: C subscribers spread round-robin over the nodes' ports, the
// publisher on the first node, all in room `bench` (acked joins). Windowed like sio-bench's fanout: a broadcast is
// complete only when every member (publisher included) got it, at most W incomplete at once. Every frame is
// checked byte for byte and in order; any loss, duplicate, reordering or disconnect fails the run (exit 1); no
// completion for 10 s ends it (exit 3). Prints one JSON line: msgs/s delivered to subscribers, and per node the
// server CPU (its process tree) per message it delivered to its own subscribers.
//   node bench/scale/cross-node.mjs --ports 23001,23002 --pids 111,222 [--redis-pid P] [--clients 1000]
//        [--messages 300] [--window 20] [--warmup 20] [--size 100] [--timeout 120] [--label L]
import { parseArgs } from "node:util";
import { performance } from "node:perf_hooks";
import { connect, cpuUs, machineTicks, pool } from "./lib.mjs";

const { values: o } = parseArgs({
  options: {
    ports: { type: "string" },
    pids: { type: "string" },
    "redis-pid": { type: "string" },
    clients: { type: "string", default: "1000" },
    messages: { type: "string", default: "300" },
    window: { type: "string", default: "20" },
    warmup: { type: "string", default: "20" },
    size: { type: "string", default: "100" },
    timeout: { type: "string", default: "120" },
    label: { type: "string", default: "" },
  },
});
const ports = o.ports.split(",").map(Number);
const pids = o.pids.split(",").map(Number);
const redisPid = o["redis-pid"] ? Number(o["redis-pid"]) : null;
const C = Number(o.clients), M = Number(o.messages), W = Number(o.window), WARM = Number(o.warmup);
const SIZE = Number(o.size);
const result = { tool: "scale", part: "redis", label: o.label, nodes: ports.length, subscribers: C, ok: false };
const out = (code) => {
  console.log(JSON.stringify(result));
  process.exit(code);
};
const fail = (code, why) => {
  result.error = why;
  console.error(`cross-node: ${why}`);
  out(code);
};
setTimeout(() => fail(3, `total timeout ${o.timeout}s`), Number(o.timeout) * 1000).unref();

// payload of broadcast n: 8 digits, then filler to SIZE bytes; the frame every member must get, byte for byte
const filler = "x".repeat(SIZE - 8);
const frameOf = (n) => `42["msg","${String(n).padStart(8, "0")}${filler}"]`;

const TOTAL = WARM + M;
const members = C + 1;
const got = new Uint32Array(TOTAL); // members that received broadcast n
let completed = 0, sent = 0, lastProgress = performance.now(), finished = false;
let tStart = 0, cpuStart = null;
const perNode = ports.map(() => 0); // subscribers per node

function onFrame(m, s) {
  if (finished) return;
  const n = Number(s.slice(10, 18));
  if (s !== frameOf(n)) return fail(1, `member ${m.idx}: wrong frame ${s.slice(0, 60)}`);
  if (n !== m.next) return fail(1, `member ${m.idx}: got broadcast ${n}, expected ${m.next} (lost or reordered)`);
  m.next++;
  if (++got[n] === members) complete();
}

function complete() {
  completed++;
  lastProgress = performance.now();
  if (completed === WARM) startMeasure();
  if (completed === TOTAL) return done();
  pump();
}

function pump() {
  while (sent < TOTAL && sent - completed < W) publisher.send(`42["bcast","bench","${frameOf(sent++).slice(10, -2)}"]`);
}

function sample() {
  return { t: performance.now(), nodes: pids.map(cpuUs), redis: redisPid ? cpuUs(redisPid) : 0, m: machineTicks() };
}
function startMeasure() {
  tStart = performance.now();
  cpuStart = sample();
}

function done() {
  finished = true;
  const end = sample();
  const sec = (end.t - tStart) / 1000;
  const delivered = C * M;
  const nodeUs = end.nodes.map((u, i) => u - cpuStart.nodes[i]);
  Object.assign(result, {
    ok: true,
    broadcasts: M,
    window: W,
    elapsedSec: +sec.toFixed(3),
    msgsPerSec: Math.round(delivered / sec),
    // per node: its CPU per message delivered to its own subscribers
    nodeUsPerMsg: nodeUs.map((u, i) => +(u / (perNode[i] * M)).toFixed(2)),
    nodeCores: nodeUs.map((u) => +(u / (sec * 1e6)).toFixed(3)),
    // every node's CPU per message delivered anywhere (the fleet's cost of one delivery)
    fleetUsPerMsg: +(nodeUs.reduce((a, b) => a + b, 0) / delivered).toFixed(2),
    redisUsPerMsg: redisPid ? +((end.redis - cpuStart.redis) / delivered).toFixed(3) : null,
    machineBusyCores: +(2 * (1 - (end.m.idle - cpuStart.m.idle) / (end.m.total - cpuStart.m.total))).toFixed(2),
    reliable: sec >= 2,
    verify: { delivered: C * TOTAL, perNodeSubscribers: perNode },
  });
  out(0);
}

// connect: subscriber i on node i % nodes, the publisher (member C) on node 1
const all = [];
await pool(members, 200, async (i) => {
  const node = i === C ? 0 : i % ports.length;
  const m = { idx: i, next: 0 };
  try {
    m.c = await connect(ports[node], {
      onEvent: (s) => onFrame(m, s),
      onClose: () => !finished && fail(1, `member ${i} disconnected`),
    });
  } catch (e) {
    fail(2, `member ${i}: ${e.message}`);
  }
  if (i !== C) perNode[node]++;
  all[i] = m;
});
await pool(members, 200, (i) => all[i].c.emitWithAck(`["join","bench"]`));
const publisher = all[C].c;
setInterval(() => {
  if (performance.now() - lastProgress > 10_000) fail(3, `stall: ${completed}/${TOTAL} complete`);
}, 1000);
lastProgress = performance.now();
if (WARM === 0) startMeasure();
pump();
