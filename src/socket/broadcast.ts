/**
 * socket.io's `BroadcastOperator`: an immutable selection of rooms, excluded rooms and flags, built by
 * `to`/`in`/`except`/`local`/`volatile`/`compress`/`timeout`, ending in `emit` or a fleet operation.
 */
import { type Packet, PacketType } from "./parser.ts";
import {
  type DefaultEventsMap,
  type EmitWithAckArgs,
  type EmitWithAckResult,
  type EventNames,
  type EventNamesWithAck,
  type EventParams,
  type EventsMap,
  RESERVED_EVENTS,
} from "./typed-events.ts";
import type { InMemoryAdapter } from "../rooms/memory.ts";
import type { BroadcastFlags, Room, SocketDetails, SocketId } from "../rooms/types.ts";
import type { Handshake } from "./handshake.ts";

/** What `fetchSockets()` returns: a local `Socket`, or a `RemoteSocket` for a socket on another node. */
// deno-lint-ignore no-explicit-any -- socket.io's default `SocketData` is any
export interface RemoteSocketLike<EmitEvents extends EventsMap = DefaultEventsMap, SocketData = any> {
  /** The socket's id. */
  readonly id: SocketId;
  /** The socket's handshake. */
  readonly handshake: Handshake;
  /** The socket's rooms. */
  readonly rooms: Set<Room>;
  /** The socket's data. */
  readonly data: SocketData;
  /** Emits an event to this socket. */
  emit<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: EventParams<EmitEvents, Ev>): boolean;
  /** Makes this socket join a room (or rooms). */
  join(room: Room | Room[]): unknown;
  /** Makes this socket leave a room. */
  leave(room: Room): unknown;
  /** Disconnects this socket; `close` also closes its connection. */
  disconnect(close?: boolean): unknown;
}

const toArray = (r: Room | Room[]) => (Array.isArray(r) ? r : [r]);

/** A broadcast being built: `io.to(room).except(other).timeout(ms).emit(…)`. Each modifier returns a new operator. */
// deno-lint-ignore no-explicit-any -- socket.io's default `SocketData` is any
export class BroadcastOperator<EmitEvents extends EventsMap = DefaultEventsMap, SocketData = any> {
  /**
   * @ignore Created by `to`/`in`/`except` and the flags of a server, namespace or socket; `localSockets` are the
   * namespace's sockets here, which `fetchSockets` returns for the ids the store names
   */
  constructor(
    private readonly adapter: InMemoryAdapter,
    private readonly rooms: Set<Room> = new Set(),
    private readonly exceptRooms: Set<Room> = new Set(),
    private readonly flags: BroadcastFlags = {},
    private readonly localSockets?: ReadonlyMap<SocketId, RemoteSocketLike<EmitEvents, SocketData>>,
  ) {}

