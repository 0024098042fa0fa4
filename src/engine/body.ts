/**
 * Reads a request body as text while it streams in, stopping at `limit` bytes: a body over the limit is
 * refused before it is buffered whole, with or without a Content-Length header.
 */
import type { RequestLike } from "./http.ts";

/** A request body past `maxHttpBufferSize`: answered with 413. */
export class PayloadTooLargeError extends Error {
  /** The error's name. */
  override name = "PayloadTooLargeError";
}

/** Web `Request` bodies; adapters with a cheaper reader pass `RequestContext.readBody` instead. */
export async function readBodyLimited(req: RequestLike, limit: number): Promise<string> {
  const declared = req.headers.get("content-length");
  if (declared !== null && Number(declared) > limit) throw new PayloadTooLargeError(`body of ${declared} bytes`);
  const r = req as { body?: ReadableStream<Uint8Array> | null; text?: () => Promise<string> };
  // with a Content-Length (already checked against the limit) the runtime reads exactly that many bytes,
  // and its native text() is much cheaper than a stream loop; only chunked bodies need counting
  if (declared !== null && r.text) return r.text();
  const body = r.body;
  if (!body) return "";
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let total = 0;
  let text = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      reader.cancel().catch(() => {});
      throw new PayloadTooLargeError(`body over ${limit} bytes`);
    }
    text += decoder.decode(value, { stream: true });
  }
  return text + decoder.decode();
}
