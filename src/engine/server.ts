/**
 * The Engine.IO v4 server on `Request`/`Response`: request verification with the spec's error table,
 * handshake, polling GET/POST, WebSocket sessions and upgrades. Adapters call `handle(request, ctx)`.
 */
import { Emitter } from "../util/emitter.ts";
import type {
  Fanout,
  RequestContext,
  WebSocketHandler,
  WebSocketLike,
  WebTransportInfo,
  WebTransportSessionLike,
} from "../ports.ts";
import type { WebTransportAcceptor } from "./webtransport.ts";
import { corsHeaders } from "./cors.ts";
import { compressReply, mayCompress } from "./compression.ts";
import { HeaderList, type Reply, reply, type RequestLike, snapshotRequest, toResponse } from "./http.ts";
import { EngineRequestError, ERROR_CODES } from "./errors.ts";
import { type EngineOptions, type ResolvedEngineOptions, resolveEngineOptions, serializeCookie } from "./options.ts";
import { decodePayload, EngineParseError } from "./packet.ts";
import { EngineSocket, type SessionConfig } from "./socket.ts";
import { type EngineProtocol, PollingTransport, WebSocketTransport } from "./transports.ts";
import { decodeBinaryPayloadV3, decodePayloadV3 } from "./packet-v3.ts";
import { BodyTimeoutError, PayloadTooLargeError, readBodyLimited, readBytesLimited, withinDeadline } from "./body.ts";
import { randomId } from "../util/id.ts";
import { createLogger, type Logger } from "../util/logger.ts";
import { errorKind, logLimited } from "../util/log-limiter.ts";
import { applyMiddlewares, type EngineMiddleware, keepWhatMiddlewaresSet } from "./middleware.ts";
import type { SessionRouter } from "./forward.ts";
import { type QueryLike, splitUrl } from "./url.ts";

export type { EngineMiddleware, MiddlewareResponse } from "./middleware.ts";

/** Logged when a WebTransport session arrives and no adapter handed the engine its acceptor. */
const NO_WEBTRANSPORT = 'WebTransport is served by portio/deno (README "WebTransport"): session closed';

/** A `Sec-WebSocket-Key`: 16 random bytes in base64 (RFC 6455 §4.1) */
const WS_KEY = /^[A-Za-z0-9+/]{21}[AQgw]==$/;
/** A refused request, as the `connection_error` event reports it. */
export interface ConnectionError {
  /** The refused request. */
  req: RequestLike;
  /** The Engine.IO error code. */
  code: number;
  /** The error message. */
  message: string;
  /** Details (for example the transport or session id). */
  context: Record<string, unknown>;
}

/** Events of the engine server (`io.engine`). */
export interface EngineServerEvents {
  /** A new Engine.IO session. */
  connection: (socket: EngineSocket) => void;
  /** A request was refused. */
  connection_error: (err: ConnectionError) => void;
  /** handshake response headers, mutable (socket.io: `io.engine.on("initial_headers", ...)`) */
  initial_headers: (headers: Record<string, string>, req: RequestLike) => void;
  /** every response's headers, mutable */
  headers: (headers: Record<string, string>, req: RequestLike) => void;
}

/** The adapter-facing side of one WebSocket (a class: it lives as long as the connection, see ports.ts). */
class WsBinding implements WebSocketHandler {
  #transport: WebSocketTransport | undefined;
  #attach: ((ws: WebSocketTransport) => boolean) | undefined;
  #protocol: EngineProtocol;

  constructor(attach: (ws: WebSocketTransport) => boolean, protocol: EngineProtocol) {
    this.#attach = attach;
    this.#protocol = protocol;
  }

  onOpen(ws: WebSocketLike): void {
    this.#transport = new WebSocketTransport(ws, this.#protocol);
    this.#attach!(this.#transport);
    this.#attach = undefined; // its closure holds the handshake's request: let it go
  }

  onMessage(data: string | Uint8Array): void {
    this.#transport?.events.onPacket(data);
  }

  onClose(): void {
    const t = this.#transport;
    if (!t) return;
    t.markClosed();
    t.events.onClose("transport close");
  }
}

