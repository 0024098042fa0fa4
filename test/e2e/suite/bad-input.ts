/**
 * Hostile and malformed input, over BOTH transports (a raw WebSocket and raw HTTP long-polling). Every case
 * checks two things: the server closes the offending session (or, where the protocol allows it, refuses the
 * request with the exact status), and afterwards a fresh official client still connects and gets an ack (so
 * nothing else was harmed and the process did not crash).
 *
 * Packets in the tables are Engine.IO packets: a socket.io packet is prefixed with "4" (engine "message"),
 * e.g. `42["echo"]`. A `Uint8Array` is a binary packet: its own frame over WebSocket, `b` + base64 over polling.
 * Over polling all packets of one `send` go in one POST body, joined with "\x1e".
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import WebSocket from "ws";
import type { Section } from "../suite.ts";
import {
  client,
  closesWithin,
  connected,
  freshClientWorks,
  pollingClosed,
  type RawPolling,
  rawPolling,
  type RawWs,
  rawWs,
  sleep,
  type Target,
  waitFor,
  waitForSession,
} from "../harness.ts";

type Transport = "websocket" | "polling";
const TRANSPORTS: Transport[] = ["websocket", "polling"];
type Frame = string | Uint8Array;

const MAIN = "/socket.io/";
const LIMITS = "/limits/"; // maxHttpBufferSize 1000, pingInterval/pingTimeout 150, connectTimeout 400
const LIMIT = 1000;

const bin = (...bytes: number[]) => new Uint8Array(bytes);
const ph = (num: unknown) => JSON.stringify({ _placeholder: true, num });
const show = (packets: Frame[]) =>
  packets.map((p) => (typeof p === "string" ? JSON.stringify(p) : `<binary ${p.byteLength}B>`)).join(", ");
const isText = (prefix: string) => (m: Frame) => typeof m === "string" && m.startsWith(prefix);

// ---- one raw session, same shape over both transports ------------------------------------------------------

interface Raw {
  transport: Transport;
  /** Sends engine packets. Over polling: one POST; resolves with its status and body. */
  send(...packets: Frame[]): Promise<{ status: number; body: string } | undefined>;
  /** The next received engine packet matching `pred` (others are skipped, pings answered). */
  waitFor(pred: (m: Frame) => boolean, ms?: number): Promise<Frame>;
  /** Whether the server closed the session within `ms`. */
  closed(ms?: number): Promise<boolean>;
}

function overWs(r: RawWs): Raw {
  return {
    transport: "websocket",
    send(...packets) {
      for (const p of packets) r.ws.send(p);
      return Promise.resolve(undefined);
    },
    async waitFor(pred, ms = 3000) {
      const deadline = Date.now() + ms;
      for (;;) {
        const m = await r.next(); // rawWs answers pings itself
        if (pred(m)) return m;
        if (Date.now() > deadline) throw new Error(`expected packet not received, last: ${show([m])}`);
      }
    },
    closed: (ms) => closesWithin(r, ms),
  };
}

const toPollingPacket = (p: Frame) => (typeof p === "string" ? p : "b" + Buffer.from(p).toString("base64"));
const fromPollingPacket = (
  p: string,
): Frame => (p.startsWith("b") ? new Uint8Array(Buffer.from(p.slice(1), "base64")) : p);

function overPolling(p: RawPolling): Raw {
  const queue: Frame[] = [];
  return {
    transport: "polling",
    async send(...packets) {
      const res = await p.post(packets.map(toPollingPacket).join("\x1e"));
      return { status: res.status, body: await res.text() };
    },
    async waitFor(pred, ms = 3000) {
      const deadline = Date.now() + ms;
      for (;;) {
        while (queue.length) {
          const m = queue.shift()!;
          if (pred(m)) return m;
        }
        if (Date.now() > deadline) throw new Error("expected packet not received");
        const res = await fetch(p.url, { signal: AbortSignal.timeout(Math.max(1, deadline - Date.now())) });
        const body = await res.text();
        if (res.status !== 200) throw new Error(`GET answered ${res.status}: ${body}`);
        for (const packet of body.split("\x1e").map(fromPollingPacket)) {
          if (packet === "1") throw new Error("the server closed the session");
          if (packet === "2") await (await p.post("3")).text();
          else queue.push(packet);
        }
      }
    },
    closed: (ms) => pollingClosed(p, ms),
  };
}

