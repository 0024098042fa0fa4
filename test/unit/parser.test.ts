import { test } from "node:test";
import assert from "node:assert/strict";
import {
  Decoder,
  type DecoderOptions,
  encode,
  hasBinary,
  type Packet,
  PacketType,
  ParseError,
} from "../../src/socket/parser.ts";

const PH = (num: number) => ({ _placeholder: true, num });
const bytes = (...b: number[]) => new Uint8Array(b);

/** Feeds every chunk; asserts only the last one completes the packet, and returns it. */
function decodeAll(chunks: Array<string | Uint8Array>, decoder = new Decoder()): Packet {
  let out: Packet | undefined;
  chunks.forEach((chunk, i) => {
    out = decoder.add(chunk);
    if (i < chunks.length - 1) assert.equal(out, undefined, `chunk ${i} must not complete the packet`);
  });
  assert.ok(out, "last chunk must complete the packet");
  return out;
}

/** Simulates the wire: attachments arrive as fresh copies, not the sender's objects. */
function roundTrip(packet: Packet): Packet {
  return decodeAll(encode(packet).map((c) => (typeof c === "string" ? c : new Uint8Array(c))));
}

/** Feeds all chunks but the last (which must succeed), then asserts the last throws ParseError. */
function assertRejects(chunks: Array<string | Uint8Array> | string, message: RegExp, decoder = new Decoder()): void {
  const list = typeof chunks === "string" ? [chunks] : chunks;
  for (const c of list.slice(0, -1)) decoder.add(c);
  assert.throws(
    () => decoder.add(list[list.length - 1]!),
    (err) => err instanceof ParseError && message.test(err.message),
  );
}

// ---------------------------------------------------------------------------
// Spec "Packet encoding" examples: encode and decode each one.

const specExamples: Array<{ name: string; packet: Packet; wire: Array<string | Uint8Array>; decoded?: Packet }> = [
  { name: "CONNECT main nsp", packet: { type: PacketType.CONNECT, nsp: "/" }, wire: ["0"] },
  {
    name: "CONNECT custom nsp with payload",
    packet: { type: PacketType.CONNECT, nsp: "/admin", data: { sid: "oSO0OpakMV_3jnilAAAA" } },
    wire: ['0/admin,{"sid":"oSO0OpakMV_3jnilAAAA"}'],
  },
  {
    name: "CONNECT_ERROR",
    packet: { type: PacketType.CONNECT_ERROR, nsp: "/", data: { message: "Not authorized" } },
    wire: ['4{"message":"Not authorized"}'],
  },
  { name: "EVENT main nsp", packet: { type: PacketType.EVENT, nsp: "/", data: ["foo"] }, wire: ['2["foo"]'] },
  {
    name: "EVENT custom nsp",
    packet: { type: PacketType.EVENT, nsp: "/admin", data: ["bar"] },
    wire: ['2/admin,["bar"]'],
  },
  {
    name: "BINARY_EVENT one attachment",
    packet: { type: PacketType.EVENT, nsp: "/", data: ["baz", bytes(1, 2, 3, 4)] },
    wire: ['51-["baz",{"_placeholder":true,"num":0}]', bytes(1, 2, 3, 4)],
    decoded: { type: PacketType.BINARY_EVENT, nsp: "/", data: ["baz", bytes(1, 2, 3, 4)], attachments: 1 },
  },
  {
    name: "BINARY_EVENT multiple attachments, custom nsp",
    packet: { type: PacketType.EVENT, nsp: "/admin", data: ["baz", bytes(1, 2), bytes(3, 4)] },
    wire: ['52-/admin,["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]', bytes(1, 2), bytes(3, 4)],
    decoded: {
      type: PacketType.BINARY_EVENT,
      nsp: "/admin",
      data: ["baz", bytes(1, 2), bytes(3, 4)],
      attachments: 2,
    },
  },
  {
    name: "EVENT with ack id",
    packet: { type: PacketType.EVENT, nsp: "/", data: ["foo"], id: 12 },
    wire: ['212["foo"]'],
  },
  {
    name: "ACK custom nsp",
    packet: { type: PacketType.ACK, nsp: "/admin", data: ["bar"], id: 13 },
    wire: ['3/admin,13["bar"]'],
  },
  {
    name: "BINARY_ACK",
    packet: { type: PacketType.ACK, nsp: "/", data: ["bar", bytes(1, 2, 3, 4)], id: 15 },
    wire: ['61-15["bar",{"_placeholder":true,"num":0}]', bytes(1, 2, 3, 4)],
    decoded: { type: PacketType.BINARY_ACK, nsp: "/", data: ["bar", bytes(1, 2, 3, 4)], id: 15, attachments: 1 },
  },
  { name: "DISCONNECT main nsp", packet: { type: PacketType.DISCONNECT, nsp: "/" }, wire: ["1"] },
  { name: "DISCONNECT custom nsp", packet: { type: PacketType.DISCONNECT, nsp: "/admin" }, wire: ["1/admin,"] },
];

