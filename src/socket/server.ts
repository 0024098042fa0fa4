/**
 * socket.io's `Server`: options, namespaces (static and dynamic), the main namespace's shortcuts, and the
 * Engine.IO server underneath. Runtime adapters call `handle(request, ctx)`.
 */
import { Emitter } from "../util/emitter.ts";
import type { Fanout, RequestContext, WebTransportInfo, WebTransportSessionLike } from "../ports.ts";
import type { WebTransportAcceptor } from "../engine/webtransport.ts";
import type { ClientBundle } from "./client-bundle.ts";
import { EngineServer } from "../engine/server.ts";
import type { SessionRouter } from "../engine/forward.ts";
import type { EngineOptions } from "../engine/options.ts";
import { type Reply, type RequestLike, toResponse } from "../engine/http.ts";
import { InMemoryAdapter } from "../rooms/memory.ts";
import { DEFAULT_RECOVERY_BUFFER_BYTES, MemoryRecoveryLog } from "../rooms/session-aware.ts";
import type { Room, SocketId, StoreContext } from "../rooms/types.ts";
import type { BroadcastOperator, RemoteSocketLike } from "./broadcast.ts";
import { Client } from "./client.ts";
import { type Middleware, Namespace, type NamespaceMatcher, ParentNamespace } from "./namespace.ts";
import type { Socket } from "./socket.ts";
import type {
  DefaultEventsMap,
  EmitWithAckArgs,
  EmitWithAckResult,
  EventNames,
  EventNamesWithAck,
  EventParams,
  EventsMap,
} from "./typed-events.ts";
import { checkServerOptions, notAPortioStore } from "./options.ts";
import { customCodec, type CustomParser, defaultCodec, type PacketCodec } from "./codec.ts";
import { createLogger, type Logger } from "../util/logger.ts";

/** Options of `connectionStateRecovery` (socket.io's names and defaults). */
export interface ConnectionStateRecoveryOptions {
  /** how long a disconnected session can be restored, in ms (default 2 minutes) */
  maxDisconnectionDuration?: number;
  /** skip middlewares for a restored session (default true) */
  skipMiddlewares?: boolean;
  /**
   * Portio's own: bytes of broadcasts kept for recovery per namespace (default 64 MiB), the oldest evicted
   * first; a client whose offset was evicted connects without recovery (`socket.recovered` false)
   */
  maxBufferBytes?: number;
}

/**
 * The room store factory: `new Server({ adapter: (ctx) => new MyStore(ctx) })`; `ctx` is what the namespace
 * gives its store (see docs/room-store.md).
 */
export type AdapterFactory = (ctx: StoreContext) => InMemoryAdapter;
/** A room store class, the way socket.io takes it: `new Server({ adapter: MyStore })`. */
export type AdapterConstructor = new (ctx: StoreContext) => InMemoryAdapter;

/** Options of `new Server(options)`: socket.io's server options plus the engine's (`EngineOptions`). */
export interface ServerOptions extends EngineOptions {
  /** ms a connection has to join a namespace before it is closed (default 45000) */
  connectTimeout?: number;
  /** at most this many binary attachments per packet (default 10) */
  maxAttachments?: number;
  /** connection state recovery, off by default as in socket.io */
  connectionStateRecovery?: ConnectionStateRecoveryOptions;
  /** the room store (a factory, or a class as socket.io takes it); in-memory by default */
  adapter?: AdapterFactory | AdapterConstructor;
  /** remove dynamic child namespaces once empty (default false) */
  cleanupEmptyChildNamespaces?: boolean;
  /** serve the socket.io client bundle under `path` where the runtime adapter can read it (default true) */
  serveClient?: boolean;
  /**
   * where debug lines, warnings and errors go (default: `console` for warnings and errors, debug lines when
   * `DEBUG=portio:*`); any object with debug/info/warn/error, such as `console`, pino or winston
   */
  logger?: Partial<Logger>;
  /**
   * a custom Socket.IO parser with socket.io-parser's shape (`Encoder`, `Decoder`), e.g.
   * `import * as msgpackParser from "socket.io-msgpack-parser"`; clients must use the same one
   */
  parser?: CustomParser;
  // accepted with socket.io's types and ignored (see README "Options"); listed so typed apps compile
  /** not implemented: each runtime adapter brings its own WebSocket server */
  wsEngine?: unknown;
  /** not implemented: the runtime adapter answers upgrades that are not Portio's */
  destroyUpgrade?: boolean;
  /** not implemented (see destroyUpgrade) */
  destroyUpgradeTimeout?: number;
}

