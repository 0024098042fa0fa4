// Socket.IO v5 packet codec (the "default parser" wire format):
//   <type>[<attachments>-][<nsp>,][<id>][<JSON data>]  + one binary frame per attachment
// Web platform APIs only, so the core runs unchanged on Node, Deno, Bun and Workers.
import { RESERVED_EVENTS } from "./typed-events.ts";

import { type Packet, PacketType } from "../packet.ts";

// The packet shape is shared with the room stores (src/packet.ts), which must not depend on this codec.
export { type Packet, PacketType };

/** A packet that does not parse: the connection is closed with "parse error". */
export class ParseError extends Error {
  /** The error's name. */
  override name = "ParseError";
}

// Events the server emits itself, which a peer must not fake: one list, kept with the event types.
export { RESERVED_EVENTS };

// 16 digits is the longest run that can still be a safe integer (2^53 - 1 has 16).
const MAX_ID_DIGITS = 16;

type Obj = Record<string, unknown>;

const isObject = (v: unknown): v is object => typeof v === "object" && v !== null;
const isPlainObject = (v: unknown): v is Obj => isObject(v) && !Array.isArray(v);
const isDigit = (code: number): boolean => code >= 48 && code <= 57;
const hasToJSON = (v: object): v is { toJSON(): unknown } => typeof (v as { toJSON?: unknown }).toJSON === "function";

// The bytes of a binary value as a Uint8Array view (never a copy), or undefined
// if `v` is not binary. A Uint8Array (incl. Node's Buffer) is returned as is.
function toBytes(v: object): Uint8Array | undefined {
  if (v instanceof Uint8Array) return v;
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  return undefined;
}

/** Whether a value holds binary data (Uint8Array, ArrayBuffer, views), however deep. */
export function hasBinary(value: unknown): boolean {
  return walkHasBinary(value, true);
}

// `honourToJSON` is false for the result of a toJSON() call: JSON.stringify
// calls toJSON once per value, and a toJSON returning `this` must not loop.
function walkHasBinary(value: unknown, honourToJSON: boolean): boolean {
  if (!isObject(value)) return false;
  if (toBytes(value) !== undefined) return true;
  if (Array.isArray(value)) return value.some((v) => walkHasBinary(v, true));
  if (honourToJSON && hasToJSON(value)) return walkHasBinary(value.toJSON(), false);
  for (const key of Object.keys(value)) if (walkHasBinary((value as Obj)[key], true)) return true;
  return false;
}

// Replaces binary values with placeholders, pushing their bytes onto `out`.
// Returns `value` itself when its subtree holds no binary, so only containers
// on a path to a binary value are copied and the caller's data is never
// mutated. Object.keys order is the order JSON.stringify writes keys in, so
// `num` is depth-first in output order.
function deconstruct(value: unknown, out: Uint8Array[], honourToJSON = true): unknown {
  if (!isObject(value)) return value;
  const bytes = toBytes(value);
  if (bytes !== undefined) return { _placeholder: true, num: out.push(bytes) - 1 };
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      const r = deconstruct(v, out);
      if (copy !== undefined) copy.push(r);
      else if (r !== v) (copy = value.slice(0, i)).push(r);
    }
    return copy ?? value;
  }
  if (honourToJSON && hasToJSON(value)) {
    const json = value.toJSON();
    const r = deconstruct(json, out, false);
    return r === json ? value : r; // unchanged: let JSON.stringify handle the original
  }
  const keys = Object.keys(value);
  let copy: Obj | undefined;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const v = (value as Obj)[key];
    const r = deconstruct(v, out);
    if (copy !== undefined) copy[key] = r;
    else if (r !== v) {
      // Null prototype: an own "__proto__" key then becomes a plain property
      // instead of hitting the Object.prototype setter (and vanishing from JSON).
      copy = Object.create(null) as Obj;
      for (let j = 0; j < i; j++) copy[keys[j]!] = (value as Obj)[keys[j]!];
      copy[key] = r;
    }
  }
  return copy ?? value;
}