for (const ex of specExamples) {
  test(`spec example encodes: ${ex.name}`, () => {
    assert.deepStrictEqual(encode(ex.packet), ex.wire);
  });
  test(`spec example decodes: ${ex.name}`, () => {
    assert.deepStrictEqual(decodeAll(ex.wire), ex.decoded ?? ex.packet);
  });
}

test("spec example: explicit BINARY_EVENT type with a Node Buffer encodes like the spec", () => {
  const out = encode({ type: PacketType.BINARY_EVENT, nsp: "/", data: ["baz", Buffer.from([1, 2, 3, 4])] });
  assert.equal(out[0], '51-["baz",{"_placeholder":true,"num":0}]');
  assert.deepStrictEqual([...(out[1] as Uint8Array)], [1, 2, 3, 4]);
});

// ---------------------------------------------------------------------------
// Encoding

test("encode: plain packet is a single string; undefined data has no JSON part", () => {
  assert.deepStrictEqual(encode({ type: PacketType.EVENT, nsp: "/chat", data: ["a", 1, { b: [true] }], id: 7 }), [
    '2/chat,7["a",1,{"b":[true]}]',
  ]);
  assert.deepStrictEqual(encode({ type: PacketType.CONNECT, nsp: "/chat" }), ["0/chat,"]);
  assert.deepStrictEqual(encode({ type: PacketType.EVENT, nsp: "/", data: ["x"], id: 0 }), ['20["x"]']);
});

test("encode: placeholders are numbered depth-first in output order", () => {
  const a = bytes(0), b = bytes(1), c = bytes(2), d = bytes(3);
  const out = encode({ type: PacketType.EVENT, nsp: "/", data: ["e", { x: a, y: [b, { z: c }] }, d] });
  assert.equal(
    out[0],
    '54-["e",{"x":{"_placeholder":true,"num":0},"y":[{"_placeholder":true,"num":1},{"z":{"_placeholder":true,"num":2}}]},{"_placeholder":true,"num":3}]',
  );
  assert.equal(out.length, 5);
  // Uint8Array attachments are passed through without a copy.
  assert.equal(out[1], a);
  assert.equal(out[2], b);
  assert.equal(out[3], c);
  assert.equal(out[4], d);
});

test("encode: ArrayBuffer and other views become exact Uint8Array views over the same memory", () => {
  const ab = new Uint8Array([9, 8, 7]).buffer;
  const backing = new ArrayBuffer(16);
  new Uint8Array(backing).set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
  const dv = new DataView(backing, 2, 3);
  const f32 = new Float32Array(backing, 8, 2);
  const out = encode({ type: PacketType.EVENT, nsp: "/", data: ["e", ab, dv, f32] });
  const [, u0, u1, u2] = out as [string, Uint8Array, Uint8Array, Uint8Array];
  assert.ok(u0 instanceof Uint8Array && u0.buffer === ab);
  assert.deepStrictEqual([...u0], [9, 8, 7]);
  assert.ok(u1.buffer === backing && u1.byteOffset === 2 && u1.byteLength === 3);
  assert.deepStrictEqual([...u1], [2, 3, 4]);
  assert.ok(u2.buffer === backing && u2.byteOffset === 8 && u2.byteLength === 8);
  assert.deepStrictEqual([...u2], [8, 9, 10, 11, 12, 13, 14, 15]);
});

test("encode: binary inside a toJSON() result is extracted", () => {
  class Blobby {
    constructor(private readonly payload: Uint8Array) {}
    toJSON() {
      return { kind: "blobby", payload: this.payload };
    }
  }
  const out = encode({ type: PacketType.EVENT, nsp: "/", data: ["e", new Blobby(bytes(5))] });
  assert.deepStrictEqual(out, ['51-["e",{"kind":"blobby","payload":{"_placeholder":true,"num":0}}]', bytes(5)]);
});

