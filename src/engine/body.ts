/**
 * Reads a request body as text while it streams in, stopping at `limit` bytes: a body over the limit is
 * refused before it is buffered whole, with or without a Content-Length header.
 */
export class PayloadTooLargeError extends Error {
  override name = "PayloadTooLargeError";
}

export async function readBodyLimited(req: Request, limit: number): Promise<string> {
  const declared = req.headers.get("content-length");
  if (declared !== null && Number(declared) > limit) throw new PayloadTooLargeError(`body of ${declared} bytes`);
  if (!req.body) return "";
  const reader = req.body.getReader();
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
