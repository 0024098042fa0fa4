/**
 * Deno adapter: `Deno.serve` and `Deno.upgradeWebSocket`. A translation layer only; no `node:` imports.
 */
import type { ClientFiles, RequestContext, Servable, WebSocketHandler } from "../../src/runtime.ts";
import { clientBundle } from "../../src/index.ts";
import {
  assertWebTransportAvailable,
  serveWebTransport,
  type WebTransportHandle,
  type WebTransportServeOptions,
} from "./webtransport.ts";

export { serveWebTransport, type WebTransportHandle, type WebTransportServeOptions };

const BUNDLE_FILE = /^socket\.io(\.msgpack|\.esm)?(\.min)?\.js(\.map)?$/;

/**
 * The socket.io client bundle for `serveClient`, from `node_modules/socket.io-client` under `dir` (default:
 * the working directory, where Deno 2 installs an app's npm packages). Undefined when it is absent or the
 * process may not read it (`--allow-read`).
 */
export function readClientFiles(dir: string = Deno.cwd()): ClientFiles | undefined {
  const root = `${dir}/node_modules/socket.io-client`;
  let version: string;
  try {
    version = (JSON.parse(Deno.readTextFileSync(`${root}/package.json`)) as { version: string }).version;
  } catch {
    return undefined;
  }
  return {
    version,
    read: (name) =>
      BUNDLE_FILE.test(name)
        ? Deno.readFile(`${root}/dist/${name}`).catch(() => undefined)
        : Promise.resolve(undefined),
  };
}

/** Options of `serve` (and, without `port`/`hostname`, of `createHandler`). */
export interface ServeOptions extends HandlerOptions {
  /** port to listen on; default 3000, 0 for any free port */
  port?: number;
  /** interface to listen on; default all */
  hostname?: string;
  /** requests no Portio server claims (an app's own routes) */
  fetch?: (req: Request) => Response | Promise<Response>;
  /**
   * serve WebTransport too, on the same port number over UDP (QUIC), with this certificate and key; the
   * servers' `transports` must include `"webtransport"`, and deno must run with `--unstable-net`
   */
  webTransport?: WebTransportServeOptions;
}

/** How the handler watches requests. */
export interface HandlerOptions {
  /**
   * Close a polling session as soon as its client drops a parked GET, by listening to `request.signal`.
   * Off by default: in its default (legacy) mode `Deno.serve` also aborts that signal after every
   * successful response and prints a warning when a handler reads it, so turn this on together with
   * `--unstable-no-legacy-abort` (or `"unstable": ["no-legacy-abort"]` in deno.json). When off, a
   * client that vanishes mid-poll is closed by the heartbeat (`pingInterval + pingTimeout`), as one that
   * vanishes on a WebSocket is.
   */
  abortSignal?: boolean;
}

/** A running Deno server started by `serve`. */
export interface DenoServerHandle {
  /** The port it listens on. */
  readonly port: number;
  /** The hostname it listens on. */
  readonly hostname: string;
  /** the WebTransport endpoint, when `webTransport` was given */
  readonly webTransport?: WebTransportHandle;
  /** Closes the Portio servers, then shuts the HTTP server (and WebTransport) down. */
  close(): Promise<void>;
}

/** The part of `Deno.ServeHandlerInfo` Portio reads (the peer address). */
export interface ConnInfo {
  /** The peer address. */
  remoteAddr?: { hostname?: string };
}

/** Binds one upgraded Deno WebSocket to the core's handler. */
/**
 * One Deno WebSocket bound to the core: the core's socket view and the listener of its four events in one
 * object (`handleEvent`), instead of seven closures that every idle connection would hold.
 */
class DenoSocket {
  constructor(readonly socket: WebSocket, readonly handler: WebSocketHandler) {}

  send(data: string | Uint8Array): void {
    this.socket.send(data);
  }

  close(code?: number, reason?: string): void {
    this.socket.close(code, reason);
  }

  get bufferedAmount(): number {
    return this.socket.bufferedAmount;
  }

