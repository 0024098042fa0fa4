/**
 * The fleet emitter: drives the shards of a binding from code that holds no socket (a Worker route, a
 * scheduled handler, a queue consumer). Each call sends one request to every shard, in parallel, each
 * bounded by `requestTimeout`, with the uid "emitter" (never counted as a node, never answered); it resolves
 * with the shards that took it and those that did not. A hibernating shard is woken by the request.
 */
import type { BroadcastFlags, DefaultEventsMap, EventNames, EventParams, EventsMap, Room } from "../../src/index.ts";
import { type ClusterMessage, EMITTER_UID, MessageType, PacketType } from "../../src/room-store.ts";
import { encodeFrames } from "./fleet-codec.ts";
import { peerRequest, stubOf } from "./fleet-link.ts";
import type { DurableObjectNamespaceLike } from "./types.ts";

/** Options of `new FleetEmitter(namespace, options)`. */
export interface FleetEmitterOptions {
  /** every shard name (as the shards' `shards` option) */
  shards: readonly string[];
  /** the server's path (default "/socket.io/") */
  path?: string;
  /** ms each shard has to take the message (default 5000) */
  requestTimeout?: number;
}

/** What became of one emit: the shards that took it, and those that failed or did not answer in time. */
export interface FleetEmitResult {
  /** shards that took it */
  delivered: string[];
  /** shards that did not, with why */
  failed: Array<{ shard: string; error: string }>;
}

// socket.io's reserved names: a client or server could not tell them from its own lifecycle events
const RESERVED = new Set(["connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"]);
const RESERVED_SERVER_SIDE = new Set(["connect", "connection", "new_namespace"]);
const toArray = (r: Room | Room[]) => (Array.isArray(r) ? r : [r]);

/** Emits into a Durable Object fleet from a plain Worker: `emitter.to("room").emit("news", …)`. */
export class FleetEmitter<
  EmitEvents extends EventsMap = DefaultEventsMap,
  ServerSideEvents extends EventsMap = DefaultEventsMap,
> {
  readonly #ns: DurableObjectNamespaceLike;
  readonly #opts: Required<FleetEmitterOptions>;

  /** `namespace`: the shards' Durable Object binding (`env.REALTIME`). */
  constructor(namespace: DurableObjectNamespaceLike, opts: FleetEmitterOptions, readonly nsp = "/") {
    this.#ns = namespace;
    const path = (opts.path ?? "/socket.io").replace(/\/$/, "") + "/";
    this.#opts = { requestTimeout: 5000, ...opts, path };
  }

  /** The same emitter for another namespace. */
  of(nsp: string): FleetEmitter<EmitEvents, ServerSideEvents> {
    return new FleetEmitter(this.#ns, this.#opts, nsp.startsWith("/") ? nsp : "/" + nsp);
  }

  /** @ignore Sends one message to every shard. */
  async _send(message: ClusterMessage): Promise<FleetEmitResult> {
    const bytes = encodeFrames([{ n: this.nsp, m: message, w: 0 }]);
    const { shards, path, requestTimeout } = this.#opts;
    const result: FleetEmitResult = { delivered: [], failed: [] };
    await Promise.all(shards.map(async (shard) => {
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(new Error("timeout")), requestTimeout);
      try {
        const res = await stubOf(this.#ns, shard).fetch(peerRequest(shard, path, bytes, abort.signal));
        await res.body?.cancel().catch(() => {});
        if (!res.ok) throw new Error(`status ${res.status}`);
        result.delivered.push(shard);
      } catch (err) {
        const error = abort.signal.aborted ? `no answer within ${requestTimeout} ms` : (err as Error).message;
        result.failed.push({ shard, error });
      } finally {
        clearTimeout(timer);
      }
    }));
    return result;
  }

  #operator(): FleetEmitterOperator<EmitEvents> {
    return new FleetEmitterOperator(this, new Set(), new Set(), {});
  }

  /** Targets a room (or rooms). */
  to(room: Room | Room[]): FleetEmitterOperator<EmitEvents> {
    return this.#operator().to(room);
  }

  /** Same as `to`. */
  in(room: Room | Room[]): FleetEmitterOperator<EmitEvents> {
    return this.#operator().to(room);
  }

  /** Excludes a room (or rooms). */
  except(room: Room | Room[]): FleetEmitterOperator<EmitEvents> {
    return this.#operator().except(room);
  }

  /** The broadcast may be dropped for sockets not ready to receive it. */
  get volatile(): FleetEmitterOperator<EmitEvents> {
    return this.#operator().volatile;
  }

  /** Emits to every socket of the namespace, on every shard. */
  emit<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: EventParams<EmitEvents, Ev>): Promise<FleetEmitResult> {
    return this.#operator().emit(ev, ...args);
  }

  /** Makes every socket of the namespace join a room (or rooms). */
  socketsJoin(rooms: Room | Room[]): Promise<FleetEmitResult> {
    return this.#operator().socketsJoin(rooms);
  }

  /** Makes every socket of the namespace leave a room (or rooms). */
  socketsLeave(rooms: Room | Room[]): Promise<FleetEmitResult> {
    return this.#operator().socketsLeave(rooms);
  }

  /** Disconnects every socket of the namespace; `close` also closes their connections. */
  disconnectSockets(close = false): Promise<FleetEmitResult> {
    return this.#operator().disconnectSockets(close);
  }

  /** Emits to the shards' `io.on(ev, …)` listeners. No acknowledgement: an emitter cannot receive one. */
  serverSideEmit<Ev extends EventNames<ServerSideEvents>>(
    ev: Ev,
    ...args: EventParams<ServerSideEvents, Ev>
  ): Promise<FleetEmitResult> {
    if (RESERVED_SERVER_SIDE.has(String(ev))) throw new Error(`"${String(ev)}" is a reserved event name`);
    if (typeof args[args.length - 1] === "function") {
      throw new Error("Acknowledgements are not supported by the emitter");
    }
    return this._send({
      uid: EMITTER_UID,
      nsp: this.nsp,
      type: MessageType.SERVER_SIDE_EMIT,
      data: { packet: [ev, ...args] },
    });
  }
}

