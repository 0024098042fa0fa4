// The server half of bench/session-memory.mjs: a Portio server of the checkout in the working directory,
// printing its heap after GC when asked on stdin. Run by the driver with --expose-gc --import tsx.
import { resolve } from "node:path";

const repo = process.cwd();
const { Server } = await import(resolve(repo, "src/index.ts"));
const { serve } = await import(resolve(repo, "adapters/node/index.ts"));
// no heartbeat during the measurement
const io = new Server({ pingInterval: 600000, pingTimeout: 600000 });
let sockets = 0;
io.on("connection", () => sockets++);
const handle = await serve(io, { port: 0, hostname: "127.0.0.1" });
console.log(`LISTENING ${handle.port}`);
process.stdin.on("data", (d) => {
  if (String(d).trim() !== "measure") return;
  for (let i = 0; i < 5; i++) globalThis.gc();
  console.log(`HEAP ${process.memoryUsage().heapUsed} ${sockets}`);
});
