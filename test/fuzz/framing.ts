/**
 * WebSocket framing below the `ws` client (RFC 6455 §5): a raw TCP connection that does the opening
 * handshake itself, then sends hand-built frames: fragmented messages (split at seeded points, with control
 * frames between fragments), pings and pongs, and what §5 says a server must fail the connection for
 * (unmasked frames, reserved opcodes and bits, bad continuations, long or fragmented control frames,
 * invalid UTF-8 across fragments, bad close codes, absurd lengths, messages over the size bound), and
 * frames cut short, with or without the TCP connection ending.
 */
import net from "node:net";
import { randomBytes } from "node:crypto";
import type { Rng } from "./prng.ts";

export interface RawFrames {
  /** the RFC 6455 rule the case exercises */
  rule: string;
  /** bytes written after the session's CONNECT to "/" */
  chunks: Uint8Array[];
  /** end the TCP connection (FIN) after the chunks */
  end?: boolean;
  /** "answered": acks `acks` arrive and a final echo is answered; "closed": the server fails the connection */
  expect: "closed" | "answered";
  acks: number[];
}

interface FrameOpts {
  fin?: boolean;
  rsv?: number;
  mask?: boolean;
  /** a length field that lies (64-bit form) */
  length?: bigint;
}

/** One client frame (masked unless told otherwise). */
export function frame(opcode: number, payload: Uint8Array | string, o: FrameOpts = {}): Uint8Array {
  const data = typeof payload === "string" ? Buffer.from(payload) : Buffer.from(payload);
  const mask = o.mask ?? true;
  const head: number[] = [((o.fin ?? true) ? 0x80 : 0) | ((o.rsv ?? 0) << 4) | opcode];
  const m = mask ? 0x80 : 0;
  if (o.length !== undefined) {
    head.push(m | 127);
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(o.length);
    head.push(...b);
  } else if (data.length < 126) head.push(m | data.length);
  else if (data.length < 65536) head.push(m | 126, data.length >> 8, data.length & 255);
  else {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(BigInt(data.length));
    head.push(m | 127, ...b);
  }
  if (!mask) return new Uint8Array([...head, ...data]);
  const key = randomBytes(4);
  const body = data.map((x, i) => x ^ key[i & 3]!);
  return new Uint8Array([...head, ...key, ...body]);
}

const TEXT = 1, BINARY = 2, CONT = 0, CLOSE = 8, PING = 9, PONG = 10;

/** `text` as a fragmented message: pieces cut at seeded points, a control frame between some of them */
function fragments(rng: Rng, text: string | Uint8Array, opcode = TEXT, controls = false): Uint8Array[] {
  const bytes = typeof text === "string" ? Buffer.from(text) : Buffer.from(text);
  const cuts = [...new Set(Array.from({ length: rng.range(1, 4) }, () => rng.int(bytes.length + 1)))].sort((a, b) =>
    a - b
  );
  const pieces: Uint8Array[] = [];
  let at = 0;
  for (const c of [...cuts, bytes.length]) {
    pieces.push(bytes.subarray(at, c));
    at = c;
  }
  const out: Uint8Array[] = [];
  pieces.forEach((p, i) => {
    out.push(frame(i === 0 ? opcode : CONT, p, { fin: i === pieces.length - 1 }));
    if (controls && i < pieces.length - 1 && rng.chance(0.5)) out.push(frame(rng.pick([PING, PONG]), "x"));
  });
  return out;
}

const closePayload = (code: number, reason = "") => {
  const b = Buffer.alloc(2 + Buffer.byteLength(reason));
  b.writeUInt16BE(code);
  b.write(reason, 2);
  return b;
};