test("encode: an own __proto__ key in the caller's data survives the binary copy", () => {
  const data = JSON.parse('["e",{"__proto__":{"x":1},"b":null}]') as [string, Record<string, unknown>];
  data[1]["b"] = bytes(1);
  const out = encode({ type: PacketType.EVENT, nsp: "/", data });
  assert.equal(out[0], '51-["e",{"__proto__":{"x":1},"b":{"_placeholder":true,"num":0}}]');
});

test("encode does not mutate its input", () => {
  const buf = Buffer.from([1, 2]);
  const ab = new ArrayBuffer(2);
  const inner = { keep: "me", bin: buf, list: [1, ab, { deep: new DataView(ab) }] };
  const data = ["e", inner, [buf], "tail"];
  const packet: Packet = { type: PacketType.EVENT, nsp: "/x", data, id: 3 };
  const freeze = (v: unknown): void => {
    if (typeof v !== "object" || v === null || ArrayBuffer.isView(v) || v instanceof ArrayBuffer) return;
    Object.freeze(v);
    for (const k of Object.keys(v)) freeze((v as Record<string, unknown>)[k]);
  };
  freeze(packet); // any write into the caller's objects now throws in strict mode
  encode(packet);
  assert.equal(packet.type, PacketType.EVENT);
  assert.equal(packet.data, data);
  assert.equal(data[1], inner);
  assert.equal(inner.bin, buf);
  assert.equal(inner.list[1], ab);
  assert.ok(inner.list[2] !== undefined && (inner.list[2] as { deep: unknown }).deep instanceof DataView);
  assert.deepStrictEqual([...buf], [1, 2]);
});

// ---------------------------------------------------------------------------
// hasBinary

test("hasBinary: primitives and plain JSON are not binary", () => {
  for (const v of [undefined, null, 0, "s", true, [], {}, ["a", { b: [1, null] }], new Date()]) {
    assert.equal(hasBinary(v), false);
  }
});

test("hasBinary: finds nested Uint8Array, ArrayBuffer, DataView, Buffer", () => {
  assert.equal(hasBinary(bytes(1)), true);
  assert.equal(hasBinary(["a", { b: [new ArrayBuffer(1)] }]), true);
  assert.equal(hasBinary({ a: { b: new DataView(new ArrayBuffer(1)) } }), true);
  assert.equal(hasBinary([Buffer.from("x")]), true);
  assert.equal(hasBinary([new Float64Array(1)]), true);
});

test("hasBinary honours toJSON like JSON.stringify", () => {
  assert.equal(hasBinary({ toJSON: () => ({ b: bytes(1) }) }), true);
  assert.equal(hasBinary({ hidden: bytes(1), toJSON: () => "nothing" }), false);
  const self: { b: Uint8Array; toJSON(): unknown } = {
    b: bytes(1),
    toJSON() {
      return this;
    },
  };
  assert.equal(hasBinary(self), true); // toJSON returning `this` must not loop
});

// ---------------------------------------------------------------------------
// Round trips

test("round trip: nested binary of every kind comes back as Uint8Array with the same bytes", () => {
  const backing = new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7]).buffer;
  const packet: Packet = {
    type: PacketType.EVENT,
    nsp: "/files",
    id: 42,
    data: [
      "upload",
      { u8: bytes(1, 2), ab: new Uint8Array([3, 4]).buffer, nested: [{ dv: new DataView(backing, 5, 2) }] },
      Buffer.from("hi"),
      new Uint8Array(backing, 2, 3),
      "text",
      { n: 1, list: [null, true] },
    ],
  };
  const decoded = roundTrip(packet);
  assert.deepStrictEqual(decoded, {
    type: PacketType.BINARY_EVENT,
    nsp: "/files",
    id: 42,
    attachments: 5,
    data: [
      "upload",
      { u8: bytes(1, 2), ab: bytes(3, 4), nested: [{ dv: bytes(5, 6) }] },
      bytes(0x68, 0x69),
      bytes(2, 3, 4),
      "text",
      { n: 1, list: [null, true] },
    ],
  });
});

test("round trip: BINARY_ACK with nested binary", () => {
  const decoded = roundTrip({ type: PacketType.ACK, nsp: "/", id: 9, data: [{ ok: true, blob: bytes(7) }] });
  assert.deepStrictEqual(decoded, {
    type: PacketType.BINARY_ACK,
    nsp: "/",
    id: 9,
    attachments: 1,
    data: [{ ok: true, blob: bytes(7) }],
  });
});

