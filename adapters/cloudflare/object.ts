/**
 * The Durable Object side: holds the connections, rooms and recovery state of one shard. WebSockets are
 * accepted through the Hibernation API, so the object can leave memory with its clients connected; on the
 * next event (a message, a close, the heartbeat alarm, a request) a fresh instance rebuilds every session
 * from the sockets' attachments and storage (core: src/hibernation/) before handling it.
 */
import { Server, type ServerOptions, type Socket } from "../../src/index.ts";
import type { RequestContext, WebSocketHandler, WebSocketLike } from "../../src/runtime.ts";
import { StorageSessionAdapter } from "../../src/room-store.ts";
import { AlarmScheduler, Hibernation } from "../../src/hibernation/index.ts";
import type { CloudflareWebSocket, DurableObjectStateLike, WebSocketPairConstructor } from "./types.ts";
import { OBJECT_HEADER, PEER_HEADER, sessionIdFor } from "./worker.ts";

const bind = (ws: CloudflareWebSocket): WebSocketLike => ({
  send: (data) => ws.send(data),
  close: (code, reason) => ws.close(code, reason),
});

/** A close the runtime may refuse (already closed): nothing is left to release then. */
function closeQuietly(ws: CloudflareWebSocket, code: number, reason = ""): void {
  try {
    ws.close(code, reason);
  } catch {
    // already closed
  }
}

const DISCARD_LIMIT = 1 << 20;

async function discard(body: ReadableStream<Uint8Array>): Promise<void> {
  const reader = body.getReader();
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      total += value.byteLength;
      if (total > DISCARD_LIMIT) return void reader.cancel().catch(() => {});
    }
  } catch {
    // the client went away
  }
}

/** A room-store factory told which server (path) it serves before the server is built (a fleet's). */
interface ServerBound {
  _serves?(path: string, io: () => Server | undefined): void;
}

/**
 * Extend it, build your servers in `setup()` with `this.server(options)`, and write the app as on any
 * runtime (`io.on("connection", …)`). `setup` runs on every instance: after a wake the app's connection
 * listeners run again for each restored socket, with `socket.restored === true`.
 *
 * ```ts
 * export class Chat extends PortioObject<Env> {
 *   setup() {
 *     const io = this.server({ connectionStateRecovery: {} });
 *     io.on("connection", (socket) => { … });
 *   }
 * }
 * ```
 */
export abstract class PortioObject<Env = unknown> {
  /** The Durable Object's state (storage, WebSockets). */
  readonly ctx: DurableObjectStateLike;
  /** The Worker's bindings. */
  readonly env: Env;
  /** drives every server's heartbeats from one storage alarm (see AlarmScheduler) */
  readonly scheduler: AlarmScheduler;
  #servers: Array<{ io: Server; keeper: Hibernation }> = [];
  #handlers = new Map<CloudflareWebSocket, WebSocketHandler>();
  #started: Promise<void> | undefined;
  /** the last start of this instance: runtime sockets found, sessions restored, ms taken (setup + restore) */
  lastStart: { sockets: number; restored: number; ms: number } | undefined;
  /**
   * @ignore Handlers of requests from the other objects of the binding, by server path: a fleet room store
   * (portio/cloudflare/fleet) registers here, so this file does not pull it into apps that do not use it.
   */
  readonly _peers: Map<string, (request: Request) => Promise<Response>> = new Map();

  /** Called by the runtime; runs `setup()` and restores hibernated connections before the first event. */
  constructor(ctx: DurableObjectStateLike, env: Env) {
    this.ctx = ctx;
    this.env = env;
    this.scheduler = new AlarmScheduler(ctx.storage);
  }

  /** Builds the app: create servers with `this.server(options)` and register listeners. */
  abstract setup(): void | Promise<void>;

  /**
   * A Server living in this object, with your options plus what the object needs: the alarm scheduler,
   * session ids that route back here, and connection state recovery kept in the object's storage.
   */
  server(options: ServerOptions = {}): Server {
    const path = (options.path ?? "/socket.io").replace(/\/$/, "") + "/";
    // a room store that must know its server (a fleet's, portio/cloudflare/fleet) learns it before it is built
    const built: { io?: Server } = {};
    (options.adapter as ServerBound | undefined)?._serves?.(path, () => built.io);
    const storage = this.ctx.storage;
    const recovery = options.connectionStateRecovery;
    const io = new Server({
      // Off unless asked for: a Worker sees the Accept-Encoding Cloudflare sends it, not the client's, and
      // Cloudflare compresses responses for the client itself (workerd hands a Content-Encoding body on as is)
      httpCompression: false,
      ...options,
      scheduler: this.scheduler,
      generateId: options.generateId ?? ((req) => sessionIdFor(req.headers.get(OBJECT_HEADER))),
      adapter: options.adapter ??
        (recovery
          ? (nsp) =>
            new StorageSessionAdapter(nsp, storage, {
              prefix: `pio:${path}:`,
              maxDisconnectionDuration: recovery.maxDisconnectionDuration ?? 120_000,
              maxBufferBytes: recovery.maxBufferBytes,
            })
          : undefined),
    });
    built.io = io;
    // before the app's listeners: records are written before app code runs
    this.#servers.push({ io, keeper: new Hibernation(io, storage) });
    return io;
  }

