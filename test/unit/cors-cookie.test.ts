/**
 * The engine's CORS headers (the `cors` package's semantics, which socket.io hands its option to) and the
 * session cookie (engine.io's `cookie` option), on their own: what each option writes, and what it must not.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { corsHeaders, type CorsOptions } from "../../src/engine/cors.ts";
import { serializeCookie } from "../../src/engine/options.ts";

const request = (headers: Record<string, string>) => ({
  url: "/socket.io/?EIO=4&transport=polling",
  method: "GET",
  headers: new Headers(headers),
});

async function cors(opts: CorsOptions, headers: Record<string, string>, preflight = false) {
  return Object.fromEntries((await corsHeaders(opts, request(headers), preflight)).entries.map(([k, v]) => [k, v]));
}

describe("CORS headers", () => {
  it("no origin option allows any origin with *, and never says Vary", async () => {
    assert.deepEqual(await cors({}, { origin: "https://a.test" }), { "Access-Control-Allow-Origin": "*" });
  });

  it("a fixed origin is written as given, whatever the request's, with Vary: Origin", async () => {
    assert.deepEqual(await cors({ origin: "https://a.test" }, { origin: "https://evil.test" }), {
      "Access-Control-Allow-Origin": "https://a.test",
      Vary: "Origin",
    });
  });

  it("a list of strings and RegExps reflects an allowed origin only", async () => {
    const opts = { origin: ["https://a.test", /\.b\.test$/] };
    assert.equal((await cors(opts, { origin: "https://x.b.test" }))["Access-Control-Allow-Origin"], "https://x.b.test");
    assert.equal((await cors(opts, { origin: "https://a.test" }))["Access-Control-Allow-Origin"], "https://a.test");
    const refused = await cors(opts, { origin: "https://b.test.evil" });
    assert.equal(refused["Access-Control-Allow-Origin"], undefined);
    assert.equal(refused.Vary, "Origin", "a cache must not serve one origin's answer to another");
    assert.equal((await cors(opts, {}))["Access-Control-Allow-Origin"], undefined, "no Origin header: nothing");
  });

  it("origin: false writes nothing at all; true reflects", async () => {
    assert.deepEqual(await cors({ origin: false, credentials: true }, { origin: "https://a.test" }), {});
    assert.equal(
      (await cors({ origin: true }, { origin: "https://a.test" }))["Access-Control-Allow-Origin"],
      "https://a.test",
    );
  });

  it("a function decides per request; its error rejects", async () => {
    const opts: CorsOptions = { origin: (o, cb) => (o === "https://ok.test" ? cb(null, true) : cb(null, false)) };
    assert.equal((await cors(opts, { origin: "https://ok.test" }))["Access-Control-Allow-Origin"], "https://ok.test");
    assert.deepEqual(await cors(opts, { origin: "https://no.test" }), {});
    await assert.rejects(cors({ origin: (_o, cb) => cb(new Error("nope")) }, { origin: "https://a.test" }), /nope/);
  });

  it("credentials, exposed headers on a response; methods, request headers and max-age on a preflight", async () => {
    const opts: CorsOptions = {
      origin: "https://a.test",
      credentials: true,
      exposedHeaders: ["x-a", "x-b"],
      maxAge: 600,
    };
    assert.deepEqual(await cors(opts, { origin: "https://a.test" }), {
      "Access-Control-Allow-Origin": "https://a.test",
      Vary: "Origin",
      "Access-Control-Allow-Credentials": "true",
      "Access-Control-Expose-Headers": "x-a,x-b",
    });
    const pre = await cors(opts, { origin: "https://a.test", "access-control-request-headers": "x-token" }, true);
    assert.equal(pre["Access-Control-Allow-Methods"], "GET,HEAD,PUT,PATCH,POST,DELETE");
    assert.equal(pre["Access-Control-Allow-Headers"], "x-token", "the asked headers, reflected");
    assert.equal(pre["Access-Control-Max-Age"], "600");
    assert.equal(pre["Access-Control-Expose-Headers"], undefined);
    const fixed = await cors(
      { allowedHeaders: ["x-a"], methods: "GET" },
      { "access-control-request-headers": "x-b" },
      true,
    );
    assert.equal(fixed["Access-Control-Allow-Headers"], "x-a");
    assert.equal(fixed["Access-Control-Allow-Methods"], "GET");
  });
});

describe("session cookie", () => {
  it("defaults: io=<sid>; Path=/; HttpOnly; SameSite=Lax, the id URL-encoded", () => {
    assert.equal(serializeCookie({}, "a b"), "io=a%20b; Path=/; HttpOnly; SameSite=Lax");
  });

  it("every attribute, and what turning one off leaves out", () => {
    assert.equal(
      serializeCookie({ name: "sid", path: "/x", domain: "a.test", maxAge: 60.9, secure: true, sameSite: "none" }, "1"),
      "sid=1; Path=/x; Domain=a.test; Max-Age=60; HttpOnly; Secure; SameSite=None",
    );
    assert.equal(
      serializeCookie({ path: false }, "1"),
      "io=1; SameSite=Lax",
      "no path: no HttpOnly by default (engine.io)",
    );
    assert.equal(serializeCookie({ httpOnly: false, sameSite: false }, "1"), "io=1; Path=/");
    assert.equal(serializeCookie({ sameSite: true }, "1"), "io=1; Path=/; HttpOnly; SameSite=Strict");
  });
});
