/**
 * Reads a request body as text while it streams in, stopping at `limit` bytes: a body over the limit is
 * refused before it is buffered whole, with or without a Content-Length header.
 */
import type { RequestLike } from "./http.ts";
import type { Scheduler } from "../ports.ts";

/** A request body past `maxHttpBufferSize`: answered with 413. */
export class PayloadTooLargeError extends Error {
  /** The error's name. */
  override name = "PayloadTooLargeError";
}

/** A request body that did not arrive within `bodyTimeout` (a slowloris POST): answered with 408. */
export class BodyTimeoutError extends Error {
  /** The error's name. */
  override name = "BodyTimeoutError";
}

/**
 * `read` within `ms` (the `bodyTimeout` option), or a `BodyTimeoutError`. A request body that trickles in
 * (a byte a second) would otherwise hold the request, its session's POST slot and the connection for as long as
 * the client likes: Deno and Bun offer no body read timeout, and Node's `requestTimeout` is the http server's,
 * which an app that attaches Portio to its own server may have left at 300 s. The read is not awaited further
 * (its failure, when the runtime drops the connection, is ignored); the 408 goes out with `Connection: close`.
 */
export function withinDeadline<T>(read: Promise<T>, ms: number, scheduler: Scheduler): Promise<T> {
  if (!(ms > 0 && ms < Infinity)) return read;
  return new Promise<T>((resolve, reject) => {
    const timer = scheduler.setTimeout(() => {
      read.catch(() => {});
      reject(new BodyTimeoutError(`body not complete after ${ms} ms`));
    }, ms);
    read.then(
      (v) => (scheduler.clearTimeout(timer), resolve(v)),
      (e) => (scheduler.clearTimeout(timer), reject(e)),
    );
  });
}

/** Web `Request` bodies; adapters with a cheaper reader pass `RequestContext.readBody` instead. */
export async function readBodyLimited(req: RequestLike, limit: number): Promise<string> {
  let decoder: TextDecoder | undefined;
  let text = "";
  const r = req as { text?: () => Promise<string> };
  const whole = await readChunks(req, limit, r.text && (() => r.text!()), (chunk) => {
    text += (decoder ??= new TextDecoder()).decode(chunk, { stream: true });
  });
  return whole ?? (decoder ? text + decoder.decode() : text);
}

/** The body as bytes (a v3 client's binary polling payload), with the same limit. */
export async function readBytesLimited(req: RequestLike, limit: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const r = req as { arrayBuffer?: () => Promise<ArrayBuffer> };
  const whole = await readChunks(
    req,
    limit,
    r.arrayBuffer && (async () => new Uint8Array(await r.arrayBuffer!())),
    (chunk) => void chunks.push(chunk),
  );
  if (whole) return whole;
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const c of chunks) (out.set(c, at), (at += c.byteLength));
  return out;
}

/** Streams the body to `onChunk` within `limit`, or returns `whole()` when a checked Content-Length allows. */
async function readChunks<T>(
  req: RequestLike,
  limit: number,
  whole: (() => Promise<T>) | undefined,
  onChunk: (chunk: Uint8Array) => void,
): Promise<T | undefined> {
  const declared = req.headers.get("content-length");
  if (declared !== null && Number(declared) > limit) throw new PayloadTooLargeError(`body of ${declared} bytes`);
  const r = req as { body?: ReadableStream<Uint8Array> | null };
  // with a Content-Length (already checked against the limit) the runtime reads exactly that many bytes,
  // and its native text() is much cheaper than a stream loop; only chunked bodies need counting
  if (declared !== null && whole) return whole();
  const body = r.body;
  if (!body) return undefined;
  const reader = body.getReader();
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      reader.cancel().catch(() => {});
      throw new PayloadTooLargeError(`body over ${limit} bytes`);
    }
    onChunk(value);
  }
  return undefined;
}