test("round trip: namespaces and ids", () => {
  for (const nsp of ["/", "/admin", "/a/b", "/with space", "/ünïcode"]) {
    for (const id of [undefined, 0, 1, 123456, Number.MAX_SAFE_INTEGER]) {
      const packet: Packet = { type: PacketType.EVENT, nsp, data: ["ev", 1] };
      if (id !== undefined) packet.id = id;
      assert.deepStrictEqual(roundTrip(packet), packet);
    }
  }
  assert.deepStrictEqual(roundTrip({ type: PacketType.ACK, nsp: "/admin", id: 0, data: [] }), {
    type: PacketType.ACK,
    nsp: "/admin",
    id: 0,
    data: [],
  });
});

// ---------------------------------------------------------------------------
// Accepted edge cases

test("decode: namespace without a trailing comma runs to the end of the string", () => {
  assert.deepStrictEqual(decodeAll(["1/admin"]), { type: PacketType.DISCONNECT, nsp: "/admin" });
});

test("decode: numeric event names, empty ACK arrays and string CONNECT_ERROR payloads are valid", () => {
  assert.deepStrictEqual(decodeAll(['2[1,"a"]']).data, [1, "a"]);
  assert.deepStrictEqual(decodeAll(["31[]"]), { type: PacketType.ACK, nsp: "/", id: 1, data: [] });
  assert.deepStrictEqual(decodeAll(['4"nope"']).data, "nope");
});

test("decode: placeholder-shaped objects in a non-binary EVENT are left alone", () => {
  assert.deepStrictEqual(decodeAll(['2["e",{"_placeholder":true,"num":0}]']).data, ["e", PH(0)]);
});

test("decode: attachment count 0 completes the packet immediately", () => {
  assert.deepStrictEqual(decodeAll(['50-["e",1]']), {
    type: PacketType.BINARY_EVENT,
    nsp: "/",
    data: ["e", 1],
    attachments: 0,
  });
});

test("decode: maxAttachments is configurable", () => {
  const d = new Decoder({ maxAttachments: 11 });
  const chunks = ['511-["e"]', ...Array.from({ length: 11 }, (_, i) => bytes(i))];
  assert.equal(decodeAll(chunks, d).attachments, 11);
});

test("decode: 10 attachments are allowed by default", () => {
  const data = ["e", ...Array.from({ length: 10 }, (_, i) => bytes(i))];
  const decoded = roundTrip({ type: PacketType.EVENT, nsp: "/", data });
  assert.equal(decoded.attachments, 10);
  assert.deepStrictEqual(decoded.data, data);
});

test("decode: very deep nesting in a binary packet does not overflow the stack", () => {
  const depth = 100_000;
  const json = `["e",${"[".repeat(depth)}{"_placeholder":true,"num":0}${"]".repeat(depth)}]`;
  const decoded = decodeAll([`51-${json}`, bytes(1)]);
  let node: unknown = (decoded.data as unknown[])[1];
  for (let i = 0; i < depth; i++) node = (node as unknown[])[0];
  assert.deepStrictEqual(node, bytes(1));
});

// ---------------------------------------------------------------------------
// Rejections: every case must throw ParseError.