/** Encodes a packet: a string, followed by its binary attachments. */
export function encode(packet: Packet): Array<string | Uint8Array> {
  let { type, data } = packet;
  let attachments: Uint8Array[] | undefined;
  const binaryType = type === PacketType.BINARY_EVENT || type === PacketType.BINARY_ACK;
  if (binaryType || type === PacketType.EVENT || type === PacketType.ACK) {
    // One pass both detects and extracts binary; with none it allocates nothing.
    const out: Uint8Array[] = [];
    const replaced = deconstruct(data, out);
    if (out.length > 0 || binaryType) {
      if (type === PacketType.EVENT) type = PacketType.BINARY_EVENT;
      else if (type === PacketType.ACK) type = PacketType.BINARY_ACK;
      data = replaced;
      attachments = out;
    }
  }
  let str = String(type);
  if (attachments !== undefined) str += attachments.length + "-";
  if (packet.nsp && packet.nsp !== "/") str += packet.nsp + ",";
  if (packet.id !== undefined) str += packet.id;
  // JSON.stringify yields undefined for e.g. a function: then send no payload.
  const json = data === undefined ? undefined : JSON.stringify(data);
  if (json !== undefined) str += json;
  return attachments === undefined ? [str] : [str, ...attachments];
}

/** Options of the decoder. */
export interface DecoderOptions {
  /** At most this many binary attachments per packet (default 10, as in socket.io's parser). */
  maxAttachments?: number; // default 10, as in socket.io's parser
}

/** Decodes a connection's packets, joining binary attachments to their packet. */
export class Decoder {
  private readonly maxAttachments: number;
  private pending: Packet | undefined;
  private buffers: Uint8Array[] = [];

  /** Creates a decoder. */
  constructor(opts: DecoderOptions = {}) {
    this.maxAttachments = opts.maxAttachments ?? 10;
  }

  /** Adds a frame; returns a packet once it is complete. */
  add(chunk: string | Uint8Array): Packet | undefined {
    try {
      if (typeof chunk === "string") {
        if (this.pending !== undefined) throw new ParseError("expected binary attachment, got a text packet");
        const packet = this.decodeString(chunk);
        if (packet.attachments === undefined) return packet;
        if (packet.attachments > 0) {
          this.pending = packet;
          return undefined;
        }
        // "50-...": complete now; any placeholder in it is out of range and throws.
        reconstruct(packet.data as unknown[], []);
        return packet;
      }
      if (!(chunk instanceof Uint8Array)) throw new ParseError("chunk must be a string or a Uint8Array");
      const packet = this.pending;
      if (packet === undefined) throw new ParseError("unexpected binary attachment: no packet is awaiting one");
      this.buffers.push(chunk);
      if (this.buffers.length < packet.attachments!) return undefined;
      reconstruct(packet.data as unknown[], this.buffers);
      this.reset();
      return packet;
    } catch (err) {
      // The caller closes the connection anyway, but never keep a half-built packet.
      this.reset();
      throw err;
    }
  }

  /** Drops a partially reconstructed packet. */
  destroy(): void {
    this.reset();
  }

  /** @ignore */
  private reset(): void {
    this.pending = undefined;
    this.buffers = [];
  }

