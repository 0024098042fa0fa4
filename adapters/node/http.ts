/**
 * `node:http` ↔ the core's HTTP vocabulary without undici: a request view over `IncomingMessage`, a body
 * reader with the size limit, and a `Reply` written with `writeHead`/`end` (see src/engine/http.ts for why).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import {
  PayloadTooLargeError,
  RecordHeaders,
  type Reply,
  type RequestContext,
  type RequestLike,
} from "../../src/runtime.ts";

/**
 * A request view over `IncomingMessage`. The `IncomingMessage` (`native`) reaches app code only through a
 * session's `socket.request` and `io.engine.use` middlewares: `_query` is set on it when it is first handed out.
 */
class NodeRequestView implements RequestLike {
  readonly url: string;
  readonly method: string;
  readonly headers: RecordHeaders;
  readonly pathname: string;
  readonly #req: IncomingMessage;

  constructor(req: IncomingMessage) {
    const path = req.url ?? "/";
    const q = path.indexOf("?");
    this.url = `http://${req.headers.host ?? "localhost"}${path}`;
    this.method = req.method ?? "GET";
    this.headers = new RecordHeaders(req.headers);
    this.pathname = q === -1 ? path : path.slice(0, q);
    this.#req = req;
  }

  get native(): IncomingMessage {
    return withQuery(this.#req);
  }
}

export function requestView(req: IncomingMessage): RequestLike & { readonly pathname: string } {
  return new NodeRequestView(req);
}

/** Reads the body up to `limit` bytes; past it, stops reading and fails (the reply will close the socket). */
export function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return readBuffer(req, limit).then((b) => b.toString());
}

/** The body's bytes up to `limit`, as `readBody`. */
export function readBuffer(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const cleanup = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
    };
    const onData = (chunk: Buffer) => {
      total += chunk.length;
      if (total > limit) {
        cleanup();
        req.pause();
        reject(new PayloadTooLargeError(`body over ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
  });
}

/**
 * engine.io sets `req._query` (the parsed query) on every request it handles, and socket.io's docs and
 * examples read it in `io.engine.use` middlewares (`req._query.sid === undefined` means a handshake), so
 * Connect middlewares written for socket.io find it here too.
 */
export function withQuery(req: IncomingMessage): IncomingMessage {
  const r = req as IncomingMessage & { _query?: Record<string, string> };
  if (r._query !== undefined) return req;
  const url = req.url ?? "";
  const q = url.indexOf("?");
  r._query = q === -1 ? {} : Object.fromEntries(new URLSearchParams(url.slice(q + 1)));
  return req;
}

/** A request's context; `native` as in `NodeRequestView` (middlewares get the `IncomingMessage`). */
class NodeContext implements RequestContext {
  readonly #req: IncomingMessage;
  readonly #res: ServerResponse;

  constructor(req: IncomingMessage, res: ServerResponse) {
    this.#req = req;
    this.#res = res;
  }

  /** a parked GET whose connection closed before we answered (a bound function: the core passes it on) */
  readonly onAbort = (cb: () => void): void => {
    const res = this.#res;
    res.once("close", () => !res.writableEnded && cb());
  };

  readBody(limit: number): Promise<string> {
    return readBody(this.#req, limit);
  }

  readBytes(limit: number): Promise<Uint8Array> {
    return readBuffer(this.#req, limit);
  }

  /** read at a handshake only */
  get remoteAddress(): string | undefined {
    return this.#req.socket.remoteAddress;
  }

  get native(): { req: IncomingMessage; res: ServerResponse } {
    return { req: withQuery(this.#req), res: this.#res };
  }
}

export function contextFor(req: IncomingMessage, res: ServerResponse): RequestContext {
  return new NodeContext(req, res);
}

export function writeReply(req: IncomingMessage, res: ServerResponse, r: Reply): void {
  if (res.writableEnded || res.destroyed) return;
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of r.headers.entries) {
    const prev = headers[k];
    headers[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  if (r.status === 413 || r.status === 408) {
    // the rest of an oversized or too slow body (`bodyTimeout`) is not read: the connection cannot be reused
    headers["Connection"] = "close";
    res.once("finish", () => req.socket.destroy());
  }
  const body = r.body ?? "";
  headers["Content-Length"] = String(Buffer.byteLength(body));
  res.writeHead(r.status, headers);
  res.end(body);
}

/** A refused upgrade, written on the raw socket: there is no ServerResponse for an upgrade request. */
export function writeRawReply(socket: Duplex, r: Reply): void {
  const body = Buffer.from(r.body ?? "");
  let head = `HTTP/1.1 ${r.status} ${
    r.status === 403 ? "Forbidden" : "Bad Request"
  }\r\nConnection: close\r\nContent-Length: ${body.length}\r\n`;
  for (const [k, v] of r.headers.entries) head += `${k}: ${v}\r\n`;
  socket.end(Buffer.concat([Buffer.from(head + "\r\n"), body]));
}
