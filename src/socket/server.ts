/**
 * socket.io's `Server`: options, namespaces (static and dynamic), the main namespace's shortcuts, and the
 * Engine.IO server underneath. Runtime adapters call `handle(request, ctx)`.
 */
import { Emitter } from "../util/emitter.ts";
import type { ClientFiles, Fanout, RequestContext } from "../ports.ts";
import { ClientBundle } from "./client-bundle.ts";
import { EngineServer } from "../engine/server.ts";
import type { EngineOptions } from "../engine/options.ts";
import { type Reply, type RequestLike, toResponse } from "../engine/http.ts";
import { InMemoryAdapter } from "../rooms/memory.ts";
import { SessionAwareAdapter } from "../rooms/session-aware.ts";
import type { Room, SocketId, StoreNamespace } from "../rooms/types.ts";
import type { BroadcastOperator, RemoteSocketLike } from "./broadcast.ts";
import { Client } from "./client.ts";
import { type Middleware, Namespace, type NamespaceMatcher, ParentNamespace } from "./namespace.ts";
import type { Socket } from "./socket.ts";
import type { DefaultEventsMap, EventNames, EventParams, EventsMap } from "./typed-events.ts";
import { checkServerOptions, notAPortioStore } from "./options.ts";
import { createLogger, type Logger } from "../util/logger.ts";

export interface ConnectionStateRecoveryOptions {
  /** how long a disconnected session can be restored, in ms (default 2 minutes) */
  maxDisconnectionDuration?: number;
  /** skip middlewares for a restored session (default true) */
  skipMiddlewares?: boolean;
}

/** The room store factory: `new Server({ adapter: (nsp) => new MyStore(nsp) })`. */
export type AdapterFactory = (nsp: StoreNamespace) => InMemoryAdapter;

export interface ServerOptions extends EngineOptions {
  /** ms a connection has to join a namespace before it is closed (default 45000) */
  connectTimeout?: number;
  /** at most this many binary attachments per packet (default 10) */
  maxAttachments?: number;
  /** connection state recovery, off by default as in socket.io */
  connectionStateRecovery?: ConnectionStateRecoveryOptions;
  /** the room store; in-memory by default */
  adapter?: AdapterFactory;
  /** remove dynamic child namespaces once empty (default false) */
  cleanupEmptyChildNamespaces?: boolean;
  /** serve the socket.io client bundle under `path` where the runtime adapter can read it (default true) */
  serveClient?: boolean;
  /**
   * where debug lines, warnings and errors go (default: `console` for warnings and errors, debug lines when
   * `DEBUG=portio:*`); any object with debug/info/warn/error, such as `console`, pino or winston
   */
  logger?: Partial<Logger>;
  // accepted with socket.io's types and ignored (see README "Options"); listed so typed apps compile
  /** not implemented: only socket.io's default parser is spoken */
  parser?: object;
  /** not implemented: WebSocket frames are not compressed */
  perMessageDeflate?: boolean | object;
  /** not implemented: polling responses are not compressed */
  httpCompression?: boolean | object;
  /** not implemented: each runtime adapter brings its own WebSocket server */
  wsEngine?: unknown;
  /** not implemented */
  initialPacket?: unknown;
  /** not implemented: the runtime adapter answers upgrades that are not Portio's */
  destroyUpgrade?: boolean;
  /** not implemented (see destroyUpgrade) */
  destroyUpgradeTimeout?: number;
}

interface ResolvedServerOptions {
  connectTimeout: number;
  maxAttachments: number;
}

export interface ServerReservedEvents<S> {
  connection: (socket: S) => void;
  connect: (socket: S) => void;
  new_namespace: (nsp: Namespace) => void;
}

type ServerEvents<L extends EventsMap, E extends EventsMap, S extends EventsMap, D> =
  & ServerReservedEvents<Socket<L, E, S, D>>
  & S;

export class Server<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
  ServerSideEvents extends EventsMap = DefaultEventsMap,
  // deno-lint-ignore no-explicit-any
  SocketData = any,
