/**
 * The two Engine.IO transports. A transport only moves packets; the session (socket.ts) owns the state
 * machine, the write buffer and the heartbeat. Each transport reports through the `TransportEvents` the
 * session gives it.
 */
import type { WebSocketLike } from "../ports.ts";
import { encodeForWebSocket, encodePayload, type Packet, type RawData, type SharedMessage } from "./packet.ts";
import { type HeaderList, type Reply, reply } from "./http.ts";
import { encodeForWebSocketV3, encodePayloadV3 } from "./packet-v3.ts";

/** Engine.IO protocol revision of a session: 4, or 3 for socket.io-client 2.x (`allowEIO3`) */
export type EngineProtocol = 3 | 4;

/** What a transport reports to its session. */
export interface TransportEvents {
  /** A packet arrived. */
  onPacket(packet: RawData): void;
  /** the transport is gone; `reason` is one of engine.io's close reasons */
  onClose(reason: "transport close" | "transport error", description?: string): void;
  /** the transport can take the write buffer now (a polling GET arrived) */
  onReady(): void;
}

/** A transport of a session (polling, WebSocket or WebTransport). */
export interface Transport {
  /** The transport's name. */
  readonly name: "polling" | "websocket" | "webtransport";
  /** Whether it can send now. */
  readonly writable: boolean;
  /** Where it reports to (set by the session). */
  events: TransportEvents;
  /** Sends packets. */
  send(packets: Packet[]): void;
  /** graceful close: polling delivers a `close` packet on its pending or next GET */
  close(done: () => void): void;
  /** stop using this transport without closing the session (after an upgrade) */
  discard(): void;
}

const noopEvents: TransportEvents = { onPacket() {}, onClose() {}, onReady() {} };

// socket.io drops a volatile packet while the WebSocket is "not writable": a previous write is still in
// flight (its `ws` send callback has not run). Runtimes give no send callback, so the current run of
// synchronous code stands for it: a WebSocket written to before the next microtask checkpoint, or with
// bytes still buffered, is busy. One counter for all sockets, advanced by one microtask per run.
let turn = 0;
let turnEnding = false;
function currentTurn(): number {
  if (!turnEnding) {
    turnEnding = true;
    // a promise's reaction, not queueMicrotask: the same queue, but workerd's queueMicrotask is a C++ call
    Promise.resolve().then(() => {
      turn++;
      turnEnding = false;
    });
  }
  return turn;
}

/** The WebSocket transport. */
export class WebSocketTransport implements Transport {
  /** The transport's name. */
  readonly name = "websocket";
  /** Where it reports to (set by the session). */
  events: TransportEvents = noopEvents;
  #ws: WebSocketLike;
  #closed = false;
  #lastWrite = -1;

  /** Wraps an upgraded WebSocket. */
  constructor(ws: WebSocketLike, readonly protocol: EngineProtocol = 4) {
    this.#ws = ws;
  }

  /** Whether it can send now. */
  get writable(): boolean {
    return !this.#closed;
  }

  /** Whether a volatile packet may go now: nothing written in this run and nothing buffered (see above). */
  get idle(): boolean {
    return !this.#closed && this.#lastWrite !== turn && (this.#ws.bufferedAmount ?? 0) === 0;
  }

  /** Bytes queued but not yet sent. */
  get bufferedAmount(): number {
    return this.#ws.bufferedAmount ?? 0;
  }

  /** the runtime socket, when it can join native pub/sub topics */
  get topics(): Required<Pick<WebSocketLike, "subscribe" | "unsubscribe">> | undefined {
    const ws = this.#ws;
    return !this.#closed && ws.subscribe && ws.unsubscribe ? (ws as Required<WebSocketLike>) : undefined;
  }