  #with(rooms: Set<Room>, except: Set<Room>, flags: BroadcastFlags): BroadcastOperator<EmitEvents, SocketData> {
    return new BroadcastOperator(this.adapter, rooms, except, flags, this.localSockets);
  }

  /** Adds a room (or rooms) to the targets. */
  to(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    const rooms = new Set(this.rooms);
    for (const r of toArray(room)) rooms.add(r);
    return this.#with(rooms, this.exceptRooms, this.flags);
  }

  /** Same as `to`. */
  in(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.to(room);
  }

  /** Excludes a room (or rooms). */
  except(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    const except = new Set(this.exceptRooms);
    for (const r of toArray(room)) except.add(r);
    return this.#with(this.rooms, except, this.flags);
  }

  /** Whether the broadcast is compressed. */
  compress(compress: boolean): BroadcastOperator<EmitEvents, SocketData> {
    return this.#with(this.rooms, this.exceptRooms, { ...this.flags, compress });
  }

  /** The broadcast may be dropped for sockets that are not ready to receive it. */
  get volatile(): BroadcastOperator<EmitEvents, SocketData> {
    return this.#with(this.rooms, this.exceptRooms, { ...this.flags, volatile: true });
  }

  /** Only sockets of this server (not the rest of the fleet). */
  get local(): BroadcastOperator<EmitEvents, SocketData> {
    return this.#with(this.rooms, this.exceptRooms, { ...this.flags, local: true });
  }

  /** Expects acks within `ms`; the callback gets an error and the answers received by then. */
  timeout(ms: number): BroadcastOperator<EmitEvents, SocketData> {
    return this.#with(this.rooms, this.exceptRooms, { ...this.flags, timeout: ms });
  }

  get #opts() {
    return { rooms: this.rooms, except: this.exceptRooms, flags: this.flags };
  }

  /**
   * Emits to every selected socket; the packet is encoded once. With a trailing callback, collects one
   * ack per client: `(err, responses)`, err set when `timeout` elapsed before every client answered.
   */
  emit<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: EventParams<EmitEvents, Ev>): boolean {
    if (RESERVED_EVENTS.has(ev)) throw new Error(`"${String(ev)}" is a reserved event name`);
    const data: unknown[] = [ev, ...args];
    const packet: Packet = { type: PacketType.EVENT, nsp: this.adapter.ctx.name, data };
    if (typeof data[data.length - 1] !== "function") {
      this.adapter.broadcast(packet, this.#opts);
      return true;
    }
    const ack = data.pop() as (err: Error | null, responses: unknown) => void;
    const single = this.flags.expectSingleResponse;
    const responses: unknown[] = [];
    let timedOut = false;
    let done = false;
    let expectedServers = -1;
    let actualServers = 0;
    let expectedClients = 0;
    const scheduler = this.adapter.ctx.scheduler;
    const timer = this.flags.timeout === undefined ? undefined : scheduler.setTimeout(() => {
      timedOut = true;
      if (done) return;
      done = true;
      ack(new Error("operation has timed out"), single ? null : responses);
    }, this.flags.timeout);
    const check = () => {
      if (timedOut || done || expectedServers !== actualServers || responses.length !== expectedClients) return;
      done = true;
      scheduler.clearTimeout(timer);
      ack(null, single ? responses[0] : responses);
    };
    this.adapter.broadcastWithAck(
      packet,
      this.#opts,
      (count) => {
        expectedClients += count;
        actualServers++;
        check();
      },
      (response) => {
        responses.push(response);
        check();
      },
    );
    this.adapter.serverCount().then((n) => {
      expectedServers = n;
      check();
    });
    return true;
  }

  /** Emits and resolves with the answers of the targeted sockets (rejects on timeout). */
  emitWithAck<Ev extends EventNamesWithAck<EmitEvents>>(
    ev: Ev,
    ...args: EmitWithAckArgs<EmitEvents, Ev>
  ): Promise<EmitWithAckResult<EmitEvents, Ev>[]> {
    return new Promise((resolve, reject) => {
      const ack = (err: (Error & { responses?: unknown }) | null, responses: EmitWithAckResult<EmitEvents, Ev>[]) => {
        if (!err) return resolve(responses);
        err.responses = responses; // as socket.io: the acks that did arrive before the timeout
        reject(err);
      };
      (this.emit as (ev: Ev, ...a: unknown[]) => boolean)(ev, ...args, ack);
    });
  }

  /** ids of the matching sockets */
  async allSockets(): Promise<Set<SocketId>> {
    return new Set((await this.adapter.fetchSockets(this.#opts)).map((s) => typeof s === "string" ? s : s.id));
  }

  /**
   * The targeted sockets, fleet-wide: this node's `Socket`s (the store names them by id), the other nodes'
   * as `RemoteSocket`s.
   */
  async fetchSockets(): Promise<RemoteSocketLike<EmitEvents, SocketData>[]> {
    const list = await this.adapter.fetchSockets(this.#opts);
    const out: RemoteSocketLike<EmitEvents, SocketData>[] = [];
    for (const s of list) {
      // a local socket that left since the store answered is gone from the namespace: not listed
      const socket = typeof s === "string"
        ? this.localSockets?.get(s)
        : new RemoteSocket<EmitEvents, SocketData>(this.adapter, s);
      if (socket) out.push(socket);
    }
    return out;
  }

  /** Makes the targeted sockets join a room (or rooms). */
  socketsJoin(room: Room | Room[]): void {
    this.adapter.addSockets(this.#opts, toArray(room));
  }

  /** Makes the targeted sockets leave a room (or rooms). */
  socketsLeave(room: Room | Room[]): void {
    this.adapter.delSockets(this.#opts, toArray(room));
  }

  /** Disconnects the targeted sockets; `close` also closes their connections. */
  disconnectSockets(close = false): void {
    this.adapter.disconnectSockets(this.#opts, close);
  }
}

/** A socket on another node of the cluster, acted on through the room store (socket.io's `RemoteSocket`). */
// deno-lint-ignore no-explicit-any -- socket.io's default `SocketData` is any
export class RemoteSocket<EmitEvents extends EventsMap = DefaultEventsMap, SocketData = any>
  implements RemoteSocketLike<EmitEvents, SocketData> {
  /** The socket's id. */
  readonly id: SocketId;
  /** The socket's handshake. */
  readonly handshake: Handshake;
  /** The socket's rooms. */
  readonly rooms: Set<Room>;
  /** The socket's data. */
  readonly data: SocketData;
  #operator: BroadcastOperator<EmitEvents, SocketData>;

  /** @ignore Created by `fetchSockets()` from another server's answer. */
  constructor(
    private readonly adapter: InMemoryAdapter,
    details: SocketDetails,
    flags: BroadcastFlags = { expectSingleResponse: true },
  ) {
    this.id = details.id;
    this.handshake = details.handshake as Handshake;
    this.rooms = new Set(details.rooms);
    this.data = details.data as SocketData;
    this.#operator = new BroadcastOperator(adapter, new Set([this.id]), new Set(), flags);
  }

  /** Emits an event to this socket, wherever it is connected. */
  emit<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: EventParams<EmitEvents, Ev>): boolean {
    return this.#operator.emit(ev, ...args);
  }

  /** A copy whose next `emit` with a callback waits at most `ms` for the ack. */
  timeout(ms: number): RemoteSocket<EmitEvents, SocketData> {
    return new RemoteSocket(this.adapter, {
      id: this.id,
      handshake: this.handshake,
      rooms: [...this.rooms],
      data: this.data,
    }, { expectSingleResponse: true, timeout: ms });
  }

  /** Makes this socket join a room (or rooms). */
  join(room: Room | Room[]): void {
    this.adapter.addSockets({ rooms: new Set([this.id]) }, toArray(room));
  }

  /** Makes this socket leave a room. */
  leave(room: Room): void {
    this.adapter.delSockets({ rooms: new Set([this.id]) }, [room]);
  }

  /** Disconnects this socket; `close` also closes its connection. */
  disconnect(close = false): this {
    this.adapter.disconnectSockets({ rooms: new Set([this.id]) }, close);
    return this;
  }
}
