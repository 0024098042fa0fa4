/**
 * Node adapter: `node:http` for polling and every other request, `ws` (noServer) for WebSockets. A
 * translation layer only: the protocol lives in src/. The app's own routes go to `fetch` through
 * `@hono/node-server`'s Request/Response bridge.
 */
import { createServer, type IncomingMessage, type Server as HttpServer, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type { Socket } from "node:net";
import { HeaderList, type Reply, type Servable, type WebSocketHandler } from "../../src/runtime.ts";
import { clientBundle } from "../../src/index.ts";
import { contextFor, requestView, withQuery, writeRawReply, writeReply } from "./http.ts";
import { bindWebSocket } from "./websocket.ts";
import { requirePeer } from "./peer.ts";
import { readClientFiles } from "../shared/client-files.ts";

export { readClientFiles };

// Loaded on first use, not at import: on Node, `import { Server } from "portio"` loads this module, and an
// app must get as far as `attach`/`serve` (or `new Server(port)`) before a missing peer is reported.
let honoNode: typeof import("@hono/node-server") | undefined;
let wsModule: typeof import("ws") | undefined;
const getRequestListener: typeof import("@hono/node-server").getRequestListener = (...args) =>
  (honoNode ??= requirePeer<typeof import("@hono/node-server")>("@hono/node-server", "portio/node"))
    .getRequestListener(...args);
const wsPeer = (): typeof import("ws") => (wsModule ??= requirePeer<typeof import("ws")>("ws", "portio/node"));

/** Options of `serve`. */
export interface ServeOptions {
  /** Port to listen on (default 3000, 0 for any free port). */
  port?: number;
  /** Interface to listen on (default all). */
  hostname?: string;
  /** requests that no Portio server claims (an app's own routes, e.g. a Hono app's `fetch`) */
  fetch?: (req: Request) => Response | Promise<Response>;
  /**
   * `node:http`'s `headersTimeout`: ms a client may take to send its request headers (default 15000; Node's own
   * default, 60000, lets a slowloris hold a connection for a minute)
   */
  headersTimeout?: number;
  /**
   * `node:http`'s `requestTimeout`: ms a client may take to send a whole request, a polling POST's body included
   * (default 25000; Node's is 300000). A parked long-polling GET is complete once its headers arrived, so it
   * is not cut.
   */
  requestTimeout?: number;
}

/** A running `node:http` server started by `serve`. */
export interface NodeServerHandle {
  /** The port it listens on. */
  readonly port: number;
  /** The hostname it listens on. */
  readonly hostname: string;
  /** The `node:http` server. */
  readonly httpServer: HttpServer;
  /** Closes the Portio servers, then the HTTP server. */
  close(): Promise<void>;
}

function toList(io: Servable | Servable[]): Servable[] {
  return Array.isArray(io) ? io : [io];
}

/** The server whose path this is (by path alone: no URL parse on every request). */
function find(servers: Servable[], pathname: string): Servable | undefined {
  return servers.find((s) => s.matches({ pathname }));
}

/**
 * Binds Portio servers to an existing `node:http` server. Requests for other paths go to the server's
 * previous request listeners (as socket.io's `attach` does), then to `options.fetch`, then 404.
 */
export function attach(
  io: Servable | Servable[],
  httpServer: HttpServer,
  options: Pick<ServeOptions, "fetch"> = {},
): void {
  const servers = toList(io);
  const files = servers.some((s) => s.setClientFiles) ? readClientFiles() : undefined;
  if (files) {
    const bundle = clientBundle(files);
    for (const s of servers) s.setClientFiles?.(bundle);
  }
  // the first server's `destroyUpgrade`, unless one turns it off (then the app's listeners own stray upgrades)
  const destroy = servers.some((s) => s.destroyUpgrade === false)
    ? false
    : servers.find((s) => s.destroyUpgrade)?.destroyUpgrade || { timeout: 1000 };
  const upgradeHeaders = new WeakMap<IncomingMessage, Headers>();
  const onHeaders = (lines: string[], req: IncomingMessage) => {
    upgradeHeaders.get(req)?.forEach((v, k) => lines.push(`${k}: ${v}`));
    upgradeHeaders.delete(req);
  };
  // a WebSocket server per Portio server, created on its first upgrade, as each socket.io server has its own:
  // compression is negotiated only on the paths of servers that ask for it (`perMessageDeflate`)
  // `ws` is loaded now, not at the first upgrade: a missing peer is named when the app attaches
  const { WebSocketServer } = wsPeer();
  const wssOf = new Map<Servable, import("ws").WebSocketServer>();
  const wssFor = (server: Servable) => {
    let wss = wssOf.get(server);
    if (!wss) {
      wss = new WebSocketServer({
        noServer: true,
        maxPayload: server.maxPayload,
        clientTracking: false,
        perMessageDeflate: server.perMessageDeflate || false,
      });
      wss.on("headers", onHeaders);
      wssOf.set(server, wss);
    }
    return wss;
  };

  const previous = httpServer.listeners("request").slice() as Array<
    (req: IncomingMessage, res: ServerResponse) => void
  >;
  httpServer.removeAllListeners("request");
  const fallback = options.fetch;
  const appListener = fallback ? getRequestListener((request) => fallback(request)) : undefined;

  httpServer.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const view = requestView(req);
    const server = find(servers, view.pathname);
    if (!server) {
      if (previous.length) { for (const l of previous) l.call(httpServer, req, res); }
      else if (appListener) void appListener(req, res);
      else (res.statusCode = 404), res.end("Not Found");
      return;
    }
    const ctx = contextFor(req, res);
    const answer = server.respond
      ? server.respond(view, ctx)
      : server.handle(new Request(view.url, { method: view.method, headers: req.headers as HeadersInit }), ctx).then((
        r,
      ) => r && toReplyFromResponse(r));
    answer.then(
      (r) => (r ? writeReply(req, res, r) : ((res.statusCode = 404), res.end())),
      (err) => {
        logError(server, "request failed", err);
        if (!res.headersSent) res.statusCode = 500;
        res.end();
      },
    );
  });

  httpServer.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // a module-level function: a closure here would hold this handler's scope (the middleware response, the
    // request view, `release`) for as long as the connection lives, ~1.5 KB per connection
    socket.on("error", ignoreError);
    const view = requestView(req);
    const server = find(servers, view.pathname);
    if (!server?.respond) {
      // not ours (engine.io's destroyUpgrade): other upgrade listeners may answer it; one that nothing
      // wrote to within the timeout is ended, so a stray upgrade cannot hold a connection open
      if (destroy) setTimeout(endUnanswered, destroy.timeout, socket).unref();
      return;
    }
    // middlewares (`io.engine.use`) get a response bound to the socket, as engine.io's WebSocketResponse: one
    // that answers by itself (`res.writeHead(401); res.end()`, socket.io's passport-example) refuses the
    // upgrade. Headers a passing middleware sets on it are not sent; it lets go of the socket before we write.
    const res = new ServerResponse(req);
    res.shouldKeepAlive = false;
    res.assignSocket(socket as Socket);
    res.once("finish", () => socket.end());
    const release = () => res.socket && res.detachSocket(socket as Socket);
    const upgrade = (handler: WebSocketHandler, headers: Headers) => {
      release();
      upgradeHeaders.set(req, headers);
      const deflate = server.perMessageDeflate;
      wssFor(server).handleUpgrade(
        req,
        socket,
        head,
        (ws) => bindWebSocket(ws, handler, deflate ? deflate.threshold : undefined),
      );
      return undefined;
    };
    withQuery(req);
    const native = { req, res };
    server.respond(view, { remoteAddress: req.socket.remoteAddress, upgrade, native }).then(
      (r) => (r && !res.writableEnded ? (release(), writeRawReply(socket, r)) : undefined),
      (err) => {
        logError(server, "upgrade failed", err);
        socket.destroy();
      },
    );
  });
}

