/** The Redis transport's pure parts: entry and session encodings (the official adapter's), ids, reply shapes. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { encode as msgpackEncode } from "@msgpack/msgpack";
import { PacketType } from "../../src/runtime.ts";
import { type ClusterMessage, MessageType } from "../../src/room-store.ts";
import { compareIds, decodeEntry, decodeSession, encodeEntry, encodeSession } from "../../adapters/redis/codec.ts";
import { numsub, readEntries } from "../../adapters/redis/client.ts";
import { streamFor } from "../../adapters/redis/fleet.ts";

const broadcast = (data: unknown[]): ClusterMessage => ({
  uid: "abc",
  nsp: "/",
  type: MessageType.BROADCAST,
  data: { packet: { type: PacketType.EVENT, nsp: "/", data }, opts: { rooms: ["r"], except: [] } },
});

test("a stream entry is uid, nsp, type as a string, and JSON data", () => {
  const fields = encodeEntry(broadcast(["ev", 1]));
  assert.deepEqual(fields.slice(0, 6), ["uid", "abc", "nsp", "/", "type", "3"]);
  assert.equal(fields[6], "data");
  assert.deepEqual(JSON.parse(fields[7]!), {
    packet: { type: 2, nsp: "/", data: ["ev", 1] },
    opts: { rooms: ["r"], except: [] },
  });
  assert.deepEqual(decodeEntry(fields), broadcast(["ev", 1]));
});

test("binary data is base64 MessagePack, as the official adapter writes it, and reads back as bytes", () => {
  const fields = encodeEntry(broadcast(["ev", new Uint8Array([1, 2, 3])]));
  assert.ok(!fields[7]!.startsWith("{"));
  const official = Buffer.from(
    msgpackEncode({
      packet: { type: 2, nsp: "/", data: ["ev", Buffer.from([1, 2, 3])] },
      opts: { rooms: ["r"], except: [] },
    }),
  ).toString("base64");
  assert.equal(fields[7], official);
  const back = decodeEntry(fields) as ClusterMessage & { data: { packet: { data: unknown[] } } };
  assert.deepEqual([...(back.data.packet.data[1] as Uint8Array)], [1, 2, 3]);
  // onlyPlaintext: JSON whatever the payload
  assert.ok(encodeEntry(broadcast(["ev"]), true)[7]!.startsWith("{"));
});

test("entries that are not messages are skipped, not thrown on", () => {
  assert.equal(decodeEntry(["foo", "bar"]), undefined);
  assert.equal(decodeEntry(null), undefined);
  assert.deepEqual(decodeEntry(["uid", "u", "nsp", "/", "type", "2"]), { uid: "u", nsp: "/", type: 2 });
});

test("sessions: base64 MessagePack {sid, pid, rooms, data}; malformed ones are refused", () => {
  const s = { sid: "s", pid: "p", rooms: ["s", "r"], data: { n: 1, bytes: new Uint8Array([7]) } };
  const back = decodeSession(encodeSession(s))!;
  assert.deepEqual({ ...back, data: { n: (back.data as { n: number }).n } }, { ...s, data: { n: 1 } });
  assert.equal(decodeSession(Buffer.from(msgpackEncode({ sid: 1 })).toString("base64")), undefined);
});

test("entry ids order numerically", () => {
  assert.ok(compareIds("10-0", "9-5") > 0);
  assert.ok(compareIds("9-10", "9-9") > 0);
  assert.equal(compareIds("5-1", "5-1"), 0);
  assert.ok(compareIds("0-0", "1-0") < 0);
});

test("XREAD and NUMSUB replies in RESP2 and RESP3 shapes", () => {
  const entries = [["1-0", ["uid", "u"]]];
  assert.deepEqual(readEntries([["s", entries]]), entries);
  assert.deepEqual(readEntries({ s: entries }), entries);
  assert.deepEqual(readEntries(new Map([["s", entries]])), entries);
  assert.deepEqual(readEntries(null), []);
  assert.equal(numsub(["ch", 3]), 3);
  assert.equal(numsub({ ch: 2 }), 2);
});

test("namespaces spread over streams with the official adapter's hash (negative hashes included)", () => {
  assert.equal(streamFor("/", { streamName: "s", streamCount: 1 }), "s");
  assert.equal(streamFor("/", { streamName: "s", streamCount: 4 }), "s-3"); // "/" hashes to 47
  // a hash that overflows to a negative number keeps its sign, as in the official code
  assert.equal(streamFor("/namespace-b", { streamName: "s", streamCount: 3 }), "s--2");
});
