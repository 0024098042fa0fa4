/**
 * The framing of Engine.IO packets on a WebTransport stream (engine.io-parser's packet encoder/decoder
 * streams): a stream has no message boundaries, so every packet carries a length header shaped like a
 * WebSocket frame's: one byte below 126, or 126 + a 16-bit length, or 127 + a 64-bit length, all big-endian.
 * The header's top bit says the payload is binary (raw bytes, a `message`); otherwise the payload is the
 * UTF-8 text of the packet as a WebSocket carries it (`4hello`).
 */
import { encodeForWebSocket, type Packet, type RawData } from "./packet.ts";

/** Why a stream was refused: `"payload too large"` past `maxHttpBufferSize`, else a malformed frame. */
export class FrameError extends Error {
  override name = "FrameError";
}

const encoder = new TextEncoder();
// fatal: a text frame that is not UTF-8 is bad framing, not a string with replacement characters
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** One packet as the bytes of one frame (header and payload in a single chunk: one stream write). */
export function encodeFrame(packet: Packet): Uint8Array {
  const raw = encodeForWebSocket(packet);
  const payload = typeof raw === "string" ? encoder.encode(raw) : raw;
  const n = payload.byteLength;
  const headerLength = n < 126 ? 1 : n < 65536 ? 3 : 9;
  const frame = new Uint8Array(headerLength + n);
  const view = new DataView(frame.buffer);
  if (n < 126) view.setUint8(0, n);
  else if (n < 65536) {
    view.setUint8(0, 126);
    view.setUint16(1, n);
  } else {
    view.setUint8(0, 127);
    view.setUint32(1, Math.floor(n / 2 ** 32));
    view.setUint32(5, n >>> 0);
  }
  if (typeof raw !== "string") frame[0]! |= 0x80;
  frame.set(payload, headerLength);
  return frame;
}

/**
 * Cuts a byte stream into packets. The declared length is checked against `maxPayload` as soon as the
 * header is complete, so an oversized frame is refused before its payload is buffered: what this holds is
 * bounded by one header plus `maxPayload` bytes.
 */
export class FrameDecoder {
  #chunks: Uint8Array[] = [];
  #size = 0;
  /** payload length of the frame being read, -1 while reading a header */
  #need = -1;
  #binary = false;

  constructor(readonly maxPayload: number) {}

  /** Bytes received but not yet returned as packets. */
  get buffered(): number {
    return this.#size;
  }

  /** Adds bytes; returns the packets they complete (text as a string, binary as bytes). Throws `FrameError`. */
  push(chunk: Uint8Array): RawData[] {
    if (chunk.byteLength) {
      this.#chunks.push(chunk);
      this.#size += chunk.byteLength;
    }
    const out: RawData[] = [];
    for (;;) {
      if (this.#need < 0 && !this.#readHeader()) break;
      if (this.#size < this.#need) break;
      const payload = this.#take(this.#need);
      this.#need = -1;
      // binary goes to the app: a copy when it is a view into a bigger chunk, so its `.buffer` is its own
      if (this.#binary) out.push(payload.byteLength === payload.buffer.byteLength ? payload : payload.slice());
      else {
        try {
          out.push(decoder.decode(payload));
        } catch {
          throw new FrameError("text frame is not UTF-8");
        }
      }
    }
    return out;
  }

  #readHeader(): boolean {
    if (this.#size < 1) return false;
    const first = this.#chunks[0]![0]!;
    const short = first & 0x7f;
    const headerLength = short < 126 ? 1 : short === 126 ? 3 : 9;
    if (this.#size < headerLength) return false;
    const header = this.#take(headerLength);
    const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
    let length = short;
    if (short === 126) length = view.getUint16(1);
    else if (short === 127) {
      const high = view.getUint32(1);
      // past 2^53 - 1 the length is not even a safe integer (engine.io-parser refuses it the same way)
      if (high > 0x1fffff) throw new FrameError("payload too large");
      length = high * 2 ** 32 + view.getUint32(5);
    }
    if (length === 0) throw new FrameError("empty frame");
    if (length > this.maxPayload) throw new FrameError("payload too large");
    this.#need = length;
    this.#binary = (first & 0x80) !== 0;
    return true;
  }

  /** Removes and returns the first `n` buffered bytes (a view when they sit in one chunk). */
  #take(n: number): Uint8Array {
    this.#size -= n;
    const first = this.#chunks[0]!;
    if (first.byteLength === n) {
      this.#chunks.shift();
      return first;
    }
    if (first.byteLength > n) {
      this.#chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = new Uint8Array(n);
    let at = 0;
    while (at < n) {
      const c = this.#chunks[0]!;
      const k = Math.min(c.byteLength, n - at);
      out.set(c.subarray(0, k), at);
      at += k;
      if (k === c.byteLength) this.#chunks.shift();
      else this.#chunks[0] = c.subarray(k);
    }
    return out;
  }
}