/** A raw session on `path`; with `nsp`, already CONNECTed to that namespace (its `40…{"sid"…}` read). */
async function open(target: Target, transport: Transport, opts: { path?: string; nsp?: string } = {}): Promise<Raw> {
  const path = opts.path ?? MAIN;
  const raw = transport === "websocket"
    ? overWs(await rawWs(target, path))
    : overPolling(await rawPolling(target, path));
  if (opts.nsp !== undefined) {
    const prefix = opts.nsp === "/" ? "40" : `40${opts.nsp},`;
    const res = await raw.send(prefix);
    if (res) assert.equal(res.status, 200, `CONNECT POST answered ${res.status}: ${res.body}`);
    const reply = (await raw.waitFor((m) => isText(prefix)(m) || isText("44")(m))) as string;
    assert.ok(reply.startsWith(prefix + "{"), `CONNECT to ${opts.nsp} refused: ${reply}`);
    assert.equal(typeof JSON.parse(reply.slice(prefix.length)).sid, "string");
  }
  return raw;
}

/**
 * Over polling the POST carrying bad packets may answer 200 "ok" (engine.io does, then closes the session) or
 * 400 with the engine's JSON error; anything else (500, a hang) is a server fault.
 */
function assertPostRefusedOrAccepted(res: { status: number; body: string } | undefined): void {
  if (!res) return;
  if (res.status === 200) return assert.equal(res.body, "ok");
  assert.equal(res.status, 400, `POST answered ${res.status}: ${res.body}`);
  const err = JSON.parse(res.body) as { code: unknown; message: unknown };
  assert.equal(typeof err.code, "number", `400 body: ${res.body}`);
  assert.equal(typeof err.message, "string", `400 body: ${res.body}`);
}

// ---- the cases -------------------------------------------------------------------------------------------

interface ClosingCase {
  name: string;
  packets: Frame[];
  /** CONNECT to "/" first, so a socket.io-level packet reaches a connected namespace */
  connected?: boolean;
}

const RESERVED = ["connect", "disconnect", "disconnecting", "newListener", "removeListener", "connect_error"];

