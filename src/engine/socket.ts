/**
 * One Engine.IO session: the state machine, the write buffer, the heartbeat and the polling → websocket
 * upgrade (engine.io-protocol.md, "Heartbeat" and "Upgrade"). Knows nothing of namespaces.
 */
import { decodePacketV3 } from "./packet-v3.ts";
import type { Logger } from "../util/logger.ts";
import { errorKind, logLimited } from "../util/log-limiter.ts";
import { Emitter } from "../util/emitter.ts";
import type { Scheduler } from "../ports.ts";
import type { RequestLike } from "./http.ts";
import {
  decodePacket,
  EngineParseError,
  type Packet,
  PACKET_TYPES,
  type PacketType,
  type RawData,
  type SharedMessage,
} from "./packet.ts";
import type { EngineProtocol, PollingTransport, Transport, TransportEvents, WebSocketTransport } from "./transports.ts";
import type { WebTransportTransport } from "./transport-webtransport.ts";

/** A transport a polling session can upgrade to; both close with a WebSocket-style code. */
export type UpgradeTarget = WebSocketTransport | WebTransportTransport;

/** The description of a "transport error" close by the slow-consumer policy (`maxBufferedAmount`). */
export const SLOW_CONSUMER = "slow consumer";

function sizeOf(data: RawData): number {
  return typeof data === "string" ? data.length : data.byteLength;
}

/** The state of an Engine.IO session. */
export type ReadyState = "opening" | "open" | "closing" | "closed";

/** engine.io's close reasons, as the socket.io layer and apps see them */
export type EngineCloseReason =
  | "transport close"
  | "transport error"
  | "ping timeout"
  | "parse error"
  | "forced close"
  | "forced server close"
  | "server shutting down";

export interface SessionConfig {
  pingInterval: number;
  pingTimeout: number;
  upgradeTimeout: number;
  maxHttpBufferSize: number;
  maxBufferedAmount: number;
  upgrades: string[];
  scheduler: Scheduler;
  logger: Logger;
  /** engine.io's `initialPacket`: a message sent right after the open packet */
  initialPacket?: RawData;
}

/** Events of an Engine.IO session. */
export interface EngineSocketEvents {
  /** The session opened. */
  open: () => void;
  /** A message arrived. */
  data: (data: RawData) => void;
  /** Same as `data`. */
  message: (data: RawData) => void;
  /** A packet arrived. */
  packet: (packet: Packet) => void;
  /** A packet is about to be sent. */
  packetCreate: (packet: Packet) => void;
  /** A pong arrived. */
  heartbeat: () => void;
  /** The write buffer was flushed. */
  drain: () => void;
  /** Packets are about to be written to the transport. */
  flush: (buffer: Packet[]) => void;
  /** An upgrade probe started. */
  upgrading: (transport: Transport) => void;
  /** The session moved to a new transport. */
  upgrade: (transport: Transport) => void;
  /** The session closed. */
  close: (reason: EngineCloseReason, description?: string | Error) => void;
}

/** What the active transport reports to its session: one small object, not three closures per connection. */
class SessionEvents implements TransportEvents {
  constructor(readonly session: EngineSocket) {}
  onPacket(raw: RawData): void {
    this.session._onRaw(raw);
  }
  onClose(reason: "transport close" | "transport error", description?: string): void {
    this.session.onClose(reason, description);
  }
  onReady(): void {
    this.session._flush();
  }
}

/** The socket.io connection on a session (see `EngineSocket._owner`). */
export interface SessionOwner {
  _ondata(data: RawData): void;
  _onclose(reason: EngineCloseReason, description?: string | Error): void;
  _onupgrade(): void;
}

