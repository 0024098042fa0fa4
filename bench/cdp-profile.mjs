// A CPU profile of the bench Worker's isolate through workerd's inspector (Chrome DevTools protocol), for
// bench/workerd-profile.mjs and bench/wake.mjs (INSPECT=<port>): start, then stop() writes the .cpuprofile
// and returns the self time per function, top lines first.
import fs from "node:fs";
import WebSocket from "ws";

export async function startProfile(inspectPort, out) {
  const targets = await (await fetch(`http://127.0.0.1:${inspectPort}/json`)).json();
  // the bench Worker has no name: "core:user:" (the others are Miniflare's, e.g. its entry Worker)
  const target = targets.find((t) => t.id === "core:user:") ?? targets[0];
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((r, j) => (ws.once("open", r), ws.once("error", j)));
  let id = 0;
  const pending = new Map();
  ws.on("message", (d) => {
    const m = JSON.parse(String(d));
    if (m.id !== undefined) pending.get(m.id)?.(m.result), pending.delete(m.id);
  });
  const call = (method, params = {}) =>
    new Promise((r) => (pending.set(++id, r), ws.send(JSON.stringify({ id, method, params }))));
  await call("Profiler.enable");
  await call("Profiler.setSamplingInterval", { interval: 200 });
  await call("Profiler.start");
  return async (top = 30) => {
    const { profile } = await call("Profiler.stop");
    fs.writeFileSync(out, JSON.stringify(profile));
    ws.close();
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const self = new Map();
    for (let i = 0; i < profile.samples.length; i++) {
      const f = byId.get(profile.samples[i]).callFrame;
      const key = `${f.functionName || "(anonymous)"} ${f.url.split("/").pop()}:${f.lineNumber + 1}`;
      self.set(key, (self.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0));
    }
    const total = [...self.values()].reduce((a, b) => a + b, 0);
    const busy = total - (self.get("(idle) :0") ?? 0);
    return [
      `# profile ${out}: ${(total / 1000).toFixed(0)} ms sampled, ${(busy / 1000).toFixed(0)} ms busy`,
      ...[...self].filter(([k]) => k !== "(idle) :0").sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, v]) =>
        `${((100 * v) / busy).toFixed(1).padStart(5)} %  ${k}`
      ),
    ];
  };
}
