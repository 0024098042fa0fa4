/**
 * Node adapter: `node:http` + `@hono/node-server`'s Request/Response bridge for polling and everything
 * else, `ws` (noServer) for WebSockets. A translation layer only: the protocol lives in src/.
 */
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { getRequestListener } from "@hono/node-server";
import { WebSocketServer, type WebSocket } from "ws";
import type { Servable, WebSocketHandler } from "portio";

export interface ServeOptions {
  port?: number;
  hostname?: string;
  /** requests that no Portio server claims (an app's own routes, e.g. a Hono app's `fetch`) */
  fetch?: (req: Request) => Response | Promise<Response>;
}

export interface NodeServerHandle {
  readonly port: number;
  readonly hostname: string;
  readonly httpServer: HttpServer;
  close(): Promise<void>;
}

function toList(io: Servable | Servable[]): Servable[] {
  return Array.isArray(io) ? io : [io];
}

function requestFromIncoming(req: IncomingMessage): Request {
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (Array.isArray(v)) for (const x of v) headers.append(k, x);
    else if (v !== undefined) headers.set(k, v);
  }
  return new Request(`http://${req.headers.host ?? "localhost"}${req.url ?? "/"}`, { method: req.method, headers });
}

/** Answer a refused upgrade on the raw socket: there is no ServerResponse for an upgrade request. */
async function writeRawResponse(socket: Duplex, res: Response): Promise<void> {
  const body = new Uint8Array(await res.arrayBuffer());
  let head = `HTTP/1.1 ${res.status} ${res.statusText || "Bad Request"}\r\nConnection: close\r\nContent-Length: ${body.byteLength}\r\n`;
  res.headers.forEach((v, k) => (head += `${k}: ${v}\r\n`));
  socket.end(Buffer.concat([Buffer.from(head + "\r\n"), body]));
}

// Writes to a socket stay corked until the end of the event-loop turn, so the frames of several messages
// leave in one writev instead of one syscall each (the largest lever for fan-out; what Bun/uWS do natively).
const corked = new Set<Duplex>();
let uncorkScheduled = false;
function uncorkAll(): void {
  uncorkScheduled = false;
  for (const s of corked) s.uncork();
  corked.clear();
}
function cork(socket: Duplex): void {
  if (corked.has(socket)) return;
  socket.cork();
  corked.add(socket);
  if (!uncorkScheduled) {
    uncorkScheduled = true;
    setImmediate(uncorkAll);
  }
}

/** A complete unmasked WebSocket text frame (RFC 6455 §5.2), built once and written to many sockets. */
function textFrame(text: string): Buffer {
  const n = Buffer.byteLength(text);
  const head = n < 126 ? 2 : n < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(head + n);
  frame[0] = 0x81; // FIN + text opcode
  if (n < 126) frame[1] = n;
  else if (n < 65536) (frame[1] = 126), frame.writeUInt16BE(n, 2);
  else (frame[1] = 127), frame.writeBigUInt64BE(BigInt(n), 2);
  frame.write(text, head);
  return frame;
}

function bindWebSocket(ws: WebSocket, handler: WebSocketHandler): void {
  // `ws` keeps its TCP socket here; with permessage-deflate off its sender writes synchronously, so a
  // pre-built frame written to the socket directly keeps the order of every other frame
  const raw = (ws as unknown as { _socket?: Duplex })._socket;
  handler.onOpen({
    // a single message (an ack, an emit) goes out at once: corking it would only add a turn of latency;
    // if a broadcast corked this socket in the same turn, the write queues behind it in order
    send: (data) => {
      if (ws.readyState !== 1) return;
      // text: one buffer, one write (ws's own path writes header and payload with a writev)
      if (raw && typeof data === "string") raw.write(textFrame(data));
      else ws.send(data);
    },
    prepare: raw ? (text) => textFrame(text) : undefined,
    sendPrepared: raw
      ? (frame) => {
        if (ws.readyState !== 1) return;
        cork(raw);
        raw.write(frame as Buffer);
      }
      : undefined,
    close: (code, reason) => ws.close(code, reason),
    get bufferedAmount() {
      return ws.bufferedAmount;
    },
  });
  ws.on("message", (data, isBinary) => {
    try {
      if (!isBinary) handler.onMessage(data.toString());
      else if (Array.isArray(data)) handler.onMessage(Buffer.concat(data));
      else if (data instanceof ArrayBuffer) handler.onMessage(new Uint8Array(data));
      else handler.onMessage(data);
    } catch (err) {
      // an app listener threw: report it, keep the process and every other connection alive
      console.error("portio: error in a message handler", err);
    }
  });
  ws.on("close", (code, reason) => handler.onClose(code, reason.toString()));
  // protocol violations (oversized frame, bad UTF-8) are followed by "close"; nothing else to do here
  ws.on("error", () => {});
}

/**
 * Binds Portio servers to an existing `node:http` server. Requests for other paths go to the server's
 * previous request listeners (as socket.io's `attach` does), then to `options.fetch`, then 404.
 */
export function attach(io: Servable | Servable[], httpServer: HttpServer, options: Pick<ServeOptions, "fetch"> = {}): void {
  const servers = toList(io);
  const maxPayload = Math.max(...servers.map((s) => s.maxPayload));
  const wss = new WebSocketServer({ noServer: true, maxPayload, clientTracking: false, perMessageDeflate: false });
  const upgradeHeaders = new WeakMap<IncomingMessage, Headers>();
  wss.on("headers", (lines, req) => upgradeHeaders.get(req)?.forEach((v, k) => lines.push(`${k}: ${v}`)));

  const previous = httpServer.listeners("request").slice() as Array<(req: IncomingMessage, res: ServerResponse) => void>;
  httpServer.removeAllListeners("request");
  const fallback = options.fetch;
  const listener = getRequestListener(async (request, env) => {
    const remoteAddress = "incoming" in env ? env.incoming.socket.remoteAddress : undefined;
    for (const s of servers) {
      const res = await s.handle(request, { remoteAddress });
      if (res) return res;
    }
    if (previous.length && "incoming" in env) {
      for (const l of previous) l.call(httpServer, env.incoming as IncomingMessage, env.outgoing as ServerResponse);
      return new Response(null, { headers: { "x-hono-already-sent": "1" } });
    }
    if (fallback) return fallback(request);
    return new Response("Not Found", { status: 404 });
  });
  httpServer.on("request", listener);

  httpServer.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", () => {});
    const request = requestFromIncoming(req);
    const url = new URL(request.url);
    const server = servers.find((s) => s.matches(url));
    if (!server) {
      // not ours: leave it to other upgrade listeners, or refuse it when there are none
      if (httpServer.listenerCount("upgrade") === 1) socket.destroy();
      return;
    }
    const upgrade = (handler: WebSocketHandler, headers: Headers) => {
      upgradeHeaders.set(req, headers);
      wss.handleUpgrade(req, socket, head, (ws) => bindWebSocket(ws, handler));
      return undefined;
    };
    server.handle(request, { remoteAddress: req.socket.remoteAddress, upgrade }).then(
      (res) => (res ? writeRawResponse(socket, res) : undefined),
      (err) => {
        console.error("portio: upgrade failed", err);
        socket.destroy();
      },
    );
  });
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
