/**
 * socket.io's entry shapes on Node: `new Server(httpServer | port | options?, options?)`, `io.attach`,
 * `io.listen`, `io.httpServer`, and `io.close()` closing the http server. The core `Server` is runtime-free,
 * so these live here, on top of this adapter's `attach`; `import { Server } from "portio"` resolves to this
 * class on Node through the package's `node` export condition (see adapters/node/root.ts).
 */
import { createServer, type Server as HttpServer } from "node:http";
import type { Http2SecureServer, Http2Server } from "node:http2";
import { type EventsMap, Server as CoreServer, type ServerOptions } from "../../src/index.ts";
import type { DefaultEventsMap } from "../../src/socket/typed-events.ts";
import { attach } from "./index.ts";

/** What socket.io attaches to: `http.Server`, `https.Server` (a subclass) or an HTTP/2 server. */
export type TServerInstance = HttpServer | Http2SecureServer | Http2Server;

function isHttpServer(v: unknown): v is TServerInstance {
  return typeof v === "object" && v !== null && typeof (v as { listen?: unknown }).listen === "function";
}

function isPort(v: unknown): v is number | string {
  return typeof v === "number" || (typeof v === "string" && /^\d+$/.test(v));
}

export class Server<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
  ServerSideEvents extends EventsMap = DefaultEventsMap,
  // deno-lint-ignore no-explicit-any
  SocketData = any,
> extends CoreServer<ListenEvents, EmitEvents, ServerSideEvents, SocketData> {
  #httpServer: TServerInstance | undefined;
  /** set by close(): socket.io lets a closed server attach again (`io.close(); io.listen(port)`) */
  #closed = false;

  constructor(opts?: Partial<ServerOptions>);
  constructor(srv?: TServerInstance | number | string, opts?: Partial<ServerOptions>);
  constructor(srv?: TServerInstance | number | string | Partial<ServerOptions>, opts?: Partial<ServerOptions>) {
    const attachTo = isHttpServer(srv) || isPort(srv) ? srv : undefined;
    super(attachTo === undefined ? (srv as ServerOptions | undefined) ?? opts : opts);
    if (attachTo !== undefined) this.attach(attachTo);
  }

  /** The http server this Portio server is attached to (socket.io's `io.httpServer`), once attached. */
  get httpServer(): TServerInstance | undefined {
    return this.#httpServer;
  }

  /**
   * Attaches to an http server, or creates one listening on `port`. Other requests keep going to the
   * server's own listeners. Options given here fill those the constructor did not get (socket.io's rule).
   */
  attach(srv: TServerInstance | number | string, opts?: Partial<ServerOptions>): this {
    if (!isHttpServer(srv) && !isPort(srv)) {
      throw new TypeError("portio: attach() takes an http server or a port, got " + typeof srv);
    }
    if (this.#httpServer && !this.#closed) {
      throw new Error("portio: this Server is already attached to an http server");
    }
    this.#closed = false;
    this._configure(opts);
    let server: TServerInstance;
    if (isPort(srv)) {
      server = createServer();
      server.listen(Number(srv));
    } else {
      server = srv;
    }
    // an HTTP/2 server emits the same "request"/"upgrade" events with compatible objects (socket.io relies
    // on that too)
    attach(this, server as HttpServer);
    this.#httpServer = server;
    return this;
  }

  /** socket.io's alias of `attach`. */
  listen(srv: TServerInstance | number | string, opts?: Partial<ServerOptions>): this {
    return this.attach(srv, opts);
  }

  /**
   * Disconnects every client, stops the room stores and closes the http server (as socket.io does, also
   * one you passed in); `fn` gets the http server's close error, if any.
   */
  override async close(fn?: (err?: Error) => void): Promise<void> {
    await super.close();
    const server = this.#httpServer;
    if (!server) return fn?.();
    this.#closed = true;
    await new Promise<void>((resolve) => {
      server.close((err?: Error) => {
        fn?.(err);
        resolve();
      });
      // parked polling GETs were answered by the engine's close; idle keep-alive sockets go now
      (server as HttpServer).closeIdleConnections?.();
    });
  }
}