interface ResolvedServerOptions {
  connectTimeout: number;
  maxAttachments: number;
  cleanupEmptyChildNamespaces: boolean;
}

/** Events a `Server` emits itself, besides the `ServerSideEvents` of other nodes. */
export interface ServerReservedEvents<S> {
  /** A socket connected to the main namespace (after the middlewares). */
  connection: (socket: S) => void;
  /** Alias of `connection`. */
  connect: (socket: S) => void;
  /** A dynamic namespace (RegExp or function matcher) was created. */
  new_namespace: (nsp: Namespace) => void;
}

/** Every event a `Server` emits: its own and the `ServerSideEvents` of the other nodes. */
export type ServerEvents<L extends EventsMap, E extends EventsMap, S extends EventsMap, D> =
  & ServerReservedEvents<Socket<L, E, S, D>>
  & S;

/** A server of any event maps. */
// deno-lint-ignore no-explicit-any -- servers of every event map
export type AnyServer = Server<any, any, any, any>;

/**
 * The socket.io server: namespaces, middlewares, rooms and broadcasts, typed by its event maps. A runtime
 * entry (`portio/node`, `portio/deno`, …) serves it.
 */
export class Server<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
  ServerSideEvents extends EventsMap = DefaultEventsMap,
  // deno-lint-ignore no-explicit-any -- socket.io's default `SocketData` is any
  SocketData = any,