  handleEvent(e: Event): void {
    switch (e.type) {
      case "message": {
        const data = (e as MessageEvent).data;
        return this.handler.onMessage(typeof data === "string" ? data : new Uint8Array(data as ArrayBuffer));
      }
      case "open":
        return this.handler.onOpen(this);
      case "close":
        return this.handler.onClose((e as CloseEvent).code, (e as CloseEvent).reason);
        // "error" is followed by "close": nothing to do, but listened to so it is handled
    }
  }
}

function bind(socket: WebSocket, handler: WebSocketHandler): void {
  socket.binaryType = "arraybuffer";
  const bound = new DenoSocket(socket, handler);
  for (const type of ["open", "message", "close", "error"]) socket.addEventListener(type, bound);
}

/** A `(req, info) => Response` handler for Portio servers, to use in your own `Deno.serve`. */
export function createHandler(
  io: Servable | Servable[],
  fallback?: ServeOptions["fetch"],
  options: HandlerOptions = {},
): (req: Request, info?: ConnInfo) => Promise<Response> {
  const servers = Array.isArray(io) ? io : [io];
  const abortSignal = options.abortSignal ?? false;
  const files = servers.some((s) => s.setClientFiles) ? readClientFiles() : undefined;
  if (files) {
    const bundle = clientBundle(files);
    for (const s of servers) s.setClientFiles?.(bundle);
  }
  return async (req: Request, info?: ConnInfo): Promise<Response> => {
    const ctx: RequestContext = { remoteAddress: info?.remoteAddr?.hostname };
    // an explicit onAbort keeps the core from reading `req.signal` (see HandlerOptions.abortSignal)
    ctx.onAbort = abortSignal ? (cb) => req.signal.addEventListener("abort", cb, { once: true }) : () => {};
    if ((req.headers.get("upgrade") ?? "").toLowerCase() === "websocket") {
      ctx.upgrade = (handler, headers) => {
        let upgraded: { socket: WebSocket; response: Response };
        try {
          upgraded = Deno.upgradeWebSocket(req);
        } catch {
          // the core checked the handshake; whatever Deno still refuses is the client's fault, not a 500
          return Response.json({ code: 3, message: "Bad request" }, { status: 400 });
        }
        const { socket, response } = upgraded;
        bind(socket, handler);
        try {
          headers.forEach((v, k) => response.headers.append(k, v));
        } catch {
          // Deno before 2.x returned immutable headers on the 101: the extra headers are then dropped
        }
        return response;
      };
    }
    for (const s of servers) {
      const res = await s.handle(req, ctx);
      if (res) return res;
    }
    return fallback ? fallback(req) : new Response("Not Found", { status: 404 });
  };
}

/** Starts `Deno.serve` for the given Portio servers; resolves once it listens. */
export function serve(io: Servable | Servable[], options: ServeOptions = {}): Promise<DenoServerHandle> {
  const servers = Array.isArray(io) ? io : [io];
  const handler = createHandler(servers, options.fetch, options);
  // before the HTTP server starts: a missing flag is the common mistake, and the error must say so
  if (options.webTransport) assertWebTransportAvailable();
  return new Promise((resolve, reject) => {
    const server = Deno.serve({
      port: options.port ?? 3000,
      hostname: options.hostname,
      onListen: (addr) => {
        const a = addr as Deno.NetAddr;
        let webTransport: WebTransportHandle | undefined;
        try {
          // QUIC on the HTTP port number: a browser reaches both with the same `https://host:port` origin
          const wt = options.webTransport;
          if (wt) webTransport = serveWebTransport(servers, { hostname: a.hostname, ...wt, port: wt.port ?? a.port });
        } catch (err) {
          // a bad certificate or a UDP port in use: `server` is assigned once Deno.serve returns
          queueMicrotask(() => void server.shutdown());
          return reject(err);
        }
        resolve({
          port: a.port,
          hostname: a.hostname,
          webTransport,
          close: async () => {
            await Promise.all(servers.map((s) => s.close()));
            webTransport?.close();
            await server.shutdown();
          },
        });
      },
    }, handler);
  });
}
