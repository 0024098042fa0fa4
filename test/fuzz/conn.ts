/**
 * Raw Engine.IO connections for the fuzzer, one shape over both transports: a WebSocket that sends any
 * frame (including text frames of invalid UTF-8), and an HTTP long-polling session with one GET always
 * parked and POSTs one at a time (a second concurrent POST is itself a violation).
 */
import WebSocket from "ws";
import type { Step, WsFrame } from "./case.ts";
import { Receiver } from "./receiver.ts";

export interface Conn {
  rx: Receiver;
  /** what a POST was answered (polling), for the status check */
  send(step: Step): Promise<{ status: number; body: string } | undefined>;
  /** a polite client close (close packet or WebSocket close), then forget the connection */
  close(): Promise<void>;
}

function sendFrame(ws: WebSocket, f: WsFrame): void {
  if (typeof f === "string") ws.send(f);
  else if (f instanceof Uint8Array) ws.send(f, { binary: true });
  else ws.send(Buffer.from(f.textBytes), { binary: false });
}

/** A WebSocket for `query`; resolves once open (with the open packet read unless `sid` is in the query). */
export function openWs(base: string, path: string, query: string, rx?: Receiver): Promise<WsConn> {
  const ws = new WebSocket(`${base.replace("http", "ws")}${path}?${query}`, { perMessageDeflate: false });
  const conn = new WsConn(ws, rx);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (ws.terminate(), reject(new Error("WebSocket did not open in 5 s"))), 5000);
    ws.once("open", () => (clearTimeout(timer), resolve(conn)));
    ws.once("unexpected-response", (_req, res) => {
      clearTimeout(timer);
      reject(new Error(`WebSocket refused: ${res.statusCode}`));
    });
    ws.once("error", (err) => (clearTimeout(timer), reject(err)));
  });
}

export class WsConn implements Conn {
  rx: Receiver;
  constructor(readonly ws: WebSocket, rx?: Receiver) {
    this.rx = rx ?? new Receiver(() => this.ws.readyState === WebSocket.OPEN && this.ws.send("3"));
    ws.on("error", () => {});
    ws.on("close", () => this.rx.setClosed());
    ws.on("message", (data, isBinary) => {
      this.rx.engine(isBinary ? new Uint8Array(data as Buffer) : data.toString());
    });
  }

  send(step: Step): Promise<undefined> {
    if ("body" in step) throw new Error("a polling step on a WebSocket");
    if (this.ws.readyState === WebSocket.OPEN) { for (const f of step.frames) sendFrame(this.ws, f); }
    return Promise.resolve(undefined);
  }

  sendFrame(f: WsFrame): void {
    if (this.ws.readyState === WebSocket.OPEN) sendFrame(this.ws, f);
  }

  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => (this.ws.terminate(), resolve()), 2000);
      this.ws.once("close", () => (clearTimeout(timer), resolve()));
      this.ws.close();
    });
  }
}

const fromPolling = (p: string): string | Uint8Array =>
  p[0] === "b" ? new Uint8Array(Buffer.from(p.slice(1), "base64")) : p;

export class PollingConn implements Conn {
  rx: Receiver;
  readonly url: string;
  #posts: Promise<unknown> = Promise.resolve();
  #get: AbortController | undefined;
  #stopped = false;
  /** settles when the GET loop has ended */
  loop: Promise<void> = Promise.resolve();

  constructor(base: string, path: string, readonly sid: string) {
    this.url = `${base}${path}?EIO=4&transport=polling&sid=${encodeURIComponent(sid)}`;
    this.rx = new Receiver(() => void this.post("3").catch(() => {}));
  }

  static async open(base: string, path: string): Promise<PollingConn> {
    const res = await fetch(`${base}${path}?EIO=4&transport=polling`, { signal: AbortSignal.timeout(5000) });
    const text = await res.text();
    if (res.status !== 200 || text[0] !== "0") throw new Error(`polling handshake: ${res.status} ${text}`);
    const conn = new PollingConn(base, path, JSON.parse(text.slice(1)).sid);
    conn.loop = conn.#poll();
    return conn;
  }

  async #poll(): Promise<void> {
    while (!this.#stopped && !this.rx.closed) {
      this.#get = new AbortController();
      let status: number, body: string;
      try {
        const res = await fetch(this.url, { signal: this.#get.signal });
        status = res.status;
        body = await res.text();
      } catch {
        if (!this.#stopped) this.rx.setClosed(); // the server dropped the request
        return;
      }
      // once stopped (an upgrade under way), a GET that reached the server after the upgrade is refused: expected
      if (status === 400) return this.#stopped ? undefined : this.rx.setClosed();
      if (status !== 200) {
        this.rx.bad.push(`GET answered ${status}: ${body.slice(0, 80)}`);
        return this.rx.setClosed();
      }
      for (const p of body.split("\x1e")) this.rx.engine(fromPolling(p));
    }
  }

  /** No GET after the one in flight (before an upgrade); the one in flight is aborted after `ms`. */
  async stopPolling(ms: number): Promise<void> {
    this.#stopped = true;
    let aborted = false;
    const timer = setTimeout(() => (aborted = true, this.#get?.abort()), ms);
    await this.loop;
    clearTimeout(timer);
    if (aborted) this.rx.bad.push(`a parked GET was not released within ${ms} ms`);
  }

  post(body: string): Promise<{ status: number; body: string }> {
    const run = async () => {
      const res = await fetch(this.url, {
        method: "POST",
        body,
        headers: { "content-type": "text/plain;charset=UTF-8" },
        signal: AbortSignal.timeout(10_000),
      });
      return { status: res.status, body: await res.text() };
    };
    const p = this.#posts.then(run, run);
    this.#posts = p.catch(() => {});
    return p;
  }

  send(step: Step): Promise<{ status: number; body: string }> {
    if (!("body" in step)) throw new Error("a WebSocket step over polling");
    return this.post(step.body);
  }

  async close(): Promise<void> {
    if (!this.rx.closed) await this.post("1").catch(() => {});
    this.#stopped = true;
    this.#get?.abort();
    await this.loop;
  }
}
