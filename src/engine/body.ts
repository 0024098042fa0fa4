/**
 * Reads a request body as text while it streams in, stopping at `limit` bytes: a body over the limit is
 * refused before it is buffered whole, with or without a Content-Length header.
 */
import type { RequestLike } from "./http.ts";

export class PayloadTooLargeError extends Error {
  override name = "PayloadTooLargeError";
}

/** Web `Request` bodies; adapters with a cheaper reader pass `RequestContext.readBody` instead. */
export async function readBodyLimited(req: RequestLike, limit: number): Promise<string> {
  const declared = req.headers.get("content-length");
  if (declared !== null && Number(declared) > limit) throw new PayloadTooLargeError(`body of ${declared} bytes`);
  const body = (req as { body?: ReadableStream<Uint8Array> | null }).body;
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
