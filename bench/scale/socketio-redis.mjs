// One node of an official socket.io 4.8 fleet on Redis (@socket.io/redis-streams-adapter, the official adapter
// in devDependencies), serving the shared bench contract, for the cross-node part of `npm run bench:scale`.
// On Node: node:http; on Bun: @socket.io/bun-engine, like ../shared/bench/servers/socketio-bun.mjs.
//   PORT=23001 REDIS_URL=redis://127.0.0.1:23379 STREAM=scale node bench/scale/socketio-redis.mjs
import { Server } from "socket.io";
import { createClient } from "@redis/client";
import { createAdapter } from "@socket.io/redis-streams-adapter";

const env = process.env;
const port = Number(env.PORT ?? 3999);
const stream = env.STREAM ?? "socketio-scale";
const redis = createClient({ url: env.REDIS_URL ?? "redis://127.0.0.1:6379" });
redis.on("error", (e) => console.error("socketio-redis:", e.message));
await redis.connect();
const adapter = createAdapter(redis, { streamName: stream, channelPrefix: stream });
const pings = { pingInterval: Number(env.PING_INTERVAL ?? 25000), pingTimeout: Number(env.PING_TIMEOUT ?? 20000) };
let io;
if (typeof Bun !== "undefined") {
  const { Server: Engine } = await import("@socket.io/bun-engine");
  io = new Server({ adapter });
  const engine = new Engine({ path: "/socket.io/", ...pings });
  io.bind(engine);
  // the adapter reads the stream from its start; give its first XREAD a moment (it has no ready signal)
  await new Promise((r) => setTimeout(r, 300));
  Bun.serve({ port, hostname: "127.0.0.1", ...engine.handler() });
} else {
  const { createServer } = await import("node:http");
  const http = createServer();
  io = new Server(http, { path: "/socket.io/", serveClient: false, adapter, ...pings });
  await new Promise((r) => setTimeout(r, 300));
  await new Promise((r) => http.listen(port, "127.0.0.1", r));
}
io.on("connection", (socket) => {
  socket.on("join", (room, ack) => {
    socket.join(room);
    if (typeof ack === "function") ack();
  });
  socket.on("bcast", (room, payload) => io.to(room).emit("msg", payload));
  socket.on("echo", (payload, ack) => {
    if (typeof ack === "function") ack(payload);
  });
});
console.log(`socketio-redis listening on 127.0.0.1:${port} pid ${process.pid}`);
process.on("SIGTERM", () => process.exit(0));
