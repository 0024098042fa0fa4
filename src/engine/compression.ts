/**
 * `httpCompression` for long-polling responses, as engine.io does it: a GET's body of at least `threshold`
 * bytes (default 1024) is gzip- or deflate-encoded when the request's `Accept-Encoding` allows one; smaller
 * bodies, and clients that accept neither, get it plain. Web `CompressionStream` exists on every runtime the
 * core runs on, so the adapters need nothing. Only polling GETs go through here: a WebSocket has its own
 * compression (`perMessageDeflate`), and handshake errors are a few bytes.
 */
import type { Reply } from "./http.ts";

/** The `httpCompression` option (socket.io's name; only `threshold` applies, the zlib tunables do not). */
export interface HttpCompressionOptions {
  /** smallest body, in bytes, that is compressed (default 1024) */
  threshold?: number;
}

const ENCODINGS = ["gzip", "deflate"] as const;
type Encoding = (typeof ENCODINGS)[number];

/**
 * The encoding to use for an `Accept-Encoding` header (RFC 9110 §12.5.3): the one of gzip/deflate with the
 * highest q-value, gzip on a tie (engine.io's order); `*` stands for both; q=0 refuses.
 */
export function chooseEncoding(accept: string | null): Encoding | undefined {
  if (!accept) return undefined;
  const q: Partial<Record<Encoding | "*", number>> = {};
  for (const part of accept.split(",")) {
    const [name, ...params] = part.trim().toLowerCase().split(";");
    if (name !== "gzip" && name !== "deflate" && name !== "*") continue;
    let value = 1;
    for (const p of params) {
      const m = /^\s*q\s*=\s*([\d.]+)\s*$/.exec(p);
      if (m) value = Number(m[1]);
    }
    if (!Number.isNaN(value)) q[name] = value;
  }
  let best: Encoding | undefined;
  let bestQ = 0;
  for (const enc of ENCODINGS) {
    const v = q[enc] ?? q["*"] ?? 0;
    if (v > bestQ) (best = enc), (bestQ = v);
  }
  return best;
}

const utf8 = new TextEncoder();

/**
 * Whether a reply may be big enough to compress. The cheap pre-check: a UTF-16 string's UTF-8 form is at most
 * three bytes per unit, so a string under a third of the threshold never is.
 */
export function mayCompress(r: Reply, threshold: number): boolean {
  return r.status === 200 && r.body !== null && !r.response &&
    !(typeof r.body === "string" && r.body.length * 3 < threshold);
}

/** Compresses a polling GET's reply when it is big enough and the client accepts an encoding. */
export async function compressReply(r: Reply, accept: string | null, threshold: number): Promise<Reply> {
  if (r.body === null || !mayCompress(r, threshold)) return r;
  const bytes = typeof r.body === "string" ? utf8.encode(r.body) : r.body;
  if (bytes.byteLength < threshold) return r;
  const encoding = chooseEncoding(accept);
  if (!encoding) return r;
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream(encoding));
  const body = new Uint8Array(await new Response(stream).arrayBuffer());
  r.headers.set("Content-Encoding", encoding);
  return { ...r, body };
}
