/**
 * WebTransport on Deno: a QUIC endpoint (`Deno.QuicEndpoint`, HTTP/3) whose sessions
 * (`Deno.upgradeWebTransport`) go to the Portio server whose path they ask for. Both APIs are unstable in
 * Deno 2.x and exist only under `--unstable-net`; they are reached through `Deno` at run time, so this file
 * type-checks and loads without the flag, and only starting WebTransport needs it.
 */
import { acceptWebTransport, type Servable, type WebTransportSessionLike } from "../../src/runtime.ts";

/** Options of `serveWebTransport` (and `serve`'s `webTransport`). */
export interface WebTransportServeOptions {
  /** certificate chain, PEM; browsers using `serverCertificateHashes` need an ECDSA one valid < 14 days */
  cert: string;
  /** private key, PEM */
  key: string;
  /** UDP port; `serve` uses its HTTP port number (0 there means: the port the HTTP server got) */
  port?: number;
  /** interface to listen on; default `serve`'s hostname, or all */
  hostname?: string;
  /**
   * ms a QUIC connection may take to become a WebTransport session (the client's CONNECT request) before
   * it is closed; default 10000
   */
  handshakeTimeout?: number;
}

/** A running WebTransport endpoint. */
export interface WebTransportHandle {
  /** the UDP port */
  readonly port: number;
  /** Stops accepting sessions and closes the endpoint (and with it every session). */
  close(): void;
}

// The unstable API, described structurally (its types come only with `--unstable-net`).
interface QuicConn {
  readonly remoteAddr?: { hostname: string };
  close(info?: { closeCode: number; reason: string }): void;
}
interface QuicIncoming {
  accept(): Promise<QuicConn>;
}
interface QuicListener extends AsyncIterable<QuicIncoming> {
  stop(): void;
}
interface QuicEndpoint {
  readonly addr: { port: number };
  listen(options: { cert: string; key: string; alpnProtocols: string[] }): QuicListener;
  close(): void;
}
/** The unstable part of `Deno` that WebTransport needs. */
export interface UnstableNet {
  QuicEndpoint?: new (options: { hostname?: string; port?: number }) => QuicEndpoint;
  upgradeWebTransport?: (conn: QuicConn) => Promise<WebTransportSessionLike & { ready: Promise<unknown> }>;
}

/** Throws a clear error when Deno runs without `--unstable-net` (no QUIC API). */
export function assertWebTransportAvailable(): UnstableNet {
  const net = Deno as unknown as UnstableNet;
  if (!net.QuicEndpoint || !net.upgradeWebTransport) {
    throw new Error("portio/deno: WebTransport needs Deno's unstable QUIC API: run deno with --unstable-net");
  }
  return net;
}

/**
 * Serves WebTransport for Portio servers (their `transports` must include `"webtransport"`) on a UDP port.
 * `serve(io, { webTransport: { cert, key } })` calls this with the HTTP server's port number; call it
 * yourself next to your own `Deno.serve(createHandler(io))`. Throws when Deno runs without `--unstable-net`.
 */
export function serveWebTransport(io: Servable | Servable[], options: WebTransportServeOptions): WebTransportHandle {
  const servers = Array.isArray(io) ? io : [io];
  const net = assertWebTransportAvailable();
  const upgrade = net.upgradeWebTransport!;
  const endpoint = new net.QuicEndpoint!({ hostname: options.hostname, port: options.port ?? 0 });
  const listener = endpoint.listen({ cert: options.cert, key: options.key, alpnProtocols: ["h3"] });
  // the engine serves sessions with the acceptor handed here: apps without WebTransport do not bundle it
  const offered = servers.filter((s) => s.onWebTransportSession && s.offerWebTransport?.(acceptWebTransport));
  if (offered.length === 0) {
    console.warn('portio/deno: WebTransport is served, but no server has "webtransport" in its `transports`');
  }
  const timeout = options.handshakeTimeout ?? 10_000;

  const accept = async (incoming: QuicIncoming) => {
    // the peer address is read from the connection: reading anything of `incoming` consumes it (Deno 2.9)
    const conn = await incoming.accept();
    const remoteAddress = conn.remoteAddr?.hostname;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), timeout)));
    const session = await Promise.race([upgrade(conn).then(async (s) => (await s.ready, s)), late]).finally(() =>
      clearTimeout(timer)
    );
    if (!session) return conn.close({ closeCode: 0, reason: "no WebTransport session in time" });
    const url = new URL(session.url);
    const server = offered.find((s) => s.matches(url));
    if (!server) return session.close({ closeCode: 4404, reason: "Not Found" });
    await server.onWebTransportSession!(session, { remoteAddress });
  };

  void (async () => {
    try {
      for await (const incoming of listener) {
        // one bad connection (a failed handshake, a reset) must not stop the loop
        accept(incoming).catch(() => {});
      }
    } catch {
      // the endpoint was closed
    }
  })();

  return {
    port: endpoint.addr.port,
    close: () => {
      try {
        listener.stop();
        endpoint.close();
      } catch {
        // already closed
      }
    },
  };
}
