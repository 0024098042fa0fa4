// A CPU profile of the Worker isolate of bench/workerd-server.mjs (started with INSPECT=<port>), through
// workerd's inspector: profiles PROFILE_SECONDS seconds (10), or while the command given after `--` runs,
// writes the .cpuprofile and prints the self time per function, top 30.
//   INSPECT=9229 PORT=3999 node bench/workerd-server.mjs portio &
//   node bench/workerd-profile.mjs 9229 .tmp/echo.cpuprofile -- node ../shared/bench/sio-bench.mjs --scenario echo --port 3999
import { spawn } from "node:child_process";
import { startProfile } from "./cdp-profile.mjs";

const [inspect, out = ".tmp/workerd.cpuprofile", dash, ...cmd] = process.argv.slice(2);
const stop = await startProfile(inspect, out);
if (dash === "--" && cmd.length) {
  await new Promise((r) => spawn(cmd[0], cmd.slice(1), { stdio: "inherit" }).once("exit", r));
} else await new Promise((r) => setTimeout(r, Number(process.env.PROFILE_SECONDS ?? 10) * 1000));
console.log((await stop()).join("\n"));
