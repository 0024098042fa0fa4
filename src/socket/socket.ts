/**
 * One client's membership of one namespace: socket.io's `Socket`, with its API (events with acks both
 * ways, timeouts, catch-all listeners, middleware, rooms, broadcast flags) and disconnect reasons.
 */
import { Emitter } from "../util/emitter.ts";
import { randomId } from "../util/id.ts";
import { errorKind, logLimited } from "../util/log-limiter.ts";
import { type Packet, PacketType } from "./parser.ts";
import type { RequestLike } from "../engine/http.ts";
import type { EngineSocket } from "../engine/socket.ts";
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
import type { BroadcastFlags, Room, Session, SocketId } from "../rooms/types.ts";
import type { InMemoryAdapter } from "../rooms/memory.ts";
import { buildHandshake, type Handshake } from "./handshake.ts";
import type { Namespace } from "./namespace.ts";
import type { Client } from "./client.ts";
import type { Server } from "./server.ts";
import { BroadcastOperator } from "./broadcast.ts";

/** Why a socket disconnected (socket.io's reasons). */
export type DisconnectReason =
  | "transport error"
  | "transport close"
  | "forced close"
  | "ping timeout"
  | "parse error"
  | "server shutting down"
  | "forced server close"
  | "client namespace disconnect"
  | "server namespace disconnect";

/** socket.io keeps a session for recovery only when the client did not leave on purpose */
const RECOVERABLE = new Set<DisconnectReason>([
  "transport error",
  "transport close",
  "forced close",
  "ping timeout",
  "server shutting down",
  "forced server close",
]);

/** Events a `Socket` emits itself, besides the client's events. */
export interface SocketReservedEvents {
  /** The socket is gone; its rooms are already left. */
  disconnect: (reason: DisconnectReason, description?: unknown) => void;
  /** The socket is about to leave; its rooms are still joined. */
  disconnecting: (reason: DisconnectReason, description?: unknown) => void;
  /** An error from a `socket.use` middleware. */
  error: (err: Error) => void;
}

/** A catch-all listener (`onAny`, `onAnyOutgoing`): the event name, then its arguments. */
// deno-lint-ignore no-explicit-any -- catch-all listeners receive every event's arguments (socket.io's `onAny`)
export type AnyListener = (event: string, ...args: any[]) => void;
/**
 * A middleware of `socket.use`: sees each incoming event as `[name, ...args]`; `next(err)` drops it and
 * emits `error`.
 */
// deno-lint-ignore no-explicit-any -- socket.io's `socket.use` packet type: any arguments
export type SocketMiddleware = (event: [string, ...any[]], next: (err?: Error) => void) => void;

type Ack = ((...args: unknown[]) => void) & { withError?: boolean; timer?: unknown };

/** A socket of any event maps (what the connection and the room store handle). */
// deno-lint-ignore no-explicit-any -- sockets of every event map
export type AnySocket = Socket<any, any, any, any>;

/** One client in one namespace: its events, acks, rooms and data (socket.io's `Socket`). */
export class Socket<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
  ServerSideEvents extends EventsMap = DefaultEventsMap,
  // deno-lint-ignore no-explicit-any -- socket.io's default `SocketData` is any
  SocketData = any,
