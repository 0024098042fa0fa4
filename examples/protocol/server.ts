/**
 * The configuration the official protocol compliance suites expect (socketio/engine.io-protocol and
 * socketio/socket.io-protocol, folder test-suite/): one listener on port 3000 serving a bare Engine.IO
 * echo server on /engine.io/ and the Socket.IO fixture on /socket.io/.
 *
 *   npm run protocol-server            # then, in a checkout of either suite: npm ci && npm test
 */
import { Server } from "portio";
import { EngineServer } from "portio/runtime";
import { serve } from "portio/node";

const timing = { pingInterval: 300, pingTimeout: 200, maxHttpBufferSize: 1e6, cors: { origin: "*" } };

const engine = new EngineServer({ ...timing, path: "/engine.io" });
engine.on("connection", (socket) => {
  socket.on("data", (data) => socket.send(data));
});

const io = new Server({ ...timing, connectTimeout: 1000 });
io.on("connection", (socket) => {
  socket.emit("auth", socket.handshake.auth);
  socket.on("message", (...args: unknown[]) => socket.emit("message-back", ...args));
  socket.on("message-with-ack", (...args: unknown[]) => {
    const ack = args.pop() as (...a: unknown[]) => void;
    ack(...args);
  });
});
io.of("/custom").on("connection", (socket) => {
  socket.emit("auth", socket.handshake.auth);
});

const port = Number(process.env.PORT ?? 3000);
const handle = await serve([engine, io], { port, hostname: process.env.HOST });
console.log(`protocol fixture on http://localhost:${handle.port} (/engine.io/ and /socket.io/)`);
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => void handle.close().then(() => process.exit(0)));
}
