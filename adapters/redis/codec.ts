/**
 * The bytes of @socket.io/redis-streams-adapter, so official nodes read what Portio writes and back:
 * - a stream entry is the fields `uid`, `nsp`, `type` (the number as a string) and `data`: JSON, or when the
 *   payload holds binary, base64 of its MessagePack encoding (a reader tells them apart by the leading "{");
 * - a pub/sub message (requests that need no replay, and every response) is the whole message in MessagePack;
 * - a session (connection state recovery) is base64 of MessagePack `{sid, pid, rooms, data}`.
 */
import { Buffer } from "node:buffer";
import { decode as msgpackDecode, encode as msgpackEncode } from "@msgpack/msgpack";
import {
  type AnyClusterMessage,
  type ClusterMessage,
  hasBinary,
  MessageType,
  type SessionToPersist,
} from "portio/room-store";

/** Types whose payload may carry user data, hence binary (the official adapter's `mayContainBinary`). */
const MAY_CONTAIN_BINARY: ReadonlySet<number> = new Set([
  MessageType.BROADCAST,
  MessageType.FETCH_SOCKETS_RESPONSE,
  MessageType.SERVER_SIDE_EMIT,
  MessageType.SERVER_SIDE_EMIT_RESPONSE,
  MessageType.BROADCAST_ACK,
]);

// undefined is dropped, not turned into nil: JSON (the other encoding) drops it too, and an official node
// would otherwise see `id: null` on a packet that has no ack id
const MSGPACK = { ignoreUndefined: true } as const;

/** A Uint8Array as the Buffer node-redis insists on (it rejects other views), without copying. */
export function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function msgpack(value: unknown): Buffer {
  return toBuffer(msgpackEncode(viewsOf(value), MSGPACK));
}

/**
 * @msgpack/msgpack encodes a bare ArrayBuffer as an empty map, and socket.io-msgpack-parser hands the server
 * exactly that for a client's Uint8Array (notepack.io's ext type 0): such payloads would reach other nodes as
 * `{}`. Copies the containers on the way to an ArrayBuffer and wraps it in a Uint8Array (MessagePack bin).
 */
function viewsOf(v: unknown, depth = 0): unknown {
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  if (typeof v !== "object" || v === null || ArrayBuffer.isView(v) || depth > 64) return v;
  if (Array.isArray(v)) {
    let copy: unknown[] | undefined;
    v.forEach((x, i) => {
      const r = viewsOf(x, depth + 1);
      if (r !== x) (copy ??= [...v])[i] = r;
    });
    return copy ?? v;
  }
  if (Object.getPrototypeOf(v) !== Object.prototype && Object.getPrototypeOf(v) !== null) return v;
  let copy: Record<string, unknown> | undefined;
  for (const [k, x] of Object.entries(v)) {
    const r = viewsOf(x, depth + 1);
    if (r !== x) (copy ??= { ...v } as Record<string, unknown>)[k] = r;
  }
  return copy ?? v;
}

export function unmsgpack(bytes: Uint8Array): unknown {
  return msgpackDecode(bytes);
}

/** XADD field/value arguments for a message. */
export function encodeEntry(message: ClusterMessage | AnyClusterMessage, onlyPlaintext = false): string[] {
  const fields = ["uid", message.uid, "nsp", message.nsp, "type", String(message.type)];
  const data = (message as { data?: unknown }).data;
  if (data) {
    const binary = !onlyPlaintext && MAY_CONTAIN_BINARY.has(message.type) && hasBinary(data);
    fields.push("data", binary ? msgpack(data).toString("base64") : JSON.stringify(data));
  }
  return fields;
}

/** A message from an XREAD/XRANGE entry's flat field list, or undefined when it is not one. */
export function decodeEntry(fields: unknown): AnyClusterMessage | undefined {
  if (!Array.isArray(fields)) return undefined;
  const raw: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) raw[String(fields[i])] = String(fields[i + 1]);
  if (!raw.nsp || raw.uid === undefined || raw.type === undefined) return undefined;
  const message = { uid: raw.uid, nsp: raw.nsp, type: Number.parseInt(raw.type, 10) } as AnyClusterMessage & {
    data?: unknown;
  };
  if (raw.data) {
    message.data = raw.data.startsWith("{") ? JSON.parse(raw.data) : unmsgpack(Buffer.from(raw.data, "base64"));
  }
  return message;
}

export function encodeSession(session: SessionToPersist): string {
  return msgpack({ sid: session.sid, pid: session.pid, rooms: session.rooms, data: session.data }).toString("base64");
}

export function decodeSession(value: string): SessionToPersist | undefined {
  const s = unmsgpack(Buffer.from(value, "base64")) as Partial<SessionToPersist> | null;
  if (!s || typeof s.sid !== "string" || typeof s.pid !== "string" || !Array.isArray(s.rooms)) return undefined;
  return { sid: s.sid, pid: s.pid, rooms: s.rooms.filter((r) => typeof r === "string"), data: s.data };
}

// ---- stream entry ids ("<ms>-<seq>"): the offsets of connection state recovery ------------------------------

export const ENTRY_ID = /^\d+-\d+$/;

/** Orders two entry ids (numerically: "10-0" comes after "9-5"). */
export function compareIds(a: string, b: string): number {
  const [am = "0", as = "0"] = a.split("-");
  const [bm = "0", bs = "0"] = b.split("-");
  if (am.length !== bm.length) return am.length - bm.length;
  if (am !== bm) return am < bm ? -1 : 1;
  if (as.length !== bs.length) return as.length - bs.length;
  return as === bs ? 0 : as < bs ? -1 : 1;
}
