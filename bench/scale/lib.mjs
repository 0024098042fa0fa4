// Pieces shared by the bench:scale drivers (cross-node.mjs, rooms-hold.mjs, run.mjs): a raw Engine.IO v4 /
// Socket.IO v5 WebSocket client (no socket.io-client, so the generator stays cheap, like the shared sio-bench),
// and CPU/RSS of a process tree from /proc. `ws` is resolved from the current directory, as sio-bench does.
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";

const require = createRequire(path.join(process.cwd(), "noop.js"));
const WebSocket = require("ws");

/**
 * Opens one Socket.IO connection on the default namespace over WebSocket. `onEvent(frame)` gets every EVENT frame
 * (`42…`) as a latin1 string; pings are answered. `localAddress` picks the source address (127.0.0.x).
 */
export function connect(port, { onEvent = () => {}, onClose = () => {}, localAddress, timeoutMs = 15000 } = {}) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`, {
      perMessageDeflate: false,
      skipUTF8Validation: true,
      ...(localAddress ? { localAddress } : {}),
    });
    let state = "eio";
    const waiters = new Map();
    let nextAck = 0;
    const client = {
      ws,
      send: (s) => ws.send(s),
      /** emits `42<id><argsJson>` and resolves on its ACK */
      emitWithAck(argsJson) {
        const id = nextAck++;
        return new Promise((res) => {
          waiters.set(String(id), res);
          ws.send(`42${id}${argsJson}`);
        });
      },
      close: () => ws.terminate(),
    };
    const timer = setTimeout(() => fail(new Error("handshake timeout")), timeoutMs);
    const fail = (e) => {
      clearTimeout(timer);
      ws.terminate();
      reject(e);
    };
    ws.on("error", (e) => state !== "open" ? fail(e) : onClose(e));
    ws.on("close", () => state === "open" && onClose(new Error("closed")));
    ws.on("message", (data) => {
      const s = data.toString("latin1");
      if (s === "2") return ws.send("3");
      if (state === "open") {
        if (s.startsWith("42")) return onEvent(s);
        if (s.startsWith("43")) {
          const id = /^43(\d+)/.exec(s)?.[1];
          const w = id !== undefined && waiters.get(id);
          if (w) {
            waiters.delete(id);
            return w(s);
          }
        }
        return onEvent(s); // anything else: the caller decides (it is unexpected there)
      }
      if (state === "eio") {
        if (!s.startsWith("0{")) return fail(new Error(`bad open packet ${s.slice(0, 60)}`));
        state = "sio";
        return ws.send("40");
      }
      if (!s.startsWith("40{")) return fail(new Error(`bad CONNECT reply ${s.slice(0, 60)}`));
      state = "open";
      clearTimeout(timer);
      resolve(client);
    });
  });
}

/** runs fn(0..n-1) with at most k in flight */
export async function pool(n, k, fn) {
  let next = 0;
  const worker = async () => {
    while (next < n) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.min(k, n) }, worker));
}

const read = (p) => {
  try {
    return fs.readFileSync(p, "utf8");
  } catch {
    return null;
  }
};
const statFields = (pid) => {
  const st = read(`/proc/${pid}/stat`);
  return st ? st.slice(st.lastIndexOf(")") + 2).split(" ") : null;
};

/** pid and all its descendants */
export function procTree(pid) {
  const children = new Map();
  for (const d of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    const f = statFields(d);
    if (!f) continue;
    const ppid = Number(f[1]);
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid).push(Number(d));
  }
  const out = [];
  const stack = [pid];
  while (stack.length) {
    const p = stack.pop();
    out.push(p);
    stack.push(...(children.get(p) ?? []));
  }
  return out;
}

/** user+system CPU of a process tree, in µs (/proc ticks are 10 ms: measure for a few seconds) */
export function cpuUs(pid) {
  let ticks = 0;
  for (const p of procTree(pid)) {
    const f = statFields(p);
    if (f) ticks += Number(f[11]) + Number(f[12]);
  }
  return ticks * 10_000;
}

/** busy cores of the whole machine between two samples of machineTicks() */
export function machineTicks() {
  const f = (read("/proc/stat") ?? "").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  return { idle: f[3] + f[4], total: f.slice(0, 8).reduce((a, b) => a + b, 0) };
}
