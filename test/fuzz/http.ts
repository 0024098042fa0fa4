/**
 * Engine.IO HTTP requests with one field of the query or the method wrong, next to a live polling session
 * (engine.io-protocol.md, "Errors"): each gets 400 with the spec's JSON `{code, message}`, and the session
 * is unaffected. (A second GET while one is parked, which closes the session, is in the shared suite: here the
 * fuzzer's own GET loop would race it.)
 */
import type { Rng } from "./prng.ts";
import { randomString } from "./json.ts";

export interface HttpCase {
  rule: string;
  method: string;
  /** the query; `{sid}` stands for the live session's id */
  query: string;
  code: 0 | 1 | 2 | 3 | 5;
}

const MESSAGES = [
  "Transport unknown",
  "Session ID unknown",
  "Bad handshake method",
  "Bad request",
  "",
  "Unsupported protocol version",
];
export const messageOf = (code: number) => MESSAGES[code]!;

export function httpCase(rng: Rng): HttpCase {
  // well-formed first: encodeURIComponent throws on a lone surrogate
  const junk = encodeURIComponent(Buffer.from(randomString(rng)).toString());
  return rng.weighted<() => HttpCase>([
    [3, () => {
      const how = rng.pick(["{sid}x", "x{sid}", "{sid-1}", junk, "__proto__", "constructor", ""]);
      return {
        rule: `unknown sid ${how}`,
        method: rng.pick(["GET", "POST"]),
        query: `EIO=4&transport=polling&sid=${how}`,
        code: 1,
      };
    }],
    [3, () => {
      const eio = rng.pick(["EIO=3&", "EIO=5&", "EIO=&", "EIO=x&", "", "EIO=04&", "EIO=4.0&"]);
      return {
        rule: `protocol ${eio || "(none)"}`,
        method: "GET",
        query: `${eio}transport=polling`,
        code: 5,
      };
    }],
    [3, () => {
      const t = rng.pick([
        "transport=&",
        "transport=Polling&",
        "transport=xhr&",
        "",
        `transport=${junk}&`,
        "transport=toString&",
      ]);
      return { rule: `transport ${t || "(none)"}`, method: "GET", query: `EIO=4&${t}`, code: 0 };
    }],
    [2, () => ({
      rule: "a handshake that is not a GET",
      method: rng.pick(["POST", "PUT", "DELETE", "PATCH"]),
      query: "EIO=4&transport=polling",
      code: 2,
    })],
    [2, () => ({
      rule: "transport=websocket without an upgrade",
      method: "GET",
      query: rng.pick(["EIO=4&transport=websocket", "EIO=4&transport=websocket&sid={sid}"]),
      code: 3,
    })],
  ])();
}