type Rejection = [name: string, chunks: Array<string | Uint8Array> | string, message: RegExp, opts?: DecoderOptions];
const rejections: Rejection[] = [
  ["empty string", "", /empty packet/],
  ["type is not a digit", 'x["e"]', /invalid packet type/],
  ["type 7", '7["e"]', /invalid packet type/],
  ["type 9", "9", /invalid packet type/],
  ["BINARY_EVENT without attachment count", '5["e",{"_placeholder":true,"num":0}]', /missing its attachment count/],
  ["BINARY_ACK without attachment count", '6["e"]', /missing its attachment count/],
  ["attachment count missing '-'", '51["e",{"_placeholder":true,"num":0}]', /followed by '-'/],
  ["attachment count at end of string", "51", /followed by '-'/],
  ["fractional attachment count", '51.5-["e"]', /followed by '-'/],
  ["negative attachment count", '5-1-["e"]', /missing its attachment count/],
  ["non-digit in attachment count", '51a-["e"]', /followed by '-'/],
  ["attachment count above default max (10)", '511-["e"]', /too many attachments \(max 10\)/],
  ["huge attachment count", `5${"9".repeat(400)}-["e"]`, /too many attachments/],
  ["attachment count above custom max", '53-["e"]', /too many attachments \(max 2\)/, { maxAttachments: 2 }],
  ["id longer than 16 digits", '212345678901234567["e"]', /ack id is too long/],
  ["16-digit id above MAX_SAFE_INTEGER", '29999999999999999["e"]', /not a safe integer/],
  ["truncated JSON", '2["foo"', /invalid JSON/],
  ["invalid JSON", "2{bad}", /invalid JSON/],
  ["trailing garbage after JSON", '2["foo"]x', /invalid JSON/],
  ["CONNECT with array payload", "0[]", /CONNECT payload/],
  ["CONNECT with string payload", '0"x"', /CONNECT payload/],
  ["CONNECT with null payload", "0null", /CONNECT payload/],
  ["DISCONNECT with payload", "1{}", /DISCONNECT must not/],
  ["CONNECT_ERROR without payload", "4", /CONNECT_ERROR payload/],
  ["CONNECT_ERROR with array payload", '4["x"]', /CONNECT_ERROR payload/],
  ["CONNECT_ERROR with null payload", "4null", /CONNECT_ERROR payload/],
  ["EVENT without payload", "2", /non-empty array/],
  ["EVENT with object payload", '2{"a":1}', /non-empty array/],
  ["EVENT with string payload", '2"foo"', /non-empty array/],
  ["EVENT with empty array", "2[]", /non-empty array/],
  ["EVENT with object event name", '2[{"a":1}]', /event name must be/],
  ["EVENT with null event name", "2[null]", /event name must be/],
  ["EVENT with boolean event name", "2[true]", /event name must be/],
  ["EVENT with array event name", '2[["e"]]', /event name must be/],
  ...["connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"].map(
    (
      name,
    ): [string, string, RegExp] => [
      `reserved event name "${name}"`,
      `2${JSON.stringify([name])}`,
      /reserved event name/,
    ],
  ),
  ["reserved event name in BINARY_EVENT", ['51-["disconnect",{"_placeholder":true,"num":0}]'], /reserved event name/],
  ["ACK without id", '3["x"]', /must carry an id/],
  ["ACK with object payload", '31{"a":1}', /ACK payload must be an array/],
  ["ACK without payload", "31", /ACK payload must be an array/],
  ["BINARY_ACK without id", '61-["x",{"_placeholder":true,"num":0}]', /must carry an id/],
  ["BINARY_ACK with object payload", '61-1{"_placeholder":true,"num":0}', /ACK payload must be an array/],
  ["BINARY_EVENT whose whole data is a placeholder", '51-{"_placeholder":true,"num":0}', /non-empty array/],
  ["BINARY_EVENT whose event name is a placeholder", '51-[{"_placeholder":true,"num":0}]', /event name must be/],
  [
    "text packet while waiting for an attachment",
    ['51-["e",{"_placeholder":true,"num":0}]', '2["e"]'],
    /expected binary attachment/,
  ],
  [
    "text packet while waiting for the 2nd attachment",
    ['52-["e",{"_placeholder":true,"num":0}]', bytes(1), "0"],
    /expected binary attachment/,
  ],
  ["lone binary frame", [bytes(1, 2)], /unexpected binary attachment/],
  ["binary frame after a completed packet", ['2["e"]', bytes(1)], /unexpected binary attachment/],
  ["placeholder num out of range", ['51-["e",{"_placeholder":true,"num":1}]', bytes(1)], /invalid placeholder index 1/],
  ["negative placeholder num", ['51-["e",{"_placeholder":true,"num":-1}]', bytes(1)], /invalid placeholder index -1/],
  [
    "fractional placeholder num",
    ['51-["e",{"_placeholder":true,"num":0.5}]', bytes(1)],
    /invalid placeholder index 0.5/,
  ],
  ["string placeholder num", ['51-["e",{"_placeholder":true,"num":"0"}]', bytes(1)], /invalid placeholder index "0"/],
  ["placeholder without num", ['51-["e",{"_placeholder":true}]', bytes(1)], /invalid placeholder index \(missing\)/],
  [
    "placeholder in a packet with 0 attachments",
    '50-["e",{"_placeholder":true,"num":0}]',
    /invalid placeholder index 0/,
  ],
  [
    "chunk that is neither string nor Uint8Array",
    [new ArrayBuffer(1) as unknown as Uint8Array],
    /must be a string or a Uint8Array/,
  ],
];

for (const [name, chunks, message, opts] of rejections) {
  test(`rejects: ${name}`, () => assertRejects(chunks, message, new Decoder(opts)));
}