/** One framing case: a seeded pick among the RFC 6455 rules, with seeded cut points and payloads. */
export function rawFrames(rng: Rng, small: boolean): RawFrames {
  const id = rng.range(1, 1000);
  const echo = `42${id}["echo","frag ${"é".repeat(rng.int(5))}"]`;
  if (small) {
    // the /small/ server: a message over maxHttpBufferSize (1000), whole or in fragments
    const big = `42${id}["echo","${"x".repeat(rng.range(1000, 3000))}"]`;
    return rng.chance(0.5)
      ? { rule: "a text frame over the size bound", chunks: [frame(TEXT, big)], expect: "closed", acks: [] }
      : { rule: "a fragmented message over the size bound", chunks: fragments(rng, big), expect: "closed", acks: [] };
  }
  const cases: Array<[number, () => RawFrames]> = [
    [4, () => ({ rule: "a fragmented text message", chunks: fragments(rng, echo), expect: "answered", acks: [id] })],
    [3, () => ({
      rule: "control frames between fragments",
      chunks: fragments(rng, echo, TEXT, true),
      expect: "answered",
      acks: [id],
    })],
    [2, () => ({
      rule: "ping and unsolicited pong",
      chunks: [frame(PING, rng.bytes(rng.int(126))), frame(PONG, "")],
      expect: "answered",
      acks: [],
    })],
    [
      1,
      () => ({
        rule: "an empty text fragment then the rest",
        chunks: [frame(TEXT, "", { fin: false }), frame(CONT, echo)],
        expect: "answered",
        acks: [id],
      }),
    ],
    [
      2,
      () => ({
        rule: "an unmasked client frame",
        chunks: [frame(TEXT, echo, { mask: false })],
        expect: "closed",
        acks: [],
      }),
    ],
    [
      2,
      () => ({
        rule: "a reserved opcode",
        chunks: [frame(rng.pick([3, 4, 5, 6, 7, 11, 12, 15]), "x")],
        expect: "closed",
        acks: [],
      }),
    ],
    [
      2,
      () => ({
        rule: "an RSV bit with no extension",
        chunks: [frame(TEXT, echo, { rsv: rng.pick([1, 2, 4]) })],
        expect: "closed",
        acks: [],
      }),
    ],
    [
      2,
      () => ({
        rule: "a continuation with no message started",
        chunks: [frame(CONT, echo)],
        expect: "closed",
        acks: [],
      }),
    ],
    [2, () => ({
      rule: "a new message inside a fragmented one",
      chunks: [frame(TEXT, "42", { fin: false }), frame(rng.pick([TEXT, BINARY]), echo)],
      expect: "closed",
      acks: [],
    })],
    [
      2,
      () => ({
        rule: "a control frame over 125 bytes",
        chunks: [frame(PING, rng.bytes(rng.range(126, 300)))],
        expect: "closed",
        acks: [],
      }),
    ],
    [
      2,
      () => ({
        rule: "a fragmented control frame",
        chunks: [frame(PING, "x", { fin: false })],
        expect: "closed",
        acks: [],
      }),
    ],
    [2, () => {
      const bytes = Buffer.concat([Buffer.from(`42${id}["echo","`), Buffer.from([0xe6, 0x97]), Buffer.from('"]')]);
      return { rule: "invalid UTF-8 across fragments", chunks: fragments(rng, bytes), expect: "closed", acks: [] };
    }],
    [
      2,
      () => ({ rule: "a close frame", chunks: [frame(CLOSE, closePayload(1000, "bye"))], expect: "closed", acks: [] }),
    ],
    [1, () => ({
      rule: "a close frame with an invalid code or a 1-byte body",
      chunks: [frame(CLOSE, rng.chance(0.5) ? closePayload(rng.pick([0, 999, 1004, 1005, 1006, 2999, 5000])) : "x")],
      expect: "closed",
      acks: [],
    })],
    [2, () => ({
      rule: "a 64-bit length of 2^53 or more",
      chunks: [frame(TEXT, "42", { length: rng.pick([2n ** 53n, 2n ** 63n - 1n, 2n ** 63n]) })],
      expect: "closed",
      acks: [],
    })],
    [3, () => {
      const f = frame(rng.pick([TEXT, BINARY]), echo);
      return {
        rule: "a frame cut short, then the TCP connection ends",
        chunks: [f.subarray(0, rng.range(1, f.length - 1))],
        end: true,
        expect: "closed",
        acks: [],
      };
    }],
    [1, () => {
      const f = frame(TEXT, echo);
      // the server cannot hear our pongs any more: its heartbeat must end the session
      return {
        rule: "a frame cut short, the connection left open",
        chunks: [f.subarray(0, rng.range(1, f.length - 1))],
        expect: "closed",
        acks: [],
      };
    }],
  ];
  return rng.weighted(cases)();
}

