/**
 * socket.io's `BroadcastOperator`: an immutable selection of rooms, excluded rooms and flags, built by
 * `to`/`in`/`except`/`local`/`volatile`/`compress`/`timeout`, ending in `emit` or a fleet operation.
 */
import { PacketType, type Packet } from "./parser.ts";
import { RESERVED_EVENTS, type DefaultEventsMap, type EventNames, type EventParams, type EventsMap } from "./typed-events.ts";
import type { InMemoryAdapter } from "../rooms/memory.ts";
import type { BroadcastFlags, Room, SocketId, StoreSocket } from "../rooms/types.ts";
import type { Handshake } from "./handshake.ts";

/** What `fetchSockets()` returns: enough of a socket to read it and act on it, as in socket.io. */
// deno-lint-ignore no-explicit-any
export interface RemoteSocket<EmitEvents extends EventsMap = DefaultEventsMap, SocketData = any> {
  readonly id: SocketId;
  readonly handshake: Handshake;
  readonly rooms: Set<Room>;
  readonly data: SocketData;
  emit<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: EventParams<EmitEvents, Ev>): boolean;
  join(room: Room | Room[]): unknown;
  leave(room: Room): unknown;
  disconnect(close?: boolean): unknown;
  timeout(ms: number): unknown;
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
      args.push((err: Error | null, responses: unknown) => (err ? reject(err) : resolve(responses)));
      (this.emit as (ev: Ev, ...a: unknown[]) => boolean)(ev, ...args);
    });
  }

  /** ids of the matching sockets */
  async allSockets(): Promise<Set<SocketId>> {
    return new Set((await this.adapter.fetchSockets(this.#opts)).map((s) => s.id));
  }

  fetchSockets(): Promise<RemoteSocket<EmitEvents, SocketData>[]> {
    return this.adapter.fetchSockets(this.#opts) as unknown as Promise<RemoteSocket<EmitEvents, SocketData>[]>;
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

export type { StoreSocket };
