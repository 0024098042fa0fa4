/**
 * Node adapter: `node:http` for polling and every other request, `ws` (noServer) for WebSockets. A
 * translation layer only: the protocol lives in src/. The app's own routes go to `fetch` through
 * `@hono/node-server`'s Request/Response bridge.
 */
import { createServer, type IncomingMessage, type Server as HttpServer, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { HeaderList, type Reply, type Servable, type WebSocketHandler } from "../../src/index.ts";
import { contextFor, requestView, writeRawReply, writeReply } from "./http.ts";
import { bindWebSocket } from "./websocket.ts";
import { requirePeer } from "./peer.ts";
import { readClientFiles } from "../shared/client-files.ts";

export { readClientFiles };

const { getRequestListener } = requirePeer<typeof import("@hono/node-server")>("@hono/node-server", "portio/node");
const { WebSocketServer } = requirePeer<typeof import("ws")>("ws", "portio/node");

/** Options of `serve`. */
export interface ServeOptions {
  /** Port to listen on (default 3000, 0 for any free port). */
  port?: number;
  /** Interface to listen on (default all). */
  hostname?: string;
  /** requests that no Portio server claims (an app's own routes, e.g. a Hono app's `fetch`) */
  fetch?: (req: Request) => Response | Promise<Response>;
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
  if (files) { for (const s of servers) s.setClientFiles?.(files); }
  const maxPayload = Math.max(...servers.map((s) => s.maxPayload));
  // one WebSocket server for every Portio server on this http server: compression is on when one asks for it
  const deflate = servers.map((s) => s.perMessageDeflate).find((d) => d) || false;
  const wss = new WebSocketServer({ noServer: true, maxPayload, clientTracking: false, perMessageDeflate: deflate });
  const upgradeHeaders = new WeakMap<IncomingMessage, Headers>();
  wss.on("headers", (lines, req) => {
    upgradeHeaders.get(req)?.forEach((v, k) => lines.push(`${k}: ${v}`));
    upgradeHeaders.delete(req);
  });

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
    socket.on("error", () => {});
    const view = requestView(req);
    const server = find(servers, view.pathname);
    if (!server?.respond) {
      // not ours: leave it to other upgrade listeners, or refuse it when there are none
      if (httpServer.listenerCount("upgrade") === 1) socket.destroy();
      return;
    }
    const upgrade = (handler: WebSocketHandler, headers: Headers) => {
      upgradeHeaders.set(req, headers);
      wss.handleUpgrade(req, socket, head, (ws) => bindWebSocket(ws, handler));
      return undefined;
    };
    // middlewares (`io.engine.use`) get a response object as engine.io gives them; it is never written
    const native = { req, res: new ServerResponse(req) };
    server.respond(view, { remoteAddress: req.socket.remoteAddress, upgrade, native }).then(
      (r) => (r ? writeRawReply(socket, r) : undefined),
      (err) => {
        logError(server, "upgrade failed", err);
        socket.destroy();
      },
    );
  });
}

function logError(server: Servable, what: string, err: unknown): void {
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
  const httpServer = createServer();
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