> extends Emitter<ServerEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>> {
  readonly engine: EngineServer;
  readonly sockets: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>;
  readonly _nsps = new Map<string, Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>();
  readonly _opts: ResolvedServerOptions;
  readonly _recovery: Required<ConnectionStateRecoveryOptions> | undefined;
  #parents = new Map<NamespaceMatcher, ParentNamespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>();
  #adapterFactory: AdapterFactory | undefined;
  #serveClientGiven: boolean | undefined;
  #serveClient: boolean;
  #bundle: ClientBundle | undefined;

  /** debug lines, warnings and errors of the socket.io layer (the `logger` option, else console + DEBUG) */
  readonly logger: Logger;

  constructor(opts: ServerOptions = {}) {
    super();
    this.logger = createLogger("socket", (opts as ServerOptions | undefined)?.logger);
    checkServerOptions(opts, this.logger);
    opts ??= {};
    this.engine = new EngineServer(opts);
    this._opts = { connectTimeout: opts.connectTimeout ?? 45000, maxAttachments: opts.maxAttachments ?? 10 };
    this._recovery = opts.connectionStateRecovery
      ? {
        maxDisconnectionDuration: opts.connectionStateRecovery.maxDisconnectionDuration ?? 2 * 60 * 1000,
        skipMiddlewares: opts.connectionStateRecovery.skipMiddlewares ?? true,
      }
      : undefined;
    this.#adapterFactory = opts.adapter && portioStoreFactory(opts.adapter);
    this.#serveClientGiven = opts.serveClient;
    this.#serveClient = opts.serveClient ?? true;
    this.sockets = this.of("/") as Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>;
    this.engine.on("connection", (conn) => new Client(this, conn));
  }

  // As in socket.io, the server's listener methods are the main namespace's: `io.on("connection")` and
  // `io.on(ev)` for `serverSideEmit` events both land there. Only "new_namespace" is the server's own.
  override on<E extends EventNames<ServerEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>>(
    ev: E,
    listener: ServerEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>[E],
  ): this {
    if (ev === "new_namespace") return super.on(ev, listener);
    this.sockets._on(ev, listener);
    return this;
  }

  override once<E extends EventNames<ServerEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>>(
    ev: E,
    listener: ServerEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>[E],
  ): this {
    if (ev === "new_namespace") return super.once(ev, listener);
    (this.sockets.once as (e: unknown, l: unknown) => unknown)(ev, listener);
    return this;
  }

  override off<E extends EventNames<ServerEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>>(
    ev?: E,
    listener?: ServerEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>[E],
  ): this {
    if (ev === "new_namespace") return super.off(ev, listener);
    (this.sockets.off as (e: unknown, l: unknown) => unknown)(ev, listener);
    return this;
  }

  override listeners<E extends EventNames<ServerEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>>(
    ev: E,
  ): ServerEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>[E][] {
    if (ev === "new_namespace") return super.listeners(ev);
    return (this.sockets.listeners as (e: unknown) => never[])(ev);
  }

  override listenerCount<E extends EventNames<ServerEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>>(
    ev: E,
  ): number {
    if (ev === "new_namespace") return super.listenerCount(ev);
    return (this.sockets.listenerCount as (e: unknown) => number)(ev);
  }

  _createAdapter(nsp: StoreNamespace): InMemoryAdapter {
    if (this.#adapterFactory) {
      const store: unknown = this.#adapterFactory(nsp);
      if (!(store instanceof InMemoryAdapter)) {
        // let the foreign store release what it opened (a Redis reader) before refusing it
        void Promise.resolve().then(() => (store as { close?: () => unknown } | null)?.close?.()).catch(() => {});
        throw notAPortioStore("a factory whose store is not a Portio one");
      }
      return store;
    }
    if (this._recovery) return new SessionAwareAdapter(nsp, this._recovery.maxDisconnectionDuration);
    return new InMemoryAdapter(nsp);
  }

  /**
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
  serveClient(v: boolean): this;
  serveClient(v?: boolean): this | boolean {
    if (v === undefined) return this.#serveClient;
    this.#serveClient = v;
    return this;
  }

  /** socket.io's `io.path(p)`: the endpoint's path, for requests from now on. */
  path(): string;
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
    if (this.#bundle && this.#serveClient && req.method === "GET" && req.url.includes("/socket.io.")) {
      const url = new URL(req.url);
      const name = ClientBundle.fileOf(url.pathname, this.engine.opts.path.replace(/\/$/, ""));
      if (name) return this.#bundle.reply(req, name);
    }
    return this.engine.respond(req, ctx);
  }

  /** An adapter that can read `socket.io-client/dist` hands it over (`serveClient`, see ports.ts). */
  setClientFiles(files: ClientFiles): void {
    this.#bundle = new ClientBundle(files);
  }

  /** Whether `url` is for this server (its `path`), for adapters that route upgrades themselves. */
  matches(url: Pick<URL, "pathname">): boolean {
    return this.engine.matches(url);
  }

  /** An adapter hands over the runtime's native fan-out (Bun's `server.publish`). */
  setFanout(fanout: Fanout): void {
    this.engine.fanout = fanout;
  }

  /** Largest message a runtime should accept on a WebSocket for this server. */
  get maxPayload(): number {
    return this.engine.opts.maxHttpBufferSize;
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
      if (fn) parent._on("connect", fn);
      return parent;
    }
    if (name[0] !== "/") name = "/" + name;
    let nsp = this._nsps.get(name);
    if (!nsp) {
      nsp = new Namespace(this, name);
      this._nsps.set(name, nsp);
      if (name !== "/") this._emit("new_namespace", nsp);
    }
    if (fn) nsp._on("connect", fn);
    return nsp;
  }

  /** The namespace a CONNECT for `name` goes to: a static one, or a new child of a matching parent. */
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
      const child = parent.createChild(name);
      this._nsps.set(name, child);
      this._emit("new_namespace", child);
      return child;
    }
    return undefined;
  }

  // ---- main namespace shortcuts -------------------------------------------------------------------------

  use(fn: Middleware<Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>): this {
    this.sockets.use(fn);
    return this;
  }

  to(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.sockets.to(room);
  }

  in(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.sockets.in(room);
  }

  except(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.sockets.except(room);
  }

  emit<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: EventParams<EmitEvents, Ev>): boolean {
    return this.sockets.emit(ev, ...args);
  }

  emitWithAck<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: unknown[]): Promise<unknown> {
    return this.sockets.emitWithAck(ev, ...args);
  }

  send(...args: unknown[]): this {
    this.sockets.send(...args);
    return this;
  }

  write(...args: unknown[]): this {
    return this.send(...args);
  }

  serverSideEmit<Ev extends EventNames<ServerSideEvents>>(ev: Ev, ...args: unknown[]): boolean {
    return this.sockets.serverSideEmit(ev, ...args);
  }

  serverSideEmitWithAck<Ev extends EventNames<ServerSideEvents>>(ev: Ev, ...args: unknown[]): Promise<unknown[]> {
    return this.sockets.serverSideEmitWithAck(ev, ...args);
  }

  get volatile(): BroadcastOperator<EmitEvents, SocketData> {
    return this.sockets.volatile;
  }

  get local(): BroadcastOperator<EmitEvents, SocketData> {
    return this.sockets.local;
  }

  compress(compress: boolean): BroadcastOperator<EmitEvents, SocketData> {
    return this.sockets.compress(compress);
  }

  timeout(ms: number): BroadcastOperator<EmitEvents, SocketData> {
    return this.sockets.timeout(ms);
  }

  allSockets(): Promise<Set<SocketId>> {
    return this.sockets.allSockets();
  }

  fetchSockets(): Promise<RemoteSocketLike<EmitEvents, SocketData>[]> {
    return this.sockets.fetchSockets();
  }

  socketsJoin(room: Room | Room[]): void {
    this.sockets.socketsJoin(room);
  }

  socketsLeave(room: Room | Room[]): void {
    this.sockets.socketsLeave(room);
  }

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
    const Store = adapter as unknown as new (nsp: StoreNamespace) => InMemoryAdapter;
    return (nsp) => new Store(nsp);
  }
  const source = Function.prototype.toString.call(adapter);
  const classLike = /^class[\s{]/.test(source) ||
    (typeof proto === "object" && proto !== null && Object.getOwnPropertyNames(proto).length > 1);
  if (classLike) throw notAPortioStore(`the class ${adapter.name || "(anonymous)"}`);
  return adapter;
}
