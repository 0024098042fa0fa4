/**
 * Engine.IO v3 framing, for `allowEIO3` (socket.io-client 2.x; engine.io-parser 2.x, the protocol's
 * "revision 3"). What differs from v4 (packet.ts):
 * - polling payloads are length-prefixed, `<length>:<packet>` with the length in UTF-16 code units, and an
 *   empty payload is `0:`; binary inside a text payload is `b<type><base64>`;
 * - a binary WebSocket frame starts with the packet type byte (4 for a message).
 * The server always answers polling with text payloads (binary as base64), which every v3 client decodes;
 * a client with XHR2 may send a binary payload (`application/octet-stream`, `decodeBinaryPayloadV3`).
 */
import { fromBase64, toBase64 } from "../util/base64.ts";
import { EngineParseError, type Packet, PACKET_TYPES, type PacketType, type RawData, TYPE_BY_CODE } from "./packet.ts";

function typeOf(code: string | number | undefined): PacketType {
  const type = code === undefined ? undefined : TYPE_BY_CODE[String(code)];
  if (type === undefined) throw new EngineParseError(`unknown packet type ${JSON.stringify(code)}`);
  return type;
}

function encodeText(packet: Packet): string {
  const { type, data } = packet;
  if (data instanceof Uint8Array) return "b" + PACKET_TYPES[type] + toBase64(data);
  return PACKET_TYPES[type] + (data ?? "");
}

export function encodeForWebSocketV3(packet: Packet): RawData {
  const { type, data } = packet;
  if (!(data instanceof Uint8Array)) return PACKET_TYPES[type] + (data ?? "");
  const out = new Uint8Array(data.byteLength + 1);
  out[0] = Number(PACKET_TYPES[type]);
  out.set(data, 1);
  return out;
}

export function decodePacketV3(raw: RawData): Packet {
  if (typeof raw !== "string") {
    if (raw.byteLength === 0) throw new EngineParseError("empty packet");
    return { type: typeOf(raw[0]), data: raw.subarray(1) };
  }
  if (raw.length === 0) throw new EngineParseError("empty packet");
  if (raw[0] === "b") {
    const type = typeOf(raw[1]);
    try {
      return { type, data: fromBase64(raw.slice(2)) };
    } catch (cause) {
      throw new EngineParseError("invalid base64 binary packet", { cause });
    }
  }
  const type = typeOf(raw[0]);
  return raw.length > 1 ? { type, data: raw.slice(1) } : { type };
}

export function encodePayloadV3(packets: readonly Packet[]): string {
  if (packets.length === 0) return "0:";
  let out = "";
  for (const p of packets) {
    const text = encodeText(p);
    out += text.length + ":" + text;
  }
  return out;
}

export function decodePayloadV3(payload: string): Packet[] {
  const packets: Packet[] = [];
  let i = 0;
  while (i < payload.length) {
    const colon = payload.indexOf(":", i);
    const digits = colon === -1 ? "" : payload.slice(i, colon);
    // at most the payload's own length: a length field cannot make the parser read past the body
    if (!/^\d{1,10}$/.test(digits)) throw new EngineParseError("invalid v3 payload length");
    const length = Number(digits);
    const start = colon + 1;
    if (start + length > payload.length) throw new EngineParseError("v3 payload shorter than its length");
    if (length === 0) {
      if (packets.length === 0 && start === payload.length) return packets; // "0:" is an empty payload
      throw new EngineParseError("empty packet in v3 payload");
    }
    packets.push(decodePacketV3(payload.slice(start, start + length)));
    i = start + length;
  }
  if (packets.length === 0) throw new EngineParseError("empty v3 payload");
  return packets;
}

/**
 * engine.io-parser 2's binary payload: per packet, a byte 0 (text) or 1 (binary), the length as one byte per
 * decimal digit, 255, then the packet: UTF-8 text, or the type byte and the data.
 */
export function decodeBinaryPayloadV3(bytes: Uint8Array): Packet[] {
  const packets: Packet[] = [];
  const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
  let i = 0;
  while (i < bytes.length) {
    const kind = bytes[i++];
    if (kind !== 0 && kind !== 1) throw new EngineParseError("invalid v3 binary payload");
    let length = 0;
    let digits = 0;
    while (i < bytes.length && bytes[i] !== 255) {
      const d = bytes[i++]!;
      // ten digits at most: engine.io-parser stops at 310 characters, a length past 1e10 is nonsense anyway
      if (d > 9 || ++digits > 10) throw new EngineParseError("invalid v3 binary payload length");
      length = length * 10 + d;
    }
    if (digits === 0 || bytes[i] !== 255) throw new EngineParseError("invalid v3 binary payload length");
    i++;
    if (length === 0 || i + length > bytes.length) {
      throw new EngineParseError("v3 binary payload shorter than its length");
    }
    const body = bytes.subarray(i, i + length);
    i += length;
    if (kind === 1) packets.push(decodePacketV3(body));
    else {
      let text: string;
      try {
        text = utf8.decode(body);
      } catch (cause) {
        throw new EngineParseError("invalid UTF-8 in a v3 binary payload", { cause });
      }
      packets.push(decodePacketV3(text));
    }
  }
  if (packets.length === 0) throw new EngineParseError("empty v3 payload");
  return packets;
}