function ignoreError(): void {}

/** Ends an upgrade's socket nothing has answered yet (engine.io: writable and no byte written). */
function endUnanswered(socket: Duplex): void {
  if (socket.writable && (socket as Socket).bytesWritten <= 0) socket.end();
}

/** until when `logError` keeps quiet: a client may repeat what failed at will (the core limits its own lines) */
let quietUntil = 0;

function logError(server: Servable, what: string, err: unknown): void {
  if (Date.now() < quietUntil) return;
  quietUntil = Date.now() + 60_000;
  const logger = (server as { logger?: { error(...args: unknown[]): void } }).logger;
  if (logger) logger.error(what, err);
  else console.error(`portio: ${what}`, err);
}

/** For a `Servable` without `respond`: its `Response` as a reply (rare: every Portio server has both). */
async function toReplyFromResponse(res: Response): Promise<Reply> {
  const headers = new HeaderList();
  res.headers.forEach((v, k) => headers.append(k, v));
  return { status: res.status, headers, body: await res.text() };
}

/** Starts an HTTP server for the given Portio servers; resolves once it listens. */
export function serve(io: Servable | Servable[], options: ServeOptions = {}): Promise<NodeServerHandle> {
  const headersTimeout = options.headersTimeout ?? 15_000;
  const requestTimeout = options.requestTimeout ?? 25_000;
  const httpServer = createServer({
    headersTimeout,
    requestTimeout,
    // Node checks both timeouts only this often (default 30 s, which would double a cut's delay)
    connectionsCheckingInterval: Math.max(100, Math.min(5000, Math.min(headersTimeout, requestTimeout) / 4)),
  });
  attach(io, httpServer, options);
  // no hostname: Node listens on "::" with IPv4 mapped, so both localhost resolutions reach it
  const hostname = options.hostname;
  return new Promise((resolve, reject) => {
    httpServer.once("error", reject);
    httpServer.listen(options.port ?? 3000, hostname, () => {
      httpServer.off("error", reject);
      const address = httpServer.address();
      const port = typeof address === "object" && address ? address.port : options.port ?? 3000;
      resolve({
        port,
        hostname: hostname ?? "localhost",
        httpServer,
        close: async () => {
          await Promise.all(toList(io).map((s) => s.close()));
          await new Promise<void>((done) => {
            httpServer.close(() => done());
            httpServer.closeAllConnections();
          });
        },
      });
    });
  });
}
