/**
 * The `parser` option: which Socket.IO codec a server speaks. The default is Portio's own (parser.ts, the
 * wire format of socket.io-parser); a custom one has socket.io-parser's shape — `new parser.Encoder()` with
 * `encode(packet)` returning the frames, `new parser.Decoder()` emitting `"decoded"` from `add(chunk)` —
 * so `socket.io-msgpack-parser` and socket.io's `examples/custom-parsers` plug in unchanged.
 *
 * A custom decoder's output is checked again here (packet type, namespace, payload shape, reserved event
 * names): it comes from the peer, and a third-party parser may check less than Portio's own decoder does.
 */
import { Decoder, encode, type Packet, PacketType, ParseError, RESERVED_EVENTS } from "./parser.ts";

/**
 * A socket.io-parser-shaped module (`import msgpackParser from "socket.io-msgpack-parser"`). Typed loosely,
 * as socket.io types it (`parser: any`): parsers' own typings disagree with their code (msgpack's says
 * `encode` returns an ArrayBuffer; it returns an array), so the shape is checked at run time instead.
 */
export interface CustomParser {
  /** Encodes one packet into frames (strings and/or binary). */
  // deno-lint-ignore no-explicit-any -- third-party parsers type their packets as they like
  Encoder: new () => { encode(packet: any): unknown };
  /** Decodes frames; emits `"decoded"` with each complete packet. */
  Decoder: new () => {
    // deno-lint-ignore no-explicit-any -- see Encoder
    add(chunk: any): void;
    // deno-lint-ignore no-explicit-any -- see Encoder
    on(event: "decoded", listener: (packet: any) => void): unknown;
    destroy?(): void;
  };
}

/** One connection's decoder. */
export interface PacketDecoder {
  /** Adds a frame; returns the packet once complete. Throws on bad input. */
  add(chunk: string | Uint8Array): Packet | undefined;
  /** Drops partial state. */
  destroy(): void;
}

/** What the socket layer needs of a parser. */
export interface PacketCodec {
  /** Encodes a packet into the frames one connection gets (a broadcast calls it once). */
  encode(packet: Packet): Array<string | Uint8Array>;
  /** A decoder for one connection. */
  decoder(): PacketDecoder;
}

/** Portio's own codec (socket.io's default parser wire format). */
export function defaultCodec(maxAttachments: number): PacketCodec {
  return { encode, decoder: () => new Decoder({ maxAttachments }) };
}

/** Whether `v` has socket.io-parser's shape (the options check uses it). */
export function isCustomParser(v: unknown): v is CustomParser {
  const p = v as Partial<CustomParser> | null;
  return typeof p === "object" && p !== null && typeof p.Encoder === "function" && typeof p.Decoder === "function";
}

/** Wraps a socket.io-parser-shaped module. */
export function customCodec(parser: CustomParser): PacketCodec {
  // one encoder per server, as socket.io does (`this.encoder = new this._parser.Encoder()`)
  const encoder = new parser.Encoder();
  return {
    encode(packet) {
      // socket.io hands custom encoders EVENT/ACK; the binary types are the default parser's own business
      const frames = encoder.encode(packet);
      if (!Array.isArray(frames)) throw new TypeError("portio: the custom parser's encode() must return an array");
      for (let i = 0; i < frames.length; i++) {
        const f: unknown = frames[i];
        if (typeof f === "string" || f instanceof Uint8Array) continue;
        if (f instanceof ArrayBuffer) frames[i] = new Uint8Array(f);
        else if (ArrayBuffer.isView(f)) frames[i] = new Uint8Array(f.buffer, f.byteOffset, f.byteLength);
        else throw new TypeError("portio: the custom parser's encode() must return strings and binary frames");
      }
      return frames as Array<string | Uint8Array>;
    },
    decoder() {
      const inner = new parser.Decoder();
      let out: Packet | undefined;
      inner.on("decoded", (packet: Packet) => (out = packet));
      return {
        add(chunk) {
          out = undefined;
          try {
            inner.add(typeof chunk === "string" ? chunk : binaryForParser(chunk));
          } catch (err) {
            throw err instanceof ParseError ? err : new ParseError(`parser: ${(err as Error)?.message ?? err}`);
          }
          const packet = out;
          out = undefined;
          if (packet !== undefined) checkDecoded(packet);
          return packet;
        },
        destroy: () => inner.destroy?.(),
      };
    },
  };
}

// Parsers are written against what socket.io hands them: a Buffer on Node (engine.io's binary frames and
// base64-decoded polling payloads), an ArrayBuffer in a browser. socket.io-msgpack-parser's notepack.io has
// one build for each and neither takes a plain Uint8Array (the Node build calls `buffer.toString("utf8", …)`,
// the browser build wraps it in a DataView). So a runtime with a global `Buffer` (Node, Deno, Bun) gets a
// Buffer view of the same bytes, any other (workerd) an ArrayBuffer — the same bundle choice the package
// resolution made (the "browser" field where there is no Buffer).
type BufferCtor = { isBuffer(v: unknown): boolean; from(b: ArrayBufferLike, offset: number, length: number): unknown };
const NodeBuffer = (globalThis as { Buffer?: BufferCtor }).Buffer;

function binaryForParser(chunk: Uint8Array): unknown {
  if (NodeBuffer) {
    return NodeBuffer.isBuffer(chunk) ? chunk : NodeBuffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  }
  const whole = chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength;
  return whole ? chunk.buffer : chunk.slice().buffer;
}

function checkDecoded(p: Packet): void {
  if (typeof p !== "object" || p === null) throw new ParseError("parser: decoded packet is not an object");
  if (!Number.isInteger(p.type) || p.type < 0 || p.type > 6) throw new ParseError("parser: invalid packet type");
  if (typeof p.nsp !== "string" || p.nsp[0] !== "/") throw new ParseError("parser: invalid namespace");
  if (p.id !== undefined && p.id !== null && !Number.isSafeInteger(p.id)) throw new ParseError("parser: invalid id");
  if (p.id === null) delete p.id;
  const data = p.data;
  switch (p.type) {
    case PacketType.CONNECT:
      if (data !== undefined && data !== null && (typeof data !== "object" || Array.isArray(data))) {
        throw new ParseError("CONNECT payload must be an object");
      }
      return;
    case PacketType.EVENT:
    case PacketType.BINARY_EVENT: {
      if (!Array.isArray(data) || data.length === 0) throw new ParseError("EVENT payload must be a non-empty array");
      const name: unknown = data[0];
      if (typeof name === "string" ? RESERVED_EVENTS.has(name) : typeof name !== "number") {
        throw new ParseError(`invalid event name ${JSON.stringify(name)}`);
      }
      return;
    }
    case PacketType.ACK:
    case PacketType.BINARY_ACK:
      if (p.id === undefined || !Array.isArray(data)) throw new ParseError("ACK must carry an id and an array");
      return;
  }
}