> extends Emitter<ListenEvents & SocketReservedEvents> {
  /** The socket's id (public; the client sees it). */
  readonly id: SocketId;
  /** private session id, sent to the client for connection state recovery */
  readonly pid: string | undefined;
  /** built on first read (see `buildHandshake`) */
  #handshake: Handshake | undefined;
  #auth: Record<string, unknown>;
  /** the CONNECT's time (ms) */
  #issued: number;
  /** Your data for this socket; kept by connection state recovery and visible in `fetchSockets()`. */
  data: SocketData = {} as SocketData;
  /** Whether the socket is connected. */
  connected = false;
  /** whether this socket restored a previous session (connection state recovery) */
  recovered = false;
  /**
   * whether this socket object was rebuilt around a connection that outlived the server object (a Durable
   * Object waking from hibernation): connection listeners run again to re-register handlers, so skip
   * one-time side effects (welcome messages, counters) when it is set
   */
  restored = false;
  /** The namespace the socket belongs to. */
  readonly nsp: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>;
  /** The connection the socket lives on (one per client, shared by its namespaces). */
  readonly client: Client;
  /** pending acks by packet id, created with the first one (most sockets never await an ack) */
  #acks: Map<number, Ack> | undefined;
  #flags: BroadcastFlags = {};
  #fns: SocketMiddleware[] | undefined;
  #any: AnyListener[] | undefined;
  #anyOutgoing: AnyListener[] | undefined;
  #session: Session | undefined;
  #countedOutgoing = false;
  /** left for good (disconnected, or refused by a middleware): joins are ignored from then on */
  #cleanedUp = false;

  /** @ignore Created by the namespace for each CONNECT. */
  constructor(
    nsp: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
    client: Client,
    auth: Record<string, unknown>,
    previous?: Session,
    issued: number = Date.now(),
  ) {
    super();
    this.nsp = nsp;
    this.client = client;
    this.#auth = auth;
    this.#issued = issued;
    const recovery = nsp.server._recovery;
    if (previous) {
      this.id = previous.sid;
      this.pid = previous.pid;
      this.data = previous.data as SocketData;
      this.recovered = true;
      this.#session = previous;
    } else if (client.conn.protocol === 3) {
      // Socket.IO v4 protocol (socket.io-client 2.x): the client derives its id from the engine's
      this.id = nsp.name === "/" ? client.id : `${nsp.name}#${client.id}`;
    } else {
      this.id = randomId();
      this.pid = recovery ? randomId() : undefined;
    }
  }

  /** The handshake details: headers, query, auth, address, time. */
  get handshake(): Handshake {
    const conn = this.client.conn;
    return (this.#handshake ??= buildHandshake(conn.request, conn.remoteAddress, this.#auth, this.#issued));
  }

  /** @internal The CONNECT's auth payload and time, without building the handshake (hibernation records). */
  get _connectInfo(): { auth: Record<string, unknown>; issued: number } {
    return { auth: this.#handshake?.auth ?? this.#auth, issued: this.#handshake?.issued ?? this.#issued };
  }

  /** The server of this socket. */
  get server(): Server<ListenEvents, EmitEvents, ServerSideEvents, SocketData> {
    return this.nsp.server;
  }

  /** The room store of this socket's namespace. */
  get adapter(): InMemoryAdapter {
    return this.nsp.adapter;
  }

  /** the engine connection (engine.io's Socket) */
  get conn(): EngineSocket {
    return this.client.conn;
  }

  /**
   * the first HTTP request of the connection: on Node the `IncomingMessage` (as in socket.io, with what
   * `io.engine.use` middlewares set on it, such as `session`), elsewhere the Web `Request`'s view
   */
  // deno-lint-ignore no-explicit-any
  get request(): RequestLike & Record<string, any> {
    const req = this.client.conn.request;
    return (req.native ?? req) as RequestLike;
  }

  /** Whether the socket is disconnected. */
  get disconnected(): boolean {
    return !this.connected;
  }

  /** The rooms the socket is in (its own id included). */
  get rooms(): Set<Room> {
    return this.adapter.socketRooms(this.id) ?? new Set();
  }

  /** @internal Called by the namespace once middlewares accepted the socket. */
  async _onconnect(): Promise<void> {
    this.connected = true;
    const session = this.#session;
    this.#session = undefined;
    await this.join(session ? [this.id, ...session.rooms] : this.id);
    this._attachTopics();
    // socket.io sends the missed packets before the CONNECT; the official client buffers them and emits
    // them right after its "connect" event, other clients are written against that order
    const missed = session?.missedPackets;
    if (missed?.length) {
      this.client.conn.burst(() => {
        for (const args of missed) this._packet({ type: PacketType.EVENT, nsp: this.nsp.name, data: args });
      });
    }
    if (this.client.conn.protocol === 3) this._packet({ type: PacketType.CONNECT, nsp: this.nsp.name });
    else {
      const data = this.pid ? { sid: this.id, pid: this.pid } : { sid: this.id };
      this._packet({ type: PacketType.CONNECT, nsp: this.nsp.name, data });
    }
  }

  /** @internal Applies the slow-consumer bound after native fan-out wrote to this socket (delivery.ts). */
  _checkBackpressure(): void {
    this.client.conn.checkBackpressure();
  }

  /** @internal Lets native fan-out reach this socket once its connection is an open WebSocket (delivery.ts). */
  _attachTopics(): void {
    const topics = this.client.conn.topics;
    if (topics && this.connected) this.nsp._delivery.attach(this.id, topics);
  }

  /** Keeps the namespace's count of sockets with outgoing listeners (native fan-out cannot call them). */
  #syncOutgoing(): void {
    const has = this.connected && (this.#anyOutgoing?.length ?? 0) > 0;
    if (has === this.#countedOutgoing) return;
    this.#countedOutgoing = has;
    this.nsp._outgoingListeners += has ? 1 : -1;
  }

  // ---- outgoing --------------------------------------------------------------------------------------

  /** Emits to this client. A trailing function is an ack callback. Reserved names throw, as in socket.io. */
  emit<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: EventParams<EmitEvents, Ev>): boolean {
    if (RESERVED_EVENTS.has(ev)) throw new Error(`"${String(ev)}" is a reserved event name`);
    const data: unknown[] = [ev, ...args];
    const packet: Packet = { type: PacketType.EVENT, nsp: this.nsp.name, data };
    const flags = this.#flags;
    this.#flags = {};
    if (typeof data[data.length - 1] === "function") {
      const id = this.nsp._delivery.nextAckId();
      this.#registerAck(id, data.pop() as Ack, flags);
      packet.id = id;
    }
    if (this.server._recovery && packet.id === undefined && !flags.volatile) {
      // through the store, so the packet gets an offset and is kept for recovery (as socket.io does)
      this.adapter.broadcast(packet, { rooms: new Set([this.id]), except: new Set(), flags });
    } else {
      this._notifyOutgoing(data);
      this._packet(packet, flags);
    }
    return true;
  }

  /** Emits and resolves with the client's ack (rejects on timeout when `timeout()` was set). */
  emitWithAck<Ev extends EventNamesWithAck<EmitEvents>>(
    ev: Ev,
    ...args: EmitWithAckArgs<EmitEvents, Ev>
  ): Promise<EmitWithAckResult<EmitEvents, Ev>> {
    const withErr = this.#flags.timeout !== undefined;
    return new Promise((resolve, reject) => {
      const ack = (a: unknown, b: unknown) => {
        if (!withErr) return resolve(a as EmitWithAckResult<EmitEvents, Ev>);
        return a ? reject(a) : resolve(b as EmitWithAckResult<EmitEvents, Ev>);
      };
      (this.emit as (ev: Ev, ...a: unknown[]) => boolean)(ev, ...args, ack);
    });
  }

  /** Emits a `message` event to the client. */
  send(...args: unknown[]): this {
    (this.emit as (ev: string, ...a: unknown[]) => boolean)("message", ...args);
    return this;
  }

  /** Same as `send`. */
  write(...args: unknown[]): this {
    return this.send(...args);
  }

  #registerAck(id: number, ack: Ack, flags: BroadcastFlags): void {
    const timeout = flags.timeout;
    const acks = (this.#acks ??= new Map());
    if (timeout === undefined) {
      acks.set(id, ack);
      return;
    }
    const scheduler = this.server.engine.opts.scheduler;
    const wrapped: Ack = (...args: unknown[]) => {
      scheduler.clearTimeout(wrapped.timer);
      ack.apply(this, [null, ...args]);
    };
    wrapped.withError = true;
    wrapped.timer = scheduler.setTimeout(() => {
      acks.delete(id);
      ack.call(this, new Error("operation has timed out"));
    }, timeout);
    acks.set(id, wrapped);
  }

  /** @internal Used by broadcasts with acks: one callback shared by many sockets. */
  _registerAck(id: number, ack: (...args: unknown[]) => void): void {
    (this.#acks ??= new Map()).set(id, ack);
  }

  /** @internal Encodes and writes one packet to this client. */
  _packet(packet: Packet, flags: BroadcastFlags = {}): void {
    this.client._write(this.server._codec.encode(packet), flags);
  }

  /** @internal Runs the `onAnyOutgoing` listeners. */
  _notifyOutgoing(args: unknown[]): void {
    const list = this.#anyOutgoing;
    if (!list?.length) return;
    for (const l of [...list]) l.apply(this, args as [string, ...unknown[]]);
  }

  // ---- incoming ----------------------------------------------------------------------------------------

  /** @internal A packet for this socket, from the client. */
  _onpacket(packet: Packet): void {
    if (!this.connected) return;
    switch (packet.type) {
      case PacketType.EVENT:
      case PacketType.BINARY_EVENT:
        return this.#onevent(packet);
      case PacketType.ACK:
      case PacketType.BINARY_ACK:
        return this.#onack(packet);
      case PacketType.DISCONNECT:
        return this._onclose("client namespace disconnect");
    }
  }

  #onevent(packet: Packet): void {
    const args = packet.data as unknown[];
    // a numeric event name reaches listeners registered under its string form, as with Node's emitter
    if (typeof args[0] === "number") args[0] = String(args[0]);
    if (packet.id !== undefined) args.push(this.#ack(packet.id));
    if (this.#any?.length) { for (const l of [...this.#any]) l.apply(this, args as [string, ...unknown[]]); }
    this.#dispatch(args as [string, ...unknown[]]);
  }

  #ack(id: number): (...args: unknown[]) => void {
    let sent = false;
    return (...args: unknown[]) => {
      if (sent) return;
      sent = true;
      this._packet({ type: PacketType.ACK, nsp: this.nsp.name, id, data: args });
    };
  }

  #onack(packet: Packet): void {
    const ack = this.#acks?.get(packet.id!);
    if (typeof ack !== "function") return; // unknown or already answered: ignore, as socket.io does
    this.#acks!.delete(packet.id!);
    ack.apply(this, packet.data as unknown[]);
  }

  #dispatch(event: [string, ...unknown[]]): void {
    // As socket.io: listeners run after the packets received with this one were handled, and not at all
    // if one of them disconnected the socket (a DISCONNECT later in the same polling payload).
    // a promise's reaction, not queueMicrotask: the same queue, but workerd's queueMicrotask is a C++ call
    const emit = () => void Promise.resolve().then(() => this.#emitSafely(event));
    if (!this.#fns?.length) return void emit();
    const fns = this.#fns.slice();
    let i = 0;
    const next = (err?: Error) => {
      if (!this.connected) return;
      if (err) return void queueMicrotask(() => this.#onerror(err));
      const fn = fns[i++];
      if (!fn) return void emit();
      fn(event, next);
    };
    next();
  }

  #emitSafely(event: [string, ...unknown[]]): void {
    if (!this.connected) return;
    try {
      this._emit(...event);
    } catch (err) {
      // an app listener threw: report it, as the engine does for synchronous listeners, and go on
      // at most once a minute per kind: a client whose data makes a listener throw could flood the log
      const where = "uncaught error in a listener";
      logLimited(this.nsp.server.logger, errorKind(where, err), `${where} of ${JSON.stringify(event[0])}`, err);
    }
  }

  #onerror(err: Error): void {
    // no listener: nothing happens (Node's emitter would throw on an unheard "error"; we never crash)
    this._emit("error", err);
  }

  /** @internal The connection got an undecodable packet (called by Client before it closes the connection). */
  _onerror(err: Error): void {
    this.#onerror(err);
  }

  /** @internal Closes this socket; `reason` is socket.io's. Persists the session when it may be recovered. */
  _onclose(reason: DisconnectReason, description?: unknown): void {
    if (!this.connected) return;
    this._emit("disconnecting", reason, description);
    if (this.server._recovery && this.pid && RECOVERABLE.has(reason)) {
      this.adapter.persistSession({ sid: this.id, pid: this.pid, rooms: [...this.rooms], data: this.data });
    }
    this._cleanup();
    this.client._remove(this);
    this.connected = false;
    this.#syncOutgoing();
    for (const ack of this.#acks?.values() ?? []) {
      if (!ack.withError) continue;
      // socket.io 4.7+: pending acks with a timeout fail at once instead of waiting for it
      this.server.engine.opts.scheduler.clearTimeout(ack.timer);
      ack.call(this, new Error("socket has been disconnected"));
    }
    this.#acks = undefined;
    this._emit("disconnect", reason, description);
  }

  /** @internal
   * Leaves every room and the namespace for good: after a disconnection, or when a middleware refused the
   * socket (rooms it joined in the middleware go too). Later `join` calls do nothing, as in socket.io.
   */
  _cleanup(): void {
    this.adapter.delAll(this.id);
    this.nsp._delivery.detach(this.id);
    this.nsp._remove(this);
    this.#cleanedUp = true;
  }

  /** Leaves the namespace; with `close`, closes the whole connection (every namespace). */
  disconnect(close = false): this {
    if (!this.connected) return this;
    if (close) {
      this.client._disconnect();
    } else {
      this._packet({ type: PacketType.DISCONNECT, nsp: this.nsp.name });
      this._onclose("server namespace disconnect");
    }
    return this;
  }

  // ---- rooms and broadcast operators --------------------------------------------------------------------

  /** Joins a room (or rooms). */
  join(rooms: Room | Room[]): Promise<void> | void {
    if (this.#cleanedUp) return;
    return this.adapter.addAll(this.id, Array.isArray(rooms) ? rooms : [rooms]);
  }

  /** Leaves a room. */
  leave(room: Room): Promise<void> | void {
    return this.adapter.del(this.id, room);
  }

  #operator(): BroadcastOperator<EmitEvents, SocketData> {
    const flags = this.#flags;
    this.#flags = {};
    return new BroadcastOperator(this.adapter, new Set(), new Set([this.id]), flags, this.nsp.sockets);
  }

  /** Targets a room (or rooms), excluding this socket. */
  to(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.#operator().to(room);
  }

  /** Same as `to`: broadcast to a room, without this socket. */
  in(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.#operator().in(room);
  }

  /** Broadcast to everyone except a room (or rooms), without this socket. */
  except(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.#operator().except(room);
  }

  /** Broadcast to every socket of the namespace but this one. */
  get broadcast(): BroadcastOperator<EmitEvents, SocketData> {
    return this.#operator();
  }

  /** Broadcast only to sockets of this server (not the rest of the fleet). */
  get local(): BroadcastOperator<EmitEvents, SocketData> {
    return this.#operator().local;
  }

  /** The next emit may be dropped if the client is not ready to receive it. */
  get volatile(): this {
    this.#flags.volatile = true;
    return this;
  }

  /** Whether the next emit is compressed. */
  compress(compress: boolean): this {
    this.#flags.compress = compress;
    return this;
  }

  /** The next emit expects its ack within `ms`; the callback gets an error after that. */
  timeout(ms: number): this {
    this.#flags.timeout = ms;
    return this;
  }

  // ---- middleware and catch-all listeners -----------------------------------------------------------

  /** Adds a middleware for this socket's incoming events. */
  use(fn: SocketMiddleware): this {
    (this.#fns ??= []).push(fn);
    return this;
  }

  /** Listens to every incoming event: `listener(event, ...args)`. */
  onAny(listener: AnyListener): this {
    (this.#any ??= []).push(listener);
    return this;
  }

  /** Like `onAny`, before the other catch-all listeners. */
  prependAny(listener: AnyListener): this {
    (this.#any ??= []).unshift(listener);
    return this;
  }

  /** Removes a catch-all listener (all of them without `listener`). */
  offAny(listener?: AnyListener): this {
    if (!this.#any) return this;
    if (!listener) this.#any = [];
    else this.#any = this.#any.filter((l) => l !== listener);
    return this;
  }

  /** The catch-all listeners of incoming events. */
  listenersAny(): AnyListener[] {
    return [...(this.#any ?? [])];
  }

  /** Listens to every outgoing event: `listener(event, ...args)`. */
  onAnyOutgoing(listener: AnyListener): this {
    (this.#anyOutgoing ??= []).push(listener);
    this.#syncOutgoing();
    return this;
  }

  /** Like `onAnyOutgoing`, before the other outgoing catch-all listeners. */
  prependAnyOutgoing(listener: AnyListener): this {
    (this.#anyOutgoing ??= []).unshift(listener);
    this.#syncOutgoing();
    return this;
  }

  /** Removes an outgoing catch-all listener (all of them without `listener`). */
  offAnyOutgoing(listener?: AnyListener): this {
    if (!this.#anyOutgoing) return this;
    if (!listener) this.#anyOutgoing = [];
    else this.#anyOutgoing = this.#anyOutgoing.filter((l) => l !== listener);
    this.#syncOutgoing();
    return this;
  }

  /** The catch-all listeners of outgoing events. */
  listenersAnyOutgoing(): AnyListener[] {
    return [...(this.#anyOutgoing ?? [])];
  }
}
