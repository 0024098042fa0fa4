/**
 * A namespace: its sockets, its middlewares, its room store, and the broadcast shortcuts socket.io puts on
 * it (`io.of("/x").to(room).emit(...)`). `ParentNamespace` serves dynamic namespaces (RegExp or function).
 */
import type { Logger } from "../util/logger.ts";
import { Emitter } from "../util/emitter.ts";
import type { Fanout, Scheduler } from "../ports.ts";
import { InMemoryAdapter } from "../rooms/memory.ts";
import { SessionAwareAdapter } from "../rooms/session-aware.ts";
import type { Room, SocketId } from "../rooms/types.ts";
import { BroadcastOperator, type RemoteSocketLike } from "./broadcast.ts";
import { buildHandshake } from "./handshake.ts";
import { PacketType } from "./parser.ts";
import { Socket } from "./socket.ts";
import type { Client } from "./client.ts";
import type { Server } from "./server.ts";
import type { DefaultEventsMap, EventNames, EventParams, EventsMap } from "./typed-events.ts";

/** An error a middleware passes to `next`: `message` and `data` reach the client's `connect_error`. */
export interface ExtendedError extends Error {
  data?: unknown;
}

// deno-lint-ignore no-explicit-any
export type Middleware<S = any> = (socket: S, next: (err?: ExtendedError) => void) => void;

// deno-lint-ignore no-explicit-any
export interface NamespaceEvents<S = any> {
  connection: (socket: S) => void;
  connect: (socket: S) => void;
}

export class Namespace<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
  ServerSideEvents extends EventsMap = DefaultEventsMap,
  // deno-lint-ignore no-explicit-any
  SocketData = any,
> extends Emitter<NamespaceEvents<Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>> & ServerSideEvents> {
  readonly sockets = new Map<SocketId, Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>();
  adapter: InMemoryAdapter;
  _fns: Middleware<Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>[] = [];
  #ackId = 0;

  constructor(
    readonly server: Server<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
    readonly name: string,
  ) {
    super();
    this.adapter = server._createAdapter(this);
  }

  get scheduler(): Scheduler {
    return this.server.engine.opts.scheduler;
  }

  get fanout(): Fanout | undefined {
    return this.server.engine.fanout;
  }

  /** the server's logger, for its room store */
  get logger(): Logger {
    return this.server.logger;
  }

  /** sockets of this namespace with `onAnyOutgoing` listeners (kept by Socket) */
  _outgoingListeners = 0;

  _nextAckId(): number {
    return this.#ackId++;
  }

  /** Adds a connection middleware: `(socket, next) => next()` or `next(err)` to refuse. */
  use(fn: Middleware<Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>): this {
    this._fns.push(fn);
    return this;
  }

  /** A CONNECT arrived for this namespace on `client`. */
  async _add(client: Client, auth: Record<string, unknown>): Promise<void> {
    const handshake = buildHandshake(client.conn.request, client.conn.remoteAddress, auth);
    let session = null;
    const recovery = this.server._recovery;
    if (recovery && typeof auth.pid === "string" && typeof auth.offset === "string") {
      try {
        session = await this.adapter.restoreSession(auth.pid, auth.offset);
      } catch {
        session = null; // a store that cannot answer means a fresh session, not a failed connection
      }
    }
    const socket = new Socket(this, client, handshake, session ?? undefined);
    if (!(session && recovery?.skipMiddlewares)) {
      const err = await this.#run(socket);
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
    if (client.conn.readyState !== "open") return;
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

  _remove(socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>): void {
    if (this.sockets.get(socket.id) === socket) this.sockets.delete(socket.id);
  }

  // ---- broadcast shortcuts ------------------------------------------------------------------------------

  #operator(): BroadcastOperator<EmitEvents, SocketData> {
    return new BroadcastOperator(this.adapter);
  }

  to(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.#operator().to(room);
  }

  in(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.#operator().in(room);
  }

  except(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.#operator().except(room);
  }

  emit<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: EventParams<EmitEvents, Ev>): boolean {
    return this.#operator().emit(ev, ...args);
  }

  emitWithAck<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: unknown[]): Promise<unknown> {
    return this.#operator().emitWithAck(ev, ...args);
  }

  send(...args: unknown[]): this {
    (this.emit as (ev: string, ...a: unknown[]) => boolean)("message", ...args);
    return this;
  }

  write(...args: unknown[]): this {
    return this.send(...args);
  }

  get volatile(): BroadcastOperator<EmitEvents, SocketData> {
    return this.#operator().volatile;
  }

  get local(): BroadcastOperator<EmitEvents, SocketData> {
    return this.#operator().local;
  }

  compress(compress: boolean): BroadcastOperator<EmitEvents, SocketData> {
    return this.#operator().compress(compress);
  }

  timeout(ms: number): BroadcastOperator<EmitEvents, SocketData> {
    return this.#operator().timeout(ms);
  }

  allSockets(): Promise<Set<SocketId>> {
    return this.#operator().allSockets();
  }

  fetchSockets(): Promise<RemoteSocketLike<EmitEvents, SocketData>[]> {
    return this.#operator().fetchSockets();
  }

  socketsJoin(room: Room | Room[]): void {
    this.#operator().socketsJoin(room);
  }

  socketsLeave(room: Room | Room[]): void {
    this.#operator().socketsLeave(room);
  }

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

  serverSideEmitWithAck<Ev extends EventNames<ServerSideEvents>>(ev: Ev, ...args: unknown[]): Promise<unknown[]> {
    return new Promise((resolve, reject) => {
      this.serverSideEmit(ev, ...args, (err: (Error & { responses?: unknown[] }) | null, responses: unknown[]) => {
        if (!err) return resolve(responses);
        err.responses = responses; // as socket.io: the answers that did arrive before the timeout
        reject(err);
      });
    });
  }

  /** A `serverSideEmit` from another node: emitted to this namespace's listeners (`io.on(ev, …)`). */
  _onServerSideEmit(args: unknown[]): void {
    this._emit(...(args as [string, ...unknown[]]));
  }

  /** Emitted on a child namespace's own listeners; used by the parent of dynamic namespaces. */
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

export class ParentNamespace<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
  ServerSideEvents extends EventsMap = DefaultEventsMap,
  // deno-lint-ignore no-explicit-any
  SocketData = any,
> extends Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData> {
  static #count = 0;
  readonly children = new Set<Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>();

  constructor(
    server: Server<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
    readonly matcher: NamespaceMatcher,
  ) {
    super(server, `/_${ParentNamespace.#count++}`);
  }

  /** Creates the child for `name`: it shares the parent's middlewares and reports connections to it. */
  createChild(name: string): Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData> {
    const child = new Namespace(this.server, name);
    child._fns = this._fns; // same array: middlewares added to the parent later apply too
    child._on(
      "connection",
      (socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => this._emitConnection(socket),
    );
    this.children.add(child);
    return child;
  }

  override emit<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: EventParams<EmitEvents, Ev>): boolean {
    for (const child of this.children) child.emit(ev, ...args);
    return true;
  }
}
