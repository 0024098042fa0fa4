/**
 * The shared bench-server contract (../../shared/bench/README.md) written once against Portio's core:
 * join (acked), bcast to a room (sender included), echo with ack. Each runtime entry only serves it.
 * `PARSER=msgpack` in the environment switches it to socket.io-msgpack-parser (the msgpack variant).
 */
import { Server, type ServerOptions } from "../src/index.ts";
import msgpackParser from "socket.io-msgpack-parser";

type Ack = (...args: unknown[]) => void;

/** `extra`: more server options (bench/scale/portio-redis-app.ts adds the Redis adapter). */
export function benchServer(env: (name: string) => string | undefined, extra: Partial<ServerOptions> = {}): Server {
  const io = new Server({
    ...extra,
    pingInterval: Number(env("PING_INTERVAL") ?? 25000),
    pingTimeout: Number(env("PING_TIMEOUT") ?? 20000),
    // PARSER=msgpack: the msgpack variant (bench/msgpack.sh)
    parser: env("PARSER") === "msgpack" ? msgpackParser : undefined,
  });
  io.on("connection", (socket) => {
    socket.on("join", (room: string, ack?: Ack) => {
      socket.join(room);
      if (typeof ack === "function") ack();
    });
    socket.on("bcast", (room: string, payload: unknown) => io.to(room).emit("msg", payload));
    socket.on("echo", (payload: unknown, ack: Ack) => ack(payload));
  });
  return io;
}
