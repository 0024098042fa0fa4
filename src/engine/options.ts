/** Engine options, with socket.io's names and defaults (engine.io `ServerOptions`). */
import type { CorsOptions } from "./cors.ts";
import type { RequestLike } from "./http.ts";
import type { Scheduler } from "../ports.ts";
import { defaultScheduler } from "../ports.ts";
import type { Logger } from "../util/logger.ts";
import type { HttpCompressionOptions } from "./compression.ts";

/** The `cookie` option: the session cookie's attributes. */
export interface CookieOptions {
  /** Cookie name (default "io"). */
  name?: string;
  /** Cookie path (default "/"), or false for none. */
  path?: string | false;
  /** HttpOnly (default true). */
  httpOnly?: boolean;
  /** SameSite (default "lax"). */
  sameSite?: "strict" | "lax" | "none" | boolean;
  /** Secure. */
  secure?: boolean;
  /** Domain. */
  domain?: string;
  /** Max-Age (s). */
  maxAge?: number;
}

/**
 * Decides whether a handshake is accepted: `callback(null, true)` accepts, `callback(message, false)`
 * refuses with 403.
 */
export type AllowRequest = (
  req: RequestLike,
  callback: (err: string | null | undefined, success: boolean) => void,
) => void;

/** The Engine.IO options of `new Server(options)` (engine.io's names and defaults). */
export interface EngineOptions {
  /**
   * path of the Engine.IO endpoint (default "/socket.io"), matched as a prefix like engine.io: a trailing slash
   * is added unless `addTrailingSlash` is false, and every request under it is the engine's
   */
  path?: string;
  /** engine.io's `addTrailingSlash` (default true): false matches "/socket.io" as a bare prefix */
  addTrailingSlash?: boolean;
  /**
   * engine.io's `destroyUpgrade` (default true; Node adapter): a WebSocket upgrade for another path of a shared
   * http server that nothing answered within `destroyUpgradeTimeout` ms is ended, so a stray upgrade cannot
   * hold a connection open; false leaves such upgrades to the app's own `upgrade` listeners
   */
  destroyUpgrade?: boolean;
  /** ms an upgrade not for Portio may stay unanswered before `destroyUpgrade` ends it (default 1000) */
  destroyUpgradeTimeout?: number;
  /** ms between server pings (default 25000) */
  pingInterval?: number;
  /** ms to wait for a pong before closing with "ping timeout" (default 20000) */
  pingTimeout?: number;
  /** ms an upgrade may take before the probe socket is dropped (default 10000) */
  upgradeTimeout?: number;
  /** bytes a single message or POST body may have (default 1e6); more closes the session */
  maxHttpBufferSize?: number;
  /**
   * Portio's slow-consumer bound (no engine.io equivalent): bytes of outgoing data one session may have
   * queued and not yet written, in the WebSocket's `bufferedAmount` or in the buffer of a polling client
   * that does not poll (default 4 MiB). Past it the session closes with "transport error" (description
   * "slow consumer"), so nothing is dropped silently and a client with connection state recovery gets the
   * rest on reconnect. `volatile` packets are dropped long before, while anything is queued.
   */
  maxBufferedAmount?: number;
  /**
   * Portio's read deadline for a polling POST body (no engine.io equivalent; Node's http server calls its
   * whole-request deadline `requestTimeout`): ms from the moment the engine starts reading the body to its
   * last byte (default 20000). A body still incomplete then is answered 408 with `Connection: close` and its
   * session closes with "transport error" (description "body timeout"), so a client trickling a body (a
   * slowloris POST) holds nothing for long. Applies on every runtime; 0 turns it off.
   */
  bodyTimeout?: number;
  /**
   * transports to accept (default ["polling", "websocket"]); add "webtransport" to serve WebTransport where
   * the adapter can (Deno: `serve(io, { webTransport: { cert, key } })`)
   */
  transports?: Array<"polling" | "websocket" | "webtransport">;
  /** whether polling sessions may upgrade to websocket (default true) */
  allowUpgrades?: boolean;
  /** accept or refuse a handshake; refusal answers 403 with the given message */
  allowRequest?: AllowRequest;
  /** CORS, opt-in with the semantics of the `cors` package (default: no CORS headers) */
  cors?: CorsOptions;
  /** sets a session cookie on the handshake (default false) */
  cookie?: boolean | CookieOptions;
  /** custom session id generator; must return a unique, URL-safe string */
  generateId?: (req: RequestLike) => string | Promise<string>;
  /** timers; a Durable Object supplies one driven by a single alarm */
  scheduler?: Scheduler;
  /** debug lines, warnings and errors (see util/logger.ts) */
  logger?: Partial<Logger>;
  /** also serve Engine.IO v3 clients (socket.io-client 2.x), as socket.io 4 does (default false) */
  allowEIO3?: boolean;
  /**
   * gzip/deflate polling responses of at least `threshold` bytes (default 1024) by `Accept-Encoding`
   * (default on, as in engine.io); false turns it off
   */
  httpCompression?: boolean | HttpCompressionOptions;
  /**
   * engine.io's `initialPacket`: an Engine.IO message (text or bytes) every session gets right after the open
   * packet, before any Socket.IO packet (for engine-level clients; a Socket.IO client would try to parse it)
   */
  initialPacket?: string | Uint8Array | ArrayBuffer;
  /**
   * WebSocket compression (permessage-deflate, RFC 7692), off by default as in engine.io; `true` compresses
   * messages of at least 1024 bytes. Carried out by the runtime adapter where the runtime can (Node's `ws`, Bun);
   * Deno and Workers cannot negotiate it (README)
   */
  perMessageDeflate?: boolean | PerMessageDeflateOptions;
}

