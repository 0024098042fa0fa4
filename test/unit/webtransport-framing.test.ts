/**
 * WebTransport framing (src/engine/framing.ts) against the official engine.io-parser's packet encoder and
 * decoder streams (what engine.io-client uses on its WebTransport stream), and hostile frames.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createPacketDecoderStream, createPacketEncoderStream, type Packet as OfficialPacket } from "engine.io-parser";
import { encodeFrame, FrameDecoder, FrameError } from "../../src/engine/framing.ts";
import type { Packet } from "../../src/engine/packet.ts";

async function officialEncode(packets: OfficialPacket[]): Promise<Uint8Array> {
  const stream = createPacketEncoderStream();
  const writer = stream.writable.getWriter();
  const chunks: Uint8Array[] = [];
  const reading = (async () => {
    const reader = stream.readable.getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      chunks.push(new Uint8Array(value));
    }
  })();
  for (const p of packets) await writer.write(p);
  await writer.close();
  await reading;
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const c of chunks) (out.set(c, at), (at += c.byteLength));
  return out;
}

async function officialDecode(bytes: Uint8Array): Promise<OfficialPacket[]> {
  const stream = createPacketDecoderStream(Number.MAX_SAFE_INTEGER, "arraybuffer");
  const writer = stream.writable.getWriter();
  void writer.write(bytes).then(() => writer.close());
  const out: OfficialPacket[] = [];
  const reader = stream.readable.getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return out;
    out.push(value);
  }
}

const big = "x".repeat(70_000); // a 64-bit length header
const mid = "é".repeat(100); // 200 bytes of UTF-8: a 16-bit length header, more bytes than characters
const bytes = new Uint8Array([0, 1, 2, 253, 254, 255]);

describe("WebTransport framing", () => {
  it("our frames decode with engine.io-parser's decoder stream (text, 16- and 64-bit lengths, binary)", async () => {
    const packets: Packet[] = [
      { type: "open", data: '{"sid":"a"}' },
      { type: "message", data: mid },
      { type: "message", data: big },
      { type: "message", data: bytes },
      { type: "ping" },
    ];
    const wire = new Uint8Array(packets.flatMap((p) => [...encodeFrame(p)]));
    const decoded = await officialDecode(wire);
    assert.equal(decoded.length, 5);
    assert.deepEqual(decoded[0], { type: "open", data: '{"sid":"a"}' });
    assert.equal(decoded[1]!.data, mid);
    assert.equal(decoded[2]!.data, big);
    assert.deepEqual([...new Uint8Array(decoded[3]!.data as ArrayBuffer)], [...bytes]);
    assert.equal(decoded[4]!.type, "ping");
  });

  it("engine.io-parser's encoder stream decodes here, byte by byte and in one chunk", async () => {
    const wire = await officialEncode([
      { type: "open" },
      { type: "message", data: mid },
      { type: "message", data: big },
      { type: "message", data: bytes },
      { type: "pong", data: "probe" },
    ]);
    const expect = ["0", "4" + mid, "4" + big, [...bytes], "3probe"];
    const whole = new FrameDecoder(1e6).push(wire).map((r) => (typeof r === "string" ? r : [...r]));
    assert.deepEqual(whole, expect);
    const d = new FrameDecoder(1e6);
    const split: unknown[] = [];
    for (let i = 0; i < wire.byteLength; i++) {
      for (const r of d.push(wire.subarray(i, i + 1))) split.push(typeof r === "string" ? r : [...r]);
    }
    assert.deepEqual(split, expect);
    assert.equal(d.buffered, 0);
  });

  it("a binary payload is its own buffer (not a view into the received chunk)", () => {
    const wire = new Uint8Array([...encodeFrame({ type: "message", data: bytes }), ...encodeFrame({ type: "ping" })]);
    const [bin] = new FrameDecoder(100).push(wire);
    assert.ok(bin instanceof Uint8Array);
    assert.equal(bin.buffer.byteLength, bytes.byteLength);
  });

  it("refuses an oversized frame from its header, before the payload arrives", () => {
    const d = new FrameDecoder(1000);
    // 126 + 16-bit length 1001: only the 3 header bytes are sent
    assert.throws(() => d.push(new Uint8Array([126, 0x03, 0xe9])), new FrameError("payload too large"));
    const d64 = new FrameDecoder(1000);
    assert.throws(
      () => d64.push(new Uint8Array([127, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1])),
      new FrameError("payload too large"),
    );
    // exactly the limit passes
    const ok = new FrameDecoder(3);
    assert.deepEqual(ok.push(new Uint8Array([3, 0x34, 0x61, 0x62])), ["4ab"]);
  });

  it("refuses an empty frame and text that is not UTF-8", () => {
    assert.throws(() => new FrameDecoder(100).push(new Uint8Array([0])), new FrameError("empty frame"));
    assert.throws(
      () => new FrameDecoder(100).push(new Uint8Array([2, 0x34, 0xff])),
      new FrameError("text frame is not UTF-8"),
    );
  });

  it("holds a partial frame without returning anything", () => {
    const d = new FrameDecoder(100);
    assert.deepEqual(d.push(new Uint8Array([5, 0x34])), []);
    assert.equal(d.buffered, 1);
    assert.deepEqual(d.push(new Uint8Array([0x61, 0x62, 0x63, 0x64])), ["4abcd"]);
  });
});
