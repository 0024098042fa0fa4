/**
 * Structure-aware mutators. Each one damages one part of a case the way a buggy or hostile client would:
 * a field of a Socket.IO packet (engine type, packet type, attachment count, namespace, ack id, JSON payload,
 * event name, placeholder), the frame list (dropped, duplicated, reordered, stray binary), the framing of a
 * transport (the "\x1e" separators of a polling body, "b" + base64, invalid UTF-8 in a WebSocket text frame),
 * or the size (over maxHttpBufferSize, truncated). Each returns a label for the failure report.
 */
import type { Rng } from "./prng.ts";
import { randomJson, randomString } from "./json.ts";
import type { Logical } from "./traffic.ts";

/** `4` `2` `1-` `/nsp,` `12` `[…]`: the fields of a text packet, as the mutators see them */
const FIELDS = /^([\s\S])([\s\S])?(\d+-)?(\/[^,]*,)?(\d*)([\s\S]*)$/;

const JUNK_CHARS = ["\x1e", "\\", '"', "{", "}", "[", "]", ",", "-", "/", "0", "9", "b", " ", "\u0000", "é", "\uffff"];

function withField(s: string, field: 1 | 2 | 3 | 4 | 5 | 6, value: string): string {
  const m = FIELDS.exec(s);
  if (!m) return s;
  const parts = m.slice(1).map((p) => p ?? "");
  parts[field - 1] = value;
  return parts.join("");
}

type TextMutator = (rng: Rng, s: string) => [string, string];

const TEXT_MUTATORS: Array<readonly [number, TextMutator]> = [
  [2, (rng, s) => {
    const t = rng.pick(["0", "1", "2", "3", "5", "6", "7", "9", "b", "x", ""]);
    return [t + s.slice(1), `engine type → ${JSON.stringify(t)}`];
  }],
  [3, (rng, s) => {
    const t = rng.pick(["0", "1", "2", "3", "4", "5", "6", "7", "8", "a", ""]);
    return [withField(s, 2, t), `packet type → ${JSON.stringify(t)}`];
  }],
  [2, (rng, s) => {
    const a = rng.pick(["", "0-", "1-", "2-", "3-", "10-", "11-", "99999999999999999999-", "-", "1", "-1-", "01-"]);
    return [withField(s, 3, a), `attachments → ${JSON.stringify(a)}`];
  }],
  [3, (rng, s) => {
    const n = rng.pick([
      "",
      "/,",
      "/custom,",
      "/nope,",
      `/dyn-${rng.int(9)},`,
      "/fn-ok,",
      ",",
      "/custom",
      "/cust,om,",
      "/custom?x=1,",
      `/${randomString(rng).replace(/,/g, "")},`,
    ]);
    return [withField(s, 4, n), `namespace → ${JSON.stringify(n)}`];
  }],
  [3, (rng, s) => {
    const id = rng.pick([
      "",
      "0",
      "7",
      "007",
      "9007199254740991",
      "9007199254740992",
      "12345678901234567",
      "99999999999999999999",
      String(rng.int(1e6)),
    ]);
    return [withField(s, 5, id), `ack id → ${id || "(none)"}`];
  }],
  [3, (rng, s) => {
    const json = rng.weighted<() => string>([
      [3, () => JSON.stringify(randomJson(rng))],
      [3, () => JSON.stringify([eventName(rng), ...Array.from({ length: rng.int(3) }, () => randomJson(rng))])],
      [1, () => ""],
      [1, () => "[" + JSON.stringify("echo")],
      [1, () => '["echo",' + "[".repeat(rng.range(1, 3000))],
      [1, () => '["echo",1]trailing'],
      [1, () => ' ["echo",1] '],
    ])();
    return [withField(s, 6, json), `payload → ${json.slice(0, 60)}`];
  }],
  [3, (rng, s) => {
    const m = FIELDS.exec(s);
    if (!m?.[6]?.startsWith("[")) return [s, "event name (no array)"];
    let data: unknown[];
    try {
      data = JSON.parse(m[6]);
    } catch {
      return [s, "event name (no JSON)"];
    }
    data[0] = eventName(rng);
    return [withField(s, 6, JSON.stringify(data)), `event name → ${JSON.stringify(data[0])}`];
  }],
  [2, (rng, s) => {
    const num = rng.pick(["-1", "0.5", '"0"', "null", "1000", "1e0", "3", "0", "1"]);
    const to = rng.chance(0.8) ? `"num":${num}` : rng.pick(['"num":0,"x":1', '"_num":0']);
    const out = rng.chance(0.2) ? s.replace('"_placeholder":true', '"_placeholder":1') : s.replace(/"num":\d+/, to);
    return [out, `placeholder → ${out === s ? "(none)" : to}`];
  }],
  [3, (rng, s) => {
    const at = rng.int(s.length + 1);
    return [s.slice(0, at), `truncated at ${at}/${s.length}`];
  }],
  [3, (rng, s) => {
    const at = rng.int(Math.max(1, s.length));
    const c = rng.pick(JUNK_CHARS);
    return [s.slice(0, at) + c + s.slice(at + 1), `char ${at} → ${JSON.stringify(c)}`];
  }],
  [2, (rng, s) => {
    const at = rng.int(s.length + 1);
    const c = rng.pick(JUNK_CHARS);
    return [s.slice(0, at) + c + s.slice(at), `inserted ${JSON.stringify(c)} at ${at}`];
  }],
];

