/**
 * Read timeouts against slowloris. Node (`portio/node` `serve`: `headersTimeout`, `requestTimeout`, set short
 * here): request headers sent one line at a time, and a polling POST body sent a byte at a time, are cut. On
 * every runtime the core's `bodyTimeout` cuts a polling POST body that trickles in: answered 408 and its session
 * closed; the connection is dropped on Node and Bun. Deno keeps the TCP connection until the client finishes its
 * body (no way to drop it from a handler) and has no header timeout; Bun cuts slow headers itself (README "Read
 * timeouts").
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { startProcess, type Target } from "./harness.ts";

const HEADERS_TIMEOUT = 1000;
const REQUEST_TIMEOUT = 2000;
const BODY_TIMEOUT = 2000;
/** Node checks its timeouts every quarter of the shorter one; plus scheduling slack on a loaded machine */
const MARGIN = 1000;

interface Trickled {
  /** ms until the server's first bytes (its answer), or null */
  answered: number | null;
  /** ms until the server closed the connection (or `give`, when it did not) */
  closed: number;
  /** what the server sent */
  text: string;
}

/** Opens a connection, writes `parts` one every `every` ms, and resolves when the server closed it (or `give`). */
function trickle(target: Target, parts: string[], every: number, give = 15_000): Promise<Trickled> {
  const url = new URL(target.url);
  return new Promise((resolve) => {
    const t0 = Date.now();
    const sock = net.connect(Number(url.port), url.hostname);
    let i = 0;
    let answered: number | null = null;
    let text = "";
    const timer = setInterval(() => {
      if (i < parts.length && !sock.destroyed) sock.write(parts[i++]!);
    }, every);
    const done =
      () => (clearInterval(timer), clearTimeout(giveUp), resolve({ answered, closed: Date.now() - t0, text }));
    const giveUp = setTimeout(() => (sock.destroy(), done()), give);
    sock.on("data", (d) => ((answered ??= Date.now() - t0), (text += d)));
    sock.on("close", done);
    sock.on("error", () => {});
  });
}

async function handshake(target: Target): Promise<string> {
  const open = await (await fetch(`${target.url}/socket.io/?EIO=4&transport=polling`)).text();
  return JSON.parse(open.slice(1)).sid as string;
}

/** A polling POST for `sid` whose 1000-byte body comes a byte every 100 ms (the first byte with the headers). */
function slowPost(target: Target, sid: string, give?: number): Promise<Trickled> {
  const head = `POST /socket.io/?EIO=4&transport=polling&sid=${sid} HTTP/1.1\r\nHost: x\r\n` +
    `Content-Type: text/plain\r\nContent-Length: 1000\r\n\r\n`;
  return trickle(target, [head, ..."4".repeat(1000)], 100, give);
}

const FIXTURES: Record<string, string[]> = {
  node: [process.execPath, "--import", "tsx", "test/fixture/node.ts"],
  deno: ["node_modules/.bin/deno", "run", "-A", "--no-check", "test/fixture/deno.ts"],
  bun: ["node_modules/.bin/bun", "run", "test/fixture/bun.ts"],
};

describe("slowloris on node (serve's headersTimeout, requestTimeout)", () => {
  let target: Target;
  before(async () => {
    target = await startProcess("node", FIXTURES.node!, {
      HEADERS_TIMEOUT: String(HEADERS_TIMEOUT),
      REQUEST_TIMEOUT: String(REQUEST_TIMEOUT),
      BODY_TIMEOUT: "0", // off: the http server's requestTimeout is what cuts here
    });
  });
  after(() => target?.stop());

  it("request headers sent one line at a time are cut after headersTimeout", async () => {
    const lines = ["GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\n"];
    for (let i = 0; i < 100; i++) lines.push(`X-Slow-${i}: ${i}\r\n`);
    const { closed } = await trickle(target, lines, 200);
    console.log(`# node: headers at one line per 200 ms cut after ${closed} ms (headersTimeout ${HEADERS_TIMEOUT})`);
    assert.ok(closed <= HEADERS_TIMEOUT + MARGIN, `still open after ${closed} ms`);
  });

  it("a polling POST body sent a byte at a time is cut after requestTimeout", async () => {
    const { closed } = await slowPost(target, await handshake(target));
    console.log(`# node: a POST body at 10 bytes/s cut after ${closed} ms (requestTimeout ${REQUEST_TIMEOUT})`);
    assert.ok(closed <= REQUEST_TIMEOUT + MARGIN, `still open after ${closed} ms`);
    assert.ok(target.alive(), target.logs());
  });
});

for (const runtime of ["node", "deno", "bun"]) {
  describe(`slowloris on ${runtime} (the core's bodyTimeout)`, () => {
    let target: Target;
    before(async () => {
      // Node's own timeouts at their defaults (15 s, 25 s): the core's deadline is what cuts
      target = await startProcess(runtime, FIXTURES[runtime]!, { BODY_TIMEOUT: String(BODY_TIMEOUT) });
    });
    after(() => target?.stop());

    it("a polling POST body sent a byte at a time is answered 408 after bodyTimeout, its session closed", async () => {
      const sid = await handshake(target);
      // on Deno the connection outlives the answer (below): stop waiting soon after it
      const { answered, closed, text } = await slowPost(target, sid, runtime === "deno" ? 5000 : undefined);
      console.log(
        `# ${runtime}: a POST body at 10 bytes/s answered after ${answered} ms, connection closed after ${closed} ms ` +
          `(bodyTimeout ${BODY_TIMEOUT})`,
      );
      assert.match(text, /^HTTP\/1\.1 408/, `answer: ${JSON.stringify(text.slice(0, 80))}`);
      assert.ok(answered !== null && answered <= BODY_TIMEOUT + MARGIN, `answered after ${answered} ms`);
      // Deno keeps the connection until the client ends its body: it offers no way to drop it (README)
      if (runtime !== "deno") assert.ok(closed <= BODY_TIMEOUT + MARGIN, `still open after ${closed} ms`);
      // the session is gone, and the server still serves
      const after = await fetch(`${target.url}/socket.io/?EIO=4&transport=polling&sid=${sid}`);
      assert.equal(after.status, 400);
      assert.equal(((await after.json()) as { code: number }).code, 1);
      assert.match(await (await fetch(`${target.url}/socket.io/?EIO=4&transport=polling`)).text(), /^0\{/);
      assert.ok(target.alive(), target.logs());
    });

    if (runtime === "bun") {
      it("request headers sent one line a second are cut by Bun itself", async () => {
        const lines = ["GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\n"];
        for (let i = 0; i < 100; i++) lines.push(`X-Slow-${i}: ${i}\r\n`);
        const { closed } = await trickle(target, lines, 1000, 30_000);
        console.log(`# bun: headers at one line per second cut after ${closed} ms`);
        assert.ok(closed < 30_000, `still open after ${closed} ms`);
      });
    }
  });
}