/** One Engine.IO session (engine.io's `Socket`, `socket.conn` in socket.io). */
export class EngineSocket extends Emitter<EngineSocketEvents> {
  /** The Engine.IO protocol version: 4, or 3 for a socket.io-client 2.x session (`allowEIO3`): v3 framing, and the client pings. */
  readonly protocol: EngineProtocol;
  /** "opening", "open", "closing" or "closed". */
  readyState: ReadyState = "opening";
  /** Whether an upgrade is in progress. */
  upgrading = false;
  /** Whether the session moved to WebSocket. */
  upgraded = false;
  /** The current transport. */
  transport: Transport;
  #writeBuffer: Packet[] = [];
  /** bytes (UTF-16 units for text, close enough for a bound) in `#writeBuffer` */
  #writeBufferBytes = 0;
  /** bytes a recovery replay queued above the bound (see `burst`) */
  #allowance = 0;
  #inBurst = false;
  #config: SessionConfig;
  #pingIntervalTimer: unknown;
  #pingTimeoutTimer: unknown;
  #upgradeTimer: unknown;
  #upgradingTransport: UpgradeTarget | undefined;
  #onceDrain: Array<() => void> = [];
  /**
   * @internal The socket.io connection on this session, told before the `data`, `close` and `upgrade`
   * listeners (it would be the first listener of each): three listener closures less per connection.
   */
  _owner: SessionOwner | undefined;
  /** @internal The engine's open sessions: this one leaves it when it closes, before any close listener runs. */
  _registry: Map<string, EngineSocket> | undefined;

  /** @ignore Created by the engine server at the handshake. */
  constructor(
    readonly id: string,
    readonly request: RequestLike,
    readonly remoteAddress: string,
    transport: Transport,
    config: SessionConfig,
    protocol: EngineProtocol = 4,
  ) {
    super();
    this.protocol = protocol;
    this.#config = config;
    this.transport = transport;
    this.#bind(transport);
  }

  /** Sends the open packet and starts the heartbeat (the server sends pings in v4). */
  open(): void {
    this.readyState = "open";
    const { pingInterval, pingTimeout, maxHttpBufferSize } = this.#config;
    const upgrades = this.transport.name === "polling" ? this.#config.upgrades : [];
    this.#sendPacket(
      "open",
      JSON.stringify({ sid: this.id, upgrades, pingInterval, pingTimeout, maxPayload: maxHttpBufferSize }),
    );
    if (this.#config.initialPacket !== undefined) this.#sendPacket("message", this.#config.initialPacket);
    this.emitReserved("open");
    this.#schedulePing();
  }

  /** engine.io's `send`/`write`: a message packet; `callback` runs once the buffer holding it was flushed. */
  send(data: RawData, options?: { compress?: boolean }, callback?: () => void): this {
    if (typeof data === "string" && !callback && this.#direct()) {
      (this.transport as WebSocketTransport).sendText(PACKET_TYPES.message + data, options?.compress);
      this.checkBackpressure();
      return this;
    }
    this.#sendPacket("message", data, options?.compress, callback);
    return this;
  }

  /** A broadcast's message: framed once for every session that takes the direct path. */
  sendShared(message: SharedMessage, compress?: boolean): void {
    if (this.#direct()) {
      (this.transport as WebSocketTransport).sendShared(message, compress);
      return this.checkBackpressure();
    }
    this.#sendPacket("message", message.data, compress);
  }

