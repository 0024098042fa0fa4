/**
 * socket.io's `BroadcastOperator`: an immutable selection of rooms, excluded rooms and flags, built by
 * `to`/`in`/`except`/`local`/`volatile`/`compress`/`timeout`, ending in `emit` or a fleet operation.
 */
import { type Packet, PacketType } from "./parser.ts";
import {
  type DefaultEventsMap,
  type EventNames,
  type EventParams,
  type EventsMap,
  RESERVED_EVENTS,
} from "./typed-events.ts";
import type { InMemoryAdapter } from "../rooms/memory.ts";
import type { BroadcastFlags, Room, SocketDetails, SocketId, StoreSocket } from "../rooms/types.ts";
import type { Handshake } from "./handshake.ts";

/** What `fetchSockets()` returns: a local `Socket`, or a `RemoteSocket` for a socket on another node. */
// deno-lint-ignore no-explicit-any
export interface RemoteSocketLike<EmitEvents extends EventsMap = DefaultEventsMap, SocketData = any> {
  readonly id: SocketId;
  readonly handshake: Handshake;
  readonly rooms: Set<Room>;
  readonly data: SocketData;
  emit<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: EventParams<EmitEvents, Ev>): boolean;
  join(room: Room | Room[]): unknown;
  leave(room: Room): unknown;
  disconnect(close?: boolean): unknown;
}

const toArray = (r: Room | Room[]) => (Array.isArray(r) ? r : [r]);

// deno-lint-ignore no-explicit-any
export class BroadcastOperator<EmitEvents extends EventsMap = DefaultEventsMap, SocketData = any> {
  constructor(
    private readonly adapter: InMemoryAdapter,
    private readonly rooms: Set<Room> = new Set(),
    private readonly exceptRooms: Set<Room> = new Set(),
    private readonly flags: BroadcastFlags = {},
  ) {}

  #with(rooms: Set<Room>, except: Set<Room>, flags: BroadcastFlags): BroadcastOperator<EmitEvents, SocketData> {
    return new BroadcastOperator(this.adapter, rooms, except, flags);
  }

  to(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    const rooms = new Set(this.rooms);
    for (const r of toArray(room)) rooms.add(r);
    return this.#with(rooms, this.exceptRooms, this.flags);
  }

  in(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.to(room);
  }

  except(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    const except = new Set(this.exceptRooms);
    for (const r of toArray(room)) except.add(r);
    return this.#with(this.rooms, except, this.flags);
  }

  compress(compress: boolean): BroadcastOperator<EmitEvents, SocketData> {
    return this.#with(this.rooms, this.exceptRooms, { ...this.flags, compress });
  }

  get volatile(): BroadcastOperator<EmitEvents, SocketData> {
    return this.#with(this.rooms, this.exceptRooms, { ...this.flags, volatile: true });
  }

  get local(): BroadcastOperator<EmitEvents, SocketData> {
    return this.#with(this.rooms, this.exceptRooms, { ...this.flags, local: true });
  }

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
    const packet: Packet = { type: PacketType.EVENT, nsp: this.adapter.nsp.name, data };
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
    const scheduler = this.adapter.nsp.scheduler;
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

  emitWithAck<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: unknown[]): Promise<unknown> {
    return new Promise((resolve, reject) => {
      args.push((err: (Error & { responses?: unknown }) | null, responses: unknown) => {
        if (!err) return resolve(responses);
        err.responses = responses; // as socket.io: the acks that did arrive before the timeout
        reject(err);
      });
      (this.emit as (ev: Ev, ...a: unknown[]) => boolean)(ev, ...args);
    });
  }

  /** ids of the matching sockets */
  async allSockets(): Promise<Set<SocketId>> {
    return new Set((await this.adapter.fetchSockets(this.#opts)).map((s) => s.id));
  }

  async fetchSockets(): Promise<RemoteSocketLike<EmitEvents, SocketData>[]> {
    const list = await this.adapter.fetchSockets(this.#opts);
    return list.map((s) =>
      "_writeEncoded" in s
        ? (s as unknown as RemoteSocketLike<EmitEvents, SocketData>)
        : new RemoteSocket<EmitEvents, SocketData>(this.adapter, s as SocketDetails)
    );
  }

  socketsJoin(room: Room | Room[]): void {
    this.adapter.addSockets(this.#opts, toArray(room));
  }

  socketsLeave(room: Room | Room[]): void {
    this.adapter.delSockets(this.#opts, toArray(room));
  }

  disconnectSockets(close = false): void {
    this.adapter.disconnectSockets(this.#opts, close);
  }
}

/** A socket on another node of the cluster, acted on through the room store (socket.io's `RemoteSocket`). */
// deno-lint-ignore no-explicit-any
export class RemoteSocket<EmitEvents extends EventsMap = DefaultEventsMap, SocketData = any>
  implements RemoteSocketLike<EmitEvents, SocketData> {
  readonly id: SocketId;
  readonly handshake: Handshake;
  readonly rooms: Set<Room>;
  readonly data: SocketData;
  #operator: BroadcastOperator<EmitEvents, SocketData>;

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

  join(room: Room | Room[]): void {
    this.adapter.addSockets({ rooms: new Set([this.id]) }, toArray(room));
  }

  leave(room: Room): void {
    this.adapter.delSockets({ rooms: new Set([this.id]) }, [room]);
  }

  disconnect(close = false): this {
    this.adapter.disconnectSockets({ rooms: new Set([this.id]) }, close);
    return this;
  }
}

export type { StoreSocket };
