/**
 * Compression on the wire: `perMessageDeflate` negotiates permessage-deflate where the runtime adapter can (a
 * runtime that cannot names it in its known differences), and `httpCompression` gzips big polling responses.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { gunzipSync } from "node:zlib";
import type { Section } from "../suite.ts";
import { client, collect, rawWs, settled } from "../harness.ts";
import { frameTap } from "../frame-tap.ts";
import { probePayload } from "../../fixture/deflate.ts";

/** the fixture's probe messages to the prober, in the order they are sent (test/fixture/deflate.ts) */
const PROBES = [
  "plain-emit",
  "deflated-emit",
  "plain-binary",
  "plain-all",
  "deflated-all",
  "plain-room",
  "deflated-room",
  "plain-broadcast",
  "deflated-broadcast",
];

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

    it("compress(false): the message goes out uncompressed on every write path, the others compressed", async (t) => {
      const why = target().knownDifferences["no-permessage-deflate"] ??
        target().knownDifferences["no-per-message-compress"];
      if (why) return t.skip(why);
      // the prober's WebSocket goes through a relay that reads the frames' RSV1 bit (RFC 7692 §6)
      const tap = await frameTap(target().url);
      try {
        const opts = { path: "/deflate/", transports: ["websocket"] as Array<"websocket"> };
        const prober = client({ ...target(), url: tap.url }, "/", opts);
        const other = client(target(), "/", opts);
        await settled(prober, ["websocket"]);
        await settled(other, ["websocket"]);
        const got = collect(prober, "probe", PROBES.length);
        await prober.timeout(3000).emitWithAck("compress-probe");
        await other.timeout(3000).emitWithAck("compress-probe-broadcast");
        const events = await got;
        assert.deepEqual(events.map((e) => String(e[0]).split(":")[0]), PROBES);
        for (const [i, e] of events.entries()) assert.equal(e[0], probePayload(PROBES[i]!));
        assert.deepEqual(new Uint8Array(events[2]![1] as ArrayBuffer), new TextEncoder().encode(probePayload("b")));

        assert.equal(tap.connections.length, 1);
        const frames = tap.connections[0]!.filter((f) => f.opcode === 1 || f.opcode === 2);
        const plainText = frames.filter((f) => !f.rsv1 && f.opcode === 1).map((f) => f.payload.toString());
        for (const id of PROBES) {
          const seen = plainText.some((text) => text.includes(`"${id}:`));
          assert.equal(seen, id.startsWith("plain-"), `${id}: ${seen ? "uncompressed" : "not seen uncompressed"}`);
        }
        // the deflated ones did go out compressed (RSV1); so may the open packet, which passes the threshold
        assert.ok(frames.filter((f) => f.rsv1).length >= PROBES.filter((id) => id.startsWith("deflated-")).length);
        const attachment = frames.filter((f) => f.opcode === 2);
        assert.equal(attachment.length, 1);
        assert.equal(attachment[0]!.rsv1, false, "the binary attachment of a compress(false) emit");
      } finally {
        await tap.close();
      }
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
