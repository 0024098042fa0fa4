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

export function requestView(req: IncomingMessage): RequestLike & { readonly pathname: string } {
  const path = req.url ?? "/";
  const q = path.indexOf("?");
  return {
    url: `http://${req.headers.host ?? "localhost"}${path}`,
    method: req.method ?? "GET",
    headers: new RecordHeaders(req.headers),
    pathname: q === -1 ? path : path.slice(0, q),
    native: req,
  };
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
export function withQuery(req: IncomingMessage): void {
  const r = req as IncomingMessage & { _query?: Record<string, string> };
  if (r._query !== undefined) return;
  const url = req.url ?? "";
  const q = url.indexOf("?");
  r._query = q === -1 ? {} : Object.fromEntries(new URLSearchParams(url.slice(q + 1)));
}

export function contextFor(req: IncomingMessage, res: ServerResponse): RequestContext {
  return {
    remoteAddress: req.socket.remoteAddress,
    // a parked GET whose connection closed before we answered
    onAbort: (cb) => res.once("close", () => !res.writableEnded && cb()),
    readBody: (limit) => readBody(req, limit),
    readBytes: (limit) => readBuffer(req, limit),
    native: { req, res },
  };
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