/** The Engine.IO server (engine.io's `Server`): handshakes, sessions, polling and WebSocket transports. */
export class EngineServer extends Emitter<EngineServerEvents> {
  /** The resolved options. */
  readonly opts: ResolvedEngineOptions;
  /** The open sessions by id. */
  readonly clients: Map<string, EngineSocket> = new Map();
  /** the runtime's native fan-out, set by an adapter that has one (Bun) */
  fanout: Fanout | undefined;
  /** Where the engine reports debug lines, warnings and errors (the `logger` option). */
  readonly logger: Logger;
  #session: SessionConfig;
  #given: EngineOptions;
  #middlewares: EngineMiddleware[] = [];
  #webTransportOffered = false;
  /** handed by the adapter serving WebTransport: the transport stays out of bundles that do not serve it */
  #acceptWebTransport: WebTransportAcceptor | undefined;
  #router: SessionRouter | undefined;

  /** @ignore Created by the socket.io `Server`. */
  constructor(opts: EngineOptions = {}) {
    super();
    this.#given = opts;
    this.opts = resolveEngineOptions(opts);
    this.logger = createLogger("engine", opts.logger);
    this.#session = this.#sessionConfig();
  }

  /** What every new session reads from the resolved options (one object, shared by all sessions). */
  #sessionConfig(): SessionConfig {
    const o = this.opts;
    return {
      pingInterval: o.pingInterval,
      pingTimeout: o.pingTimeout,
      upgradeTimeout: o.upgradeTimeout,
      maxHttpBufferSize: o.maxHttpBufferSize,
      maxBufferedAmount: o.maxBufferedAmount,
      upgrades: o.allowUpgrades ? this.#upgrades() : [],
      scheduler: o.scheduler,
      logger: this.logger,
      initialPacket: o.initialPacket,
    };
  }

  /** What a polling session may upgrade to: WebTransport only once an adapter serves it (`offerWebTransport`). */
  #upgrades(): string[] {
    const t = this.opts.transports;
    const list = t.includes("websocket") ? ["websocket"] : [];
    if (this.#webTransportOffered && t.includes("webtransport")) list.push("webtransport");
    return list;
  }

  /**
   * Called by an adapter once it accepts WebTransport sessions (Deno's QUIC listener is up), with the
   * acceptor that serves them (`acceptWebTransport` from `portio`; `portio/deno` passes it): handshakes list
   * `webtransport` in `upgrades` from then on. False when `transports` leaves WebTransport out, or when no
   * acceptor was ever handed.
   */
  offerWebTransport(accept?: WebTransportAcceptor): boolean {
    if (accept) this.#acceptWebTransport = accept;
    if (!this.opts.transports.includes("webtransport")) return false;
    if (!this.#acceptWebTransport) {
      this.logger.error(NO_WEBTRANSPORT);
      return false;
    }
    this.#webTransportOffered = true;
    Object.assign(this.#session, this.#sessionConfig());
    return true;
  }

  /**
   * A WebTransport session from the adapter (socket.io's `io.engine.onWebTransportSession(session)`): a new
   * Engine.IO session, or the upgrade of a polling one. Sessions for another path, with `transports` leaving
   * WebTransport out, or failing the open exchange are closed; so is every session until an acceptor was
   * handed (`offerWebTransport(acceptWebTransport)`), with an error logged.
   */
  onWebTransportSession(session: WebTransportSessionLike, info?: WebTransportInfo): Promise<void> {
    const accept = this.#acceptWebTransport;
    if (!accept) {
      this.logger.error(NO_WEBTRANSPORT);
      try {
        session.close({ closeCode: 4403, reason: "WebTransport not served" });
      } catch {
        // already closed
      }
      return Promise.resolve();
    }
    return accept(
      {
        opts: this.opts,
        clients: this.clients,
        logger: this.logger,
        session: this.#session,
        hasMiddlewares: this.#middlewares.length > 0,
        matches: (url) => this.matches(url),
        register: (s) => this.#register(s),
      },
      session,
      info,
    );
  }

  /**
   * Options given after construction (socket.io's `io.attach(srv, opts)`, `io.path(p)`): with socket.io's
   * precedence, those given to the constructor win unless `override`. Sessions opened from now on use them.
   */
  configure(opts: EngineOptions, override = false): void {
    this.#given = override ? { ...this.#given, ...opts } : { ...opts, ...this.#given };
    Object.assign(this.opts, resolveEngineOptions(this.#given));
    Object.assign(this.#session, this.#sessionConfig());
  }

  /** Adds a middleware run on every engine request (see `EngineMiddleware`). */
  use(fn: EngineMiddleware): this {
    this.#middlewares.push(fn);
    return this;
  }

  /**
   * A fleet's session router (see engine/forward.ts): new session ids name this node, and requests for
   * sessions of other nodes are relayed to them. Set by the socket.io `Server` from its room store's factory.
   */
  setRouter(router: SessionRouter): void {
    if (this.#router === router) return;
    this.#router = router;
    // a request another node received for a session of ours: answered as our own (its middlewares ran there)
    router.attach({ opts: this.opts, respond: (req, ctx) => this.#respond(req, ctx, true) });
  }

  /** Bytes a connection may have queued before it is closed as a slow consumer (the `Servable` port). */
  get maxBufferedAmount(): number {
    return this.opts.maxBufferedAmount;
  }

  /** Largest WebSocket message a runtime should accept (the `Servable` port). */
  get maxPayload(): number {
    return this.opts.maxHttpBufferSize;
  }

  /** The number of open sessions. */
  get clientsCount(): number {
    return this.clients.size;
  }

  /**
   * Whether a request is for this server: its path is a prefix of the request's, as in engine.io
   * (`/socket.io/default/?EIO=4` is the engine's, and an unknown file under the path gets the engine's 400
   * "Transport unknown"). The bare path without its trailing slash is accepted too.
   */
  matches(url: Pick<URL, "pathname">): boolean {
    const p = url.pathname;
    return p.startsWith(this.opts.path) || p + "/" === this.opts.path;
  }

  /**
   * Answers one request for this server's path. Returns undefined when the path is not ours, so adapters
   * can chain several servers and an app's own routes.
   */
  async handle(req: Request, ctx: RequestContext = {}): Promise<Response | undefined> {
    const r = await this.respond(req, ctx);
    return r && toResponse(r);
  }

  /** `handle` without the `Response`: Node's adapter writes the `Reply` itself (see engine/http.ts). */
  async respond(req: RequestLike, ctx: RequestContext = {}): Promise<Reply | undefined> {
    try {
      return await this.#respond(req, ctx, false);
    } catch (err) {
      // not a refusal (those are answered below, logged at debug level): a bug, or an app hook that threw
      // (`generateId`, a `cors` origin function). A client can repeat the request at will, so at most one line a
      // minute per kind (util/log-limiter.ts); the answer is the 500 every runtime would give
      logLimited(this.logger, errorKind("request failed", err), "request failed", err);
      const headers = new HeaderList();
      headers.set("Content-Type", "text/plain");
      return reply(500, headers, "Internal Server Error");
    }
  }

  async #respond(req: RequestLike, ctx: RequestContext, forwarded: boolean): Promise<Reply | undefined> {
    const url = splitUrl(req.url);
    if (url === undefined) {
      // a Host header no URL can hold (Node and Deno build the request URL from it; Bun then gives the path
      // alone): a bad request if the path is ours
      const path = /^(?:[a-z][a-z0-9+.-]*:\/\/[^/?#]*)?([^?#]*)/i.exec(req.url)?.[1] || "/";
      if (!this.matches({ pathname: path })) return undefined;
      this.logger.debug(`request refused: invalid URL`);
      return new EngineRequestError(ERROR_CODES.BAD_REQUEST, { name: "INVALID_URL" }).toReply();
    }
    if (!this.matches(url)) return undefined;
    const preflight = req.method === "OPTIONS";
    const headers = this.opts.cors ? await corsHeaders(this.opts.cors, req, preflight) : new HeaderList();
    if (preflight && this.opts.cors) return reply(this.opts.cors.optionsSuccessStatus ?? 204, headers, null);
    const q = url.query;
    const transport = q.get("transport") ?? "";
    const sid = q.get("sid");
    const isUpgrade = (req.headers.get("upgrade") ?? "").toLowerCase() === "websocket";
    try {
      if (this.#middlewares.length && !forwarded) await applyMiddlewares(this.#middlewares, req, ctx, headers);
      // a session of another node (never relayed twice: the owner answers for its own sessions only)
      if (sid !== null && !forwarded && this.#router?.isRemote(sid) && !this.clients.has(sid)) {
        const r = await this.#router.route(sid, req, ctx, headers, this.#onAbort(req, ctx));
        if (r !== undefined) return r ?? undefined;
      }
      const allowing = this.#verify(req, q, transport, sid, isUpgrade, ctx);
      if (allowing) await allowing;
      if (sid !== null) {
        const session = this.clients.get(sid)!;
        if (transport === "websocket") return this.#upgradeSession(session, req, ctx, headers);
        return await this.#poll(session, req, ctx, headers);
      }
      return await this.#handshake(req, q, transport, ctx, headers);
    } catch (err) {
      if (!(err instanceof EngineRequestError)) throw err;
      this.logger.debug(`request refused: ${err.message}`, err.context);
      if (this.hasListeners("connection_error")) {
        this.emitReserved("connection_error", { req, code: err.code, message: err.message, context: err.context });
      }
      return err.toReply(headers);
    }
  }

  /** Throws the refusal; a promise only while the app's `allowRequest` decides on a handshake. */
  #verify(
    req: RequestLike,
    q: QueryLike,
    transport: string,
    sid: string | null,
    isUpgrade: boolean,
    ctx: RequestContext,
  ): Promise<void> | undefined {
    // `includes` on a fixed array: values such as "__proto__" or "constructor" are just unknown names
    // WebTransport never comes as an HTTP request (engine.io refuses it the same way)
    if (!(this.opts.transports as string[]).includes(transport) || transport === "webtransport") {
      throw new EngineRequestError(ERROR_CODES.UNKNOWN_TRANSPORT, { transport });
    }
    if (q.get("EIO") !== "4" && !(q.get("EIO") === "3" && this.opts.allowEIO3)) {
      throw new EngineRequestError(ERROR_CODES.UNSUPPORTED_PROTOCOL_VERSION, { protocol: q.get("EIO") });
    }
    if (transport === "websocket" && (!isUpgrade || !ctx.upgrade)) {
      throw new EngineRequestError(ERROR_CODES.BAD_REQUEST, { name: "TRANSPORT_MISMATCH", transport });
    }
    // RFC 6455 §4.2.1: version 13 and a key that is 16 bytes in base64. Checked here so a bad handshake gets
    // the same 400 everywhere (Deno would throw a 500 with a stack trace, or accept a bad key)
    if (
      transport === "websocket" && (req.headers.get("sec-websocket-version") !== "13" ||
        !WS_KEY.test(req.headers.get("sec-websocket-key") ?? ""))
    ) {
      throw new EngineRequestError(ERROR_CODES.BAD_REQUEST, { name: "INVALID_WEBSOCKET_HANDSHAKE" });
    }
    if (sid !== null) {
      const session = this.clients.get(sid);
      if (!session) throw new EngineRequestError(ERROR_CODES.UNKNOWN_SID, { sid });
      if (
        session.transport.name !== transport && !(transport === "websocket" && session.transport.name === "polling")
      ) {
        throw new EngineRequestError(ERROR_CODES.BAD_REQUEST, {
          name: "TRANSPORT_MISMATCH",
          transport,
          previousTransport: session.transport.name,
        });
      }
      if (transport === "polling" && req.method !== "GET" && req.method !== "POST") {
        throw new EngineRequestError(ERROR_CODES.BAD_REQUEST, { name: "BAD_METHOD", method: req.method });
      }
      return undefined;
    }
    if (req.method !== "GET") throw new EngineRequestError(ERROR_CODES.BAD_HANDSHAKE_METHOD, { method: req.method });
    const allow = this.opts.allowRequest;
    if (!allow) return undefined;
    return new Promise<string | undefined>((resolve) => {
      allow(req, (err, success) => resolve(success ? undefined : (err || "Forbidden")));
    }).then((message) => {
      if (message !== undefined) throw new EngineRequestError(ERROR_CODES.FORBIDDEN, { message }, message);
    });
  }

  #applyHeaderEvent(event: "initial_headers" | "headers", req: RequestLike, headers: HeaderList): void {
    if (!this.hasListeners(event)) return;
    const record: Record<string, string> = {};
    this.emitReserved(event, record, req);
    for (const [k, v] of Object.entries(record)) headers.set(k, v);
  }

  async #handshake(
    req: RequestLike,
    q: QueryLike,
    transport: string,
    ctx: RequestContext,
    headers: HeaderList,
  ): Promise<Reply | undefined> {
    let id: string;
    try {
      id = this.opts.generateId ? await this.opts.generateId(req) : this.#router ? this.#router.newId() : randomId();
    } catch (cause) {
      throw new EngineRequestError(ERROR_CODES.BAD_REQUEST, { name: "ID_GENERATION_ERROR", error: cause });
    }
    if (this.opts.cookie) headers.append("Set-Cookie", serializeCookie(this.opts.cookie, id));
    this.#applyHeaderEvent("initial_headers", req, headers);
    this.#applyHeaderEvent("headers", req, headers);
    const remote = ctx.remoteAddress ?? "";
    // the session outlives this request (see snapshotRequest)
    const snapshot = snapshotRequest(req);
    const protocol: EngineProtocol = q.get("EIO") === "3" ? 3 : 4;
    if (this.#middlewares.length) keepWhatMiddlewaresSet(req, snapshot);
    if (transport === "websocket") {
      const handler = this.#wsHandler((ws) => {
        const session = new EngineSocket(id, snapshot, remote, ws, this.#session, protocol);
        this.#register(session);
        return true;
      }, protocol);
      return this.#upgrade(ctx, handler, headers);
    }
    const polling = new PollingTransport(protocol);
    const session = new EngineSocket(id, snapshot, remote, polling, this.#session, protocol);
    this.#register(session);
    // the open packet goes out as the body of this very GET
    return this.#compress(req, polling.handleGet(this.#onAbort(req, ctx), headers));
  }

  /** `httpCompression`: a polling GET's body, gzip/deflate-encoded when big enough and accepted. */
  #compress(req: RequestLike, pending: Promise<Reply>): Promise<Reply> {
    const threshold = this.opts.compressionThreshold;
    if (threshold === false) return pending;
    // a reply too small to compress (nearly all) is not wrapped in another promise
    return pending.then((r) =>
      mayCompress(r, threshold) ? compressReply(r, req.headers.get("accept-encoding"), threshold) : r
    );
  }

  #register(session: EngineSocket): void {
    this.logger.debug(`handshake ${session.id} over ${session.transport.name}`);
    this.clients.set(session.id, session);
    session._registry = this.clients; // it leaves the map when it closes (no listener closure per session)
    session.open();
    this.emitReserved("connection", session);
  }

  /**
   * Re-creates an open WebSocket session from a record, bound to a runtime socket that outlived this server
   * object (a Durable Object waking from hibernation, see hibernation/engine-restore.ts). No handshake, no open packet
   * and no "connection" event: the caller rebuilds the socket.io side (hibernation/socket-restore.ts) and delivers the
   * socket's messages to the returned handler.
   */
  restoreSession(
    id: string,
    request: RequestLike,
    remoteAddress: string,
    ws: WebSocketLike,
    heartbeat: { nextPingIn: number; pongWithin?: number },
  ): { session: EngineSocket; handler: WebSocketHandler } {
    let created: EngineSocket | undefined;
    // the first request's URL says which protocol the session speaks (a v3 one with `allowEIO3`)
    const protocol: EngineProtocol = new URL(request.url).searchParams.get("EIO") === "3" ? 3 : 4;
    const handler = this.#wsHandler((transport) => {
      created = new EngineSocket(id, request, remoteAddress, transport, this.#session, protocol);
      return true;
    }, protocol);
    handler.onOpen(ws);
    const session = created!;
    this.clients.set(id, session);
    session._registry = this.clients;
    session.resume(heartbeat.nextPingIn, heartbeat.pongWithin);
    return { session, handler };
  }

  /** Builds the adapter-facing handler; `attach` decides what the new socket is for. */
  #wsHandler(attach: (ws: WebSocketTransport) => boolean, protocol: EngineProtocol): WebSocketHandler {
    return new WsBinding(attach, protocol);
  }

  /** Hands the upgrade to the adapter; a 101 `Response` from the runtime (Deno, Workers) is passed through. */
  #upgrade(ctx: RequestContext, handler: WebSocketHandler, headers: HeaderList): Reply | undefined {
    const res = ctx.upgrade!(handler, headers.toHeaders());
    return res ? { status: res.status, headers, body: null, response: res } as Reply : undefined;
  }

  #onAbort(req: RequestLike, ctx: RequestContext): ((cb: () => void) => void) | undefined {
    if (ctx.onAbort) return ctx.onAbort;
    const signal = (req as { signal?: AbortSignal }).signal;
    return signal ? (cb) => signal.addEventListener("abort", cb, { once: true }) : undefined;
  }

  #upgradeSession(
    session: EngineSocket,
    req: RequestLike,
    ctx: RequestContext,
    headers: HeaderList,
  ): Reply | undefined {
    // a second WebSocket for a session that is upgrading or upgraded is accepted, then closed by
    // `maybeUpgrade` (what engine.io does; the compliance suite expects a 101, not a 400)
    this.#applyHeaderEvent("headers", req, headers);
    const handler = this.#wsHandler((ws) => {
      session.maybeUpgrade(ws);
      return true;
    }, session.protocol);
    return this.#upgrade(ctx, handler, headers);
  }

  /** A GET, or a POST (`#post`); not async itself: a parked GET's answer is returned as it is. */
  #poll(session: EngineSocket, req: RequestLike, ctx: RequestContext, headers: HeaderList): Promise<Reply> {
    const polling = session.transport as PollingTransport;
    this.#applyHeaderEvent("headers", req, headers);
    if (req.method === "GET") {
      if (polling.hasPendingPoll) {
        // spec: a second concurrent GET is an error that closes the session
        session.onClose("transport error", "overlap from client");
        throw new EngineRequestError(ERROR_CODES.BAD_REQUEST, { name: "POLL_OVERLAP" });
      }
      return this.#compress(req, polling.handleGet(this.#onAbort(req, ctx), headers));
    }
    return this.#post(session, polling, req, ctx, headers);
  }

  async #post(
    session: EngineSocket,
    polling: PollingTransport,
    req: RequestLike,
    ctx: RequestContext,
    headers: HeaderList,
  ): Promise<Reply> {
    if (polling.posting) {
      session.onClose("transport error", "data request overlap from client");
      throw new EngineRequestError(ERROR_CODES.BAD_REQUEST, { name: "POST_OVERLAP" });
    }
    // a v3 client with XHR2 sends a payload holding binary as bytes (engine.io-parser 2 "binary payload")
    const binaryV3 = session.protocol === 3 &&
      (req.headers.get("content-type") ?? "").startsWith("application/octet-stream");
    polling.posting = true;
    let body: string | Uint8Array;
    try {
      const limit = this.opts.maxHttpBufferSize;
      const declared = req.headers.get("content-length");
      if (declared !== null && Number(declared) > limit) throw new PayloadTooLargeError(`body of ${declared} bytes`);
      const read = binaryV3
        ? (ctx.readBytes ? ctx.readBytes(limit) : readBytesLimited(req, limit))
        : (ctx.readBody ? ctx.readBody(limit) : readBodyLimited(req, limit));
      body = await withinDeadline<string | Uint8Array>(read, this.opts.bodyTimeout, this.opts.scheduler);
    } catch (err) {
      const [status, text, why] = err instanceof PayloadTooLargeError
        ? [413, "Payload Too Large", "payload too large"]
        : err instanceof BodyTimeoutError
        ? [408, "Request Timeout", "body timeout"]
        : [400, "Bad Request", "body read error"];
      session.onClose("transport error", why);
      headers.set("Content-Type", "text/plain");
      // the rest of the body is not read: the connection cannot carry another request
      if (status !== 400) headers.set("Connection", "close");
      return reply(status, headers, text);
    } finally {
      polling.posting = false;
    }
    let packets;
    try {
      packets = typeof body !== "string"
        ? decodeBinaryPayloadV3(body)
        : session.protocol === 3
        ? decodePayloadV3(body)
        : decodePayload(body);
    } catch (err) {
      session.onClose("parse error", err instanceof EngineParseError ? err.message : String(err));
      throw new EngineRequestError(ERROR_CODES.BAD_REQUEST, { name: "PARSE_ERROR" });
    }
    for (const packet of packets) {
      if (session.readyState !== "open") break;
      session.onPacket(packet);
    }
    headers.set("Content-Type", "text/html");
    return reply(200, headers, "ok");
  }

  /** Closes every session (reason "server shutting down" at the socket.io level). */
  close(): void {
    for (const session of [...this.clients.values()]) session.close(true);
  }
}
