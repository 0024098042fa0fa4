/**
 * What an adapter supplies to the core. Runtime objects are described by small structural types so the
 * core never imports a runtime's type package (see DESIGN.md, "Ports").
 */

import type { Reply, RequestLike } from "./engine/http.ts";
import type { WebTransportAcceptor } from "./engine/webtransport.ts";
import type { ClientBundle } from "./socket/client-bundle.ts";
import { TimerWheel, WHEEL_MIN_DELAY, WheelTimer } from "./util/timer-wheel.ts";

/** The part of a runtime's WebSocket the core uses. */
export interface WebSocketLike {
  /**
   * Sends a frame. `compress` is socket.io's per-message flag (`socket.compress(false)`): false sends this
   * message uncompressed; true or undefined lets an adapter that negotiated permessage-deflate compress it
   * when it reaches the `perMessageDeflate` threshold. Runtimes without a per-message choice ignore it.
   */
  send(data: string | Uint8Array, compress?: boolean): void;
  /** Closes the WebSocket. */
  close(code?: number, reason?: string): void;
  /** bytes queued but not yet written, when the runtime tells (used for backpressure) */
  readonly bufferedAmount?: number;
  /**
   * Optional frame sharing (Node): `prepare` builds the complete WebSocket frame of a message once, and
   * `sendPrepared` writes such a frame; a broadcast then frames its packet once for all members. Frames
   * from `prepare` must be valid for every socket of the same adapter.
   */
  prepare?(data: string | Uint8Array): unknown;
  /** Sends a frame prepared once for many sockets (Node's `ws`); `compress` as in `send`. */
  sendPrepared?(frame: unknown, compress?: boolean): void;
  /** native pub/sub (Bun): the room store subscribes a socket to its rooms' topics */
  subscribe?(topic: string): void;
  /** Unsubscribes from a native topic. */
  unsubscribe?(topic: string): void;
}

/**
 * A runtime's own fan-out (Bun's `server.publish`): one call writes one pre-encoded WebSocket frame to every
 * socket subscribed to `topic`, natively. Delivery uses it where the result is the same as writing to each
 * socket; the adapter gives it with the routing that does so (`routing`, socket/topics.ts), so runtimes
 * without topics do not carry that code.
 */
export interface Fanout {
  /**
   * Sends a frame (text, or binary such as a msgpack parser's packet) to every subscriber of a topic;
   * `compress` as in `WebSocketLike.send`.
   */
  publish(topic: string, frame: string | Uint8Array, compress?: boolean): void;
}

/** The core's side of one WebSocket connection; the adapter calls these. */
export interface WebSocketHandler {
  /** The WebSocket opened. */
  onOpen(ws: WebSocketLike): void;
  /** A message arrived. */
  onMessage(data: string | Uint8Array): void;
  /** The WebSocket closed. */
  onClose(code: number, reason: string): void;
}

/**
 * Accepts the WebSocket upgrade of the current request and binds it to `handler`. Returns the 101 response
 * where the runtime produces one (Deno, Cloudflare), or undefined where the adapter answers the upgrade
 * itself (Node's `ws`, Bun's `server.upgrade`). `headers` go on the 101 response where the runtime allows it.
 */
export type Upgrade = (handler: WebSocketHandler, headers: Headers) => Response | undefined;

/** Facts about a request that only the adapter knows. */
export interface RequestContext {
  /** peer IP address */
  remoteAddress?: string;
  /** present when the request is a WebSocket upgrade the adapter can accept */
  upgrade?: Upgrade;
  /** calls back when the client goes away before the answer (a parked polling GET); default: `req.signal` */
  onAbort?(callback: () => void): void;
  /**
   * reads the body as text, throwing the core's `PayloadTooLargeError` past `limit` bytes; default: the
   * Web `req.body` stream
   */
  readBody?(limit: number): Promise<string>;
  /** the body as bytes, with the same limit (a v3 client's binary polling payload); default: `req.body` */
  readBytes?(limit: number): Promise<Uint8Array>;
  /**
   * the runtime's own request and response (Node's `IncomingMessage` and `ServerResponse`), handed to
   * `io.engine.use` middlewares so Connect middlewares (express-session, passport, helmet) run unchanged
   */
  native?: { req: unknown; res: unknown };
}

/**
 * The socket.io client bundle (`socket.io-client/dist`), for `serveClient`. The adapter reads it where the
 * runtime has a file system (src/ never touches one); the core answers with ETag/304 and gzip.
 */
export interface ClientFiles {
  /** the bundle's version (socket.io-client's package.json), used as its ETag */
  readonly version: string;
  /** the bytes of `dist/<name>`, or undefined when the file does not exist */
  read(name: string): Promise<Uint8Array | undefined>;
  /** brotli-compresses a file (`CompressionStream` has no brotli); without it the bundle is served gzipped */
  brotli?(bytes: Uint8Array): Promise<Uint8Array>;
}

