/**
 * Deno adapter: `Deno.serve` and `Deno.upgradeWebSocket`. A translation layer only; no `node:` imports.
 */
import type { ClientFiles, RequestContext, Servable, WebSocketHandler } from "../../src/index.ts";

const BUNDLE_FILE = /^socket\.io(\.msgpack|\.esm)?(\.min)?\.js(\.map)?$/;

/**
 * The socket.io client bundle for `serveClient`, from `node_modules/socket.io-client` under `dir` (default:
 * the working directory, where Deno 2 installs an app's npm packages). Undefined when it is absent or the
 * process may not read it (`--allow-read`).
 */
export function readClientFiles(dir: string = Deno.cwd()): ClientFiles | undefined {
  const root = `${dir}/node_modules/socket.io-client`;
  let version: string;
  try {
    version = (JSON.parse(Deno.readTextFileSync(`${root}/package.json`)) as { version: string }).version;
  } catch {
    return undefined;
  }
  return {
    version,
    read: (name) =>
      BUNDLE_FILE.test(name)
        ? Deno.readFile(`${root}/dist/${name}`).catch(() => undefined)
        : Promise.resolve(undefined),
  };
}

export interface ServeOptions {
  port?: number;
  hostname?: string;
  /** requests no Portio server claims (an app's own routes) */
  fetch?: (req: Request) => Response | Promise<Response>;
}

export interface DenoServerHandle {
  readonly port: number;
  readonly hostname: string;
  close(): Promise<void>;
}

interface ConnInfo {
  remoteAddr?: { hostname?: string };
}

/** Binds one upgraded Deno WebSocket to the core's handler. */
function bind(socket: WebSocket, handler: WebSocketHandler): void {
  socket.binaryType = "arraybuffer";
  socket.onopen = () =>
    handler.onOpen({
      send: (data) => socket.send(data),
      close: (code, reason) => socket.close(code, reason),
      get bufferedAmount() {
        return socket.bufferedAmount;
      },
    });
  socket.onmessage = (e) =>
    handler.onMessage(typeof e.data === "string" ? e.data : new Uint8Array(e.data as ArrayBuffer));
  socket.onclose = (e) => handler.onClose(e.code, e.reason);
  socket.onerror = () => {}; // followed by close
}

/** A `(req, info) => Response` handler for Portio servers, to use in your own `Deno.serve`. */
export function createHandler(io: Servable | Servable[], fallback?: ServeOptions["fetch"]) {
  const servers = Array.isArray(io) ? io : [io];
  const files = servers.some((s) => s.setClientFiles) ? readClientFiles() : undefined;
  if (files) { for (const s of servers) s.setClientFiles?.(files); }
  return async (req: Request, info?: ConnInfo): Promise<Response> => {
    const ctx: RequestContext = { remoteAddress: info?.remoteAddr?.hostname };
    if ((req.headers.get("upgrade") ?? "").toLowerCase() === "websocket") {
      ctx.upgrade = (handler, headers) => {
        const { socket, response } = Deno.upgradeWebSocket(req);
        bind(socket, handler);
        try {
          headers.forEach((v, k) => response.headers.append(k, v));
        } catch {
          // Deno before 2.x returned immutable headers on the 101: the extra headers are then dropped
        }
        return response;
      };
    }
    for (const s of servers) {
      const res = await s.handle(req, ctx);
      if (res) return res;
    }
    return fallback ? fallback(req) : new Response("Not Found", { status: 404 });
  };
}

export function serve(io: Servable | Servable[], options: ServeOptions = {}): Promise<DenoServerHandle> {
  const servers = Array.isArray(io) ? io : [io];
  const handler = createHandler(servers, options.fetch);
  return new Promise((resolve) => {
    const server = Deno.serve({
      port: options.port ?? 3000,
      hostname: options.hostname,
      onListen: (addr) => {
        const a = addr as Deno.NetAddr;
        resolve({
          port: a.port,
          hostname: a.hostname,
          close: async () => {
            await Promise.all(servers.map((s) => s.close()));
            await server.shutdown();
          },
        });
      },
    }, handler);
  });
}
