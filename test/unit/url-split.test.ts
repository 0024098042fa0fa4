/**
 * The engine's request URL split (src/engine/url.ts) gives what `new URL` gives: the same path, the same first
 * value of every parameter asked, and no result where `new URL` throws. Plain Engine.IO URLs take the hand split;
 * escapes, `+`, dot segments, odd hosts and other characters must come out exactly as the URL parser has them.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { splitUrl } from "../../src/engine/url.ts";

const NAMES = ["EIO", "transport", "sid", "t", "", "a", "b", "x y", "é"];

const URLS = [
  "http://localhost:3000/socket.io/?EIO=4&transport=polling&t=PaB1-_c",
  "http://127.0.0.1:3000/socket.io/?EIO=4&transport=polling&sid=Ab-_9xYz&t=1",
  "https://example.com/socket.io/?EIO=3&transport=websocket&sid=a",
  "http://[::1]:8080/socket.io/?EIO=4&transport=polling",
  "http://h/socket.io/",
  "http://h/socket.io",
  "http://h/socket.io/?",
  "http://h/socket.io/?&&EIO=4&&",
  "http://h/socket.io/?EIO&transport=",
  "http://h/socket.io/?EIO=4&EIO=3",
  "http://h/socket.io/?EIO=4=5",
  "http://h/socket.io/?a=%41&b=x+y",
  "http://h/socket.io/?x%20y=1&%C3%A9=2",
  "http://h/socket.io/?a=b c",
  "http://h/socket.io/?a=<b>",
  "http://h/socket.io/?a=b#frag",
  "http://h/socket.io/#?a=b",
  "http://h/socket.io/../socket.io/?EIO=4",
  "http://h/other/./../socket.io/?EIO=4",
  "http://h/socket.io/.",
  "http://h/socket.io/%2e%2e/x",
  "http://h/socket io/?a=1",
  "http://h/socket.io\\x?a=1",
  "http://h//socket.io/?a=1",
  "http://h/ü/?a=1",
  "http://h:99999/socket.io/?EIO=4",
  "http://999.1.1.1/socket.io/?EIO=4",
  "http://a b/socket.io/?EIO=4",
  "http:///socket.io/?EIO=4",
  "http://user@h/socket.io/?EIO=4",
  "http://h?x/socket.io/?EIO=4",
  "http://h#x/socket.io/?EIO=4",
  "http://H.Example.COM/socket.io/?EIO=4",
  "/socket.io/?EIO=4",
  "not a url",
  "ftp://h/socket.io/?EIO=4",
];

function viaUrl(url: string) {
  try {
    const u = new URL(url);
    return { pathname: u.pathname, values: NAMES.map((n) => u.searchParams.get(n)) };
  } catch {
    return undefined;
  }
}

describe("splitUrl", () => {
  for (const url of URLS) {
    it(`agrees with new URL on ${JSON.stringify(url)}`, () => {
      const split = splitUrl(url);
      const expected = viaUrl(url);
      assert.deepEqual(split && { pathname: split.pathname, values: NAMES.map((n) => split.query.get(n)) }, expected);
    });
  }

  it("takes plain Engine.IO URLs without a URL parse, and escapes through it", () => {
    assert.ok(!(splitUrl(URLS[0]!)!.query instanceof URLSearchParams));
    assert.ok(!(splitUrl(URLS[1]!)!.query instanceof URLSearchParams));
    assert.ok(splitUrl("http://h/socket.io/?a=%41")!.query instanceof URLSearchParams);
  });

  it("agrees again once the host is known (the host cache)", () => {
    for (const url of [...URLS, ...URLS]) {
      const split = splitUrl(url);
      assert.deepEqual(
        split && { pathname: split.pathname, values: NAMES.map((n) => split.query.get(n)) },
        viaUrl(url),
        url,
      );
    }
  });
});