function eventName(rng: Rng): unknown {
  return rng.pick<unknown>([
    "echo",
    "connect",
    "disconnect",
    "disconnecting",
    "newListener",
    "removeListener",
    "connect_error",
    "error",
    123,
    "123",
    1.5,
    -0,
    null,
    {},
    [],
    true,
    "",
    "__proto__",
    "constructor",
    "fz-x",
  ]);
}

export function mutateText(rng: Rng, s: string): [string, string] {
  return rng.weighted(TEXT_MUTATORS)(rng, s);
}

/** Frame-level damage to the logical steps (before transport encoding). */
export function mutateFrames(rng: Rng, steps: Logical[]): string {
  const step = rng.pick(steps);
  const i = rng.int(step.length);
  switch (rng.int(6)) {
    case 0:
      if (step.length > 1) return step.splice(i, 1), `dropped frame ${i}`;
      return "nothing dropped";
    case 1:
      step.splice(i, 0, step[i]!);
      return `duplicated frame ${i}`;
    case 2:
      if (step.length > 1) {
        const j = (i + 1) % step.length;
        [step[i], step[j]] = [step[j]!, step[i]!];
        return `swapped frames ${i} and ${j}`;
      }
      return "nothing swapped";
    case 3: {
      const bin = rng.bytes(rng.int(8));
      step.splice(rng.int(step.length + 1), 0, bin);
      return `stray binary frame of ${bin.byteLength}B`;
    }
    case 4: {
      const p = rng.pick(["", "4", "40", "41", "9", "b@@@", "bAQID", "b", "1", "2", "2probe", "5", "6", "0", "3x"]);
      step.splice(rng.int(step.length + 1), 0, p);
      return `stray packet ${JSON.stringify(p)}`;
    }
    default: {
      // a step moved before the one it followed (an attachment arriving before its packet)
      const k = steps.indexOf(step);
      if (k > 0) [steps[k - 1], steps[k]] = [steps[k]!, steps[k - 1]!];
      return `step ${k} moved before step ${k - 1}`;
    }
  }
}

/** Damage to a polling body: its "\x1e" separators and "b" + base64 packets. */
export function mutateBody(rng: Rng, body: string): [string, string] {
  switch (rng.int(7)) {
    case 0: {
      const at = rng.int(body.length + 1);
      return [body.slice(0, at) + "\x1e" + body.slice(at), `separator inserted at ${at}`];
    }
    case 1: {
      const at = body.indexOf("\x1e");
      return at < 0
        ? [body + "\x1e", "trailing separator"]
        : [body.slice(0, at) + body.slice(at + 1), "separator removed"];
    }
    case 2:
      return [rng.chance(0.5) ? "\x1e" + body : body.replace("\x1e", "\x1e\x1e"), "empty packet in the body"];
    case 3:
      return [
        body + "\x1e" + "b" + rng.pick(["@@@", "AQID=", "AQI", "A", "AQ ID", "AQ\nID", "", "====", "AQID==="]),
        "bad base64 packet",
      ];
    case 4: {
      const b = new RegExp("\x1eb([A-Za-z0-9+/=]*)").exec(body);
      if (!b) return [body, "no base64 packet to damage"];
      const bad = b[1]!.slice(0, Math.max(0, b[1]!.length - rng.range(1, 3)));
      return [body.replace(b[0], "\x1eb" + bad), "base64 packet truncated"];
    }
    case 5:
      return [body.replaceAll("\x1e", "\n"), "separators as newlines"];
    default:
      return ["", "empty body"];
  }
}

/** A text frame's bytes with invalid UTF-8 in it (WebSocket only: RFC 6455 requires closing). */
export function invalidUtf8(rng: Rng, s: string): Uint8Array {
  const bytes = Buffer.from(s, "utf8");
  const bad = rng.pick([[0xff], [0xc3], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0x80]]);
  const at = rng.int(bytes.length + 1);
  return new Uint8Array([...bytes.subarray(0, at), ...bad, ...bytes.subarray(at)]);
}

/** An echo whose argument makes the packet over the /limits/ server's 1000-byte bound, or just under it. */
export function oversize(rng: Rng): [string, string] {
  const size = rng.chance(0.7) ? rng.range(1001, 4000) : rng.range(10, 900);
  const pad = Math.max(0, size - 14);
  return [`421["echo","${"x".repeat(pad)}"]`, `echo of ${size} chars`];
}