/**
 * `perMessageDeflate` as an object: `threshold` (bytes, default 1024) on every runtime that compresses; on Node
 * the other fields are `ws`'s permessage-deflate options (`serverNoContextTakeover`, `zlibDeflateOptions`, …),
 * handed to it as engine.io does. Bun uses its own settings for them.
 */
export interface PerMessageDeflateOptions {
  /** smallest message compressed, in bytes (default 1024) */
  threshold?: number;
  /** `ws`'s other permessage-deflate options (Node) */
  [wsOption: string]: unknown;
}

/** The engine options with their defaults applied. */
export interface ResolvedEngineOptions {
  /** Endpoint path (default "/socket.io/"). */
  path: string;
  /** Also accept the path without its trailing slash (`/socket.io?EIO=4…`). */
  addTrailingSlash: boolean;
  /** ms between server pings. */
  pingInterval: number;
  /** ms to wait for a pong. */
  pingTimeout: number;
  /** ms an upgrade may take. */
  upgradeTimeout: number;
  /** Largest POST body or WebSocket message, in bytes. */
  maxHttpBufferSize: number;
  /** Bytes of outgoing data a session may have queued before it is closed as a slow consumer. */
  maxBufferedAmount: number;
  /** ms a polling POST body may take to arrive; 0 for no deadline. */
  bodyTimeout: number;
  /** Transports accepted. */
  transports: Array<"polling" | "websocket" | "webtransport">;
  /** Whether polling sessions may upgrade to WebSocket. */
  allowUpgrades: boolean;
  /** The handshake filter, if any. */
  allowRequest: AllowRequest | undefined;
  /** CORS, if any. */
  cors: CorsOptions | undefined;
  /** The session cookie, if any. */
  cookie: CookieOptions | undefined;
  /** A custom session id generator, if any. */
  generateId: ((req: RequestLike) => string | Promise<string>) | undefined;
  /** The timer source. */
  scheduler: Scheduler;
  /** Whether socket.io-client 2.x (Engine.IO v3) sessions are served. */
  allowEIO3: boolean;
  /** Smallest polling response compressed, in bytes; false when `httpCompression` is off. */
  compressionThreshold: number | false;
  /** The `initialPacket`, as engine data. */
  initialPacket: string | Uint8Array | undefined;
  /** WebSocket compression for the adapter, or false. */
  perMessageDeflate: false | (PerMessageDeflateOptions & { threshold: number });
  /** Ending unanswered upgrades for other paths (Node adapter): after `timeout` ms, or false. */
  destroyUpgrade: false | { timeout: number };
}

