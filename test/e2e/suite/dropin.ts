/**
 * What a socket.io app expects of the server beyond the protocol: the client bundle under the path
 * (`serveClient`), engine.io's prefix matching of `path`, and `io.engine.use` middlewares.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { readFileSync } from "node:fs";
import type { Section } from "../suite.ts";
import { client, connected } from "../harness.ts";

const dist = "node_modules/socket.io-client/dist";
const version = (JSON.parse(readFileSync("node_modules/socket.io-client/package.json", "utf8")) as { version: string })
  .version;

const section: Section = (target) => {
  describe("socket.io drop-in", () => {
    const bundle = (t: ReturnType<typeof target>) => t.knownDifferences["no-client-bundle"];

    for (const name of ["socket.io.js", "socket.io.min.js", "socket.io.msgpack.min.js", "socket.io.esm.min.js"]) {
      it(`serves /socket.io/${name} and its source map from the installed socket.io-client`, async (t) => {
        if (bundle(target())) return t.skip(bundle(target()));
        for (const file of [name, `${name}.map`]) {
          const res = await fetch(`${target().url}/socket.io/${file}`, { headers: { "accept-encoding": "identity" } });
          assert.equal(res.status, 200, file);
          assert.equal(
            res.headers.get("content-type"),
            `application/${file.endsWith(".map") ? "json" : "javascript"}; charset=utf-8`,
          );
          assert.equal(res.headers.get("cache-control"), "public, max-age=0");
          const body = Buffer.from(await res.arrayBuffer());
          assert.ok(body.equals(readFileSync(`${dist}/${file}`)), `${file} differs from the installed file`);
        }
      });
    }

    it("the bundle has the client's version as ETag (304 on If-None-Match) and is gzipped when accepted", async (t) => {
      if (bundle(target())) return t.skip(bundle(target()));
      const url = `${target().url}/socket.io/socket.io.min.js`;
      const first = await fetch(url, { headers: { "accept-encoding": "gzip" } });
      assert.equal(first.status, 200);
      const etag = first.headers.get("etag");
      assert.equal(etag, `"${version}"`);
      assert.equal(first.headers.get("content-encoding"), "gzip");
      // fetch decompresses by itself: the bytes on the wire are checked with node:http below
      const again = await fetch(url, { headers: { "if-none-match": etag! } });
      assert.equal(again.status, 304);
      assert.equal(await again.text(), "");
      const raw = await rawGet(target().url, "/socket.io/socket.io.min.js", { "accept-encoding": "gzip, deflate" });
      assert.equal(raw.headers["content-encoding"], "gzip");
      assert.ok(gunzipSync(raw.body).equals(readFileSync(`${dist}/socket.io.min.js`)));
      assert.ok(raw.body.length < readFileSync(`${dist}/socket.io.min.js`).length / 2);
    });

    it("brotli or gzip, as the client ranks them (q, then its order: socket.io's negotiation)", async (t) => {
      if (bundle(target())) return t.skip(bundle(target()));
      if (target().knownDifferences["no-brotli-bundle"]) return t.skip(target().knownDifferences["no-brotli-bundle"]);
      const raw = await rawGet(target().url, "/socket.io/socket.io.js", { "accept-encoding": "br, gzip" });
      assert.equal(raw.headers["content-encoding"], "br");
      assert.ok(brotliDecompressSync(raw.body).equals(readFileSync(`${dist}/socket.io.js`)));
      for (const accept of ["br;q=0, gzip", "gzip, br, deflate", "br;q=0.5, gzip;q=0.8"]) {
        const r = await rawGet(target().url, "/socket.io/socket.io.js", { "accept-encoding": accept });
        assert.equal(r.headers["content-encoding"], "gzip", accept);
      }
    });

    it("the bundle carries the cors option's headers (socket.io runs its cors middleware first)", async (t) => {
      if (bundle(target())) return t.skip(bundle(target()));
      const res = await fetch(`${target().url}/guarded/socket.io.min.js`, {
        headers: { origin: "http://allowed.test" },
      });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("access-control-allow-origin"), "http://allowed.test");
      assert.equal(res.headers.get("access-control-allow-credentials"), "true");
      await res.arrayBuffer();
      const other = await fetch(`${target().url}/guarded/socket.io.min.js`, {
        headers: { origin: "http://evil.test" },
      });
      assert.equal(other.headers.get("access-control-allow-origin"), null);
      await other.arrayBuffer();
    });

    it("only socket.io's eight bundle names are served: socket.io.esm.js is the engine's 400", async () => {
      const res = await fetch(`${target().url}/socket.io/socket.io.esm.js`);
      assert.equal(res.status, 400);
      assert.deepEqual(await res.json(), { code: 0, message: "Transport unknown" });
    });

    it("an unknown file under the path is the engine's: 400 Transport unknown (as engine.io)", async () => {
      const res = await fetch(`${target().url}/socket.io/nope.js`);
      assert.equal(res.status, 400);
      assert.deepEqual(await res.json(), { code: 0, message: "Transport unknown" });
    });

    it("the path is matched as a prefix: /socket.io/default/?EIO=4 handshakes (as engine.io)", async () => {
      const res = await fetch(`${target().url}/socket.io/default/?EIO=4&transport=polling`);
      assert.equal(res.status, 200);
      assert.match(await res.text(), /^0\{"sid":/);
      const denied = await fetch(`${target().url}/guarded/default/?EIO=4&transport=polling&deny=1`);
      assert.equal(denied.status, 403);
    });

    it("io.engine.use middlewares run on engine requests: headers, refusal, what they set on the request", async () => {
      const res = await fetch(`${target().url}/guarded/?EIO=4&transport=polling`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("x-engine-mw"), "1");
      const refused = await fetch(`${target().url}/guarded/?EIO=4&transport=polling&mwdeny=1`);
      assert.equal(refused.status, 400);
      assert.deepEqual(await refused.json(), { code: 3, message: "Bad request" });
      // the main path has no engine middleware
      assert.equal(
        (await fetch(`${target().url}/socket.io/?EIO=4&transport=polling`)).headers.get("x-engine-mw"),
        null,
      );
      const c = await connected(client(target(), "/", { path: "/guarded", transports: ["polling"] }));
      assert.equal(await c.timeout(3000).emitWithAck("mw-tag"), "set by an engine middleware");
    });
  });
};

/** A GET with node:http, so the body is the bytes on the wire (fetch would decompress them). */
async function rawGet(
  base: string,
  path: string,
  headers: Record<string, string>,
): Promise<{ headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  const { request } = await import("node:http");
  return new Promise((resolve, reject) => {
    const req = request(base + path, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    req.end();
  });
}

export default section;
