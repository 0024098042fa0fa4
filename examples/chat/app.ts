// Chat logic: rooms, messages, typing indicator and member lists.
// Runtime-agnostic (no node: imports): the same function is wired up by the
// Node entry point (start.ts) and can be reused on Deno, Bun or Workers.
import type { Server } from "portio";

/** What the chat keeps in `socket.data`. */
type ChatData = { name?: string; room?: string };

export type ChatMessage = { from: string; text: string; at: number };
export type SystemMessage = { text: string; at: number };
export type JoinAck = { ok: true; room: string; members: string[] } | { error: string };
export type MessageAck = { ok: true } | { error: string };

export const MAX_MESSAGE_LENGTH = 1000;
export const MAX_NAME_LENGTH = 32;

/** Trimmed non-empty string of at most `max` chars, or undefined. */
function cleanString(value: unknown, max: number): string | undefined {
  if (typeof value !== "string") return undefined;
  const trimmed = value.trim();
  return trimmed.length > 0 && trimmed.length <= max ? trimmed : undefined;
}

/** Clients are untrusted: only call the ack if they actually sent one. */
function reply(ack: unknown, payload: unknown): void {
  if (typeof ack === "function") ack(payload);
}

export function chatApp(io: Server): void {
  /** Names of the sockets currently in `room`, sorted, across the whole cluster. */
  async function memberNames(room: string): Promise<string[]> {
    const sockets = await io.in(room).fetchSockets();
    const names: string[] = [];
    for (const s of sockets) {
      const name = (s.data as ChatData | undefined)?.name;
      if (typeof name === "string") names.push(name);
    }
    return names.sort((a, b) => a.localeCompare(b));
  }

  /** Tell everybody in `room` who is there now (fire and forget). */
  function announceMembers(room: string): void {
    memberNames(room).then(
      (members) => io.to(room).emit("members", members),
      (err: unknown) => console.error(`chat: cannot list members of ${room}:`, err),
    );
  }

  function system(room: string, text: string): void {
    const msg: SystemMessage = { text, at: Date.now() };
    io.to(room).emit("system", msg);
  }

  io.on("connection", (socket) => {
    const data = socket.data as ChatData;

    // Connection state recovery brought back the rooms and socket.data of a
    // socket that dropped briefly (missed messages are replayed by the server):
    // undo the "left" notice sent on disconnect. A socket `restored` after a Durable Object woke from
    // hibernation never left: nothing to announce.
    if (socket.recovered && !socket.restored && data.room !== undefined && data.name !== undefined) {
      system(data.room, `${data.name} is back`);
      announceMembers(data.room);
    }

    socket.on("join", (rawName: unknown, rawRoom: unknown, ack?: unknown) => {
      join(rawName, rawRoom, ack).catch((err: unknown) => {
        console.error("chat: join failed:", err);
        reply(ack, { error: "join failed" } satisfies JoinAck);
      });
    });

    async function join(rawName: unknown, rawRoom: unknown, ack: unknown): Promise<void> {
      const name = cleanString(rawName, MAX_NAME_LENGTH);
      const room = cleanString(rawRoom, MAX_NAME_LENGTH);
      if (name === undefined || room === undefined) {
        reply(ack, { error: `name and room must be 1-${MAX_NAME_LENGTH} characters` } satisfies JoinAck);
        return;
      }

      const previous = data.room;
      const previousName = data.name;
      data.name = name;
      data.room = room;

      if (previous !== undefined && previous !== room) {
        await socket.leave(previous);
        system(previous, `${previousName ?? name} left`);
        announceMembers(previous);
      }
      await socket.join(room);

      reply(ack, { ok: true, room, members: await memberNames(room) } satisfies JoinAck);
      if (previous !== room) {
        system(room, `${name} joined`);
      } else if (previousName !== name) {
        system(room, `${previousName ?? "someone"} is now ${name}`);
      }
      announceMembers(room);
    }

    socket.on("message", (text: unknown, ack?: unknown) => {
      const { name, room } = data;
      if (name === undefined || room === undefined) {
        reply(ack, { error: "join a room first" } satisfies MessageAck);
        return;
      }
      if (typeof text !== "string" || text.trim().length === 0) {
        reply(ack, { error: "message must be a non-empty string" } satisfies MessageAck);
        return;
      }
      if (text.length > MAX_MESSAGE_LENGTH) {
        reply(ack, { error: `message is longer than ${MAX_MESSAGE_LENGTH} characters` } satisfies MessageAck);
        return;
      }
      const msg: ChatMessage = { from: name, text, at: Date.now() };
      io.to(room).emit("message", msg);
      reply(ack, { ok: true } satisfies MessageAck);
    });

    socket.on("typing", (typing: unknown) => {
      const { name, room } = data;
      if (name === undefined || room === undefined) return;
      socket.to(room).emit("typing", { from: name, typing: typing === true });
    });

    socket.on("disconnect", () => {
      const { name, room } = data;
      if (name === undefined || room === undefined) return;
      // The socket has already left its rooms here, so broadcast from the server.
      io.to(room).emit("typing", { from: name, typing: false });
      system(room, `${name} left`);
      announceMembers(room);
    });
  });
}
