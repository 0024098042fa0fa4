/**
 * A namespace: its sockets, its middlewares, its room store, and the broadcast shortcuts socket.io puts on
 * it (`io.of("/x").to(room).emit(...)`). `ParentNamespace` serves dynamic namespaces (RegExp or function).
 */
import type { Logger } from "../util/logger.ts";
import { Emitter } from "../util/emitter.ts";
import type { Fanout, Scheduler } from "../ports.ts";
import { InMemoryAdapter } from "../rooms/memory.ts";
import type { BroadcastOptions, Room, SocketId } from "../rooms/types.ts";
import { Delivery } from "./delivery.ts";
import { BroadcastOperator, type RemoteSocketLike } from "./broadcast.ts";
import { type Packet, PacketType } from "./parser.ts";
import { Socket } from "./socket.ts";
import type { Client } from "./client.ts";
import type { Server } from "./server.ts";
import type {
  DefaultEventsMap,
  EmitWithAckArgs,
  EmitWithAckResult,
  EventNames,
  EventNamesWithAck,
  EventParams,
  EventsMap,
} from "./typed-events.ts";

/** An error a middleware passes to `next`: `message` and `data` reach the client's `connect_error`. */
export interface ExtendedError extends Error {
  /** Extra data sent to the client with the `connect_error`. */
  data?: unknown;
}

/** A namespace middleware: runs for each connecting socket; `next(err)` refuses it with a `connect_error`. */
// deno-lint-ignore no-explicit-any -- socket.io's default: a middleware for sockets of any event map
export type Middleware<S = any> = (socket: S, next: (err?: ExtendedError) => void) => void;

/** Events a namespace emits. */
// deno-lint-ignore no-explicit-any -- socket.io's default: sockets of any event map
export interface NamespaceEvents<S = any> {
  /** A socket connected (after the middlewares). */
  connection: (socket: S) => void;
  /** Alias of `connection`. */
  connect: (socket: S) => void;
}

/** A namespace (`io.of(name)`): its sockets, middlewares, room store and broadcasts. */
export class Namespace<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
  ServerSideEvents extends EventsMap = DefaultEventsMap,
  // deno-lint-ignore no-explicit-any -- socket.io's default `SocketData` is any
  SocketData = any,
