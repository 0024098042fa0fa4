/**
 * The bytes of fleet requests between Durable Objects: a sequence of frames, each one JSON value whose
 * binary parts (Uint8Array, ArrayBuffer, any ArrayBufferView) are replaced by socket.io's placeholders
 * (`{ _placeholder: true, num }`) and travel after it as raw bytes. Binary payloads cross shards as bytes,
 * not base64. Frame: u32 JSON length, JSON, u32 attachment count, then per attachment u32 length + bytes.
 * What JSON cannot carry (Dates, Maps, undefined in arrays) arrives as JSON makes it, as on socket.io's
 * default parser.
 */

function deconstruct(value: unknown, out: Uint8Array[]): unknown {
  if (value instanceof Uint8Array) return out.push(value), { _placeholder: true, num: out.length - 1 };
  if (value instanceof ArrayBuffer) return deconstruct(new Uint8Array(value), out);
  if (ArrayBuffer.isView(value)) {
    return deconstruct(new Uint8Array(value.buffer, value.byteOffset, value.byteLength), out);
  }
  if (Array.isArray(value)) return value.map((v) => deconstruct(v, out));
  if (typeof value === "object" && value !== null) {
    if (typeof (value as { toJSON?: unknown }).toJSON === "function") return value;
    const copy: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) copy[k] = deconstruct(v, out);
    return copy;
  }
  return value;
}

function reconstruct(value: unknown, bins: Uint8Array[]): unknown {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = reconstruct(value[i], bins);
    return value;
  }
  if (typeof value === "object" && value !== null) {
    const p = value as { _placeholder?: unknown; num?: unknown };
    if (p._placeholder === true && typeof p.num === "number") {
      const bin = bins[p.num];
      if (!bin) throw new Error("fleet frame: missing attachment");
      return bin;
    }
    for (const [k, v] of Object.entries(value)) (value as Record<string, unknown>)[k] = reconstruct(v, bins);
  }
  return value;
}

/** Encodes values into one body (one frame each). Serialized now: callers may mutate them afterwards. */
export function encodeFrames(values: readonly unknown[]): Uint8Array<ArrayBuffer> {
  const parts: Uint8Array[] = [];
  let size = 0;
  const u32 = (n: number) => {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, n);
    parts.push(b);
    size += 4;
  };
  const enc = new TextEncoder();
  for (const value of values) {
    const bins: Uint8Array[] = [];
    const json = enc.encode(JSON.stringify(deconstruct(value, bins)));
    u32(json.byteLength);
    parts.push(json);
    size += json.byteLength;
    u32(bins.length);
    for (const b of bins) {
      u32(b.byteLength);
      parts.push(b);
      size += b.byteLength;
    }
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) out.set(p, at), at += p.byteLength;
  return out;
}

/**
 * Reads frames as chunks arrive (a streamed response); `push` returns the complete ones. Throws on a
 * malformed frame or one past `maxFrameBytes` (another object wrote it, but a bug must not eat memory).
 */
export class FrameReader {
  #buf = new Uint8Array(0);
  #dec = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

  constructor(readonly maxFrameBytes: number) {}

  push(chunk: Uint8Array): unknown[] {
    const joined = new Uint8Array(this.#buf.byteLength + chunk.byteLength);
    joined.set(this.#buf);
    joined.set(chunk, this.#buf.byteLength);
    this.#buf = joined;
    const out: unknown[] = [];
    for (;;) {
      const frame = this.#next();
      if (frame === undefined) return out;
      out.push(frame.value);
    }
  }

  /** Whether a partial frame is left (the stream ended mid-frame). */
  get pending(): boolean {
    return this.#buf.byteLength > 0;
  }

  #next(): { value: unknown } | undefined {
    const buf = this.#buf;
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    let at = 0;
    const need = (n: number) => {
      if (n > this.maxFrameBytes) throw new Error(`fleet frame over ${this.maxFrameBytes} bytes`);
      return at + n <= buf.byteLength;
    };
    if (!need(4)) return undefined;
    const jsonLen = view.getUint32(at);
    at += 4;
    if (!need(jsonLen + 4)) return undefined;
    const json = buf.subarray(at, at + jsonLen);
    at += jsonLen;
    const count = view.getUint32(at);
    at += 4;
    const bins: Uint8Array[] = [];
    for (let i = 0; i < count; i++) {
      if (!need(4)) return undefined;
      const len = view.getUint32(at);
      at += 4;
      if (!need(len)) return undefined;
      bins.push(buf.slice(at, at + len));
      at += len;
    }
    const value = reconstruct(JSON.parse(this.#dec.decode(json)), bins);
    this.#buf = buf.slice(at);
    return { value };
  }
}

/** Every frame of a complete body. */
export function decodeFrames(body: Uint8Array, maxFrameBytes: number): unknown[] {
  const reader = new FrameReader(maxFrameBytes);
  const out = reader.push(body);
  if (reader.pending) throw new Error("fleet body ends mid-frame");
  return out;
}
