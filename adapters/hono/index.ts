/**
 * Hono adapter: `app.use(portio(io, { upgradeWebSocket }))` mounts Portio servers in any Hono app, on any
 * runtime. Polling is plain Request/Response; WebSockets go through the runtime's Hono `upgradeWebSocket`
 * helper (hono/deno, hono/bun, hono/cloudflare-workers, @hono/node-server).
 */
import type { Context, MiddlewareHandler } from "hono";
import type { UpgradeWebSocket, WSContext, WSMessageReceive } from "hono/ws";
import type { ClientFiles, RequestContext, Servable, WebSocketHandler } from "../../src/runtime.ts";
import { clientBundle } from "../../src/index.ts";

/** Options of the `portio` middleware. */
export interface PortioHonoOptions {
  /** the runtime's Hono WebSocket helper; without it only long-polling is served */
  // deno-lint-ignore no-explicit-any -- Hono's helper is generic over the runtime's socket and options
  upgradeWebSocket?: UpgradeWebSocket<any, any>;
  /** the peer address for `socket.handshake.address` (e.g. from hono's `getConnInfo`) */
  remoteAddress?: (c: Context) => string | undefined;
  /**
   * the socket.io client bundle for `serveClient`: Hono runs where there may be no file system, so pass
   * `readClientFiles()` of portio/node, portio/deno or portio/bun on those runtimes
   */
  clientFiles?: ClientFiles;
}

/** Node's `@hono/node-server` puts the IncomingMessage in `c.env`; elsewhere pass `remoteAddress`. */
function defaultAddress(c: Context): string | undefined {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress;
}

/** Binds a Hono WSContext to the core; Blob messages (a runtime's default binaryType) keep their order. */
function events(handler: WebSocketHandler) {
  let queue: Promise<void> | undefined;
  const deliver = (data: WSMessageReceive) => {
    if (typeof data === "string") return handler.onMessage(data);
    if (data instanceof Blob) {
      queue = (queue ?? Promise.resolve()).then(async () =>
        handler.onMessage(new Uint8Array(await data.arrayBuffer()))
      );
      return;
    }
    handler.onMessage(data instanceof Uint8Array ? data : new Uint8Array(data as ArrayBuffer));
  };
  return {
    onOpen(_evt: Event, ws: WSContext) {
      const raw = ws.raw as { binaryType?: string } | undefined;
      if (raw && "binaryType" in raw) raw.binaryType = "arraybuffer";
      handler.onOpen({
        send: (data) => ws.send(data as string | Uint8Array<ArrayBuffer>),
        close: (code, reason) => ws.close(code, reason),
      });
    },
    onMessage(evt: MessageEvent<WSMessageReceive>) {
      if (queue) queue = queue.then(() => deliver(evt.data));
      else deliver(evt.data);
    },
    onClose(evt: CloseEvent) {
      const close = () => handler.onClose(evt.code ?? 1005, evt.reason ?? "");
      if (queue) queue = queue.then(close);
      else close();
    },
  };
}

/** A Hono middleware serving Portio servers on their paths; every other request goes on to your routes. */
export function portio(io: Servable | Servable[], options: PortioHonoOptions = {}): MiddlewareHandler {
  const servers = Array.isArray(io) ? io : [io];
  if (options.clientFiles) {
    const bundle = clientBundle(options.clientFiles);
    for (const s of servers) s.setClientFiles?.(bundle);
  }
  return async (c, next) => {
    const url = new URL(c.req.url);
    const server = servers.find((s) => s.matches(url));
    if (!server) return next();
    let captured: { handler: WebSocketHandler; headers: Headers } | undefined;
    const ctx: RequestContext = { remoteAddress: (options.remoteAddress ?? defaultAddress)(c) };
    const upgradeWebSocket = options.upgradeWebSocket;
    if (upgradeWebSocket && (c.req.header("upgrade") ?? "").toLowerCase() === "websocket") {
      ctx.upgrade = (handler, headers) => {
        captured = { handler, headers };
        return undefined;
      };
    }
    const res = await server.handle(c.req.raw, ctx);
    if (res) return res;
    if (!captured || !upgradeWebSocket) return next();
    const upgraded = await upgradeWebSocket(c, events(captured.handler));
    if (upgraded instanceof Response) {
      try {
        captured.headers.forEach((v, k) => upgraded.headers.append(k, v));
      } catch {
        // immutable 101 headers on this runtime: the extra handshake headers are dropped
      }
      return upgraded;
    }
    return new Response(null); // runtimes where the helper answered the upgrade itself (Node, Bun)
  };
}
