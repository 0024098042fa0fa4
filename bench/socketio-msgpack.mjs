// The official socket.io server with socket.io-msgpack-parser, for the msgpack variant of the bench
// (bench/msgpack.sh): the shared bench-server contract (../shared/bench/README.md), as the shared
// servers/socketio-node.mjs and socketio-bun.mjs (@socket.io/bun-engine) run it, plus the parser.
//   PORT=3999 node bench/socketio-msgpack.mjs        PORT=3999 bun bench/socketio-msgpack.mjs
import { Server } from "socket.io";
import msgpackParser from "socket.io-msgpack-parser";

const port = Number(process.env.PORT || 3999);
const opts = {
  parser: msgpackParser,
  pingInterval: Number(process.env.PING_INTERVAL || 25000),
  pingTimeout: Number(process.env.PING_TIMEOUT || 20000),
};
let io;
if (typeof Bun !== "undefined") {
  const { Server: Engine } = await import("@socket.io/bun-engine");
  io = new Server(opts);
  const engine = new Engine({ path: "/socket.io/", pingInterval: opts.pingInterval, pingTimeout: opts.pingTimeout });
  io.bind(engine);
  Bun.serve({ port, hostname: "127.0.0.1", ...engine.handler() });
} else {
  const { createServer } = await import("node:http");
  const httpServer = createServer();
  io = new Server(httpServer, { ...opts, path: "/socket.io/", serveClient: false });
  await new Promise((r) => httpServer.listen(port, "127.0.0.1", r));
}
io.on("connection", (socket) => {
  socket.on("join", (room, ack) => {
    socket.join(room);
    if (typeof ack === "function") ack();
  });
  socket.on("bcast", (room, payload) => io.to(room).emit("msg", payload)); // sender included
  socket.on("echo", (payload, ack) => ack(payload));
});
process.on("SIGTERM", () => process.exit(0));