  /**
   * Whether a message may skip the write buffer: an open WebSocket writes at once, so with nothing buffered
   * and nobody observing packets the order and the events are the same as through `#flush`.
   */
  #direct(): boolean {
    return this.readyState === "open" && this.transport.name === "websocket" && this.#writeBuffer.length === 0 &&
      !this.hasListeners("packetCreate") && !this.hasListeners("flush") && !this.hasListeners("drain");
  }

  /** Sends a message; `callback` runs once it is written. */
  write(data: RawData, options?: { compress?: boolean }, callback?: () => void): this {
    return this.send(data, options, callback);
  }

  /** Writes several message packets with one flush: a socket.io packet with attachments, a broadcast. */
  sendMany(items: readonly RawData[], compress?: boolean): void {
    if (this.readyState !== "opening" && this.readyState !== "open") return;
    for (const data of items) {
      this.#writeBuffer.push({ type: "message", data, compress });
      this.#writeBufferBytes += sizeOf(data);
    }
    this.#flush();
  }

  /**
   * The runtime socket's topic interface, when packets may bypass this session (native fan-out): only on an
   * open WebSocket with nothing buffered, so a published frame can never overtake a buffered one.
   */
  get topics(): { subscribe(topic: string): void; unsubscribe(topic: string): void } | undefined {
    // v3 sessions stay off topics: their binary frames carry a type byte the published v4 frame has not
    if (this.readyState !== "open" || this.transport.name !== "websocket" || this.protocol === 3) return undefined;
    return (this.transport as WebSocketTransport).topics;
  }

  /**
   * socket.io's test before writing a volatile packet (`transport.writable`): polling has a GET waiting,
   * a WebSocket or WebTransport stream has no write in flight (see their `idle`).
   */
  get canSendVolatile(): boolean {
    if (this.readyState !== "open") return false;
    const t = this.transport;
    return t.name === "polling" ? t.writable : (t as UpgradeTarget).idle;
  }

  /** Packets waiting to be written. */
  get writeBufferLength(): number {
    return this.#writeBuffer.length;
  }

  #sendPacket(type: PacketType, data?: RawData, compress?: boolean, callback?: () => void): void {
    if (this.readyState !== "opening" && this.readyState !== "open") return;
    const packet: Packet = data === undefined ? { type } : { type, data };
    if (compress !== undefined) packet.compress = compress;
    if (this.hasListeners("packetCreate")) this.emitReserved("packetCreate", packet);
    this.#writeBuffer.push(packet);
    if (data !== undefined) this.#writeBufferBytes += sizeOf(data);
    if (callback) this.#onceDrain.push(callback);
    this.#flush();
  }

  /**
   * @ignore The slow-consumer policy (`maxBufferedAmount`), also called by a room store after frames went
   * out through native fan-out (Bun's publish), which the session does not see: ordinary packets are never dropped, so a client that
   * takes them slower than they come would make the server hold them without limit. Past the bound the
   * session closes instead; a client with connection state recovery reconnects and is replayed the rest.
   */
  checkBackpressure(): void {
    if (this.#inBurst || this.readyState === "closed") return;
    const limit = this.#config.maxBufferedAmount;
    const queued = this.#queuedBytes();
    if (queued <= limit) {
      this.#allowance = 0;
      return;
    }
    if (queued <= limit + this.#allowance) return;
    this.#config.logger.debug(`session ${this.id}: ${queued} bytes queued, above maxBufferedAmount ${limit}`);
    this.onClose("transport error", SLOW_CONSUMER);
  }

  #queuedBytes(): number {
    const t = this.transport;
    return this.#writeBufferBytes + (t.name === "polling" ? 0 : (t as UpgradeTarget).bufferedAmount);
  }

  /**
   * Runs `write` (a connection state recovery replay, socket.io writes it in one go before the CONNECT)
   * outside the slow-consumer bound: what is queued then is allowed on top of `maxBufferedAmount` (so the
   * CONNECT and live traffic still get the whole bound) until the queue first drops under the bound. Otherwise a client that missed more than the bound could never recover: each
   * replay would close it again. The replay is at most what the recovery buffer holds.
   */
  burst(write: () => void): void {
    this.#inBurst = true;
    try {
      write();
    } finally {
      this.#inBurst = false;
    }
    this.#allowance = this.#queuedBytes();
  }

  #flush(): void {
    if (this.readyState === "closed") return;
    if (!this.transport.writable) return this.checkBackpressure();
    if (this.#writeBuffer.length === 0) {
      // While upgrading, a parked GET is released with a noop so the client can pause polling
      // (spec "Upgrade": the server answers a pending poll with `6`).
      if (this.upgrading && this.transport.name === "polling") this.transport.send([{ type: "noop" }]);
      return;
    }
    const buffer = this.#writeBuffer;
    this.#writeBuffer = [];
    this.#writeBufferBytes = 0;
    if (this.hasListeners("flush")) this.emitReserved("flush", buffer);
    this.transport.send(buffer);
    if (this.transport.name !== "polling") this.checkBackpressure();
    const callbacks = this.#onceDrain;
    if (callbacks.length) {
      this.#onceDrain = [];
      for (const cb of callbacks) cb();
    }
    this.emitReserved("drain");
  }

  #bind(transport: Transport): void {
    transport.events = new SessionEvents(this);
  }

  /** @internal for SessionEvents */
  _onRaw(raw: RawData): void {
    this.#onRaw(raw);
  }

  /** @internal Writes the buffer to the transport. */
  _flush(): void {
    this.#flush();
  }

  #onRaw(raw: RawData): void {
    if (this.readyState === "closed") return;
    if ((typeof raw === "string" ? raw.length : raw.byteLength) > this.#config.maxHttpBufferSize) {
      return this.onClose("transport error", "payload too large");
    }
    let packet: Packet;
    try {
      packet = this.protocol === 3 ? decodePacketV3(raw) : decodePacket(raw);
    } catch (err) {
      return this.onClose("parse error", err instanceof EngineParseError ? err.message : String(err));
    }
    this.onPacket(packet);
  }

  /** One decoded packet from the active transport. */
  onPacket(packet: Packet): void {
    if (this.readyState !== "open") return;
    if (this.hasListeners("packet")) this.emitReserved("packet", packet);
    switch (packet.type) {
      case "pong":
        this.#config.scheduler.clearTimeout(this.#pingTimeoutTimer);
        this.#pingTimeoutTimer = undefined; // a spent Timeout object is ~120 bytes per connection
        this.#schedulePing();
        this.emitReserved("heartbeat");
        return;
      case "message":
        try {
          this._owner?._ondata(packet.data ?? "");
          this.emitReserved("data", packet.data ?? "");
          this.emitReserved("message", packet.data ?? "");
        } catch (err) {
          // an app listener threw: report it and go on with the next packet, on every runtime and
          // transport alike (socket.io would let it escape and crash the process)
          const where = "uncaught error in a listener";
          logLimited(this.#config.logger, errorKind(where, err), where, err);
        }
        return;
      case "close":
        return this.onClose("transport close", "client sent a close packet");
      case "ping":
        if (this.protocol === 3) {
          // v3: the client pings and the server answers with the same data
          this.#schedulePing();
          this.#sendPacket("pong", packet.data);
          this.emitReserved("heartbeat");
          return;
        }
        // v4 reversed the heartbeat: only the server pings (spec "From v3 to v4")
        return this.onClose("parse error", "invalid heartbeat direction");
      default:
        // open, upgrade and noop are never valid from the client on the active transport
        return this.onClose("parse error", `unexpected packet ${packet.type}`);
    }
  }

  #schedulePing(delay = this.#config.pingInterval, pongWithin = this.#config.pingTimeout): void {
    const s = this.#config.scheduler;
    if (this.protocol === 3) {
      // v3: no server pings; a client silent for pingInterval + pingTimeout is gone (engine.io's rule)
      s.clearTimeout(this.#pingTimeoutTimer);
      this.#pingTimeoutTimer = s.setTimeout(
        () => {
          if (this.readyState !== "closed") this.onClose("ping timeout");
        },
        delay + pongWithin,
        "heartbeat",
      );
      return;
    }
    s.clearTimeout(this.#pingIntervalTimer);
    this.#pingIntervalTimer = s.setTimeout(
      () => {
        this.#sendPacket("ping");
        s.clearTimeout(this.#pingTimeoutTimer);
        this.#pingTimeoutTimer = s.setTimeout(
          () => {
            if (this.readyState !== "closed") this.onClose("ping timeout");
          },
          pongWithin,
          "heartbeat",
        );
      },
      delay,
      "heartbeat",
    );
  }

  /**
   * Opens a session rebuilt from a record, without an open packet (a Durable Object waking from hibernation,
   * see hibernation/engine-restore.ts): the next ping goes out in `nextPingIn` ms and its pong must come within
   * `pongWithin` ms, so the heartbeat goes on where it stopped instead of restarting.
   */
  resume(nextPingIn: number, pongWithin: number = this.#config.pingTimeout): void {
    this.readyState = "open";
    this.#schedulePing(Math.max(0, nextPingIn), Math.max(0, pongWithin));
  }

  /** A WebSocket (or a WebTransport stream) arrived for this polling session: run the probe dance on it. */
  maybeUpgrade(ws: UpgradeTarget): void {
    if (this.upgrading || this.upgraded || this.readyState !== "open") {
      ws.closeSocket(1000, "");
      return;
    }
    this.upgrading = true;
    this.#upgradingTransport = ws;
    const s = this.#config.scheduler;
    const fail = () => {
      s.clearTimeout(this.#upgradeTimer);
      this.upgrading = false;
      this.#upgradingTransport = undefined;
      ws.events = { onPacket() {}, onClose() {}, onReady() {} };
      ws.closeSocket(1000, "");
    };
    this.#upgradeTimer = s.setTimeout(fail, this.#config.upgradeTimeout);
    ws.events = {
      onReady() {},
      onClose: () => fail(),
      onPacket: (raw) => {
        let packet: Packet;
        try {
          packet = this.protocol === 3 ? decodePacketV3(raw) : decodePacket(raw);
        } catch {
          return fail();
        }
        if (packet.type === "ping" && packet.data === "probe") {
          ws.send([{ type: "pong", data: "probe" }]);
          this.emitReserved("upgrading", ws);
          this.#flush(); // releases a parked GET with a noop, see #flush
        } else if (packet.type === "upgrade" && this.readyState === "open") {
          s.clearTimeout(this.#upgradeTimer);
          const old = this.transport;
          this.upgrading = false;
          this.#upgradingTransport = undefined;
          this.upgraded = true;
          old.events = { onPacket() {}, onClose() {}, onReady() {} };
          old.discard();
          this.transport = ws;
          this.#bind(ws);
          this.#config.logger.debug(`session ${this.id} upgraded to ${ws.name}`);
          this._owner?._onupgrade();
          this.emitReserved("upgrade", ws);
          this.#flush();
        } else {
          fail();
        }
      },
    };
  }

  /**
   * Server-initiated close: flush what is buffered first, then close the transport. `discard` (the server
   * shutting down) drops the buffer, and a polling session with no parked GET ends at once instead of waiting
   * for a GET that may never come: its heartbeat timers would otherwise keep the process alive.
   */
  close(discard = false): void {
    if (this.readyState !== "open" && this.readyState !== "opening") return;
    if (discard && this.transport.name === "polling" && !this.transport.writable) {
      return this.onClose("forced close");
    }
    this.readyState = "closing";
    const finish = () => this.transport.close(() => this.onClose("forced close"));
    if (discard) this.#writeBuffer = [];
    if (this.#writeBuffer.length && this.transport.writable) this.#flushClosing();
    if (this.#writeBuffer.length) {
      this.#onceDrain.push(finish);
      return;
    }
    finish();
  }

  #flushClosing(): void {
    const buffer = this.#writeBuffer;
    this.#writeBuffer = [];
    this.#writeBufferBytes = 0;
    this.transport.send(buffer);
  }

  /** @ignore Closes the session (called by the transports and the heartbeat). */
  onClose(reason: EngineCloseReason, description?: string | Error): void {
    if (this.readyState === "closed") return;
    this.#config.logger.debug(`session ${this.id} closed: ${reason}${description ? ` (${description})` : ""}`);
    const wasClosing = this.readyState === "closing";
    this.readyState = "closed";
    const s = this.#config.scheduler;
    s.clearTimeout(this.#pingIntervalTimer);
    s.clearTimeout(this.#pingTimeoutTimer);
    s.clearTimeout(this.#upgradeTimer);
    this.#upgradingTransport?.closeSocket(1000, "");
    this.#upgradingTransport = undefined;
    const t = this.transport;
    t.events = { onPacket() {}, onClose() {}, onReady() {} };
    if (!wasClosing) {
      if (t.name !== "polling") {
        // RFC 6455 §7.4.1: 1009 message too big; 1013 "try again later" also tells the adapter that the
        // frames still queued will never leave (Node drops the TCP socket instead of queueing a close frame)
        const code = description === "payload too large" ? 1009 : description === SLOW_CONSUMER ? 1013 : 1000;
        (t as UpgradeTarget).closeSocket(code, "");
      } else if (reason === "transport close") {
        // the client closed (close packet): its parked GET is released with a noop, as engine.io does
        (t as PollingTransport).abort();
      } else {
        // the server closed (ping timeout, parse error…): a parked GET delivers a close packet at once
        t.close(() => {});
      }
    } else if (t.name === "polling") {
      (t as PollingTransport).abort();
    }
    this.#writeBuffer = [];
    this.#writeBufferBytes = 0;
    this.#onceDrain = [];
    if (this._registry?.get(this.id) === this) this._registry.delete(this.id);
    this._owner?._onclose(reason, description);
    this.emitReserved("close", reason, description);
  }
}