> extends Emitter<ServerEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>> {
  /** The Engine.IO server underneath (`io.engine.on("connection_error" | "initial_headers" | "headers", …)`). */
  readonly engine: EngineServer;
  /** The main namespace (`/`). */
  readonly sockets: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>;
  /** @internal Namespaces by name, for the room store and the client. */
  readonly _nsps: Map<string, Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>> = new Map();
  /** @internal Resolved options, for the namespaces. */
  readonly _opts: ResolvedServerOptions;
  /** @internal The parser every packet of this server goes through (the `parser` option). */
  readonly _codec: PacketCodec;
  /** @internal Resolved recovery options, or undefined when recovery is off. */
  readonly _recovery: Required<ConnectionStateRecoveryOptions> | undefined;
  #parents = new Map<NamespaceMatcher, ParentNamespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>();
  #regexParents = new Map<RegExp, ParentNamespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>();
  #adapterGiven: AdapterFactory | AdapterConstructor | undefined;
  #adapterFactory: AdapterFactory | undefined;
  #serveClientGiven: boolean | undefined;
  #serveClient: boolean;
  #bundle: ClientBundle | undefined;

  /** debug lines, warnings and errors of the socket.io layer (the `logger` option, else console + DEBUG) */
  readonly logger: Logger;

  /** Creates a server; nothing listens until a runtime entry serves it. */
  constructor(opts: ServerOptions = {}) {
    super();
    this.logger = createLogger("socket", (opts as ServerOptions | undefined)?.logger);
    checkServerOptions(opts, this.logger);
    opts ??= {};
    this.engine = new EngineServer(opts);
    this._opts = {
      connectTimeout: opts.connectTimeout ?? 45000,
      maxAttachments: opts.maxAttachments ?? 10,
      cleanupEmptyChildNamespaces: !!opts.cleanupEmptyChildNamespaces,
    };
    this._codec = opts.parser ? customCodec(opts.parser) : defaultCodec(this._opts.maxAttachments);
    this._recovery = opts.connectionStateRecovery
      ? {
        maxDisconnectionDuration: opts.connectionStateRecovery.maxDisconnectionDuration ?? 2 * 60 * 1000,
        skipMiddlewares: opts.connectionStateRecovery.skipMiddlewares ?? true,
        maxBufferBytes: opts.connectionStateRecovery.maxBufferBytes ?? DEFAULT_RECOVERY_BUFFER_BYTES,
      }
      : undefined;
    this.#adapterFactory = opts.adapter && portioStoreFactory(opts.adapter as AdapterFactory);
    this.#adapterGiven = opts.adapter;
    this.#serveClientGiven = opts.serveClient;
    this.#serveClient = opts.serveClient ?? true;
    this.sockets = this.of("/") as Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>;
    this.engine.on("connection", (conn) => new Client(this, conn));
    // a fleet's store may route sessions between nodes (no sticky sessions: engine/forward.ts)
    const router = routerOf(opts.adapter);
    if (router) this.engine.setRouter(router);
  }

  // As in socket.io, the server's listener methods are the main namespace's: `io.on("connection")` and
  // `io.on(ev)` for `serverSideEmit` events both land there. Only "new_namespace" is the server's own.
  /** Listens to `connection` (and the other server events) on the main namespace. */
  override on<E extends EventNames<ServerEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>>(
    ev: E,
    listener: ServerEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>[E],
  ): this {
    if (ev === "new_namespace") return super.on(ev, listener);
    this.sockets._on(ev, listener);
    return this;
  }

  /** Listens once to a server event. */
  override once<E extends EventNames<ServerEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>>(
    ev: E,
    listener: ServerEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>[E],
  ): this {
    if (ev === "new_namespace") return super.once(ev, listener);
    (this.sockets.once as (e: unknown, l: unknown) => unknown)(ev, listener);
    return this;
  }

  /** Removes a listener of a server event (all of them without `listener`, all events without `event`). */
  override off<E extends EventNames<ServerEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>>(
    ev?: E,
    listener?: ServerEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>[E],
  ): this {
    if (ev === "new_namespace") return super.off(ev, listener);
    (this.sockets.off as (e: unknown, l: unknown) => unknown)(ev, listener);
    return this;
  }

  /** The listeners of a server event. */
  override listeners<E extends EventNames<ServerEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>>(
    ev: E,
  ): ServerEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>[E][] {
    if (ev === "new_namespace") return super.listeners(ev);
    return (this.sockets.listeners as (e: unknown) => never[])(ev);
  }

  /** How many listeners a server event has. */
  override listenerCount<E extends EventNames<ServerEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>>(
    ev: E,
  ): number {
    if (ev === "new_namespace") return super.listenerCount(ev);
    return (this.sockets.listenerCount as (e: unknown) => number)(ev);
  }

  /**
   * socket.io's `io.adapter(Store)`: replaces the room store of every namespace (members are not carried
   * over, as in socket.io: set it before clients connect). Without an argument, returns the current one.
   */
  adapter(): AdapterFactory | AdapterConstructor | undefined;
  /** Sets the room store of every namespace (a class or a factory). */
  adapter(factory: AdapterFactory | AdapterConstructor): this;
  adapter(factory?: AdapterFactory | AdapterConstructor): this | AdapterFactory | AdapterConstructor | undefined {
    if (factory === undefined) return this.#adapterGiven;
    this.#adapterFactory = portioStoreFactory(factory as AdapterFactory);
    this.#adapterGiven = factory;
    const router = routerOf(factory);
    if (router) this.engine.setRouter(router);
    for (const nsp of this._nsps.values()) {
      const old = nsp.adapter;
      nsp.adapter = nsp._initAdapter();
      void Promise.resolve(old.close()).catch(() => {});
    }
    return this;
  }

  /** @internal The room store of a new namespace (the `adapter` option, or the in-memory store). */
  _createAdapter(ctx: StoreContext): InMemoryAdapter {
    if (this.#adapterFactory) {
      const store: unknown = this.#adapterFactory(ctx);
      if (!(store instanceof InMemoryAdapter)) {
        // let the foreign store release what it opened (a Redis reader) before refusing it
        void Promise.resolve().then(() => (store as { close?: () => unknown } | null)?.close?.()).catch(() => {});
        throw notAPortioStore("a factory whose store is not a Portio one");
      }
      return store;
    }
    if (this._recovery) {
      // the in-memory store composed with the memory recovery log (what `SessionAwareAdapter` names)
      const { maxDisconnectionDuration, maxBufferBytes } = this._recovery;
      return new InMemoryAdapter(ctx, new MemoryRecoveryLog(maxDisconnectionDuration, maxBufferBytes));
    }
    return new InMemoryAdapter(ctx);
  }

  /** @internal
   * Options given after construction (a runtime entry's `attach(srv, opts)`): checked like the
   * constructor's; constructor options win, as in socket.io.
   */
  _configure(opts: ServerOptions | undefined): void {
    if (!opts) return;
    checkServerOptions(opts, this.logger);
    this.engine.configure(opts);
    if (opts.serveClient !== undefined && this.#serveClientGiven === undefined) this.#serveClient = opts.serveClient;
  }

  /** socket.io's `io.serveClient(v)`: whether the client bundle is served under the path (default true). */
  serveClient(): boolean;
  /** Sets whether the client bundle is served. */
  serveClient(v: boolean): this;
  serveClient(v?: boolean): this | boolean {
    if (v === undefined) return this.#serveClient;
    this.#serveClient = v;
    return this;
  }

  /** socket.io's `io.path(p)`: the endpoint's path, for requests from now on. */
  path(): string;
  /** Sets the path for requests from now on. */
  path(v: string): this;
  path(v?: string): this | string {
    if (v === undefined) return this.engine.opts.path.replace(/\/$/, "");
    checkServerOptions({ path: v }, this.logger);
    this.engine.configure({ path: v }, true);
    return this;
  }

  // ---- adapter-facing -----------------------------------------------------------------------------------

  /** Answers a request for this server's path, or undefined when the path is not ours. */
  async handle(req: Request, ctx?: RequestContext): Promise<Response | undefined> {
    const r = await this.respond(req, ctx);
    return r && toResponse(r);
  }

  /** `handle` as a `Reply` record, for adapters that write responses themselves (Node). */
  respond(req: RequestLike, ctx?: RequestContext): Promise<Reply | undefined> {
    // the client bundle: a GET for a `.js`/`.map` name, checked cheaply before the engine's URL parse
    // (an unparsable URL, from a bad Host header, is the engine's to refuse)
    if (this.#bundle && this.#serveClient && req.method === "GET" && req.url.includes("/socket.io.")) {
      const r = this.#bundle.serve(req, this.engine.opts.path.replace(/\/$/, ""), this.engine.opts.cors);
      if (r) return r;
    }
    return this.engine.respond(req, ctx);
  }

  /**
   * The client bundle to serve (`serveClient`): `clientBundle(files)`. Adapters that can read
   * `socket.io-client/dist` hand it over; elsewhere (Workers) the app does, so bundles without it stay small.
   */
  setClientFiles(bundle: ClientBundle): void {
    this.#bundle = bundle;
  }

  /** Whether `url` is for this server (its `path`), for adapters that route upgrades themselves. */
  matches(url: Pick<URL, "pathname">): boolean {
    return this.engine.matches(url);
  }

  /** An adapter serves WebTransport for this server with `accept` (see `EngineServer.offerWebTransport`). */
  offerWebTransport(accept?: WebTransportAcceptor): boolean {
    return this.engine.offerWebTransport(accept);
  }

  /** A WebTransport session from the adapter (socket.io: `io.engine.onWebTransportSession(session)`). */
  onWebTransportSession(session: WebTransportSessionLike, info?: WebTransportInfo): Promise<void> {
    return this.engine.onWebTransportSession(session, info);
  }

  /** An adapter hands over the runtime's native fan-out (Bun's `server.publish`). */
  setFanout(fanout: Fanout): void {
    this.engine.fanout = fanout;
  }

  /** Largest message a runtime should accept on a WebSocket for this server. */
  get maxPayload(): number {
    return this.engine.opts.maxHttpBufferSize;
  }

  /** Bytes a connection may have queued before it is closed as a slow consumer. */
  get maxBufferedAmount(): number {
    return this.engine.opts.maxBufferedAmount;
  }

  /** WebSocket compression the runtime adapter should negotiate (`perMessageDeflate`), or false. */
  get perMessageDeflate(): false | { threshold: number } {
    return this.engine.opts.perMessageDeflate;
  }

  /** When the Node adapter ends an unanswered upgrade for another path (`destroyUpgrade`), or false. */
  get destroyUpgrade(): false | { timeout: number } {
    return this.engine.opts.destroyUpgrade;
  }

  // ---- namespaces ---------------------------------------------------------------------------------------

  /** Returns (creating it if needed) a namespace; a RegExp or function makes a dynamic parent namespace. */
  of(
    name: string | RegExp | NamespaceMatcher,
    fn?: (socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void,
  ): Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData> {
    if (typeof name === "function" || name instanceof RegExp) {
      const matcher: NamespaceMatcher = typeof name === "function"
        ? name
        : (n, _auth, next) => next(null, (name as RegExp).test(n));
      const parent = new ParentNamespace(this, matcher);
      this.#parents.set(matcher, parent);
      if (name instanceof RegExp) this.#regexParents.set(name, parent);
      if (fn) parent._on("connect", fn);
      return parent;
    }
    if (name[0] !== "/") name = "/" + name;
    let nsp = this._nsps.get(name);
    if (!nsp) {
      // as socket.io: a name matching a RegExp parent becomes its child (its middlewares, its listeners)
      for (const [regexp, parent] of this.#regexParents) {
        if (!regexp.test(name)) continue;
        nsp = parent.createChild(name);
        break;
      }
    }
    if (!nsp) {
      nsp = new Namespace(this, name);
      this._nsps.set(name, nsp);
      if (name !== "/") this._emit("new_namespace", nsp);
    }
    if (fn) nsp._on("connect", fn);
    return nsp;
  }

  /** @internal The namespace a CONNECT for `name` goes to: a static one, or a new child of a matching parent. */
  async _namespaceFor(
    name: string,
    auth: Record<string, unknown>,
  ): Promise<Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData> | undefined> {
    const existing = this._nsps.get(name);
    if (existing) return existing;
    for (const [matcher, parent] of this.#parents) {
      const allowed = await new Promise<boolean>((resolve) => {
        try {
          matcher(name, auth, (err, allow) => resolve(!err && !!allow));
        } catch {
          resolve(false);
        }
      });
      if (!allowed) continue;
      const again = this._nsps.get(name); // another client may have created it meanwhile
      if (again) return again;
      return parent.createChild(name);
    }
    return undefined;
  }

  // ---- main namespace shortcuts -------------------------------------------------------------------------

  /** Adds a middleware of the main namespace: it runs for each connecting socket; `next(err)` refuses it. */
  use(fn: Middleware<Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>): this {
    this.sockets.use(fn);
    return this;
  }

  /** Targets a room (or rooms) of the main namespace for the next emit. */
  to(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.sockets.to(room);
  }

  /** Same as `to`. */
  in(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.sockets.in(room);
  }

  /** Excludes a room (or rooms) from the next broadcast. */
  except(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.sockets.except(room);
  }

  /** Emits an event to every socket of the main namespace. */
  emit<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: EventParams<EmitEvents, Ev>): boolean {
    return this.sockets.emit(ev, ...args);
  }

  /** Emits to every socket of the main namespace and resolves with their acks (rejects on `timeout()`). */
  emitWithAck<Ev extends EventNamesWithAck<EmitEvents>>(
    ev: Ev,
    ...args: EmitWithAckArgs<EmitEvents, Ev>
  ): Promise<EmitWithAckResult<EmitEvents, Ev>[]> {
    return this.sockets.emitWithAck<Ev>(ev, ...args);
  }

  /** Emits a `message` event to every socket of the main namespace. */
  send(...args: unknown[]): this {
    this.sockets.send(...args);
    return this;
  }

  /** Same as `send`. */
  write(...args: unknown[]): this {
    return this.send(...args);
  }

  /** Emits an event to the other servers of the fleet (through the room store). */
  serverSideEmit<Ev extends EventNames<ServerSideEvents>>(ev: Ev, ...args: unknown[]): boolean {
    return this.sockets.serverSideEmit(ev, ...args);
  }

  /** Emits an event to the other servers of the fleet and resolves with their acks. */
  serverSideEmitWithAck<Ev extends EventNames<ServerSideEvents>>(ev: Ev, ...args: unknown[]): Promise<unknown[]> {
    return this.sockets.serverSideEmitWithAck(ev, ...args);
  }

  /** Next broadcast may be dropped for sockets that are not ready to receive it. */
  get volatile(): BroadcastOperator<EmitEvents, SocketData> {
    return this.sockets.volatile;
  }

  /** Next broadcast only reaches sockets of this server (not the rest of the fleet). */
  get local(): BroadcastOperator<EmitEvents, SocketData> {
    return this.sockets.local;
  }

  /** Whether the next broadcast is compressed. */
  compress(compress: boolean): BroadcastOperator<EmitEvents, SocketData> {
    return this.sockets.compress(compress);
  }

  /** Next broadcast expects acks within `ms`; the callback gets an error after that. */
  timeout(ms: number): BroadcastOperator<EmitEvents, SocketData> {
    return this.sockets.timeout(ms);
  }

  /** The ids of the sockets of the main namespace, fleet-wide. */
  allSockets(): Promise<Set<SocketId>> {
    return this.sockets.allSockets();
  }

  /** The sockets of the main namespace, fleet-wide (remote ones as `RemoteSocket`s). */
  fetchSockets(): Promise<RemoteSocketLike<EmitEvents, SocketData>[]> {
    return this.sockets.fetchSockets();
  }

  /** Makes the matching sockets join a room (or rooms). */
  socketsJoin(room: Room | Room[]): void {
    this.sockets.socketsJoin(room);
  }

  /** Makes the matching sockets leave a room (or rooms). */
  socketsLeave(room: Room | Room[]): void {
    this.sockets.socketsLeave(room);
  }

  /** Disconnects the matching sockets; `close` also closes their connections. */
  disconnectSockets(close = false): void {
    this.sockets.disconnectSockets(close);
  }

  /** Disconnects every client ("server shutting down") and stops the room stores. */
  async close(): Promise<void> {
    for (const nsp of this._nsps.values()) {
      for (const socket of [...nsp.sockets.values()]) socket._onclose("server shutting down");
    }
    this.engine.close();
    for (const nsp of this._nsps.values()) await nsp.adapter.close();
  }
}

/**
 * The `adapter` option as a factory. A Portio store class is accepted as socket.io accepts its adapter class;
 * any other class is a socket.io adapter (socket.io-redis' `RedisAdapter`, …), refused with a pointer to
 * portio/redis. A plain factory is checked when it first returns a store (`_createAdapter`).
 */
function portioStoreFactory(adapter: AdapterFactory): AdapterFactory {
  const proto = (adapter as { prototype?: unknown }).prototype;
  if (proto instanceof InMemoryAdapter) {
    const Store = adapter as unknown as AdapterConstructor;
    return (ctx) => new Store(ctx);
  }
  const source = Function.prototype.toString.call(adapter);
  const classLike = /^class[\s{]/.test(source) ||
    (typeof proto === "object" && proto !== null && Object.getOwnPropertyNames(proto).length > 1);
  if (classLike) throw notAPortioStore(`the class ${adapter.name || "(anonymous)"}`);
  return adapter;
}

/** The router a room store's factory carries (`createAdapter(...)` of `portio/redis`), if any. */
function routerOf(factory: unknown): SessionRouter | undefined {
  const r = (factory as { sessionRouter?: SessionRouter } | null | undefined)?.sessionRouter;
  return r && typeof r.route === "function" ? r : undefined;
}
