/**
 * The Engine.IO v4 server on `Request`/`Response`: request verification with the spec's error table,
 * handshake, polling GET/POST, WebSocket sessions and upgrades. Adapters call `handle(request, ctx)`.
 */
import { Emitter } from "../util/emitter.ts";
import type { Fanout, RequestContext, WebSocketHandler, WebSocketLike } from "../ports.ts";
import { corsHeaders } from "./cors.ts";
import { ERROR_CODES, EngineRequestError } from "./errors.ts";
import { type EngineOptions, type ResolvedEngineOptions, resolveEngineOptions, serializeCookie } from "./options.ts";
import { decodePayload, EngineParseError } from "./packet.ts";
import { EngineSocket, type SessionConfig } from "./socket.ts";
import { PollingTransport, WebSocketTransport } from "./transports.ts";
import { PayloadTooLargeError, readBodyLimited } from "./body.ts";
import { randomId } from "../util/id.ts";

export interface ConnectionError {
  req: Request;
  code: number;
  message: string;
  context: Record<string, unknown>;
}

export interface EngineServerEvents {
  connection: (socket: EngineSocket) => void;
  connection_error: (err: ConnectionError) => void;
  /** handshake response headers, mutable (socket.io: `io.engine.on("initial_headers", ...)`) */
  initial_headers: (headers: Record<string, string>, req: Request) => void;
  /** every response's headers, mutable */
  headers: (headers: Record<string, string>, req: Request) => void;
}

export class EngineServer extends Emitter<EngineServerEvents> {
  readonly opts: ResolvedEngineOptions;
  readonly clients = new Map<string, EngineSocket>();
  /** the runtime's native fan-out, set by an adapter that has one (Bun) */
  fanout: Fanout | undefined;
  #session: SessionConfig;

