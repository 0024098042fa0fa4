/**
 * The emitter: drives a fleet from a process that is not a server (a worker, a cron job). It writes the
 * stream entries a node writes, with the uid "emitter" (never counted as a node, never answered), so official
 * socket.io nodes obey it as well as Portio nodes. Each call resolves with the entry id once Redis has it.
 */
import type { BroadcastFlags, DefaultEventsMap, EventNames, EventParams, EventsMap, Room } from "portio";
import { type ClusterMessage, EMITTER_UID, MessageType, PacketType } from "portio/room-store";
import { encodeEntry } from "./codec.ts";
import { Connection, type RedisClient } from "./client.ts";
import { streamFor } from "./fleet.ts";

/** Options of `new Emitter(redis, options)`. */
export interface EmitterOptions {
  /** as the nodes' `streamName` (default "socket.io") */
  streamName?: string;
  /** as the nodes' `streamCount` (default 1) */
  streamCount?: number;
  /** as the nodes' `maxLen` (default 10000) */
  maxLen?: number;
  /** as the nodes' `onlyPlaintext` (default false) */
  onlyPlaintext?: boolean;
}

// socket.io's reserved names: a client or server could not tell them from its own lifecycle events
const RESERVED = new Set(["connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"]);
const RESERVED_SERVER_SIDE = new Set(["connect", "connection", "new_namespace"]);

interface Shared {
  conn: Connection;
  opened: Promise<void>;
  opts: Required<EmitterOptions>;
}

const toArray = (r: Room | Room[]) => (Array.isArray(r) ? r : [r]);

/** Set by `of()` for the one constructor call it makes: the new emitter shares the connection. */
let inherited: Shared | undefined;

/** Emits to a fleet from any process, without a server (the official redis-streams emitter's protocol). */
export class Emitter<
  EmitEvents extends EventsMap = DefaultEventsMap,
  ServerSideEvents extends EventsMap = DefaultEventsMap,
> {
  readonly #shared: Shared;

  /** `redis`: a node-redis client (the app's, left open on `close`) or a URL (default redis://localhost:6379). */
  constructor(redis: RedisClient | string = "redis://localhost:6379", opts: EmitterOptions = {}, readonly nsp = "/") {
    if (inherited) {
      this.#shared = inherited;
      return;
    }
    const conn = typeof redis === "string"
      ? Connection.fromUrl(redis, "emitter")
      : new Connection(redis, false, "emitter");
    const opened = conn.open();
    opened.catch(() => {}); // surfaces on the first write
    this.#shared = {
      conn,
      opened,
      opts: { streamName: "socket.io", streamCount: 1, maxLen: 10_000, onlyPlaintext: false, ...opts },
    };
  }

  /** The same emitter for another namespace (same connection). */
  of(nsp: string): Emitter<EmitEvents, ServerSideEvents> {
    inherited = this.#shared;
    try {
      return new Emitter(undefined, {}, nsp.startsWith("/") ? nsp : "/" + nsp);
    } finally {
      inherited = undefined;
    }
  }

  /** @internal Writes one message to the namespace's stream; resolves with the entry id. */
  async _write(message: ClusterMessage): Promise<string> {
    const { conn, opened, opts } = this.#shared;
    const fields = encodeEntry(message, opts.onlyPlaintext); // serialized now: the caller may reuse its objects
    await opened;
    return String(
      await conn.send(["XADD", streamFor(this.nsp, opts), "MAXLEN", "~", String(opts.maxLen), "*", ...fields]),
    );
  }

  #operator(): EmitterOperator<EmitEvents> {
    return new EmitterOperator(this, new Set(), new Set(), {});
  }

  /** Targets a room (or rooms). */
  to(room: Room | Room[]): EmitterOperator<EmitEvents> {
    return this.#operator().to(room);
  }

  /** Same as `to`. */
  in(room: Room | Room[]): EmitterOperator<EmitEvents> {
    return this.#operator().to(room);
  }

  /** Excludes a room (or rooms). */
  except(room: Room | Room[]): EmitterOperator<EmitEvents> {
    return this.#operator().except(room);
  }

  /** The broadcast may be dropped for sockets not ready to receive it. */
  get volatile(): EmitterOperator<EmitEvents> {
    return this.#operator().volatile;
  }

  /** Whether the broadcast is compressed. */
  compress(compress: boolean): EmitterOperator<EmitEvents> {
    return this.#operator().compress(compress);
  }

  /** Emits to every socket of the namespace; resolves with the stream offset. */
  emit<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: EventParams<EmitEvents, Ev>): Promise<string> {
    return this.#operator().emit(ev, ...args);
  }

  /** Makes every socket of the namespace join a room (or rooms). */
  socketsJoin(rooms: Room | Room[]): Promise<string> {
    return this.#operator().socketsJoin(rooms);
  }

  /** Makes every socket of the namespace leave a room (or rooms). */
  socketsLeave(rooms: Room | Room[]): Promise<string> {
    return this.#operator().socketsLeave(rooms);
  }

  /** Disconnects every socket of the namespace; `close` also closes their connections. */
  disconnectSockets(close = false): Promise<string> {
    return this.#operator().disconnectSockets(close);
  }

  /** Emits to the servers' `io.on(ev, ...)` listeners. No acknowledgement: an emitter cannot receive one. */
  serverSideEmit<Ev extends EventNames<ServerSideEvents>>(
    ev: Ev,
    ...args: EventParams<ServerSideEvents, Ev>
  ): Promise<string> {
    if (RESERVED_SERVER_SIDE.has(String(ev))) throw new Error(`"${String(ev)}" is a reserved event name`);
    if (typeof args[args.length - 1] === "function") {
      throw new Error("Acknowledgements are not supported by the emitter");
    }
    return this._write({
      uid: EMITTER_UID,
      nsp: this.nsp,
      type: MessageType.SERVER_SIDE_EMIT,
      data: { packet: [ev, ...args] },
    });
  }

  /** Closes the connection when the emitter made it from a URL. */
  close(): Promise<void> {
    return this.#shared.conn.close();
  }
}

