/**
 * Read timeouts against slowloris on Node (`portio/node` `serve`: `headersTimeout`, `requestTimeout`, set short
 * here): request headers sent one line at a time, and a polling POST body sent a byte at a time, are cut.
 * Deno and Bun: not covered yet (README "Read timeouts").
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { startProcess, type Target } from "./harness.ts";

const HEADERS_TIMEOUT = 1000;
const REQUEST_TIMEOUT = 2000;
/** Node checks the timeouts every quarter of the shorter one; plus scheduling slack */
const MARGIN = 1000;

/** Opens a connection, writes `parts` one every `every` ms, and resolves with the ms until the server closed it. */
function trickle(target: Target, parts: string[], every: number, give = 15_000): Promise<number> {
  const url = new URL(target.url);
  return new Promise((resolve) => {
    const t0 = Date.now();
    const sock = net.connect(Number(url.port), url.hostname);
    let i = 0;
    const timer = setInterval(() => {
      if (i < parts.length && !sock.destroyed) sock.write(parts[i++]!);
    }, every);
    const done = () => (clearInterval(timer), clearTimeout(giveUp), resolve(Date.now() - t0));
    const giveUp = setTimeout(() => (sock.destroy(), done()), give);
    sock.on("data", () => {});
    sock.on("close", done);
    sock.on("error", () => {});
  });
}

describe("slowloris on node", () => {
  let target: Target;
  before(async () => {
    target = await startProcess("node", [process.execPath, "--import", "tsx", "test/fixture/node.ts"], {
      HEADERS_TIMEOUT: String(HEADERS_TIMEOUT),
      REQUEST_TIMEOUT: String(REQUEST_TIMEOUT),
    });
  });
  after(() => target?.stop());

  it("request headers sent one line at a time are cut after headersTimeout", async () => {
    const lines = ["GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\n"];
    for (let i = 0; i < 100; i++) lines.push(`X-Slow-${i}: ${i}\r\n`);
    const ms = await trickle(target, lines, 200);
    console.log(`# node: headers at one line per 200 ms cut after ${ms} ms (headersTimeout ${HEADERS_TIMEOUT})`);
    assert.ok(ms <= HEADERS_TIMEOUT + MARGIN, `still open after ${ms} ms`);
  });

  it("a polling POST body sent a byte at a time is cut after requestTimeout", async () => {
    const open = await (await fetch(`${target.url}/socket.io/?EIO=4&transport=polling`)).text();
    const sid = JSON.parse(open.slice(1)).sid as string;
    const head = `POST /socket.io/?EIO=4&transport=polling&sid=${sid} HTTP/1.1\r\nHost: x\r\n` +
      `Content-Type: text/plain\r\nContent-Length: 1000\r\n\r\n`;
    const ms = await trickle(target, [head, ..."4".repeat(1000)], 100);
    console.log(`# node: a POST body at 10 bytes/s cut after ${ms} ms (requestTimeout ${REQUEST_TIMEOUT})`);
    assert.ok(ms <= REQUEST_TIMEOUT + MARGIN, `still open after ${ms} ms`);
    assert.ok(target.alive(), target.logs());
  });
});