/** What a timer is for (see `Scheduler.setTimeout`). */
export type TimerKind = "heartbeat";

/** Timers. A Durable Object swaps this for one driven by a single storage alarm. */
export interface Scheduler {
  /**
   * `kind` "heartbeat" marks the engine's ping timers: the only ones a hibernating Durable Object can
   * rebuild after a wake (from the session record), so only those may move to its storage alarm; any other
   * timer holds a closure and must keep the object in memory. Other schedulers ignore it.
   */
  setTimeout(fn: () => void, ms: number, kind?: TimerKind): unknown;
  /** Cancels a timer. */
  clearTimeout(handle: unknown): void;
}

/** one wheel for the heartbeats of every server in the process (see util/timer-wheel.ts for its bound) */
const heartbeats = new TimerWheel();

/**
 * `setTimeout` / `clearTimeout` of the platform; heartbeat timers of 1 s or more share a timer wheel (they
 * fire up to 100 ms late, never early), so an idle session holds no platform timer of its own.
 */
export const defaultScheduler: Scheduler = {
  setTimeout: (fn, ms, kind) =>
    kind === "heartbeat" && ms >= WHEEL_MIN_DELAY ? heartbeats.setTimeout(fn, ms) : globalThis.setTimeout(fn, ms),
  clearTimeout: (h) =>
    h instanceof WheelTimer ? heartbeats.clearTimeout(h) : globalThis.clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** What a runtime adapter serves: a Portio `Server` (or anything answering the same way). */
export interface Servable {
  /** answers a request for this server's path, or undefined when the path is not this server's */
  handle(req: Request, ctx?: RequestContext): Promise<Response | undefined>;
  /** the same answer as a `Reply` record, for adapters that write responses themselves (Node) */
  respond?(req: RequestLike, ctx?: RequestContext): Promise<Reply | undefined>;
  /** whether `url` is for this server (adapters route WebSocket upgrades with it) */
  matches(url: Pick<URL, "pathname">): boolean;
  /** the largest WebSocket message to accept, in bytes */
  readonly maxPayload: number;
  /**
   * bytes a connection may have queued before it is closed as a slow consumer (`maxBufferedAmount`); an
   * adapter whose runtime queues frames the core never sees (Bun's `publish`) gives it to the runtime
   */
  readonly maxBufferedAmount?: number;
  /** permessage-deflate to negotiate where the runtime can (`perMessageDeflate`), or false */
  readonly perMessageDeflate?: false | { threshold: number };
  /**
   * engine.io's `destroyUpgrade` / `destroyUpgradeTimeout`: an adapter sharing an http server with other code
   * (Node's `attach`) ends an upgrade for another path that nothing answered within `timeout` ms; false leaves
   * it alone. Absent: as engine.io's default, 1000 ms.
   */
  readonly destroyUpgrade?: false | { timeout: number };
  /** Closes the server and its sessions. */
  close(): Promise<void> | void;
  /** hands the server the runtime's native fan-out, where there is one */
  setFanout?(fanout: Fanout): void;
  /** hands the server the client bundle, `clientBundle(files)`, where the runtime can read its files (`serveClient`) */
  setClientFiles?(bundle: ClientBundle): void;
  /**
   * the adapter accepts WebTransport sessions for this server (its QUIC listener is up) and hands the acceptor
   * that serves them (`acceptWebTransport`): false when the server's `transports` leave WebTransport out
   */
  offerWebTransport?(accept?: WebTransportAcceptor): boolean;
  /** a WebTransport session whose URL `matches` this server (see `WebTransportSessionLike`) */
  onWebTransportSession?(session: WebTransportSessionLike, info?: WebTransportInfo): Promise<void>;
}

/** One bidirectional stream of a WebTransport session (Web Streams, as the WebTransport API gives it). */
export interface WebTransportStreamLike {
  /** bytes from the client */
  readonly readable: ReadableStream<Uint8Array>;
  /** bytes to the client */
  readonly writable: WritableStream<Uint8Array>;
}

/**
 * The part of a server-side WebTransport session the core uses: Deno's `Deno.upgradeWebTransport` result
 * fits as is; an adapter for another runtime (a Node addon, Bun) only has to supply these four members.
 */
export interface WebTransportSessionLike {
  /** the URL of the client's CONNECT request (`https://host:port/socket.io/?EIO=4&transport=webtransport`) */
  readonly url: string;
  /** the streams the client opens; Engine.IO uses the first one only */
  readonly incomingBidirectionalStreams: ReadableStream<WebTransportStreamLike>;
  /** settles when the session is gone (resolved or rejected: both mean closed) */
  readonly closed: Promise<unknown>;
  /** Closes the session with an application code and reason. */
  close(info?: { closeCode?: number; reason?: string }): void;
}

/** What an adapter knows about a WebTransport session besides the session itself. */
export interface WebTransportInfo {
  /** peer IP address */
  remoteAddress?: string;
}
