/**
 * Session ids of a Redis fleet without sticky sessions (adapters/redis/forward.ts): which ids name a node. An
 * official socket.io node's id (engine.io's base64id: 20 characters of base64url, no dot) must never be taken for
 * one, or a Portio node would forward a request for it instead of answering "Session ID unknown" at once.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ownerOf } from "../../adapters/redis/forward.ts";
import { randomId } from "../../src/util/id.ts";

describe("redis forwarding: session ids", () => {
  it("a fleet id names its node", () => {
    assert.equal(ownerOf("AbCd-_12.xxxxxxxxxxxxxxxxxxxx"), "AbCd-_12");
  });

  it("engine.io ids and malformed ones name no node", () => {
    for (let i = 0; i < 1000; i++) assert.equal(ownerOf(randomId()), undefined);
    for (
      const sid of [
        "",
        ".",
        "AbCd-_12.", // nothing after the dot
        "AbCd_12.xxxxxxxxxxxxxxxxxxxx", // 7 characters
        "AbCd-_123.xxxxxxxxxxxxxxxxxxxx", // 9 characters
        "AbC/+_12.xxxxxxxxxxxxxxxxxxxx", // not base64url
      ]
    ) assert.equal(ownerOf(sid), undefined, sid);
  });
});
