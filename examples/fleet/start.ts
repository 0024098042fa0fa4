// Starts a chat fleet of two Portio nodes sharing one Redis, on PORT and PORT+1 (default 3001, 3002):
//   npm run example:fleet   (node --conditions=portio-source --import tsx examples/fleet/start.ts)
// Open both pages in two browser tabs: messages, rooms and member lists cross between the nodes.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const base = Number(process.env.PORT ?? 3001);
const server = fileURLToPath(new URL("./server.ts", import.meta.url));
const nodes = [base, base + 1].map((port) =>
  // the same flags as this process (the tsx loader, the source condition that resolves "portio" to src/)
  spawn(process.execPath, [...process.execArgv, server], {
    env: { ...process.env, PORT: String(port) },
    stdio: "inherit",
  })
);
for (const node of nodes) {
  node.on("exit", (code) => code && process.exitCode === undefined && (process.exitCode = code));
}
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => nodes.forEach((n) => n.kill(signal)));
}