/** An immutable selection (rooms, excluded rooms, flags), as socket.io's `BroadcastOperator`. */
export class FleetEmitterOperator<EmitEvents extends EventsMap = DefaultEventsMap> {
  /** @ignore Created by the emitter's `to`/`in`/`except` and flags. */
  constructor(
    // deno-lint-ignore no-explicit-any -- an operator serves emitters of any server-side event map
    private readonly emitter: FleetEmitter<EmitEvents, any>,
    private readonly rooms: Set<Room>,
    private readonly exceptRooms: Set<Room>,
    private readonly flags: BroadcastFlags,
  ) {}

  /** Adds a room (or rooms) to the targets. */
  to(room: Room | Room[]): FleetEmitterOperator<EmitEvents> {
    const rooms = new Set([...this.rooms, ...toArray(room)]);
    return new FleetEmitterOperator(this.emitter, rooms, this.exceptRooms, this.flags);
  }

  /** Same as `to`. */
  in(room: Room | Room[]): FleetEmitterOperator<EmitEvents> {
    return this.to(room);
  }

  /** Excludes a room (or rooms). */
  except(room: Room | Room[]): FleetEmitterOperator<EmitEvents> {
    const except = new Set([...this.exceptRooms, ...toArray(room)]);
    return new FleetEmitterOperator(this.emitter, this.rooms, except, this.flags);
  }

  /** The broadcast may be dropped for sockets not ready to receive it. */
  get volatile(): FleetEmitterOperator<EmitEvents> {
    return new FleetEmitterOperator(this.emitter, this.rooms, this.exceptRooms, { ...this.flags, volatile: true });
  }

  get #opts() {
    return { rooms: [...this.rooms], except: [...this.exceptRooms], flags: this.flags };
  }

  /** Emits to the targeted sockets on every shard. */
  emit<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: EventParams<EmitEvents, Ev>): Promise<FleetEmitResult> {
    if (RESERVED.has(String(ev))) throw new Error(`"${String(ev)}" is a reserved event name`);
    if (typeof args[args.length - 1] === "function") {
      throw new Error("Acknowledgements are not supported by the emitter");
    }
    const nsp = this.emitter.nsp;
    const packet = { type: PacketType.EVENT, nsp, data: [ev, ...args] };
    return this.emitter._send({
      uid: EMITTER_UID,
      nsp,
      type: MessageType.BROADCAST,
      data: { packet, opts: this.#opts },
    });
  }

  /** Makes the targeted sockets join a room (or rooms). */
  socketsJoin(rooms: Room | Room[]): Promise<FleetEmitResult> {
    const nsp = this.emitter.nsp;
    return this.emitter._send({
      uid: EMITTER_UID,
      nsp,
      type: MessageType.SOCKETS_JOIN,
      data: { opts: this.#opts, rooms: toArray(rooms) },
    });
  }

  /** Makes the targeted sockets leave a room (or rooms). */
  socketsLeave(rooms: Room | Room[]): Promise<FleetEmitResult> {
    const nsp = this.emitter.nsp;
    return this.emitter._send({
      uid: EMITTER_UID,
      nsp,
      type: MessageType.SOCKETS_LEAVE,
      data: { opts: this.#opts, rooms: toArray(rooms) },
    });
  }

  /** Disconnects the targeted sockets; `close` also closes their connections. */
  disconnectSockets(close = false): Promise<FleetEmitResult> {
    const nsp = this.emitter.nsp;
    return this.emitter._send({
      uid: EMITTER_UID,
      nsp,
      type: MessageType.DISCONNECT_SOCKETS,
      data: { opts: this.#opts, close },
    });
  }
}