> extends Emitter<NamespaceEvents<Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>> & ServerSideEvents> {
  /** The connected sockets of this namespace on this server, by id. */
  readonly sockets: Map<SocketId, Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>> = new Map();
  /** @internal The middlewares, run in order for each connecting socket. */
  _fns: Middleware<Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>[] = [];
  /** @internal What this namespace gives its room store: local delivery, native fan-out (delivery.ts). */
  readonly _delivery: Delivery = new Delivery(this);
  #adapter!: InMemoryAdapter;

  /** @ignore Created by `io.of(name)`. */
  constructor(
    readonly server: Server<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
    readonly name: string,
  ) {
    super();
    this.adapter = this._initAdapter();
  }

  /** The room store of this namespace (socket.io's "adapter"). */
  get adapter(): InMemoryAdapter {
    return this.#adapter;
  }

  set adapter(store: InMemoryAdapter) {
    this.#adapter = store;
    this._delivery.bind(store);
  }

  /** @internal The room store of this namespace (a parent namespace has its own, see ParentNamespace). */
  _initAdapter(): InMemoryAdapter {
    return this.server._createAdapter(this._delivery);
  }

  /** The timer source of the server (alarm-driven on a Durable Object). */
  get scheduler(): Scheduler {
    return this.server.engine.opts.scheduler;
  }

  /** The runtime's native fan-out, when its adapter has one (Bun topics). */
  get fanout(): Fanout | undefined {
    return this.server.engine.fanout;
  }

  /** the server's logger, for its room store */
  get logger(): Logger {
    return this.server.logger;
  }

  /** @internal sockets of this namespace with `onAnyOutgoing` listeners (kept by Socket) */
  _outgoingListeners = 0;

  /** @internal Encodes a packet with the server's parser, for the room store's broadcasts. */
  _encode(packet: Packet): Array<string | Uint8Array> {
    return this.server._codec.encode(packet);
  }

  /** Adds a connection middleware: `(socket, next) => next()` or `next(err)` to refuse. */
  use(fn: Middleware<Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>): this {
    this._fns.push(fn);
    return this;
  }

  /** @internal A CONNECT arrived for this namespace on `client`. */
  async _add(client: Client, auth: Record<string, unknown>): Promise<void> {
    let session = null;
    const recovery = this.server._recovery;
    if (recovery && typeof auth.pid === "string" && typeof auth.offset === "string") {
      try {
        session = await this.adapter.restoreSession(auth.pid, auth.offset);
      } catch {
        session = null; // a store that cannot answer means a fresh session, not a failed connection
      }
    }
    const socket = new Socket(this, client, auth, session ?? undefined);
    if (!(session && recovery?.skipMiddlewares)) {
      const err = await this.#run(socket);
      if (err || client.conn.readyState !== "open") socket._cleanup();
      if (err) {
        this.server.logger.debug(`${this.name}: middleware refused client ${client.id}: ${err.message}`);
        if (client.conn.readyState !== "open") return;
        // v4 protocol (socket.io-client 2.x): the error's data, or its message (socket.io's choice)
        const data = client.conn.protocol === 3
          ? (err.data || err.message)
          : err.data === undefined
          ? { message: err.message }
          : { message: err.message, data: err.data };
        socket._packet({ type: PacketType.CONNECT_ERROR, nsp: this.name, data });
        return;
      }
    }
    if (client.conn.readyState !== "open") return socket._cleanup();
    this.sockets.set(socket.id, socket);
    client._addSocket(socket);
    await socket._onconnect();
    if (!socket.connected) return;
    this._emit("connect", socket);
    this._emit("connection", socket);
  }

  #run(socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>): Promise<ExtendedError | undefined> {
    const fns = this._fns.slice();
    if (fns.length === 0) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      let i = 0;
      const next = (err?: ExtendedError) => {
        if (err) return resolve(err);
        const fn = fns[i++];
        if (!fn) return resolve(undefined);
        try {
          fn(socket, next);
        } catch (e) {
          resolve(e instanceof Error ? e : new Error(String(e)));
        }
      };
      next();
    });
  }

  /** @internal Forgets a disconnected socket. */
  _remove(socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>): void {
    if (this.sockets.get(socket.id) === socket) this.sockets.delete(socket.id);
    this._cleanupIfEmpty();
  }

  /**
   * @ignore `cleanupEmptyChildNamespaces`: a dynamic child goes once its last socket left (or was refused,
   * or its connection closed before the socket was added).
   */
  _cleanupIfEmpty(): void {
    if (this._parent && this.sockets.size === 0 && this.server._opts.cleanupEmptyChildNamespaces) {
      this._parent._removeChild(this);
    }
  }

  /** @internal the dynamic parent that created this namespace (`io.of(regexp | fn)`), if any */
  _parent: ParentNamespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData> | undefined;

  // ---- broadcast shortcuts ------------------------------------------------------------------------------

  #operator(): BroadcastOperator<EmitEvents, SocketData> {
    return new BroadcastOperator(this.adapter, new Set(), new Set(), {}, this.sockets);
  }

  /** Targets a room (or rooms) for the next emit. */
  to(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.#operator().to(room);
  }

  /** Same as `to`. */
  in(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.#operator().in(room);
  }

  /** Excludes a room (or rooms) from the next broadcast. */
  except(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.#operator().except(room);
  }

  /** Emits an event to every socket of the namespace. */
  emit<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: EventParams<EmitEvents, Ev>): boolean {
    return this.#operator().emit(ev, ...args);
  }

  /** Emits to every socket of the namespace and resolves with their acks. */
  emitWithAck<Ev extends EventNamesWithAck<EmitEvents>>(
    ev: Ev,
    ...args: EmitWithAckArgs<EmitEvents, Ev>
  ): Promise<EmitWithAckResult<EmitEvents, Ev>[]> {
    return this.#operator().emitWithAck<Ev>(ev, ...args);
  }

  /** Emits a `message` event to every socket of the namespace. */
  send(...args: unknown[]): this {
    (this.emit as (ev: string, ...a: unknown[]) => boolean)("message", ...args);
    return this;
  }

  /** Same as `send`. */
  write(...args: unknown[]): this {
    return this.send(...args);
  }

  /** Next broadcast may be dropped for sockets that are not ready to receive it. */
  get volatile(): BroadcastOperator<EmitEvents, SocketData> {
    return this.#operator().volatile;
  }

  /** Next broadcast only reaches sockets of this server. */
  get local(): BroadcastOperator<EmitEvents, SocketData> {
    return this.#operator().local;
  }

  /** Whether the next broadcast is compressed. */
  compress(compress: boolean): BroadcastOperator<EmitEvents, SocketData> {
    return this.#operator().compress(compress);
  }

  /** Next broadcast expects acks within `ms`. */
  timeout(ms: number): BroadcastOperator<EmitEvents, SocketData> {
    return this.#operator().timeout(ms);
  }

  /** The ids of the sockets of this namespace, fleet-wide. */
  allSockets(): Promise<Set<SocketId>> {
    return this.#operator().allSockets();
  }

  /** The sockets of this namespace, fleet-wide. */
  fetchSockets(): Promise<RemoteSocketLike<EmitEvents, SocketData>[]> {
    return this.#operator().fetchSockets();
  }

  /** Makes the matching sockets join a room (or rooms). */
  socketsJoin(room: Room | Room[]): void {
    this.#operator().socketsJoin(room);
  }

  /** Makes the matching sockets leave a room (or rooms). */
  socketsLeave(room: Room | Room[]): void {
    this.#operator().socketsLeave(room);
  }

  /** Disconnects the matching sockets; `close` also closes their connections. */
  disconnectSockets(close = false): void {
    this.#operator().disconnectSockets(close);
  }

  /**
   * Emits to the other nodes of the cluster (received there as `io.on(ev, ...)`); alone, there are none.
   * With a trailing callback it gets `(err, responses)` once every other node answered.
   */
  serverSideEmit<Ev extends EventNames<ServerSideEvents>>(ev: Ev, ...args: unknown[]): boolean {
    if (typeof ev === "string" && ["connect", "connection", "new_namespace"].includes(ev)) {
      throw new Error(`"${ev}" is a reserved event name`);
    }
    // the room store delivers to the other nodes and, with a trailing callback, answers it
    this.adapter.serverSideEmit([ev, ...args]);
    return true;
  }

  /** Emits an event to this namespace on the other servers and resolves with their acks. */
  serverSideEmitWithAck<Ev extends EventNames<ServerSideEvents>>(ev: Ev, ...args: unknown[]): Promise<unknown[]> {
    return new Promise((resolve, reject) => {
      this.serverSideEmit(ev, ...args, (err: (Error & { responses?: unknown[] }) | null, responses: unknown[]) => {
        if (!err) return resolve(responses);
        err.responses = responses; // as socket.io: the answers that did arrive before the timeout
        reject(err);
      });
    });
  }

  /** @internal A `serverSideEmit` from another node: emitted to this namespace's listeners (`io.on(ev, …)`). */
  _onServerSideEmit(args: unknown[]): void {
    this._emit(...(args as [string, ...unknown[]]));
  }

  /** @internal Emitted on a child namespace's own listeners; used by the parent of dynamic namespaces. */
  _emitConnection(socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>): void {
    this._emit("connect", socket);
    this._emit("connection", socket);
  }
}