/**
 * 20 s: a 1 MB body (`maxHttpBufferSize`) still arrives on a 50 KB/s link, while a slowloris POST at a byte a
 * second holds its connection for 20 s instead of as long as it likes
 */
export const DEFAULT_BODY_TIMEOUT = 20_000;

/** 4 MiB: a few seconds of a busy room on a slow link, small enough that 1,000 stalled clients fit in RAM */
export const DEFAULT_MAX_BUFFERED_AMOUNT = 4 * 1024 * 1024;

export function resolveEngineOptions(opts: EngineOptions = {}): ResolvedEngineOptions {
  const addTrailingSlash = opts.addTrailingSlash ?? true;
  const bare = (opts.path ?? "/socket.io").replace(/\/$/, "");
  return {
    path: addTrailingSlash ? bare + "/" : bare,
    addTrailingSlash,
    pingInterval: opts.pingInterval ?? 25000,
    pingTimeout: opts.pingTimeout ?? 20000,
    upgradeTimeout: opts.upgradeTimeout ?? 10000,
    maxHttpBufferSize: opts.maxHttpBufferSize ?? 1e6,
    maxBufferedAmount: opts.maxBufferedAmount ?? DEFAULT_MAX_BUFFERED_AMOUNT,
    bodyTimeout: opts.bodyTimeout ?? DEFAULT_BODY_TIMEOUT,
    transports: opts.transports ?? ["polling", "websocket"],
    allowUpgrades: opts.allowUpgrades ?? true,
    allowRequest: opts.allowRequest,
    cors: opts.cors,
    cookie: opts.cookie === true ? {} : opts.cookie || undefined,
    generateId: opts.generateId,
    scheduler: opts.scheduler ?? defaultScheduler,
    allowEIO3: opts.allowEIO3 ?? false,
    initialPacket: opts.initialPacket instanceof ArrayBuffer ? new Uint8Array(opts.initialPacket) : opts.initialPacket,
    // the rest of the object goes to the runtime's WebSocket server as engine.io hands it to ws (Node)
    perMessageDeflate: opts.perMessageDeflate
      ? typeof opts.perMessageDeflate === "object"
        ? { ...opts.perMessageDeflate, threshold: opts.perMessageDeflate.threshold ?? 1024 }
        : { threshold: 1024 }
      : false,
    // engine.io reads `destroyUpgradeTimeout || 1000`: 0 means the default there too
    destroyUpgrade: opts.destroyUpgrade === false ? false : { timeout: opts.destroyUpgradeTimeout || 1000 },
    compressionThreshold: opts.httpCompression === false
      ? false
      : (typeof opts.httpCompression === "object" ? opts.httpCompression.threshold : undefined) ?? 1024,
  };
}

/** `Set-Cookie` for the handshake, with engine.io's defaults (io; Path=/; HttpOnly; SameSite=Lax). */
export function serializeCookie(opts: CookieOptions, sid: string): string {
  const path = opts.path === undefined ? "/" : opts.path;
  let out = `${opts.name ?? "io"}=${encodeURIComponent(sid)}`;
  if (path !== false) out += `; Path=${path}`;
  if (opts.domain) out += `; Domain=${opts.domain}`;
  if (opts.maxAge !== undefined) out += `; Max-Age=${Math.floor(opts.maxAge)}`;
  if (opts.httpOnly ?? path !== false) out += "; HttpOnly";
  if (opts.secure) out += "; Secure";
  const sameSite = opts.sameSite ?? "lax";
  if (sameSite !== false) {
    out += `; SameSite=${sameSite === true ? "Strict" : sameSite[0]!.toUpperCase() + sameSite.slice(1)}`;
  }
  return out;
}
