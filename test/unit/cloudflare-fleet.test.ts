/**
 * The fleet's pieces that need no runtime: the frame codec between shards (binary kept as bytes, frames
 * split across chunks, malformed or oversized input refused) and `shardOf` (stable, spread).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeFrames, encodeFrames, FrameReader } from "../../adapters/cloudflare/fleet-codec.ts";
import { shardOf } from "../../adapters/cloudflare/fleet.ts";

test("frames carry JSON with binary parts as bytes, several per body", () => {
  const bin = new Uint8Array([0, 1, 254, 255]);
  const view = new DataView(new Uint8Array([7, 8, 9]).buffer, 1, 2);
  const values = [
    { n: "/", m: { data: ["ev", bin, { nested: [view, "x"] }, new Uint8Array(0).buffer] } },
    "plain",
    [1, null, { _placeholder: false }],
  ];
  const out = decodeFrames(encodeFrames(values), 1 << 20) as typeof values;
  const m = (out[0] as { m: { data: unknown[] } }).m.data;
  assert.deepEqual(m[1], bin);
  assert.deepEqual((m[2] as { nested: unknown[] }).nested, [new Uint8Array([8, 9]), "x"]);
  assert.deepEqual(m[3], new Uint8Array(0));
  assert.equal(out[1], "plain");
  assert.deepEqual(out[2], [1, null, { _placeholder: false }]);
});

test("a reader gives complete frames only, whatever the chunking", () => {
  const body = encodeFrames([{ a: new Uint8Array(300).fill(3) }, { b: "two" }, { c: [new Uint8Array([1])] }]);
  for (const size of [1, 3, 7, 64, body.byteLength]) {
    const reader = new FrameReader(1 << 20);
    const frames: unknown[] = [];
    for (let i = 0; i < body.byteLength; i += size) frames.push(...reader.push(body.subarray(i, i + size)));
    assert.equal(frames.length, 3, `chunks of ${size}`);
    assert.equal(reader.pending, false);
    assert.deepEqual((frames[0] as { a: Uint8Array }).a, new Uint8Array(300).fill(3));
    assert.deepEqual(frames[1], { b: "two" });
  }
});

test("malformed and oversized frames are refused, not read", () => {
  const body = encodeFrames([{ big: "x".repeat(1000) }]);
  assert.throws(() => decodeFrames(body, 100), /over 100 bytes/);
  assert.throws(() => decodeFrames(body.subarray(0, body.byteLength - 3), 1 << 20), /ends mid-frame/);
  // a placeholder pointing at an attachment that is not there
  const forged = encodeFrames([{ _placeholder: true, num: 0 }]);
  assert.throws(() => decodeFrames(forged, 1 << 20), /missing attachment/);
  const junk = new Uint8Array([0, 0, 0, 2, 0x7b, 0x7b, 0, 0, 0, 0]); // "{{" is not JSON
  assert.throws(() => decodeFrames(junk, 1 << 20), SyntaxError);
});

test("shardOf: the same key always lands on the same shard, and keys spread over all of them", () => {
  const shards = ["s0", "s1", "s2", "s3"];
  assert.equal(shardOf("room-1", shards), shardOf("room-1", [...shards]));
  const seen = new Map<string, number>();
  for (let i = 0; i < 400; i++) {
    const s = shardOf(`room-${i}`, shards);
    seen.set(s, (seen.get(s) ?? 0) + 1);
  }
  assert.deepEqual([...seen.keys()].sort(), shards);
  for (const n of seen.values()) assert.ok(n > 60, `uneven spread: ${[...seen.values()]}`);
  assert.throws(() => shardOf("x", []), /no shards/);
});