  constructor(opts: EngineOptions = {}) {
    super();
    this.opts = resolveEngineOptions(opts);
    const o = this.opts;
    this.#session = {
      pingInterval: o.pingInterval,
      pingTimeout: o.pingTimeout,
      upgradeTimeout: o.upgradeTimeout,
      maxHttpBufferSize: o.maxHttpBufferSize,
      upgrades: o.allowUpgrades && o.transports.includes("websocket") ? ["websocket"] : [],
      scheduler: o.scheduler,
    };
  }

  /** Largest WebSocket message a runtime should accept (the `Servable` port). */
  get maxPayload(): number {
    return this.opts.maxHttpBufferSize;
  }

  get clientsCount(): number {
    return this.clients.size;
  }

  /** Whether a request is for this server (its path). */
  matches(url: URL): boolean {
    return url.pathname === this.opts.path || url.pathname + "/" === this.opts.path;
  }

  /**
   * Answers one request for this server's path. Returns undefined when the path is not ours, so adapters
   * can chain several servers and an app's own routes.
   */
  async handle(req: Request, ctx: RequestContext = {}): Promise<Response | undefined> {
    const url = new URL(req.url);
    if (!this.matches(url)) return undefined;
    let headers = this.opts.cors ? await corsHeaders(this.opts.cors, req, req.method === "OPTIONS") : new Headers();
    if (req.method === "OPTIONS" && this.opts.cors) {
      return new Response(null, { status: this.opts.cors.optionsSuccessStatus ?? 204, headers });
    }
    const q = url.searchParams;
    const transport = q.get("transport") ?? "";
    const sid = q.get("sid");
    const isUpgrade = (req.headers.get("upgrade") ?? "").toLowerCase() === "websocket";
    try {
      await this.#verify(req, q, transport, sid, isUpgrade, ctx);
      if (sid !== null) {
        const session = this.clients.get(sid)!;
        if (transport === "websocket") return this.#upgradeSession(session, req, ctx, headers);
        return await this.#poll(session, req, headers);
      }
      return await this.#handshake(req, transport, ctx, headers);
    } catch (err) {
      if (!(err instanceof EngineRequestError)) throw err;
      if (this.hasListeners("connection_error")) {
        this.emitReserved("connection_error", { req, code: err.code, message: err.message, context: err.context });
      }
      return err.toResponse(headers);
    }
  }

  async #verify(req: Request, q: URLSearchParams, transport: string, sid: string | null, isUpgrade: boolean, ctx: RequestContext): Promise<void> {
    // `includes` on a fixed array: values such as "__proto__" or "constructor" are just unknown names
    if (!(this.opts.transports as string[]).includes(transport)) {
      throw new EngineRequestError(ERROR_CODES.UNKNOWN_TRANSPORT, { transport });
    }
    if (q.get("EIO") !== "4") {
      throw new EngineRequestError(ERROR_CODES.UNSUPPORTED_PROTOCOL_VERSION, { protocol: q.get("EIO") });
    }
    if (transport === "websocket" && (!isUpgrade || !ctx.upgrade)) {
      throw new EngineRequestError(ERROR_CODES.BAD_REQUEST, { name: "TRANSPORT_MISMATCH", transport });
    }
    if (sid !== null) {
      const session = this.clients.get(sid);
      if (!session) throw new EngineRequestError(ERROR_CODES.UNKNOWN_SID, { sid });
      if (session.transport.name !== transport && !(transport === "websocket" && session.transport.name === "polling")) {
        throw new EngineRequestError(ERROR_CODES.BAD_REQUEST, { name: "TRANSPORT_MISMATCH", transport, previousTransport: session.transport.name });
      }
      if (transport === "polling" && req.method !== "GET" && req.method !== "POST") {
        throw new EngineRequestError(ERROR_CODES.BAD_REQUEST, { name: "BAD_METHOD", method: req.method });
      }
      return;
    }
    if (req.method !== "GET") throw new EngineRequestError(ERROR_CODES.BAD_HANDSHAKE_METHOD, { method: req.method });
    const allow = this.opts.allowRequest;
    if (allow) {
      const message = await new Promise<string | undefined>((resolve) => {
        allow(req, (err, success) => resolve(success ? undefined : (err || "Forbidden")));
      });
      if (message !== undefined) throw new EngineRequestError(ERROR_CODES.FORBIDDEN, { message }, message);
    }
  }

  #applyHeaderEvent(event: "initial_headers" | "headers", req: Request, headers: Headers): void {
    if (!this.hasListeners(event)) return;
    const record: Record<string, string> = {};
    this.emitReserved(event, record, req);
    for (const [k, v] of Object.entries(record)) headers.set(k, v);
  }

  async #handshake(req: Request, transport: string, ctx: RequestContext, headers: Headers): Promise<Response | undefined> {
    let id: string;
    try {
      id = this.opts.generateId ? await this.opts.generateId(req) : randomId();
    } catch (cause) {
      throw new EngineRequestError(ERROR_CODES.BAD_REQUEST, { name: "ID_GENERATION_ERROR", error: cause });
    }
    if (this.opts.cookie) headers.append("Set-Cookie", serializeCookie(this.opts.cookie, id));
    this.#applyHeaderEvent("initial_headers", req, headers);
    this.#applyHeaderEvent("headers", req, headers);
    const remote = ctx.remoteAddress ?? "";
    // the session outlives this request; some runtimes (Deno) forbid reading a finished request's headers
    const snapshot = new Request(req.url, { method: req.method, headers: req.headers });
    if (transport === "websocket") {
      const handler = this.#wsHandler((ws) => {
        const session = new EngineSocket(id, snapshot, remote, ws, this.#session);
        this.#register(session);
        return true;
      });
      return ctx.upgrade!(handler, headers);
    }
    const polling = new PollingTransport();
    const session = new EngineSocket(id, snapshot, remote, polling, this.#session);
    this.#register(session);
    // the open packet goes out as the body of this very GET
    const response = polling.handleGet(req, headers);
    return response;
  }

  #register(session: EngineSocket): void {
    this.clients.set(session.id, session);
    session.on("close", () => {
      if (this.clients.get(session.id) === session) this.clients.delete(session.id);
    });
    session.open();
    this.emitReserved("connection", session);
  }

  /**
   * Re-creates an open WebSocket session from a record, bound to a runtime socket that outlived this server
   * object (a Durable Object waking from hibernation, see engine/restore.ts). No handshake, no open packet
   * and no "connection" event: the caller rebuilds the socket.io side (socket/restore.ts) and delivers the
   * socket's messages to the returned handler.
   */
  restoreSession(id: string, request: Request, remoteAddress: string, ws: WebSocketLike, heartbeat: { nextPingIn: number; pongWithin?: number }): { session: EngineSocket; handler: WebSocketHandler } {
    let created: EngineSocket | undefined;
    const handler = this.#wsHandler((transport) => {
      created = new EngineSocket(id, request, remoteAddress, transport, this.#session);
      return true;
    });
    handler.onOpen(ws);
    const session = created!;
    this.clients.set(id, session);
    session.on("close", () => {
      if (this.clients.get(id) === session) this.clients.delete(id);
    });
    session.resume(heartbeat.nextPingIn, heartbeat.pongWithin);
    return { session, handler };
  }

  /** Builds the adapter-facing handler; `attach` decides what the new socket is for. */
  #wsHandler(attach: (ws: WebSocketTransport) => boolean): WebSocketHandler {
    let transport: WebSocketTransport | undefined;
    return {
      onOpen: (ws) => {
        transport = new WebSocketTransport(ws);
        attach(transport);
      },
      onMessage: (data) => transport?.events.onPacket(data),
      onClose: () => {
        if (!transport) return;
        transport.markClosed();
        transport.events.onClose("transport close");
      },
    };
  }

  #upgradeSession(session: EngineSocket, req: Request, ctx: RequestContext, headers: Headers): Response | undefined {
    // a second WebSocket for a session that is upgrading or upgraded is accepted, then closed by
    // `maybeUpgrade` (what engine.io does; the compliance suite expects a 101, not a 400)
    this.#applyHeaderEvent("headers", req, headers);
    const handler = this.#wsHandler((ws) => {
      session.maybeUpgrade(ws);
      return true;
    });
    return ctx.upgrade!(handler, headers);
  }

  async #poll(session: EngineSocket, req: Request, headers: Headers): Promise<Response> {
    const polling = session.transport as PollingTransport;
    this.#applyHeaderEvent("headers", req, headers);
    if (req.method === "GET") {
      if (polling.hasPendingPoll) {
        // spec: a second concurrent GET is an error that closes the session
        session.onClose("transport error", "overlap from client");
        throw new EngineRequestError(ERROR_CODES.BAD_REQUEST, { name: "POLL_OVERLAP" });
      }
      return polling.handleGet(req, headers);
    }
    if (polling.posting) {
      session.onClose("transport error", "data request overlap from client");
      throw new EngineRequestError(ERROR_CODES.BAD_REQUEST, { name: "POST_OVERLAP" });
    }
    polling.posting = true;
    let body: string;
    try {
      body = await readBodyLimited(req, this.opts.maxHttpBufferSize);
    } catch (err) {
      session.onClose("transport error", err instanceof PayloadTooLargeError ? "payload too large" : "body read error");
      headers.set("Content-Type", "text/plain");
      return new Response(err instanceof PayloadTooLargeError ? "Payload Too Large" : "Bad Request", {
        status: err instanceof PayloadTooLargeError ? 413 : 400,
        headers,
      });
    } finally {
      polling.posting = false;
    }
    let packets;
    try {
      packets = decodePayload(body);
    } catch (err) {
      session.onClose("parse error", err instanceof EngineParseError ? err.message : String(err));
      throw new EngineRequestError(ERROR_CODES.BAD_REQUEST, { name: "PARSE_ERROR" });
    }
    for (const packet of packets) {
      if (session.readyState !== "open") break;
      session.onPacket(packet);
    }
    headers.set("Content-Type", "text/html");
    return new Response("ok", { status: 200, headers });
  }

  /** Closes every session (reason "server shutting down" at the socket.io level). */
  close(): void {
    for (const session of [...this.clients.values()]) session.close(true);
  }
}