  /** @ignore */
  private decodeString(str: string): Packet {
    const typeCode = str.charCodeAt(0); // NaN for "", which fails the range check
    if (!(typeCode >= 48 && typeCode <= 54)) {
      throw new ParseError(str === "" ? "empty packet" : `invalid packet type ${JSON.stringify(str[0])}`);
    }
    const type = (typeCode - 48) as PacketType;
    let i = 1;
    let attachments: number | undefined;
    if (type === PacketType.BINARY_EVENT || type === PacketType.BINARY_ACK) {
      let n = 0;
      // Fail as soon as the count passes the limit: a huge digit run costs
      // nothing and can never lose precision.
      for (; i < str.length && isDigit(str.charCodeAt(i)); i++) {
        n = n * 10 + str.charCodeAt(i) - 48;
        if (n > this.maxAttachments) {
          throw new ParseError(`Illegal attachments: too many attachments (max ${this.maxAttachments})`);
        }
      }
      if (i === 1) throw new ParseError("Illegal attachments: binary packet is missing its attachment count");
      if (str[i] !== "-") throw new ParseError("Illegal attachments: attachment count must be digits followed by '-'");
      attachments = n;
      i++;
    }
    let nsp = "/";
    if (str[i] === "/") {
      const comma = str.indexOf(",", i);
      nsp = str.slice(i, comma === -1 ? undefined : comma);
      i = comma === -1 ? str.length : comma + 1;
    }
    let id: number | undefined;
    const idStart = i;
    while (i < str.length && isDigit(str.charCodeAt(i))) i++;
    if (i > idStart) {
      if (i - idStart > MAX_ID_DIGITS) throw new ParseError(`ack id is too long (max ${MAX_ID_DIGITS} digits)`);
      id = Number(str.slice(idStart, i));
      if (!Number.isSafeInteger(id)) throw new ParseError("ack id is not a safe integer");
    }
    let data: unknown;
    if (i < str.length) {
      try {
        data = JSON.parse(str.slice(i));
      } catch {
        throw new ParseError("invalid JSON payload");
      }
    }
    validatePayload(type, data, id);
    const packet: Packet = { type, nsp };
    if (data !== undefined) packet.data = data;
    if (id !== undefined) packet.id = id;
    if (attachments !== undefined) packet.attachments = attachments;
    return packet;
  }
}

function validatePayload(type: PacketType, data: unknown, id: number | undefined): void {
  switch (type) {
    case PacketType.CONNECT:
      if (data !== undefined && !isPlainObject(data)) throw new ParseError("CONNECT payload must be an object");
      return;
    case PacketType.DISCONNECT:
      if (data !== undefined) throw new ParseError("DISCONNECT must not carry a payload");
      return;
    case PacketType.CONNECT_ERROR:
      if (typeof data !== "string" && !isPlainObject(data)) {
        throw new ParseError("CONNECT_ERROR payload must be a string or an object");
      }
      return;
    case PacketType.EVENT:
    case PacketType.BINARY_EVENT: {
      // Checked on the parsed JSON, before reconstruction, so neither the
      // payload nor its event name can be a placeholder.
      if (!Array.isArray(data) || data.length === 0) throw new ParseError("EVENT payload must be a non-empty array");
      const name: unknown = data[0];
      if (typeof name === "string") {
        if (RESERVED_EVENTS.has(name)) throw new ParseError(`reserved event name ${JSON.stringify(name)}`);
      } else if (typeof name !== "number") {
        throw new ParseError("event name must be a string or a number");
      }
      return;
    }
    case PacketType.ACK:
    case PacketType.BINARY_ACK:
      if (id === undefined) throw new ParseError("ACK must carry an id");
      if (!Array.isArray(data)) throw new ParseError("ACK payload must be an array");
      return;
  }
}

// Replaces {_placeholder:true,num:N} with buffers[N], in place (the tree was
// just made by JSON.parse, so it is ours). Iterative, so hostile nesting depth
// cannot overflow the call stack. Object.keys yields own enumerable keys only
// (array indices included); reading an own "__proto__" key with [] returns the
// own value, and writes go through defineProperty, so no prototype is replaced.
function reconstruct(root: unknown[], buffers: Uint8Array[]): void {
  const stack: object[] = [root];
  while (stack.length > 0) {
    const node = stack.pop()!;
    for (const key of Object.keys(node)) {
      const v = (node as Obj)[key];
      const bytes = resolvePlaceholder(v, buffers);
      if (bytes !== undefined) {
        Object.defineProperty(node, key, { value: bytes, writable: true, enumerable: true, configurable: true });
      } else if (isObject(v)) stack.push(v);
    }
  }
}

function resolvePlaceholder(v: unknown, buffers: Uint8Array[]): Uint8Array | undefined {
  if (!isPlainObject(v) || !Object.hasOwn(v, "_placeholder") || v._placeholder !== true) return undefined;
  const num = Object.hasOwn(v, "num") ? v.num : undefined;
  if (typeof num !== "number" || !Number.isInteger(num) || num < 0 || num >= buffers.length) {
    const shown = JSON.stringify(num) ?? "(missing)";
    throw new ParseError(`invalid placeholder index ${shown} (packet has ${buffers.length} attachments)`);
  }
  return buffers[num];
}
