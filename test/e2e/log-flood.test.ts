/**
 * A client cannot flood the server's log: bad requests repeated at will (a Host header no URL can hold, bad
 * upgrades, undecodable payloads and frames, broken chunked bodies) write nothing at warn/error level on Node,
 * Deno and Bun (refusals are debug lines; see also test/unit/log-limits.test.ts for errors that do reach the log,
 * once a minute per kind).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { startProcess, type Target } from "./harness.ts";

const FIXTURES: Record<string, string[]> = {
  node: [process.execPath, "--import", "tsx", "test/fixture/node.ts"],
  deno: ["node_modules/.bin/deno", "run", "-A", "--no-check", "test/fixture/deno.ts"],
  bun: ["node_modules/.bin/bun", "run", "test/fixture/bun.ts"],
};

/** Writes `text` on a fresh connection; resolves with the answer when the server closes it (or after 1 s). */
function raw(target: Target, text: string): Promise<string> {
  const url = new URL(target.url);
  return new Promise((resolve) => {
    const sock = net.connect(Number(url.port), url.hostname);
    let out = "";
    const timer = setTimeout(() => sock.destroy(), 1000);
    sock.on("data", (d) => (out += d));
    sock.on("close", () => (clearTimeout(timer), resolve(out)));
    sock.on("error", () => {});
    sock.write(text, "latin1");
  });
}

const WS = "Upgrade: websocket\r\nConnection: Upgrade\r\n";
const KEY = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
/** a masked (zero mask) client frame */
const frame = (opcode: number, payload: string) =>
  String.fromCharCode(0x80 | opcode, 0x80 | payload.length) + "\0\0\0\0" + payload;

const CASES: Array<[string, (sid: string) => string, RegExp]> = [
  [
    "a Host header no URL can hold",
    () => "GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: a b\r\nConnection: close\r\n\r\n",
    / 400 /,
  ],
  [
    "a Host header with a bracket",
    () => "GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: [zz\r\nConnection: close\r\n\r\n",
    / 400 /,
  ],
  [
    "an upgrade without a key",
    () => `GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: y\r\n${WS}Sec-WebSocket-Version: 13\r\n\r\n`,
    / 400 /,
  ],
  [
    "an upgrade of version 99",
    () =>
      `GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: y\r\n${WS}${KEY}Sec-WebSocket-Version: 99\r\n\r\n`,
    / 400 /,
  ],
  [
    "an undecodable polling payload",
    (sid) =>
      `POST /socket.io/?EIO=4&transport=polling&sid=${sid} HTTP/1.1\r\nHost: y\r\nConnection: close\r\nContent-Length: 5\r\n\r\nzzzzz`,
    / 400 /,
  ],
  [
    "a broken chunked body",
    (sid) =>
      `POST /socket.io/?EIO=4&transport=polling&sid=${sid} HTTP/1.1\r\nHost: y\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\nabc\r\n`,
    / 400 |^$/, // Deno drops the connection without an answer
  ],
  [
    "undecodable WebSocket frames",
    () =>
      `GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: y\r\n${WS}${KEY}Sec-WebSocket-Version: 13\r\n\r\n` +
      frame(1, "40") + frame(1, '42["x",{]') + frame(1, "49999") + frame(2, "\xff\xfe") + frame(1, "zzzzz"),
    / 101 /,
  ],
];

for (const runtime of ["node", "deno", "bun"]) {
  describe(`bad requests repeated write nothing to the log on ${runtime}`, () => {
    let target: Target;
    before(async () => {
      target = await startProcess(runtime, FIXTURES[runtime]!);
    });
    after(() => target?.stop());

    for (const [name, request, answer] of CASES) {
      it(name, async () => {
        const before = target.logs().length;
        for (let i = 0; i < 5; i++) {
          const open = await (await fetch(`${target.url}/socket.io/?EIO=4&transport=polling`)).text();
          const sid = JSON.parse(open.slice(1)).sid as string;
          assert.match((await raw(target, request(sid))).split("\r\n")[0]!, answer);
        }
        assert.equal(target.logs().slice(before), "");
        assert.ok(target.alive());
      });
    }
  });
}
