/**
 * The oracle: a small reference model of what the fixture server must do with a case, written from the two
 * protocol specs (/work/shared/specs: engine.io-protocol.md, socket.io-protocol.md) and the fixture's
 * handlers, independently of Portio's code. For each case it says where the session must be closed, which
 * CONNECT answers and which acks must come back (with their exact arguments), or that the outcome cannot
 * be predicted (then only the liveness invariants are checked).
 *
 * Where the specs leave a choice, the model follows Portio's documented rule (a protocol violation closes
 * the connection): a client ping, open/upgrade/noop packets from the client, an ack id over 2^53, more than
 * 10 attachments, a placeholder whose num is not an attachment index, a reserved event name.
 */
import { type Case, LIMIT, LIMITS, type WsFrame } from "./case.ts";

export interface Ack {
  nsp: string;
  id: number;
  args: unknown[];
  /**
   * may be missing: the event was followed by a DISCONNECT of its namespace, and listeners run after the
   * packets received with it (socket.io's rule), so whether it ran depends on how the frames were batched
   */
  optional?: boolean;
}

export interface Reply {
  kind: "connect" | "connect_error";
  nsp: string;
}

export interface Expectation {
  /** the step after which the session must be closed (nothing after it is sent) */
  closeAt?: number;
  why?: string;
  /** why the outcome cannot be predicted: only liveness is checked */
  indeterminate?: string;
  /** per step: the CONNECT answers to wait for before the next step */
  replies: Reply[][];
  /** acks that must arrive (in any order), and no other ack */
  acks: Ack[];
  /** the namespace the final echo probe goes to (CONNECTed again first when the case left it) */
  probe?: { nsp: string; reconnect: boolean };
  /** upgrade cases: the probe frames' outcome */
  upgrade?: { upgraded: boolean; pongs: number; wsClosed: boolean };
}

type NspState = "connected" | "left";

/** Event names the fixture handles with side effects or answers of its own: not echoed, not predicted. */
const FIXTURE_EVENTS = new Set(
  ("watch log engine-session fanout-count burst flood rss state set-data join leave bcast ask ask-timeout " +
    "ask-with-ack ask-room ask-room-with-ack store-rooms has-nsp disconnect-then-join dyn-parent-emit " +
    "volatile-burst late fetch all-sockets sockets-join sockets-leave disconnect-sockets server-side-emit " +
    "disconnect-me close-engine pollution emit-reserved binary any-log forbidden census").split(" "),
);
const RESERVED = new Set(["connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"]);

class Violation extends Error {}
class Unknown extends Error {}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** What a WebSocket text frame of these bytes is, or a violation (RFC 6455 §8.1: invalid UTF-8 fails). */
function textOf(bytes: Uint8Array): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new Violation("text frame is not valid UTF-8");
  }
}

/** WHATWG forgiving-base64 (what `atob` implements on every runtime), or a violation. */
function base64(text: string): Uint8Array {
  try {
    return new Uint8Array(Buffer.from(atob(text), "latin1"));
  } catch {
    throw new Violation("invalid base64");
  }
}

interface Header {
  type: number;
  attachments?: number;
  nsp: string;
  id?: number;
  data?: unknown;
}

/** socket.io-protocol.md "Format": <type>[<#attachments>-][<namespace>,][<ack id>][JSON payload] */
function parseHeader(s: string): Header {
  const m = /^([0-6])(?:(\d+)-)?(\/[^,]*(?:,|$))?(\d*)([\s\S]*)$/.exec(s);
  if (!m) throw new Violation(`not a Socket.IO packet: ${JSON.stringify(s.slice(0, 20))}`);
  const type = Number(m[1]);
  const binary = type === 5 || type === 6;
  if (binary !== (m[2] !== undefined)) throw new Violation("attachment count present iff binary type");
  const h: Header = { type, nsp: m[3] ? m[3].replace(/,$/, "") : "/" };
  if (binary) {
    h.attachments = Number(m[2]);
    if (h.attachments > 10) throw new Violation("more than 10 attachments");
  }
  if (m[4]) {
    if (m[4].length > 16 || !Number.isSafeInteger(Number(m[4]))) throw new Violation("ack id not a safe integer");
    h.id = Number(m[4]);
  }
  if (m[5]) {
    try {
      h.data = JSON.parse(m[5]);
    } catch {
      throw new Violation("invalid JSON");
    }
  }
  switch (type) {
    case 0:
      if (h.data !== undefined && !isPlainObject(h.data)) throw new Violation("CONNECT payload not an object");
      break;
    case 1:
      if (h.data !== undefined) throw new Violation("DISCONNECT with a payload");
      break;
    case 2:
    case 5: {
      if (!Array.isArray(h.data) || h.data.length === 0) throw new Violation("EVENT payload not a non-empty array");
      const name = h.data[0];
      if (typeof name === "string" ? RESERVED.has(name) : typeof name !== "number") {
        throw new Violation("bad event name");
      }
      break;
    }
    case 3:
    case 6:
      if (h.id === undefined || !Array.isArray(h.data)) throw new Violation("ACK without id or array");
      break;
    case 4:
      if (typeof h.data !== "string" && !isPlainObject(h.data)) throw new Violation("bad CONNECT_ERROR payload");
  }
  return h;
}