/** An immutable selection (rooms, excluded rooms, flags), as socket.io's `BroadcastOperator`. */
export class EmitterOperator<EmitEvents extends EventsMap = DefaultEventsMap> {
  /** @ignore Created by the emitter's `to`/`in`/`except` and flags. */
  constructor(
    // deno-lint-ignore no-explicit-any -- an operator serves emitters of any `SocketData`
    private readonly emitter: Emitter<EmitEvents, any>,
    private readonly rooms: Set<Room>,
    private readonly exceptRooms: Set<Room>,
    private readonly flags: BroadcastFlags,
  ) {}

  /** Adds a room (or rooms) to the targets. */
  to(room: Room | Room[]): EmitterOperator<EmitEvents> {
    return new EmitterOperator(this.emitter, new Set([...this.rooms, ...toArray(room)]), this.exceptRooms, this.flags);
  }

  /** Same as `to`. */
  in(room: Room | Room[]): EmitterOperator<EmitEvents> {
    return this.to(room);
  }

  /** Excludes a room (or rooms). */
  except(room: Room | Room[]): EmitterOperator<EmitEvents> {
    return new EmitterOperator(this.emitter, this.rooms, new Set([...this.exceptRooms, ...toArray(room)]), this.flags);
  }

  /** The broadcast may be dropped for sockets not ready to receive it. */
  get volatile(): EmitterOperator<EmitEvents> {
    return new EmitterOperator(this.emitter, this.rooms, this.exceptRooms, { ...this.flags, volatile: true });
  }

  /** Whether the broadcast is compressed. */
  compress(compress: boolean): EmitterOperator<EmitEvents> {
    return new EmitterOperator(this.emitter, this.rooms, this.exceptRooms, { ...this.flags, compress });
  }

  get #opts() {
    return { rooms: [...this.rooms], except: [...this.exceptRooms], flags: this.flags };
  }

  /** Emits to the targeted sockets; resolves with the stream offset. */
  emit<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: EventParams<EmitEvents, Ev>): Promise<string> {
    if (RESERVED.has(String(ev))) throw new Error(`"${String(ev)}" is a reserved event name`);
    if (typeof args[args.length - 1] === "function") {
      throw new Error("Acknowledgements are not supported by the emitter");
    }
    const nsp = this.emitter.nsp;
    const packet = { type: PacketType.EVENT, nsp, data: [ev, ...args] };
    return this.emitter._write({
      uid: EMITTER_UID,
      nsp,
      type: MessageType.BROADCAST,
      data: { packet, opts: this.#opts },
    });
  }

  /** Makes the targeted sockets join a room (or rooms). */
  socketsJoin(rooms: Room | Room[]): Promise<string> {
    return this.emitter._write({
      uid: EMITTER_UID,
      nsp: this.emitter.nsp,
      type: MessageType.SOCKETS_JOIN,
      data: { opts: this.#opts, rooms: toArray(rooms) },
    });
  }

  /** Makes the targeted sockets leave a room (or rooms). */
  socketsLeave(rooms: Room | Room[]): Promise<string> {
    return this.emitter._write({
      uid: EMITTER_UID,
      nsp: this.emitter.nsp,
      type: MessageType.SOCKETS_LEAVE,
      data: { opts: this.#opts, rooms: toArray(rooms) },
    });
  }

  /** Disconnects the targeted sockets; `close` also closes their connections. */
  disconnectSockets(close = false): Promise<string> {
    return this.emitter._write({
      uid: EMITTER_UID,
      nsp: this.emitter.nsp,
      type: MessageType.DISCONNECT_SOCKETS,
      data: { opts: this.#opts, close },
    });
  }
}
