// Heap per connected session (after GC) of a Portio checkout, over WebSocket or polling:
//   node bench/session-memory.mjs <checkout dir> [sessions=2000]            (WebSocket)
//   MODE=polling node bench/session-memory.mjs <checkout dir> [sessions]     (polling, no GET parked)
// Compare two checkouts (e.g. /work/main and a branch) with the same command.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const repo = process.argv[2] ?? process.cwd();
const N = Number(process.argv[3] ?? 2000);
const polling = process.env.MODE === "polling";
const { default: WebSocket } = await import(repo + "/node_modules/ws/index.js");
const serverScript = fileURLToPath(new URL("./session-memory-server.mjs", import.meta.url));
const srv = spawn(process.execPath, ["--expose-gc", "--import", "tsx", serverScript], {
  cwd: repo,
  stdio: ["pipe", "pipe", "inherit"],
});
let out = "";
srv.stdout.on("data", (d) => (out += d));
const waitFor = async (re) => {
  for (;;) {
    const m = re.exec(out);
    if (m) return m;
    await new Promise((r) => setTimeout(r, 20));
  }
};
const port = (await waitFor(/LISTENING (\d+)/))[1];
const measure = async () => {
  out = "";
  srv.stdin.write("measure\n");
  const m = await waitFor(/HEAP (\d+) (\d+)/);
  return [Number(m[1]), Number(m[2])];
};
await new Promise((r) => setTimeout(r, 500));
const [before] = await measure();
const headers = { "user-agent": "bench", cookie: "a=b" };
const open = [];
for (let i = 0; i < N; i++) {
  if (polling) {
    const base = `http://127.0.0.1:${port}/socket.io/?EIO=4&transport=polling`;
    const sid = JSON.parse((await (await fetch(base, { headers })).text()).slice(1)).sid;
    await (await fetch(`${base}&sid=${sid}`, { method: "POST", body: "40" })).text();
  } else {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`, { headers });
    await new Promise((r) => ws.once("message", r));
    ws.send("40");
    ws.on("message", () => {});
    open.push(ws);
  }
}
await new Promise((r) => setTimeout(r, 1000));
const [after, sockets] = await measure();
console.log(
  `${repo} (${polling ? "polling" : "websocket"}): ${sockets} sockets, ${
    ((after - before) / N).toFixed(0)
  } bytes/session`,
);
for (const ws of open) ws.terminate();
srv.kill();
