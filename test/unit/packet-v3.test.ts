/** Engine.IO v3 codecs (allowEIO3): engine.io-parser 2's formats, and hostile input as EngineParseError. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  decodeBinaryPayloadV3,
  decodePacketV3,
  decodePayloadV3,
  encodeForWebSocketV3,
  encodePayloadV3,
} from "../../src/engine/packet-v3.ts";

describe("Engine.IO v3 codecs", () => {
  it("text payloads are <length>:<packet>, length in UTF-16 units; empty is 0:", () => {
    assert.equal(encodePayloadV3([]), "0:");
    assert.equal(encodePayloadV3([{ type: "message", data: "hé€" }, { type: "noop" }]), "4:4hé€1:6");
    assert.equal(encodePayloadV3([{ type: "message", data: new Uint8Array([1, 2]) }]), "6:b4AQI=");
    assert.deepEqual(decodePayloadV3("2:403:2ab"), [
      { type: "message", data: "0" },
      { type: "ping", data: "ab" },
    ]);
    assert.deepEqual(decodePayloadV3("0:"), []);
    assert.deepEqual(decodePayloadV3("6:b4AQI="), [{ type: "message", data: new Uint8Array([1, 2]) }]);
  });

  it("WebSocket binary frames carry the packet type byte", () => {
    assert.deepEqual(encodeForWebSocketV3({ type: "message", data: new Uint8Array([9]) }), new Uint8Array([4, 9]));
    assert.deepEqual(decodePacketV3(new Uint8Array([4, 9, 8])), { type: "message", data: new Uint8Array([9, 8]) });
    assert.equal(encodeForWebSocketV3({ type: "pong", data: "probe" }), "3probe");
  });

  it("binary payloads: 0|1, length digits, 255, then UTF-8 text or type byte + data", () => {
    const text = new TextEncoder().encode('42["a","é"]');
    const bytes = new Uint8Array([0, 1, 2, 255, ...text, 1, 4, 255, 4, 1, 2, 255]);
    assert.deepEqual(decodeBinaryPayloadV3(bytes), [
      { type: "message", data: '2["a","é"]' },
      { type: "message", data: new Uint8Array([1, 2, 255]) },
    ]);
  });

  it("hostile input is a parse error, never a crash or a read past the body", () => {
    for (const bad of ["", "x:4a", "5:4a", "99999999999:4", "1:4extra", "3:9ab", "0:0:", "2:bz"]) {
      assert.throws(() => decodePayloadV3(bad), { name: "EngineParseError" }, JSON.stringify(bad));
    }
    for (
      const bad of [
        [],
        [2, 1, 255, 4],
        [0, 1, 2],
        [0, 255, 4],
        [0, 9, 9, 255, 4],
        [0, 12, 255, 4],
        [0, 2, 255, 0xff, 0xfe],
        [0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 255],
      ]
    ) {
      assert.throws(() => decodeBinaryPayloadV3(new Uint8Array(bad)), { name: "EngineParseError" }, String(bad));
    }
    assert.throws(() => decodePacketV3(new Uint8Array([])), { name: "EngineParseError" });
    assert.throws(() => decodePacketV3("9"), { name: "EngineParseError" });
  });
});
