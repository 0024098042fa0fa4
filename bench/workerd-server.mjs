// Runs one of the bench Workers (bench/dist/{portio,limit}-workerd.js, bundled by bench/build.mjs) in
// workerd through Miniflare, offline, on 127.0.0.1:$PORT, and stays in the foreground so that the shared
// run-suite.sh measures CPU and memory over this process and its child, workerd.
//   PORT=3999 node bench/workerd-server.mjs portio|limit
// Miniflare's entry socket is workerd's own: clients talk to workerd directly, this Node process only
// starts it (and serves Miniflare's loopback for logs), so its CPU share of a run is small (bench/NOTES.md).
// PING_INTERVAL, PING_TIMEOUT, PARSER and WAKE from the environment become the Worker's bindings;
// INSPECT=<port> opens workerd's inspector there (bench/workerd-profile.mjs takes a CPU profile through it).
import fs from "node:fs";
import { Miniflare } from "miniflare";

// no network: Miniflare would otherwise fetch `request.cf` data, wrangler would send metrics
process.env.CLOUDFLARE_CF_FETCH_ENABLED = "false";
process.env.WRANGLER_SEND_METRICS = "false";

const which = process.argv[2] ?? "portio";
if (which !== "portio" && which !== "limit") throw new Error(`workerd-server: portio or limit, not ${which}`);
const script = fs.readFileSync(new URL(`dist/${which}-workerd.js`, import.meta.url), "utf8");
const bindings = {};
for (const name of ["PING_INTERVAL", "PING_TIMEOUT", "PARSER", "WAKE"]) {
  if (process.env[name] !== undefined) bindings[name] = process.env[name];
}
const mf = new Miniflare({
  modules: true,
  script,
  compatibilityDate: "2026-04-01",
  durableObjects: { BENCH: { className: "BenchObject", useSQLite: true } },
  bindings,
  durableObjectsPersist: false,
  host: "127.0.0.1",
  port: Number(process.env.PORT ?? 3999),
  ...(process.env.INSPECT ? { inspectorPort: Number(process.env.INSPECT) } : {}),
});
const url = await mf.ready;
console.log(`${which}-workerd: workerd (miniflare) listening on ${url.host} pid ${process.pid}`);
const stop = () => void mf.dispose().then(() => process.exit(0), () => process.exit(1));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