test("ParseError has name ParseError and a precise message", () => {
  try {
    new Decoder().add('2["connect"]');
    assert.fail("should throw");
  } catch (e) {
    assert.ok(e instanceof ParseError);
    assert.equal(e.name, "ParseError");
    assert.match(e.message, /reserved event name "connect"/);
  }
  assert.throws(() => new Decoder().add('511-["e"]'), { name: "ParseError", message: /too many attachments/ });
  assert.throws(() => new Decoder().add(bytes(1)), { name: "ParseError", message: /unexpected binary attachment/ });
});

// ---------------------------------------------------------------------------
// Prototype pollution

test("__proto__ placeholder does not change any prototype", () => {
  const before = Object.getOwnPropertyNames(Object.prototype).sort();
  const decoded = decodeAll([
    '51-["e",{"__proto__":{"_placeholder":true,"num":0}},{"__proto__":{"polluted":true,"x":{"_placeholder":true,"num":0}}}]',
    bytes(1, 2),
  ]);
  const [, a, b] = decoded.data as [string, object, object];
  assert.deepStrictEqual(Object.getOwnPropertyNames(Object.prototype).sort(), before);
  assert.equal(Object.getPrototypeOf(a), Object.prototype);
  assert.equal(Object.getPrototypeOf(b), Object.prototype);
  assert.equal(({} as { polluted?: unknown }).polluted, undefined);
  assert.equal(({} as { x?: unknown }).x, undefined);
  // The key stays an own data property holding the attachment.
  const desc = Object.getOwnPropertyDescriptor(a, "__proto__");
  assert.ok(desc && "value" in desc);
  assert.deepStrictEqual(desc.value, bytes(1, 2));
});

test("constructor/prototype keys with placeholders do not touch Object or Object.prototype", () => {
  const before = Object.getOwnPropertyNames(Object.prototype).sort();
  const decoded = decodeAll([
    '51-["e",{"constructor":{"prototype":{"_placeholder":true,"num":0}}},{"prototype":{"_placeholder":true,"num":0}}]',
    bytes(3),
  ]);
  assert.deepStrictEqual(Object.getOwnPropertyNames(Object.prototype).sort(), before);
  assert.equal(Object.prototype.constructor, Object);
  const [, a] = decoded.data as [string, { constructor: { prototype: unknown } }];
  assert.equal(Object.getPrototypeOf(a), Object.prototype);
  assert.deepStrictEqual(a.constructor.prototype, bytes(3));
});

// ---------------------------------------------------------------------------
// Decoder state

test("decoder resets after an error and keeps working", () => {
  const d = new Decoder();
  assert.equal(d.add('52-["e",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]'), undefined);
  assert.equal(d.add(bytes(1)), undefined);
  assert.throws(() => d.add('2["oops"]'), ParseError);
  // The half-built packet is gone: a binary frame is now a lone frame ...
  assert.throws(() => d.add(bytes(2)), ParseError);
  // ... and ordinary packets decode again.
  assert.deepStrictEqual(d.add('2["ok"]'), { type: PacketType.EVENT, nsp: "/", data: ["ok"] });
  assert.throws(() => d.add("9"), ParseError);
  assert.deepStrictEqual(decodeAll(['51-["b",{"_placeholder":true,"num":0}]', bytes(5)], d).data, ["b", bytes(5)]);
});

test("decoder resets after an invalid placeholder in the last attachment", () => {
  const d = new Decoder();
  assert.equal(d.add('51-["e",{"_placeholder":true,"num":4}]'), undefined);
  assert.throws(() => d.add(bytes(1)), ParseError);
  assert.deepStrictEqual(d.add('2["ok"]')?.data, ["ok"]);
});

test("destroy drops a partially reconstructed packet", () => {
  const d = new Decoder();
  assert.equal(d.add('51-["e",{"_placeholder":true,"num":0}]'), undefined);
  d.destroy();
  assert.throws(() => d.add(bytes(1)), ParseError);
  assert.deepStrictEqual(d.add('2["ok"]')?.data, ["ok"]);
});

test("one decoder handles many packets in sequence", () => {
  const d = new Decoder();
  for (let i = 0; i < 3; i++) {
    assert.deepStrictEqual(decodeAll(encode({ type: PacketType.EVENT, nsp: "/", data: ["n", i, bytes(i)] }), d), {
      type: PacketType.BINARY_EVENT,
      nsp: "/",
      data: ["n", i, bytes(i)],
      attachments: 1,
    });
    assert.deepStrictEqual(d.add(`2["t",${i}]`), { type: PacketType.EVENT, nsp: "/", data: ["t", i] });
  }
});
