/**
 * The client side of one fuzz session: decodes what the server sends (Engine.IO packets, then Socket.IO
 * packets with their attachments), answers pings, and lets the driver wait for a CONNECT answer, an ack
 * or the close.
 */
import type { Ack, Reply } from "./model.ts";

type Obj = Record<string, unknown>;

function resolvePlaceholders(v: unknown, bins: Uint8Array[]): unknown {
  if (Array.isArray(v)) return v.map((x) => resolvePlaceholders(x, bins));
  if (typeof v !== "object" || v === null) return v;
  const o = v as Obj;
  if (o._placeholder === true && typeof o.num === "number") return bins[o.num];
  for (const k of Object.keys(o)) {
    Object.defineProperty(o, k, {
      value: resolvePlaceholders(o[k], bins),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return o;
}

export class Receiver {
  acks: Ack[] = [];
  replies: Reply[] = [];
  probePongs = 0;
  closed = false;
  /** what the server sent that no client may receive (a parse failure of the server's own output) */
  bad: string[] = [];
  #pending: { type: number; nsp: string; id?: number; data: unknown; need: number; bins: Uint8Array[] } | undefined;
  #waiters = new Set<() => void>();

  /** answers a server ping (swapped to the WebSocket after an upgrade) */
  constructor(public pong: () => void) {}

  #changed(): void {
    for (const w of [...this.#waiters]) w();
  }

  setClosed(): void {
    this.closed = true;
    this.#changed();
  }

  /** Resolves true once `pred` holds, false on close (unless `pred` holds) or after `ms`. */
  until(pred: () => boolean, ms: number): Promise<boolean> {
    if (pred()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (v: boolean) => {
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve(v);
      };
      const check = () => {
        if (pred()) done(true);
        else if (this.closed) done(false);
      };
      const timer = setTimeout(() => done(false), ms);
      this.#waiters.add(check);
      check();
    });
  }

  /** One Engine.IO packet from the server (binary already decoded from "b" + base64 over polling). */
  engine(p: string | Uint8Array): void {
    if (typeof p !== "string") return this.#attachment(p);
    switch (p[0]) {
      case "2":
        if (p === "2") this.pong();
        return;
      case "3":
        if (p === "3probe") this.probePongs++;
        return this.#changed();
      case "1":
        return this.setClosed();
      case "4":
        return this.#socketio(p.slice(1));
      case "0":
      case "6":
        return;
      default:
        this.bad.push(`engine packet ${JSON.stringify(p.slice(0, 40))}`);
    }
  }

  #socketio(s: string): void {
    const m = /^([0-6])(?:(\d+)-)?(\/[^,]*,)?(\d*)([\s\S]*)$/.exec(s);
    if (!m) return void this.bad.push(`socket.io packet ${JSON.stringify(s.slice(0, 40))}`);
    let data: unknown;
    try {
      data = m[5] ? JSON.parse(m[5]) : undefined;
    } catch {
      return void this.bad.push(`invalid JSON from the server: ${JSON.stringify(s.slice(0, 80))}`);
    }
    const packet = {
      type: Number(m[1]),
      nsp: m[3] ? m[3].slice(0, -1) : "/",
      id: m[4] ? Number(m[4]) : undefined,
      data,
      need: m[2] ? Number(m[2]) : 0,
      bins: [] as Uint8Array[],
    };
    if (packet.need > 0) this.#pending = packet;
    else this.#complete(packet);
  }

  #attachment(b: Uint8Array): void {
    const p = this.#pending;
    if (!p) return void this.bad.push("binary frame with no packet awaiting it");
    p.bins.push(new Uint8Array(b));
    if (p.bins.length === p.need) {
      this.#pending = undefined;
      this.#complete(p);
    }
  }

  #complete(p: { type: number; nsp: string; id?: number; data: unknown; bins: Uint8Array[] }): void {
    if (p.type === 0) this.replies.push({ kind: "connect", nsp: p.nsp });
    else if (p.type === 4) this.replies.push({ kind: "connect_error", nsp: p.nsp });
    else if (p.type === 3 || p.type === 6) {
      // only a binary ack has placeholders: in a text one, a placeholder-shaped object is just data
      const args = p.type === 6 ? resolvePlaceholders(p.data, p.bins) : p.data;
      this.acks.push({ nsp: p.nsp, id: p.id!, args: args as unknown[] });
    }
    this.#changed();
  }
}
