/**
 * Bun adapter: `Bun.serve` with its `websocket` handlers. Runtime objects are described by small
 * structural types (no bun-types in shared code). A translation layer only.
 */
import type { RequestContext, Servable, WebSocketHandler } from "../../src/runtime.ts";
import { DEFAULT_MAX_BUFFERED_AMOUNT } from "../../src/runtime.ts";
import type { RoutedFanout } from "../../src/socket/delivery.ts";
import { topicRouting } from "../../src/socket/topics.ts";
import { clientBundle } from "../../src/index.ts";
import { readClientFiles } from "../shared/client-files.ts";

export { readClientFiles };

/** The parts of Bun's `ServerWebSocket` used here. */
export interface BunWebSocket {
  /** Per-socket data Bun carries from `server.upgrade` to the handlers. */
  data: BunSocketData;
  /** Sends a frame; returns Bun's send status. */
  send(data: string | Uint8Array, compress?: boolean): number;
  /** Closes the WebSocket. */
  close(code?: number, reason?: string): void;
  /** Bytes queued but not yet sent (backpressure). */
  getBufferedAmount(): number;
  /** Subscribes to a native topic (a room's broadcasts). */
  subscribe(topic: string): void;
  /** Unsubscribes from a native topic. */
  unsubscribe(topic: string): void;
}

/** The parts of Bun's `Server` used here. */
export interface BunServer {
  /** The port it listens on. */
  readonly port: number;
  /** The hostname it listens on. */
  readonly hostname: string;
  /** Upgrades a request to a WebSocket bound to `data.handler`. */
  upgrade(req: Request, options: { data: BunSocketData; headers?: Headers }): boolean;
  /** The peer address of a request. */
  requestIP(req: Request): { address: string } | null;
  /** Sends a frame to every subscriber of a topic (compressed for those that negotiated it, when `compress`). */
  publish(topic: string, data: string | Uint8Array, compress?: boolean): number;
  /** Stops listening. */
  stop(closeActiveConnections?: boolean): Promise<void> | void;
}

/** What each Portio WebSocket carries in Bun's `ws.data`. */
export interface BunSocketData {
  /** The core's handler of this connection. */
  handler: WebSocketHandler;
}

/** The `websocket` option of `Bun.serve` that Portio needs. */
export interface BunWebSocketHandlers {
  /** A WebSocket opened. */
  open(ws: BunWebSocket): void;
  /** A message arrived. */
  message(ws: BunWebSocket, message: string | Uint8Array): void;
  /** The WebSocket closed. */
  close(ws: BunWebSocket, code: number, reason: string): void;
  /** Bun closes a WebSocket silent for this many seconds; kept above pingInterval + pingTimeout */
  idleTimeout: number;
  /** Bun refuses larger messages; set to the largest `maxHttpBufferSize` */
  maxPayloadLength: number;
  /** permessage-deflate, when a server asks for it (`perMessageDeflate`); Bun then compresses what is sent with
   * the compress flag, which the adapter sets for messages of at least the option's `threshold` bytes unless
   * the message says `compress(false)` */
  perMessageDeflate: boolean;
  /**
   * bytes Bun may queue per socket. The core enforces `maxBufferedAmount` itself (after its own sends, and
   * after published frames, see socket/delivery.ts); Bun's limit sits above it, with room for a recovery
   * replay, which may exceed the bound once (EngineSocket.burst)
   */
  backpressureLimit: number;
  /** On: past `backpressureLimit` Bun closes the socket instead of dropping frames silently (its default) */
  closeOnBackpressureLimit: boolean;
}

/** what Bun may queue beyond the slow-consumer bound: a recovery replay (see `backpressureLimit`) */
const REPLAY_HEADROOM = 128 * 1024 * 1024;

/** Options of `serve`. */
export interface ServeOptions {
  /** Port to listen on (default 3000, 0 for any free port). */
  port?: number;
  /** Interface to listen on (default all). */
  hostname?: string;
  /** requests no Portio server claims (an app's own routes) */
  fetch?: (req: Request, server: BunServer) => Response | Promise<Response>;
}

/** What `Bun.serve` needs: spread it into your own `Bun.serve({...})` to combine with an existing app. */
export interface BunHandler {
  /** Answers Portio's requests (and hands the rest to the fallback); `undefined` once upgraded. */
  fetch(req: Request, server: BunServer): Promise<Response | undefined>;
  /** Portio's WebSocket handlers. */
  websocket: BunWebSocketHandlers;
  /** HTTP idle timeout (s) long enough for a parked long-polling GET (Bun's default of 10 s is not) */
  idleTimeout: number;
}

type Timed = Servable & { engine?: { opts: { pingInterval: number; pingTimeout: number } } };

/** Seconds a connection may stay silent: one ping cycle plus margin (Bun's limits: 255 HTTP, 960 WS). */
function idleSeconds(servers: Timed[], cap: number): number {
  const ms = Math.max(
    ...servers.map((s) => (s.engine ? s.engine.opts.pingInterval + s.engine.opts.pingTimeout : 45000)),
  );
  return Math.min(cap, Math.ceil(ms / 1000) + 10);
}

/**
 * engine.io's rule for one message: compressed when compression is on (`threshold` defined), the message does
 * not say `compress(false)`, and it reaches the threshold (string length stands for byte length: the threshold
 * is a heuristic in ws and engine.io too).
 */
/**
 * The core's view of one Bun WebSocket: a class rather than an object of five closures, which every idle
 * connection would hold (~0.5 KB on Bun, measured with the connect bench).
 */