/** A raw WebSocket session: handshake, the CONNECT to "/", then `c`; resolves with the outcome. */
export async function runRawFrames(
  base: string,
  path: string,
  c: RawFrames,
  waitMs: number,
): Promise<string | undefined> {
  const url = new URL(base);
  const sock = net.connect(Number(url.port), url.hostname);
  sock.on("error", () => {});
  let buf = Buffer.alloc(0);
  let handshaken = false;
  let closed = false;
  let connected = false;
  const acks = new Set<number>();
  const wake = new Set<() => void>();
  const changed = () => wake.forEach((w) => w());
  const until = (pred: () => boolean) =>
    new Promise<boolean>((resolve) => {
      const check = () => {
        if (pred()) done(true);
        else if (closed) done(false);
      };
      const done = (v: boolean) => (clearTimeout(t), wake.delete(check), resolve(v));
      const t = setTimeout(() => done(pred()), waitMs);
      wake.add(check);
      check();
    });
  const send = (f: Uint8Array) => !sock.destroyed && sock.write(f);
  const onText = (s: string) => {
    if (s === "2") send(frame(TEXT, "3"));
    else if (s.startsWith("40{")) connected = true;
    else if (s.startsWith("43")) {
      const m = /^43(\d+)/.exec(s);
      if (m) acks.add(Number(m[1]));
    }
  };
  sock.on("close", () => (closed = true, changed()));
  sock.on("data", (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    if (!handshaken) {
      const end = buf.indexOf("\r\n\r\n");
      if (end < 0) return;
      const head = buf.subarray(0, end).toString();
      if (!head.startsWith("HTTP/1.1 101")) return void (closed = true, sock.destroy(), changed());
      handshaken = true;
      buf = buf.subarray(end + 4);
    }
    // server frames: unmasked, small enough here to be read whole
    for (;;) {
      if (buf.length < 2) break;
      const op = buf[0]! & 15;
      let len = buf[1]! & 127, at = 2;
      if (len === 126) (len = buf.length >= 4 ? buf.readUInt16BE(2) : Infinity), (at = 4);
      else if (len === 127) (len = buf.length >= 10 ? Number(buf.readBigUInt64BE(2)) : Infinity), (at = 10);
      if (buf.length < at + len) break;
      const payload = buf.subarray(at, at + len);
      buf = buf.subarray(at + len);
      if (op === TEXT) onText(payload.toString());
      else if (op === CLOSE) (closed = true), sock.destroy();
    }
    changed();
  });
  try {
    await new Promise<void>((resolve, reject) => {
      sock.once("connect", resolve);
      sock.once("error", reject);
    });
    sock.write(
      `GET ${path}?EIO=4&transport=websocket HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\n` +
        `Connection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString("base64")}\r\n` +
        `Sec-WebSocket-Version: 13\r\n\r\n`,
    );
    if (!(await until(() => handshaken))) return "no 101 answer to the upgrade";
    send(frame(TEXT, "40"));
    if (!(await until(() => connected))) return "no answer to the CONNECT to /";
    for (const chunk of c.chunks) send(chunk);
    if (c.end) sock.end();
    if (c.expect === "closed") {
      return (await until(() => closed)) ? undefined : `the server should fail the connection (${c.rule})`;
    }
    if (!(await until(() => c.acks.every((a) => acks.has(a))))) {
      return `${closed ? "closed" : "no ack"} after: ${c.rule}`;
    }
    send(frame(TEXT, '4299999["echo","after"]'));
    if (!(await until(() => acks.has(99999)))) return `the final echo was not answered (${c.rule})`;
    return undefined;
  } finally {
    sock.destroy();
  }
}
