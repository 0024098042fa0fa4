/**
 * The shared bench-server contract (../../shared/bench/README.md) written once against Portio's core:
 * join (acked), bcast to a room (sender included), echo with ack. Each runtime entry only serves it.
 * `PARSER=msgpack` in the environment switches it to socket.io-msgpack-parser (the msgpack variant).
 */
import { Server, type ServerOptions } from "../src/index.ts";
import msgpackParser from "socket.io-msgpack-parser";

type Ack = (...args: unknown[]) => void;

/** The options every bench server runs with, from the environment (a Worker reads them from its bindings). */
export function benchOptions(env: (name: string) => string | undefined): ServerOptions {
  return {
    pingInterval: Number(env("PING_INTERVAL") ?? 25000),
    pingTimeout: Number(env("PING_TIMEOUT") ?? 20000),
    // PARSER=msgpack: the msgpack variant (bench/msgpack.sh)
    parser: env("PARSER") === "msgpack" ? msgpackParser : undefined,
  };
}

/** The contract's three events, on a server built elsewhere (a Durable Object builds its own). */
export function benchApp(io: Server): Server {
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

export function benchServer(env: (name: string) => string | undefined): Server {
  return benchApp(new Server(benchOptions(env)));
}