  /** Sends packets, one frame each. */
  send(packets: Packet[]): void {
    if (this.#closed) return;
    this.#lastWrite = currentTurn();
    const encode = this.protocol === 3 ? encodeForWebSocketV3 : encodeForWebSocket;
    for (const p of packets) this.#ws.send(encode(p), p.compress);
  }

  /** One text message, no Packet objects: the hot path of acks, emits and broadcasts. */
  sendText(wire: string, compress?: boolean): void {
    if (this.#closed) return;
    this.#lastWrite = currentTurn();
    this.#ws.send(wire, compress);
  }

  /** Sends a broadcast frame built once. */
  sendShared(message: SharedMessage, compress?: boolean): void {
    if (this.#closed) return;
    this.#lastWrite = currentTurn();
    const ws = this.#ws;
    // binary differs in v3 (a type byte first): framed for this session alone
    if (this.protocol === 3 && typeof message.data !== "string") {
      ws.send(encodeForWebSocketV3({ type: "message", data: message.data }), compress);
    } else if (ws.sendPrepared && ws.prepare) {
      ws.sendPrepared(message.prepared ??= ws.prepare(message.wire), compress);
    } else ws.send(message.wire, compress);
  }

  close(done: () => void): void {
    // the session records its own reason first: some runtimes (Bun) report the close synchronously
    done();
    this.closeSocket(1000, "");
  }

  /** RFC 6455 §7.4.1 codes: 1000 normal, 1009 message too big, 1002 protocol error */
  closeSocket(code: number, reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#ws.close(code, reason);
    } catch {
      // already closing at the runtime level: nothing left to release
    }
  }

  discard(): void {
    this.closeSocket(1000, "");
  }

  /** called by the adapter-facing handler when the runtime reports the socket closed */
  markClosed(): void {
    this.#closed = true;
  }
}

interface PendingPoll {
  resolve(res: Reply): void;
  headers: HeaderList;
}

/** How a parked GET learns that its client went away: a Web `Request`'s signal, or the adapter's hook. */
export type OnAbort = (callback: () => void) => void;

export class PollingTransport implements Transport {
  readonly name = "polling";
  events: TransportEvents = noopEvents;
  #poll: PendingPoll | undefined;
  #posting = false;
  #closing: (() => void) | undefined;
  #discarded = false;

  constructor(readonly protocol: EngineProtocol = 4) {}

  #encode(packets: readonly Packet[]): string {
    return this.protocol === 3 ? encodePayloadV3(packets) : encodePayload(packets);
  }

  get writable(): boolean {
    return this.#poll !== undefined;
  }

  get hasPendingPoll(): boolean {
    return this.#poll !== undefined;
  }

  /** A GET: answered at once when data waits, else parked until data, a noop or close releases it. */
  handleGet(onAbort: OnAbort | undefined, headers: HeaderList): Promise<Reply> {
    headers.set("Content-Type", "text/plain; charset=UTF-8");
    return new Promise<Reply>((resolve) => {
      this.#poll = { resolve, headers };
      // the client gave up on this GET (tab closed, network gone): the session cannot be reached any more
      onAbort?.(() => {
        if (this.#poll?.resolve === resolve) {
          this.#poll = undefined;
          resolve(reply(499, headers, null));
          this.events.onClose("transport error", "poll connection closed prematurely");
        }
      });
      if (this.#closing) {
        // engine.io answers this GET with a noop before the close packet (`6\x1e1`)
        this.send([{ type: "noop" }]);
        return;
      }
      this.events.onReady();
    });
  }

  /** A POST is refused while another one is being read (spec: "overlap"); the caller closes the session. */
  get posting(): boolean {
    return this.#posting;
  }

  set posting(value: boolean) {
    this.#posting = value;
  }

  send(packets: Packet[]): void {
    const poll = this.#poll;
    if (!poll) return;
    this.#poll = undefined;
    let list = packets;
    const closing = this.#closing;
    if (closing) list = [...packets, { type: "close" }];
    poll.resolve(reply(200, poll.headers, this.#encode(list)));
    if (closing) {
      this.#closing = undefined;
      closing();
    }
  }

  close(done: () => void): void {
    if (this.#discarded) return done();
    this.#closing = done;
    if (this.#poll) this.send([]);
  }

  /** After an upgrade the pending GET (if any) is released with a noop, then polling is dropped. */
  discard(): void {
    this.#discarded = true;
    if (this.#poll) this.send([{ type: "noop" }]);
  }

  /** Release a parked GET at shutdown without sending anything more. */
  abort(): void {
    const poll = this.#poll;
    this.#poll = undefined;
    poll?.resolve(reply(200, poll.headers, this.#encode([{ type: "noop" }])));
  }
}