/** Replaces placeholders with attachments (a copy); a placeholder that names no attachment is a violation. */
function resolve(v: unknown, bins: Uint8Array[]): unknown {
  if (Array.isArray(v)) return v.map((x) => resolve(x, bins));
  if (!isPlainObject(v)) return v;
  if (Object.hasOwn(v, "_placeholder") && v._placeholder === true) {
    const num = Object.hasOwn(v, "num") ? v.num : undefined;
    if (typeof num !== "number" || !Number.isInteger(num) || num < 0 || num >= bins.length) {
      throw new Violation("placeholder names no attachment");
    }
    return bins[num];
  }
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) {
    Object.defineProperty(out, k, { value: resolve(v[k], bins), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** The fixture's namespaces: what a CONNECT with this auth gets on this server. */
function connectOutcome(path: string, nsp: string, auth: Record<string, unknown>): "connect" | "connect_error" {
  if (path === LIMITS) return nsp === "/" ? "connect" : "connect_error";
  const own = (k: string) => (Object.hasOwn(auth, k) ? auth[k] : undefined);
  if (nsp === "/") {
    const token = own("token");
    if (token === "throw") throw new Unknown("the main middleware throws");
    return token === "bad" || token === "join-then-refuse" ? "connect_error" : "connect";
  }
  if (nsp === "/custom") return own("deny") ? "connect_error" : "connect";
  if (/^\/dyn-\d+$/.test(nsp) || nsp === "/fn-ok") return "connect";
  return "connect_error";
}

class Session {
  nsps = new Map<string, NspState>([["/", "connected"]]);
  /** namespaces CONNECTed in the current step (their outcome is only known once answered) */
  connecting = new Set<string>();
  pending: { header: Header; bins: Uint8Array[] } | undefined;
  replies: Reply[] = [];
  acks: Ack[] = [];

  constructor(readonly path: string) {}

  /** One Engine.IO packet as the server decodes it (engine.io-protocol.md "Packet encoding"). */
  engine(p: string | Uint8Array): void {
    const size = typeof p === "string" ? p.length : p.byteLength;
    if (this.path === LIMITS && size > LIMIT) throw new Violation("payload over maxHttpBufferSize");
    if (typeof p !== "string") return this.message(p);
    if (p === "") throw new Violation("empty engine packet");
    if (p[0] === "b") return this.message(base64(p.slice(1)));
    switch (p[0]) {
      case "3":
        return; // pong: always welcome
      case "4":
        return this.message(p.slice(1));
      case "1":
        throw new Violation("client close packet");
      case "2":
        throw new Violation("client ping (v4: only the server pings)");
      default:
        throw new Violation(`engine packet type ${JSON.stringify(p[0])} from the client`);
    }
  }

  message(m: string | Uint8Array): void {
    if (typeof m !== "string") {
      if (!this.pending) throw new Violation("binary with no packet awaiting an attachment");
      this.pending.bins.push(m);
      if (this.pending.bins.length === this.pending.header.attachments) {
        const { header, bins } = this.pending;
        this.pending = undefined;
        header.data = resolve(header.data, bins);
        this.route(header);
      }
      return;
    }
    if (this.pending) throw new Violation("text packet where an attachment is expected");
    const h = parseHeader(m);
    if (h.attachments !== undefined && h.attachments > 0) {
      this.pending = { header: h, bins: [] };
      return;
    }
    if (h.attachments === 0) h.data = resolve(h.data, []);
    this.route(h);
  }

  route(h: Header): void {
    if (h.type === 4) throw new Violation("CONNECT_ERROR from the client");
    if (this.connecting.has(h.nsp)) throw new Unknown(`packet for ${h.nsp} while its CONNECT runs`);
    const state = this.nsps.get(h.nsp);
    if (h.type === 0) {
      if (state === "connected") throw new Violation("second CONNECT to a joined namespace");
      const outcome = connectOutcome(this.path, h.nsp, (h.data ?? {}) as Record<string, unknown>);
      this.replies.push({ kind: outcome, nsp: h.nsp });
      this.connecting.add(h.nsp);
      if (outcome === "connect") this.nsps.set(h.nsp, "connected");
      return;
    }
    if (state === undefined) throw new Violation(`packet for ${h.nsp}, a namespace not joined`);
    if (state === "left") return; // a late packet for a namespace just left: dropped
    if (h.type === 1) {
      for (const a of this.acks) if (a.nsp === h.nsp) a.optional = true;
      return void this.nsps.set(h.nsp, "left");
    }
    if (h.type === 3 || h.type === 6) return; // an ack the server never asked for: ignored
    const [name, ...args] = h.data as unknown[];
    const ev = String(name);
    const handlers = handlersOf(this.path, h.nsp);
    if (ev === "echo" && handlers.echo) {
      if (h.id !== undefined) this.acks.push({ nsp: h.nsp, id: h.id, args });
    } else if (ev === "123" && handlers.numeric) {
      if (h.id !== undefined && args.length === 0) this.acks.push({ nsp: h.nsp, id: h.id, args: ["numeric ok"] });
    } else if (handlers.others.has(ev)) throw new Unknown(`fixture event ${JSON.stringify(ev)}`);
  }
}

const NONE = new Set<string>();

/** The fixture's listeners per namespace (test/fixture/app.ts): an event nobody listens to gets no ack. */
function handlersOf(path: string, nsp: string): { echo: boolean; numeric: boolean; others: Set<string> } {
  if (path === LIMITS) return { echo: nsp === "/", numeric: false, others: NONE };
  if (nsp === "/") return { echo: true, numeric: true, others: FIXTURE_EVENTS };
  if (nsp === "/custom") return { echo: true, numeric: false, others: NONE };
  if (/^\/dyn-\d+$/.test(nsp)) return { echo: true, numeric: false, others: new Set(["data"]) };
  return { echo: false, numeric: false, others: NONE }; // /fn-ok: a welcome, no listener
}

/** Packets the server sees for a step: WebSocket frames one by one; a POST body split on "\x1e". */
function packetsOf(step: Case["steps"][number], path: string): Array<string | Uint8Array> {
  if ("body" in step) {
    const bytes = Buffer.byteLength(step.body);
    if (path === LIMITS && bytes > LIMIT) throw new Violation("POST body over maxHttpBufferSize (413)");
    return step.body.split("\x1e");
  }
  return step.frames.map((f: WsFrame) => {
    if (typeof f === "string") {
      if (path === LIMITS && f.length <= LIMIT && Buffer.byteLength(f) > LIMIT) {
        throw new Unknown("over the limit in bytes, not in characters");
      }
      return f;
    }
    if (f instanceof Uint8Array) return f;
    return textOf(f.textBytes);
  });
}

/** The probe sequence of an upgrade case (engine.io-protocol.md "Upgrade"). */
function upgradeOutcome(probe: WsFrame[]): NonNullable<Expectation["upgrade"]> {
  let pongs = 0;
  for (const f of probe) {
    if (f === "2probe") pongs++;
    else if (f === "5") return { upgraded: true, pongs, wsClosed: false };
    else return { upgraded: false, pongs, wsClosed: true };
  }
  return { upgraded: false, pongs, wsClosed: false };
}

export function expect(c: Case): Expectation {
  const s = new Session(c.path);
  const replies: Reply[][] = [];
  const out: Expectation = { replies, acks: s.acks };
  if (c.probe) out.upgrade = upgradeOutcome(c.probe);
  for (let i = 0; i < c.steps.length; i++) {
    try {
      for (const p of packetsOf(c.steps[i]!, c.path)) s.engine(p);
    } catch (err) {
      replies.push(s.replies);
      if (err instanceof Unknown) return { ...out, indeterminate: err.message };
      if (err instanceof Violation) return { ...out, closeAt: i, why: err.message };
      throw err;
    }
    replies.push(s.replies);
    s.replies = [];
    s.connecting.clear();
  }
  if (s.pending) return { ...out, indeterminate: "a binary packet still awaits attachments" };
  const joined = [...s.nsps].find(([nsp, st]) => st === "connected" && handlersOf(c.path, nsp).echo);
  out.probe = joined ? { nsp: joined[0], reconnect: false } : { nsp: "/", reconnect: true };
  return out;
}
