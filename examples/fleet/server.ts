// One node of the chat fleet: the chat example (examples/chat) with its rooms in Redis, so the people on
// every node of the fleet chat together. Start as many as you like, one port each (start.ts starts two):
//   PORT=3001 node --conditions=portio-source --import tsx examples/fleet/server.ts
//   PORT=3002 node --conditions=portio-source --import tsx examples/fleet/server.ts
// REDIS_URL (default redis://127.0.0.1:6379) and STREAM (default "socket.io", the official adapter's name,
// so official socket.io nodes can join in) configure the fleet.
import { Server } from "portio";
import { serve } from "portio/node";
import { createAdapter } from "portio/redis";
import { chatApp } from "../chat/app.ts";
import { chatPage } from "../chat/page.ts";
import { readClientScript } from "../chat/start.ts";

const port = Number(process.env.PORT ?? 3001);
const stream = process.env.STREAM ?? "socket.io";
const adapter = createAdapter(process.env.REDIS_URL ?? "redis://127.0.0.1:6379", {
  streamName: stream,
  channelPrefix: stream,
  sessionKeyPrefix: stream === "socket.io" ? "sio:session:" : `${stream}:session:`,
});
const io = new Server({
  adapter,
  // a client whose node goes away reconnects to another node (behind a balancer) and keeps its session
  connectionStateRecovery: { maxDisconnectionDuration: 2 * 60 * 1000 },
});
chatApp(io);
await adapter.ready();
const page = chatPage({ clientScript: await readClientScript() });
const handle = await serve(io, { port, hostname: process.env.HOST || undefined, fetch: page.fetch });
console.log(`Portio chat node on http://localhost:${handle.port} (fleet "${stream}")`);

let closing = false;
function shutdown(): void {
  if (closing) return; // Ctrl+C reaches start.ts's children twice (process group, then forwarded)
  closing = true;
  // sessions are persisted before the process ends: their clients recover on the other nodes
  setTimeout(() => process.exit(1), 5000).unref();
  handle.close().then(() => process.exit(0), () => process.exit(1));
}
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