const CLOSING: ClosingCase[] = [
  // 1. undecodable engine packets
  { name: 'unknown engine packet type "9"', packets: ["9"] },
  { name: 'unknown engine packet type "x"', packets: ["x"] },
  { name: "empty engine packet", packets: [""] },
  { name: 'garbage engine packet "zzz"', packets: ["zzz"] },
  { name: 'binary packet with invalid base64 "b@@@"', packets: ["b@@@"] },
  { name: "a valid packet followed by an undecodable one", packets: ["3", "9"] },
  // 2. the client must not ping in v4
  { name: "client ping (engine 2)", packets: ["2"] },
  // 5. event names that are not strings/numbers, and reserved names
  ...["42[{}]", "42[null]", "42[]", "42[[1]]", "42{}", '42"x"', "42"].map((p) => ({
    name: `bad event packet ${p}`,
    packets: [p],
    connected: true,
  })),
  ...RESERVED.map((ev) => ({
    name: `reserved event name "${ev}"`,
    packets: [`42${JSON.stringify([ev, "x"])}`],
    connected: true,
  })),
  // 7. attachment counts
  { name: "negative attachment count", packets: [`45-1-["echo",${ph(0)}]`, bin(1)], connected: true },
  { name: "fractional attachment count", packets: [`451.5-["echo",${ph(0)}]`, bin(1)], connected: true },
  { name: "huge attachment count", packets: [`4599999999999999999999-["echo",${ph(0)}]`, bin(1)], connected: true },
  {
    name: "11 attachments (over the limit of 10)",
    packets: [
      `4511-["echo",${Array.from({ length: 11 }, (_, i) => ph(i)).join(",")}]`,
      ...Array.from({ length: 11 }, (_, i) => bin(i)),
    ],
    connected: true,
  },
  { name: "attachment count without its dash", packets: [`451["echo",${ph(0)}]`, bin(1)], connected: true },
  // 8. placeholders with a non-integer or out-of-range num
  ...[0.5, "0", -1, 1, null].map((num) => ({
    name: `placeholder num ${JSON.stringify(num)} with one attachment`,
    packets: [`451-["echo",${ph(num)}]`, bin(1, 2, 3)],
    connected: true,
  })),
  { name: "placeholder without num", packets: ['451-["echo",{"_placeholder":true}]', bin(1, 2, 3)], connected: true },
  // 9. text where an attachment is expected
  {
    name: "text packet where an attachment is expected",
    packets: [`451-["echo",${ph(0)}]`, '42["echo"]'],
    connected: true,
  },
  // 10. binary with no pending binary packet
  { name: "lone binary packet", packets: [bin(1, 2, 3)], connected: true },
  // 11. ack ids that are not safe integers
  { name: "ACK with a 20-digit id", packets: ["4399999999999999999999[1]"], connected: true },
  { name: "EVENT with a 19-digit id", packets: ['4212345678901234567["echo"]'], connected: true },
  { name: "EVENT with id 2^53 (16 digits, not safe)", packets: ['429007199254740992["echo"]'], connected: true },
  // 12. CONNECT_ERROR is server → client only
  { name: "CONNECT_ERROR sent by a client", packets: ['44{"message":"x"}'], connected: true },
  // 13. namespaces not joined
  { name: "EVENT for an unknown namespace", packets: ['42/nope,["echo"]'], connected: true },
  { name: "EVENT for /custom without connecting to it", packets: ['42/custom,["echo"]'], connected: true },
];

/** The "error" event name is not reserved: the server must survive it and keep serving that connection. */
const ERROR_EVENT: Array<{ name: string; nsp: string; packets: Frame[] }> = [
  { name: '"error" event with an argument', nsp: "/", packets: ['42["error","x"]'] },
  // the fixture's "error" listener reads err.message: with no argument the app listener throws
  { name: '"error" event without argument (the app listener throws)', nsp: "/", packets: ['42["error"]'] },
  {
    name: '"error" event on a namespace with no "error" listener',
    nsp: "/custom",
    packets: ['42/custom,["error","x"]'],
  },
];

const POLLUTION: Array<
  { name: string; packets: Frame[]; ackPrefix: string; ack: (m: Frame) => void; attachment?: Uint8Array }
> = [
  {
    name: "__proto__ and constructor.prototype in event arguments",
    packets: ['421["echo",{"__proto__":{"polluted":1}},{"constructor":{"prototype":{"polluted":1}}}]'],
    ackPrefix: "431",
    // the echo gives the same own keys back
    ack: (m) => assert.equal(m, '431[{"__proto__":{"polluted":1}},{"constructor":{"prototype":{"polluted":1}}}]'),
  },
  {
    name: "a binary placeholder at key __proto__",
    packets: [`451-1["echo",{"__proto__":${ph(0)}},{"a":{"__proto__":{"polluted":1}}}]`, bin(1, 2, 3)],
    ackPrefix: "461-1",
    // the placeholder goes back out at the same own key, with the attachment after it
    ack: (m) => assert.equal(m, `461-1[{"__proto__":${ph(0)}},{"a":{"__proto__":{"polluted":1}}}]`),
    attachment: bin(1, 2, 3),
  },
];

/** A refused upgrade: resolves with the HTTP status and body the `ws` client saw. */
function upgradeRefusal(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const timer = setTimeout(() => (ws.terminate(), reject(new Error("no answer to the upgrade"))), 3000);
    ws.on("unexpected-response", (req, res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body += d));
      res.on("end", () => {
        clearTimeout(timer);
        req.destroy();
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    ws.on("open", () => (clearTimeout(timer), ws.close(), reject(new Error("the upgrade was accepted"))));
    ws.on("error", (err) => (clearTimeout(timer), reject(err)));
  });
}