  /**
   * Stores `socket.data` now. It is stored by itself after each message of the socket's own connection and
   * on room changes; call this after changing it at another moment (after an `await`, from another socket).
   */
  persist(socket: Socket): void {
    for (const { keeper } of this.#servers) {
      if (keeper.path === socket.nsp.server.engine.opts.path) keeper.flush(socket);
    }
  }

  /** Runs `setup`, then restores every hibernated socket, once per instance and before any event. */
  #start(): Promise<void> {
    return (this.#started ??= this.ctx.blockConcurrencyWhile(async () => {
      const t0 = Date.now();
      await this.setup();
      const sockets = this.ctx.getWebSockets().map((ws) => ({ ws, like: bind(ws) }));
      for (const { keeper } of this.#servers) {
        for (const [ws, handler] of await keeper.restore(sockets)) {
          this.#handlers.set(ws as CloudflareWebSocket, handler);
        }
      }
      // no record (a probe caught mid-upgrade, a write that failed): the client reconnects
      for (const { ws } of sockets) if (!this.#handlers.has(ws)) closeQuietly(ws, 1011, "session lost");
      this.lastStart = { sockets: sockets.length, restored: this.#handlers.size, ms: Date.now() - t0 };
    }).catch((err: unknown) => {
      // a `setup` that threw is tried again by the next event, from scratch
      this.#started = undefined;
      this.#servers = [];
      this.#handlers.clear();
      throw err;
    }));
  }

  /** Answers the requests the Worker forwards (polling, WebSocket upgrades). */
  async fetch(request: Request): Promise<Response> {
    await this.#start();
    const peer = request.headers.get(PEER_HEADER);
    if (peer !== null) return this._peers.get(peer)?.(request) ?? new Response(null, { status: 404 });
    const url = new URL(request.url);
    const entry = this.#servers.find((s) => s.io.matches(url));
    if (!entry) return new Response("Not Found", { status: 404 });
    // the Worker's edge sets CF-Connecting-IP; an object has no socket of its own to ask
    const ctx: RequestContext = { remoteAddress: request.headers.get("cf-connecting-ip") ?? undefined };
    if ((request.headers.get("upgrade") ?? "").toLowerCase() === "websocket") {
      ctx.upgrade = (handler, headers) => {
        const pair = new (globalThis as unknown as { WebSocketPair: WebSocketPairConstructor }).WebSocketPair();
        this.#accept(pair[1], handler, (open) => entry.keeper.accept(pair[1], url.searchParams.get("sid"), open));
        return new Response(null, { status: 101, headers, webSocket: pair[0] } as ResponseInit);
      };
    }
    const response = (await entry.io.handle(request, ctx)) ?? new Response("Not Found", { status: 404 });
    // A body refused unread (413 on its Content-Length) is read away first, as Node's server does: workerd
    // resets a keep-alive connection whose request body was left unread, and the client's next request on
    // it fails. Past DISCARD_LIMIT the connection is not worth saving.
    if (request.body && !request.bodyUsed) await discard(request.body);
    return response;
  }

  /**
   * Binds a new socket to the engine, then accepts it. workerd delivers a server-side close on a
   * hibernatable socket only after the client has sent a frame, so a socket the engine closes while
   * opening it (a second WebSocket for an upgraded session) is accepted the standard way instead: it has
   * nothing to hibernate for. What the engine sends meanwhile (the open packet) goes out after acceptance.
   */
  #accept(server: CloudflareWebSocket, handler: WebSocketHandler, open: (onOpen: () => void) => void): void {
    const early: Array<string | Uint8Array> = [];
    let closed: [number | undefined, string | undefined] | undefined;
    let accepted = false;
    open(() =>
      handler.onOpen({
        send: (data) => (accepted ? server.send(data) : void early.push(data)),
        close: (code, reason) => (accepted ? server.close(code, reason) : void (closed ??= [code, reason])),
      })
    );
    if (closed) {
      server.accept();
      for (const data of early) server.send(data);
      return server.close(...closed);
    }
    this.ctx.acceptWebSocket(server);
    this.#handlers.set(server, handler);
    accepted = true;
    for (const data of early) server.send(data);
  }

  /** Hibernation API: a message on an accepted WebSocket. */
  async webSocketMessage(ws: CloudflareWebSocket, message: string | ArrayBuffer): Promise<void> {
    await this.#start();
    const handler = this.#handlers.get(ws);
    if (!handler) return closeQuietly(ws, 1011, "session lost");
    handler.onMessage(typeof message === "string" ? message : new Uint8Array(message));
  }

  /** Hibernation API: an accepted WebSocket closed. */
  async webSocketClose(ws: CloudflareWebSocket, code: number, reason: string): Promise<void> {
    await this.#start();
    const handler = this.#handlers.get(ws);
    this.#handlers.delete(ws);
    handler?.onClose(code, reason);
    // completes the closing handshake (compatibility dates before web_socket_auto_reply_to_close need it);
    // 1005/1006 are reserved and cannot be sent
    closeQuietly(ws, code === 1005 || code === 1006 ? 1000 : code, reason);
  }

  /** Hibernation API: an accepted WebSocket failed. */
  async webSocketError(ws: CloudflareWebSocket, _error: unknown): Promise<void> {
    await this.webSocketClose(ws, 1006, "error");
  }

  /** The storage alarm that drives heartbeats and timeouts. */
  async alarm(): Promise<void> {
    await this.#start();
    this.scheduler.fire();
  }
}
