/**
 * Typed event maps as in socket.io 4. This file's value is the type-check, not the run: `npm run typecheck`
 * (tsc, first step of `npm test`) fails on a wrong event name or argument type, and fails on every
 * `@ts-expect-error` below that stops being an error. Running it only proves the typed Server constructs.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Server } from "../../src/index.ts";

interface ClientToServer {
  hello: (name: string, ack: (greeting: string) => void) => void;
}
interface ServerToClient {
  news: (title: string, count: number) => void;
}
interface InterServer {
  ping: () => void;
}
interface SocketData {
  user: string;
}

test("typed Server, Socket, BroadcastOperator: checked by tsc in npm run typecheck (the run itself asserts nothing more)", () => {
  const io = new Server<ClientToServer, ServerToClient, InterServer, SocketData>();
  io.on("connection", (socket) => {
    socket.on("hello", (name, ack) => ack(`hi ${name.toUpperCase()}`));
    socket.data.user = "x";
    socket.emit("news", "t", 1);
    io.to("room").emit("news", "t", 2);
    // @ts-expect-error wrong argument type
    socket.emit("news", "t", "not a number");
    // @ts-expect-error unknown event
    io.emit("nope");
    // @ts-expect-error wrong data shape
    socket.data.user = 1;
  });
  assert.ok(io instanceof Server);
  void io.close();
});