function assertEngineError(res: { status: number; body: string }, code: number, message: string): void {
  assert.equal(res.status, 400, `expected 400, got ${res.status}: ${res.body}`);
  assert.deepEqual(JSON.parse(res.body), { code, message });
}

/** A refused WebSocket upgrade: some servers can only send the status line (a known difference). */
function assertUpgradeError(
  target: Target,
  res: { status: number; body: string },
  code: number,
  message: string,
): void {
  if (target.knownDifferences["upgrade-refusal-body"] && res.body === "") {
    assert.equal(res.status, 400, `expected 400, got ${res.status}`);
    return;
  }
  assertEngineError(res, code, message);
}

const textOf = async (res: Response) => ({ status: res.status, body: await res.text() });

/** A body streamed in chunks, so fetch sends it chunked (no Content-Length). */
function streamed(...chunks: string[]): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  return new ReadableStream<Uint8Array>({
    pull(ctl) {
      const c = chunks.shift();
      if (c === undefined) ctl.close();
      else ctl.enqueue(enc.encode(c));
    },
  });
}

// ---- the tests -------------------------------------------------------------------------------------------

const section: Section = (target) => {
  describe("bad input", () => {
    describe("protocol violations close the session", () => {
      for (const c of CLOSING) {
        for (const transport of TRANSPORTS) {
          it(`${c.name} over ${transport} → closed`, async () => {
            const raw = await open(target(), transport, c.connected ? { nsp: "/" } : {});
            assertPostRefusedOrAccepted(await raw.send(...c.packets));
            assert.equal(
              await raw.closed(),
              true,
              `the server should close the ${transport} session after ${show(c.packets)}`,
            );
            await freshClientWorks(target());
          });
        }
      }
    });

    describe("a CONNECT cut short by a protocol violation", () => {
      // found by the fuzzer (test/fuzz): the connection closed while the child namespace was being created,
      // and the empty child stayed for good, so one client could grow the namespace map without bound
      for (const [i, transport] of TRANSPORTS.entries()) {
        it(`CONNECT to a new dynamic namespace, then a lone attachment, over ${transport} → no namespace left`, async () => {
          const name = `/dyn-${9001 + i}`;
          const raw = await open(target(), transport);
          // a lone attachment: decodable by the engine, a violation for Socket.IO; over polling both packets
          // are one body, handled before the CONNECT's namespace is resolved
          assertPostRefusedOrAccepted(await raw.send(`40${name},`, bin(1, 2, 3)));
          assert.equal(await raw.closed(), true, "the bad packet should close the session");
          const observer = await connected(client(target()));
          await waitFor(
            async () => !(await observer.timeout(2000).emitWithAck("has-nsp", name)),
            3000,
            `${name} removed`,
          );
          observer.close();
          await freshClientWorks(target());
        });
      }
    });

    describe('the event name "error" is harmless', () => {
      for (const c of ERROR_EVENT) {
        for (const transport of TRANSPORTS) {
          it(`${c.name} over ${transport} → the same connection still answers`, async () => {
            const raw = await open(target(), transport, { nsp: c.nsp });
            const prefix = c.nsp === "/" ? "" : `${c.nsp},`;
            // in the same POST body over polling: the echo after it must not be lost either
            const res = await raw.send(...c.packets, `42${prefix}1["echo","after"]`);
            if (res) assert.deepEqual(res, { status: 200, body: "ok" }, "valid packets: the POST should be accepted");
            const ack = await raw.waitFor(isText(`43${prefix}1`));
            assert.equal(ack, `43${prefix}1["after"]`);
            await freshClientWorks(target());
          });
        }
      }
    });

    describe("prototype pollution attempts", () => {
      for (const c of POLLUTION) {
        for (const transport of TRANSPORTS) {
          it(`${c.name} over ${transport} → echoed, no pollution`, async () => {
            const raw = await open(target(), transport, { nsp: "/" });
            await raw.send(...c.packets);
            c.ack(await raw.waitFor(isText(c.ackPrefix)));
            if (c.attachment) {
              assert.deepEqual(
                new Uint8Array(await raw.waitFor((m) => typeof m !== "string") as Uint8Array),
                c.attachment,
              );
            }
            await raw.send('422["pollution"]');
            assert.equal(await raw.waitFor(isText("432")), '432[{"clean":true}]');
            const fresh = await connected(client(target()));
            assert.deepEqual(await fresh.timeout(3000).emitWithAck("pollution"), { clean: true });
            fresh.close();
            await freshClientWorks(target());
          });
        }
      }
    });

    describe("handshake query values that name Object.prototype members", () => {
      for (const value of ["__proto__", "constructor", "toString"]) {
        for (const transport of TRANSPORTS) {
          it(`transport=${value} over ${transport} → 400 Transport unknown`, async () => {
            const query = `EIO=4&transport=${value}`;
            const res = transport === "polling"
              ? await textOf(await fetch(`${target().url}${MAIN}?${query}`))
              : await upgradeRefusal(`${target().url.replace("http", "ws")}${MAIN}?${query}`);
            if (transport === "polling") assertEngineError(res, 0, "Transport unknown");
            else assertUpgradeError(target(), res, 0, "Transport unknown");
            await freshClientWorks(target());
          });

          it(`sid=${value} over ${transport} → 400 Session ID unknown`, async () => {
            const query = `EIO=4&transport=${transport}&sid=${value}`;
            if (transport === "polling") {
              const url = `${target().url}${MAIN}?${query}`;
              assertEngineError(await textOf(await fetch(url)), 1, "Session ID unknown");
              assertEngineError(
                await textOf(await fetch(url, { method: "POST", body: '42["echo"]' })),
                1,
                "Session ID unknown",
              );
            } else {
              assertUpgradeError(
                target(),
                await upgradeRefusal(`${target().url.replace("http", "ws")}${MAIN}?${query}`),
                1,
                "Session ID unknown",
              );
            }
            await freshClientWorks(target());
          });
        }
      }
    });

    describe("payloads over maxHttpBufferSize (/limits/, 1000 bytes)", () => {
      // a valid EVENT, only too big
      const big = `42["echo","${"x".repeat(LIMIT)}"]`;
      const limitsClientWorks = () => freshClientWorks(target(), "/", { path: "/limits" });

      it("a WebSocket message over the limit → closed with 1009", async () => {
        const r = await rawWs(target(), LIMITS);
        const raw = overWs(r);
        r.ws.send("40");
        await raw.waitFor(isText("40{"));
        r.ws.send(big);
        assert.equal(await closesWithin(r), true, "the server should close the WebSocket");
        assert.equal((await r.closed).code, 1009);
        await limitsClientWorks();
        await freshClientWorks(target());
      });

      const bodies: Array<[string, () => BodyInit]> = [
        ["with Content-Length", () => big],
        ["chunked, without Content-Length", () => streamed(big.slice(0, 400), big.slice(400, 800), big.slice(800))],
      ];
      for (const [name, body] of bodies) {
        it(`a polling POST over the limit, ${name} → 413 and closed`, async () => {
          const p = await rawPolling(target(), LIMITS);
          // CONNECT first so the short connectTimeout of /limits/ cannot be what closes the session
          const raw = overPolling(p);
          await raw.send("40");
          await raw.waitFor(isText("40{"));
          const res = await textOf(await p.post(body()));
          assert.equal(res.status, 413, `expected 413, got ${res.status}: ${res.body}`);
          assert.equal(await pollingClosed(p), true, "the session should be closed after a 413");
          await limitsClientWorks();
          await freshClientWorks(target());
        });
      }
    });

    describe("overlapping polling requests", () => {
      it("a second concurrent GET → 400, the session closes and the first GET is released", async () => {
        const p = await rawPolling(target());
        const first = p.get(); // parks: nothing to send yet
        await waitForSession(target(), p.sid, (st) => st.parked === true, "the first GET parked");
        const second = await p.get();
        assert.equal(second.status, 400, `second GET: ${second.status} ${await second.clone().text()}`);
        await second.body?.cancel();
        const released = await first;
        assert.equal(released.status, 200);
        assert.ok(
          (await released.text()).split("\x1e").includes("1"),
          "the first GET should be released with a close packet",
        );
        assert.equal(await pollingClosed(p), true);
        await freshClientWorks(target());
      });

      it("a second concurrent POST → 400 and the session closes", async () => {
        const p = await rawPolling(target());
        const enc = new TextEncoder();
        let ctl!: ReadableStreamDefaultController<Uint8Array>;
        const slow = new ReadableStream<Uint8Array>({ start: (c) => void (ctl = c) });
        ctl.enqueue(enc.encode("3")); // a pong, still being uploaded
        const first = p.post(slow);
        await waitForSession(target(), p.sid, (st) => st.posting === true, "the first POST being read");
        const second = await p.post("3");
        assert.equal(second.status, 400, `second POST: ${second.status} ${await second.clone().text()}`);
        await second.body?.cancel();
        ctl.close();
        await (await first).body?.cancel();
        assert.equal(await pollingClosed(p), true);
        await freshClientWorks(target());
      });
    });

    describe("WebSocket handshake (RFC 6455 §4.2.1)", () => {
      const KEY = "dGhlIHNhbXBsZSBub25jZQ==";
      for (
        const [label, headers] of [
          ["no Sec-WebSocket-Key", { "Sec-WebSocket-Version": "13" }],
          ["a Sec-WebSocket-Key that is not 16 bytes", { "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "abc" }],
          ["Sec-WebSocket-Version: 99", { "Sec-WebSocket-Version": "99", "Sec-WebSocket-Key": KEY }],
        ] as Array<[string, Record<string, string>]>
      ) {
        it(`${label} → 400 {code: 3}, no upgrade`, async () => {
          const logged = target().logs().length;
          const answer = await rawUpgrade(target(), headers);
          assert.match(answer, /^HTTP\/1\.1 400/, answer.slice(0, 200));
          const body = answer.slice(answer.indexOf("\r\n\r\n") + 4);
          if (!(target().knownDifferences["upgrade-refusal-body"] && !body.includes("{"))) {
            assert.deepEqual(JSON.parse(body.slice(body.indexOf("{"), body.lastIndexOf("}") + 1)), {
              code: 3,
              message: "Bad request",
            });
          }
          if (!target().alive()) assert.fail(target().logs());
          await sleep(100);
          assert.doesNotMatch(target().logs().slice(logged), /upgradeWebSocket|\s{4}at /, "a stack trace was logged");
          await freshClientWorks(target());
        });
      }
    });
  });
};

/** A raw HTTP/1.1 upgrade request with the given handshake headers; resolves with what the server answered. */
function rawUpgrade(target: Target, headers: Record<string, string>): Promise<string> {
  const url = new URL(target.url);
  return new Promise((resolve, reject) => {
    const sock = net.connect(Number(url.port), url.hostname);
    let got = "";
    const timer = setTimeout(() => (sock.destroy(), resolve(got)), 3000);
    sock.on("data", (d) => {
      got += d;
      // the whole JSON body is in once a closing brace arrived (or the server closed)
      if (/\r\n\r\n[\s\S]*}/.test(got)) clearTimeout(timer), sock.destroy(), resolve(got);
    });
    sock.on("end", () => (clearTimeout(timer), resolve(got)));
    sock.on("error", (err) => (clearTimeout(timer), got ? resolve(got) : reject(err)));
    const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("");
    sock.write(
      `GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: ${url.host}\r\nConnection: Upgrade\r\n` +
        `Upgrade: websocket\r\n${extra}\r\n`,
    );
  });
}

export default section;