/** Parent of the namespaces created on demand by `io.of(regexp | fn)`. */
export type NamespaceMatcher = (
  name: string,
  auth: Record<string, unknown>,
  next: (err: Error | null, allow: boolean) => void,
) => void;

/** The parent of dynamic namespaces (`io.of(/regexp/)` or `io.of(fn)`): what is done on it applies to every child. */
export class ParentNamespace<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
  ServerSideEvents extends EventsMap = DefaultEventsMap,
  // deno-lint-ignore no-explicit-any -- socket.io's default `SocketData` is any
  SocketData = any,
> extends Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData> {
  static #count = 0;
  /** The child namespaces created so far. */
  readonly children: Set<Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>> = new Set();

  /** @ignore Created by `io.of(matcher)`. */
  constructor(
    server: Server<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
    readonly matcher: NamespaceMatcher,
  ) {
    super(server, `/_${ParentNamespace.#count++}`);
  }

  /** No sockets of its own: its broadcasts (`parent.to(room).emit()`) go to every child's store. */
  override _initAdapter(): InMemoryAdapter {
    return new ParentBroadcastAdapter(this);
  }

  /**
   * Creates the child for `name` and registers it on the server: it shares the parent's middlewares and
   * reports connections to it.
   */
  createChild(name: string): Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData> {
    const child = new Namespace(this.server, name);
    child._fns = this._fns; // same array: middlewares added to the parent later apply too
    child._parent = this;
    child._on(
      "connection",
      (socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => this._emitConnection(socket),
    );
    this.children.add(child);
    this.server._nsps.set(name, child);
    this.server._emit("new_namespace", child);
    return child;
  }

  /** @internal `cleanupEmptyChildNamespaces`: forget an empty child; a later CONNECT creates it again. */
  _removeChild(child: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>): void {
    if (!this.children.delete(child)) return;
    if (this.server._nsps.get(child.name) === child) this.server._nsps.delete(child.name);
    void Promise.resolve(child.adapter.close()).catch(() => {});
  }

  /** Emits an event to every socket of every child namespace. */
  override emit<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: EventParams<EmitEvents, Ev>): boolean {
    for (const child of this.children) child.emit(ev, ...args);
    return true;
  }
}

/** socket.io's ParentBroadcastAdapter: a broadcast on a parent namespace reaches the matching sockets of each child. */
class ParentBroadcastAdapter extends InMemoryAdapter {
  // deno-lint-ignore no-explicit-any
  constructor(readonly parent: ParentNamespace<any, any, any, any>) {
    super(parent._delivery);
  }

  override broadcast(packet: Packet, opts: BroadcastOptions): void {
    for (const child of this.parent.children) child.adapter.broadcast({ ...packet, nsp: child.name }, opts);
  }
}
