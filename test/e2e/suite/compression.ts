/**
 * Compression on the wire: `perMessageDeflate` negotiates permessage-deflate where the runtime adapter can (a
 * runtime that cannot names it in its known differences), and `httpCompression` gzips big polling responses.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { gunzipSync } from "node:zlib";
import type { Section } from "../suite.ts";
import { client, rawWs, settled } from "../harness.ts";

const section: Section = (target) => {
  describe("compression", () => {
    it("perMessageDeflate: permessage-deflate is negotiated and big messages round-trip", async (t) => {
      const r = await rawWs(target(), "/deflate/");
      const ext = String(r.upgradeHeaders["sec-websocket-extensions"] ?? "");
      r.ws.close();
      const why = target().knownDifferences["no-permessage-deflate"];
      if (why) {
        assert.ok(!ext.includes("permessage-deflate"), "negotiated where it is listed as impossible");
        return t.skip(why);
      }
      assert.match(ext, /permessage-deflate/);
      const c = client(target(), "/", { path: "/deflate/", transports: ["websocket"] });
      await settled(c, ["websocket"]);
      const big = "compressible ".repeat(1000);
      assert.equal(await c.timeout(3000).emitWithAck("echo", big), big);
      assert.equal(await c.timeout(3000).emitWithAck("echo", "tiny"), "tiny");
    });

    it("httpCompression: a polling response over 1 KiB is gzip-encoded when asked", async () => {
      const plain = target().knownDifferences["no-http-compression"] !== undefined;
      const base = `${target().url}/socket.io/?EIO=4&transport=polling`;
      const open = await (await fetch(base)).text();
      const sid = JSON.parse(open.slice(1)).sid as string;
      const url = `${base}&sid=${sid}`;
      await fetch(url, { method: "POST", body: "40" });
      for (let got = ""; !got.includes("welcome");) got += await (await fetch(url)).text(); // CONNECT reply, welcome
      await fetch(url, { method: "POST", body: `421["echo","${"z".repeat(3000)}"]` }); // acked with the same string
      // raw bytes: fetch would decode the body itself; node:http does not
      const { request } = await import("node:http");
      const raw = await new Promise<{ encoding: string | undefined; body: Buffer }>((resolve, reject) => {
        request(url, { headers: { "accept-encoding": "gzip" } }, (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (d: Buffer) => chunks.push(d));
          res.on(
            "end",
            () =>
              resolve({ encoding: res.headers["content-encoding"] as string | undefined, body: Buffer.concat(chunks) }),
          );
        }).on("error", reject).end();
      });
      // where Portio leaves it to the platform (workerd), the platform may compress it for this client itself
      if (!plain) assert.equal(raw.encoding, "gzip");
      const text = (raw.encoding === "gzip" ? gunzipSync(raw.body) : raw.body).toString();
      assert.equal(text, `431["${"z".repeat(3000)}"]`);
    });
  });
};

export default section;