class BunSocket {
  constructor(readonly ws: BunWebSocket, readonly threshold: number | undefined) {}

  send(data: string | Uint8Array, compress?: boolean): void {
    // 0: Bun dropped the frame (socket closing or over its limit): close rather than lose it silently.
    // An empty frame (a 0-byte attachment) is sent all the same and also answers 0: not a drop
    const ws = this.ws;
    if (ws.send(data, shouldCompress(this.threshold, data, compress)) === 0 && data.length > 0) ws.close(1013, "");
  }

  close(code?: number, reason?: string): void {
    this.ws.close(code, reason);
  }

  get bufferedAmount(): number {
    return this.ws.getBufferedAmount();
  }

  subscribe(topic: string): void {
    this.ws.subscribe(topic);
  }

  unsubscribe(topic: string): void {
    this.ws.unsubscribe(topic);
  }
}

function shouldCompress(threshold: number | undefined, data: string | Uint8Array, compress?: boolean): boolean {
  return threshold !== undefined && compress !== false &&
    (typeof data === "string" ? data.length : data.byteLength) >= threshold;
}

/**
 * Bun's `server.publish` as Portio's native fan-out, with the topic routing that uses it (only this entry
 * carries that code); `published` counts frames handed to it. `threshold`: the `perMessageDeflate` threshold
 * when compression is on.
 */
export function bunFanout(server: BunServer, threshold?: number): RoutedFanout & { published: number } {
  return {
    routing: topicRouting,
    published: 0,
    publish(topic, frame, compress) {
      this.published++;
      server.publish(topic, frame, shouldCompress(threshold, frame, compress));
    },
  };
}

/** The `fetch` and `websocket` options for your own `Bun.serve({ ...createHandler(io), port })`. */
export function createHandler(io: Servable | Servable[], fallback?: ServeOptions["fetch"]): BunHandler {
  const servers = (Array.isArray(io) ? io : [io]) as Timed[];
  const files = servers.some((s) => s.setClientFiles) ? readClientFiles() : undefined;
  if (files) {
    const bundle = clientBundle(files);
    for (const s of servers) s.setClientFiles?.(bundle);
  }
  let fanoutSet = false;
  // one Bun WebSocket handler serves every Portio server given: compression is on when one asks for it
  const deflate = servers.map((s) => s.perMessageDeflate).find((d) => d);
  const threshold = deflate ? deflate.threshold : undefined;
  return {
    idleTimeout: idleSeconds(servers, 255),
    async fetch(req, server) {
      if (!fanoutSet) {
        // room broadcasts go through Bun's native pub/sub (one frame, written by Bun to every subscriber)
        fanoutSet = true;
        const fanout = bunFanout(server, threshold);
        for (const s of servers) s.setFanout?.(fanout);
      }
      let upgraded = false;
      const ctx: RequestContext = {
        // asked of Bun only when read (a handshake): `requestIP` costs a few % of a polling request
        get remoteAddress() {
          return server.requestIP(req)?.address;
        },
      };
      if ((req.headers.get("upgrade") ?? "").toLowerCase() === "websocket") {
        ctx.upgrade = (handler, headers) => {
          // no reply headers (the usual case): no `headers` option, which Bun would copy for each upgrade
          const options: { data: BunSocketData; headers?: Headers } = { data: { handler } };
          for (const _ of headers.keys()) {
            options.headers = headers;
            break;
          }
          upgraded = server.upgrade(req, options);
          return upgraded ? undefined : new Response("WebSocket upgrade failed", { status: 400 });
        };
      }
      for (const s of servers) {
        const res = await s.handle(req, ctx);
        if (res) return res;
        if (upgraded) return undefined; // Bun answers the upgrade itself
      }
      return fallback ? fallback(req, server) : new Response("Not Found", { status: 404 });
    },
    websocket: {
      idleTimeout: idleSeconds(servers, 960),
      maxPayloadLength: Math.max(...servers.map((s) => s.maxPayload)),
      perMessageDeflate: threshold !== undefined,
      backpressureLimit: Math.max(...servers.map((s) => s.maxBufferedAmount ?? DEFAULT_MAX_BUFFERED_AMOUNT)) +
        REPLAY_HEADROOM,
      closeOnBackpressureLimit: true,
      open(ws) {
        ws.data.handler.onOpen(new BunSocket(ws, threshold));
      },
      message(ws, message) {
        ws.data.handler.onMessage(message);
      },
      close(ws, code, reason) {
        ws.data.handler.onClose(code, reason);
      },
    },
  };
}

/** A running Bun server started by `serve`. */
export interface BunServerHandle {
  /** The port it listens on. */
  readonly port: number;
  /** The hostname it listens on. */
  readonly hostname: string;
  /** Bun's server object. */
  readonly server: BunServer;
  /** Closes the Portio servers, then stops listening. */
  close(): Promise<void>;
}

interface BunGlobal {
  serve(options: Record<string, unknown>): BunServer;
}

/** Starts `Bun.serve` for the given Portio servers; resolves once it listens. */
export function serve(io: Servable | Servable[], options: ServeOptions = {}): Promise<BunServerHandle> {
  const servers = Array.isArray(io) ? io : [io];
  const Bun = (globalThis as unknown as { Bun: BunGlobal }).Bun;
  const handler = createHandler(servers, options.fetch);
  const server = Bun.serve({ port: options.port ?? 3000, hostname: options.hostname, ...handler });
  return Promise.resolve({
    port: server.port,
    hostname: server.hostname,
    server,
    close: async () => {
      await Promise.all(servers.map((s) => s.close()));
      await server.stop(true);
    },
  });
}
