/**
 * Engine.IO v4 packet and payload codecs (engine.io-protocol.md, "Packet encoding").
 * Pure functions; every decode failure is an EngineParseError so the session can close with "parse error".
 */
import { fromBase64, toBase64 } from "../util/base64.ts";

export const PACKET_TYPES = {
  open: "0",
  close: "1",
  ping: "2",
  pong: "3",
  message: "4",
  upgrade: "5",
  noop: "6",
} as const;
/** An Engine.IO packet type (a key of the engine's packet table). */
export type PacketType = "open" | "close" | "ping" | "pong" | "message" | "upgrade" | "noop";
/** Packet type by its one-character code (both protocol revisions use the same codes). */
export const TYPE_BY_CODE: Record<string, PacketType> = {
  0: "open",
  1: "close",
  2: "ping",
  3: "pong",
  4: "message",
  5: "upgrade",
  6: "noop",
};

/** An Engine.IO message: text, or binary bytes. */
export type RawData = string | Uint8Array;
/** An Engine.IO packet. */
export interface Packet {
  /** The packet type. */
  type: PacketType;
  /** The payload. */
  data?: RawData;
  /** socket.io's per-message flag: false sends it uncompressed over permessage-deflate (see WebSocketLike.send) */
  compress?: boolean;
}

/**
 * One message sent to many sessions (a broadcast): the engine frame (`4<data>` for text, the bytes themselves for
 * binary, e.g. a msgpack parser's packet) is built once, and a runtime that can pre-frame it
 * (`WebSocketLike.prepare`) does so once too.
 */
export class SharedMessage {
  /** The Engine.IO v4 WebSocket frame: `4` + data, or the binary data as is. */
  readonly wire: string | Uint8Array;
  /** The runtime's pre-framed form, once prepared. */
  prepared: unknown = undefined;
  /** Wraps the encoded Socket.IO packet. */
  constructor(readonly data: string | Uint8Array) {
    this.wire = typeof data === "string" ? PACKET_TYPES.message + data : data;
  }
}

/** polling payloads separate packets with the ASCII record separator */
export const SEPARATOR = "\x1e";

export class EngineParseError extends Error {
  override name = "EngineParseError";
}

/** WebSocket framing: one packet per frame, binary messages as raw bytes (no type prefix). */
export function encodeForWebSocket(packet: Packet): RawData {
  const { type, data } = packet;
  if (data instanceof Uint8Array) return data;
  return PACKET_TYPES[type] + (data ?? "");
}

/** Polling framing: everything is text, binary becomes `b` + base64. */
export function encodeForPolling(packet: Packet): string {
  const { type, data } = packet;
  if (data instanceof Uint8Array) return "b" + toBase64(data);
  return PACKET_TYPES[type] + (data ?? "");
}

export function decodePacket(raw: RawData): Packet {
  if (typeof raw !== "string") return { type: "message", data: raw };
  if (raw.length === 0) throw new EngineParseError("empty packet");
  const code = raw[0]!;
  if (code === "b") {
    try {
      return { type: "message", data: fromBase64(raw.slice(1)) };
    } catch (cause) {
      throw new EngineParseError("invalid base64 binary packet", { cause });
    }
  }
  const type = TYPE_BY_CODE[code];
  if (type === undefined) {
    throw new EngineParseError(`unknown packet type ${JSON.stringify(code)}`);
  }
  return raw.length > 1 ? { type, data: raw.slice(1) } : { type };
}

export function encodePayload(packets: readonly Packet[]): string {
  let out = "";
  for (let i = 0; i < packets.length; i++) {
    if (i > 0) out += SEPARATOR;
    out += encodeForPolling(packets[i]!);
  }
  return out;
}

export function decodePayload(payload: string): Packet[] {
  return payload.split(SEPARATOR).map(decodePacket);
}
