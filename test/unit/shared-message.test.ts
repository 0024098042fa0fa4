/**
 * A broadcast's shared message (SharedMessage) on the WebSocket transport: text and binary (a msgpack parser's
 * packet) go out as the Engine.IO frame of the session's protocol, prepared once where the runtime can, and the
 * per-message compress flag reaches the runtime socket.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { WebSocketTransport } from "../../src/engine/transports.ts";
import { SharedMessage } from "../../src/engine/packet.ts";
import type { WebSocketLike } from "../../src/ports.ts";

function recording(prepare: boolean) {
  const sent: Array<{ data: unknown; compress: boolean | undefined }> = [];
  const prepared: unknown[] = [];
  const ws: WebSocketLike = {
    send: (data, compress) => void sent.push({ data, compress }),
    close: () => {},
    ...(prepare
      ? {
        prepare: (data: string | Uint8Array) => (prepared.push(data), { frame: data }),
        sendPrepared: (frame: unknown, compress?: boolean) =>
          void sent.push({ data: (frame as { frame: unknown }).frame, compress }),
      }
      : {}),
  };
  return { ws, sent, prepared };
}

describe("SharedMessage on the WebSocket transport", () => {
  it("text: `4` + data, prepared once for every session", () => {
    const a = recording(true);
    const b = recording(true);
    const message = new SharedMessage('2["x"]');
    new WebSocketTransport(a.ws).sendShared(message);
    b.ws.prepare = a.ws.prepare; // the same adapter: one prepared frame for both
    new WebSocketTransport(b.ws).sendShared(message, false);
    assert.deepEqual(a.sent, [{ data: '42["x"]', compress: undefined }]);
    assert.deepEqual(b.sent, [{ data: '42["x"]', compress: false }]);
    assert.deepEqual(a.prepared, ['42["x"]']);
  });

  it("binary: the bytes as they are in v4, prepared once; a type byte first in v3, for that session alone", () => {
    const bytes = new Uint8Array([0x83, 1, 2]);
    const message = new SharedMessage(bytes);
    const v4 = recording(true);
    new WebSocketTransport(v4.ws, 4).sendShared(message, false);
    assert.deepEqual(v4.sent, [{ data: bytes, compress: false }]);
    assert.deepEqual(v4.prepared, [bytes]);
    const v3 = recording(true);
    new WebSocketTransport(v3.ws, 3).sendShared(message);
    assert.deepEqual(v3.sent, [{ data: new Uint8Array([4, 0x83, 1, 2]), compress: undefined }]);
    assert.deepEqual(v3.prepared, [], "a v3 frame is not the shared one");
    const plain = recording(false);
    new WebSocketTransport(plain.ws).sendShared(message);
    assert.deepEqual(plain.sent, [{ data: bytes, compress: undefined }]);
  });
});
