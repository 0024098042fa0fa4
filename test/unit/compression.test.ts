/** `httpCompression`: polling GETs over the threshold are gzip/deflate-encoded by Accept-Encoding, else plain. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Server, type ServerOptions } from "../../src/index.ts";
import { chooseEncoding } from "../../src/engine/compression.ts";

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const BASE = "http://x/socket.io/?EIO=4&transport=polling";

/** A connected polling session on the main namespace; `get` polls with the given Accept-Encoding. */
async function session(opts: ServerOptions = {}) {
  const io = new Server({ logger: quiet, ...opts });
  const open = await (await io.handle(new Request(BASE)))!.text();
  const sid = JSON.parse(open.slice(1)).sid as string;
  const url = `${BASE}&sid=${sid}`;
  await io.handle(new Request(url, { method: "POST", body: "40" }));
  await (await io.handle(new Request(url)))!.text(); // the CONNECT reply
  const get = (accept?: string) =>
    io.handle(new Request(url, accept ? { headers: { "accept-encoding": accept } } : {}));
  return { io, get };
}

async function body(res: Response): Promise<{ encoding: string | null; text: string }> {
  const encoding = res.headers.get("content-encoding");
  const stream = encoding ? res.body!.pipeThrough(new DecompressionStream(encoding as "gzip" | "deflate")) : res.body!;
  return { encoding, text: await new Response(stream).text() };
}

describe("httpCompression", () => {
  const big = "é".repeat(1000); // 2000 bytes of UTF-8, 1000 string units

  for (const [accept, expected] of [["gzip", "gzip"], ["deflate", "deflate"], ["gzip, deflate, br", "gzip"]] as const) {
    it(`a response over 1 KiB is ${expected}-encoded for Accept-Encoding: ${accept}`, async () => {
      const { io, get } = await session();
      io.emit("big", big);
      const res = (await get(accept))!;
      const { encoding, text } = await body(res);
      assert.equal(encoding, expected);
      assert.equal(text, `42["big","${big}"]`);
      await io.close();
    });
  }

  it("plain without Accept-Encoding, below the threshold, with q=0, or when turned off", async () => {
    for (
      const [opts, accept, payload] of [
        [{}, undefined, big],
        [{}, "br, identity", big],
        [{}, "gzip;q=0, deflate;q=0", big],
        [{}, "gzip", "x".repeat(1000)], // 1000 + framing bytes < 1024
        [{ httpCompression: false }, "gzip", big],
        [{ httpCompression: { threshold: 5000 } }, "gzip", big],
      ] as Array<[ServerOptions, string | undefined, string]>
    ) {
      const { io, get } = await session(opts);
      io.emit("big", payload);
      const { encoding, text } = await body((await get(accept))!);
      assert.equal(encoding, null, `${JSON.stringify(opts)} ${accept}`);
      assert.equal(text, `42["big","${payload}"]`);
      await io.close();
    }
  });

  it("a lower threshold compresses small responses", async () => {
    const { io, get } = await session({ httpCompression: { threshold: 10 } });
    io.emit("small", "hello");
    const { encoding, text } = await body((await get("deflate"))!);
    assert.equal(encoding, "deflate");
    assert.equal(text, '42["small","hello"]');
    await io.close();
  });

  it("Accept-Encoding negotiation: q-values, *, ties go to gzip", () => {
    assert.equal(chooseEncoding(null), undefined);
    assert.equal(chooseEncoding("deflate;q=0.5, gzip;q=0.4"), "deflate");
    assert.equal(chooseEncoding("deflate, gzip"), "gzip");
    assert.equal(chooseEncoding("*"), "gzip");
    assert.equal(chooseEncoding("*, gzip;q=0"), "deflate");
    assert.equal(chooseEncoding("identity"), undefined);
  });

  it("a bad threshold is a TypeError", () => {
    assert.throws(() => new Server({ logger: quiet, httpCompression: { threshold: -1 } }), /httpCompression/);
  });
});
