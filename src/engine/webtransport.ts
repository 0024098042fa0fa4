/**
 * Accepting a WebTransport session (engine.io's `server.onWebTransportSession`): the client opens one
 * bidirectional stream and sends an open packet on it first, without data for a new session, or with
 * `{"sid":"..."}` to upgrade an existing polling session (then the usual probe and upgrade packets follow).
 * There is no HTTP request: the session's URL stands for it (no headers, so no cookies and no CORS).
 *
 * The engine does not import this file: the adapter serving WebTransport hands `acceptWebTransport` to it
 * (`offerWebTransport(acceptWebTransport)`), so apps that never serve WebTransport do not bundle it, nor the
 * transport and framing it brings.
 */
import type { WebTransportInfo, WebTransportSessionLike, WebTransportStreamLike } from "../ports.ts";
import type { Logger } from "../util/logger.ts";
import { randomId } from "../util/id.ts";
import type { RequestLike } from "./http.ts";
import type { ResolvedEngineOptions } from "./options.ts";
import { EngineSocket, type SessionConfig } from "./socket.ts";
import { FrameError } from "./framing.ts";
import { WebTransportTransport } from "./transport-webtransport.ts";

/** What the engine server lends the acceptor. */
export interface WebTransportHost {
  readonly opts: ResolvedEngineOptions;
  readonly clients: ReadonlyMap<string, EngineSocket>;
  readonly logger: Logger;
  readonly session: SessionConfig;
  /** whether `io.engine.use` middlewares are set: they need an HTTP request, which a session has not */
  readonly hasMiddlewares: boolean;
  matches(url: URL): boolean;
  register(session: EngineSocket): void;
}

/** What `EngineServer.offerWebTransport` takes: `acceptWebTransport`. */
export type WebTransportAcceptor = (
  host: WebTransportHost,
  session: WebTransportSessionLike,
  info?: WebTransportInfo,
) => Promise<void>;

/** The application close codes a refused session gets (WebTransport carries a 32-bit code and a reason). */
const REFUSED = 4403;

/**
 * Accepts one session; never throws (a bad session is closed and logged). Hand it to the engine with
 * `io.engine.offerWebTransport(acceptWebTransport)` (`portio/deno` does it), then pass it the sessions.
 */
export async function acceptWebTransport(
  host: WebTransportHost,
  session: WebTransportSessionLike,
  info: WebTransportInfo = {},
): Promise<void> {
  const refuse = (why: string) => {
    host.logger.debug(`WebTransport session refused: ${why}`);
    try {
      session.close({ closeCode: REFUSED, reason: why });
    } catch {
      // already closed
    }
  };
  const opts = host.opts;
  let url: URL;
  try {
    url = new URL(session.url);
  } catch {
    return refuse("bad URL");
  }
  if (!opts.transports.includes("webtransport")) return refuse("transport not enabled");
  if (!host.matches(url)) return refuse("unknown path");
  // Deno 2.9's server side drops the query from `url`: a missing EIO is v4 (the only one with WebTransport)
  const eio = url.searchParams.get("EIO");
  if (eio !== null && eio !== "4") return refuse("unsupported protocol version");
  if (host.hasMiddlewares) return refuse("engine middlewares need an HTTP request");

  // a client that connects and then opens no stream, or sends no open packet, is dropped after upgradeTimeout
  const s = opts.scheduler;
  const timer = s.setTimeout(() => refuse("no open packet in time"), opts.upgradeTimeout);
  let transport: WebTransportTransport;
  let first;
  try {
    const streams = session.incomingBidirectionalStreams.getReader();
    const next = await streams.read();
    if (next.done) return;
    void refuseMoreStreams(streams);
    transport = new WebTransportTransport(session, next.value as WebTransportStreamLike, opts.maxHttpBufferSize);
    first = await transport.readFirst();
  } catch (err) {
    return refuse(err instanceof FrameError ? err.message : "stream error");
  } finally {
    s.clearTimeout(timer);
  }
  if (first === undefined) return refuse("stream ended before the open packet");
  if (typeof first !== "string" || first[0] !== "0") return refuse("first packet is not an open packet");

  const request: RequestLike = { url: session.url, method: "GET", headers: new Headers() };
  if (first.length === 1) return open(host, transport, request, info, refuse);

  let sid: unknown;
  try {
    sid = (JSON.parse(first.slice(1)) as { sid?: unknown }).sid;
  } catch {
    return refuse("bad open packet");
  }
  const existing = typeof sid === "string" ? host.clients.get(sid) : undefined;
  if (!existing) return refuse("unknown sid");
  if (!opts.allowUpgrades || existing.transport.name !== "polling") return refuse("no upgrade for this session");
  // an upgrade already under way (a WebSocket probe) or done: maybeUpgrade closes this transport
  existing.maybeUpgrade(transport);
  transport.start();
}

/**
 * Engine.IO uses one stream: any other the client opens is reset at once, so it cannot hold server memory
 * (each open stream has its own receive window) until the session ends.
 */
async function refuseMoreStreams(streams: ReadableStreamDefaultReader<WebTransportStreamLike>): Promise<void> {
  try {
    for (;;) {
      const { value, done } = await streams.read();
      if (done) return;
      value.readable.cancel().catch(() => {});
      value.writable.abort().catch(() => {});
    }
  } catch {
    // the session is gone
  }
}

async function open(
  host: WebTransportHost,
  transport: WebTransportTransport,
  request: RequestLike,
  info: WebTransportInfo,
  refuse: (why: string) => void,
): Promise<void> {
  const opts = host.opts;
  // `allowRequest` runs with the session's URL and no headers (a WebTransport session has none to show):
  // an app that checks a token in the query keeps working, one that checks the Origin refuses, safely
  if (opts.allowRequest) {
    const allow = opts.allowRequest;
    const ok = await new Promise<boolean>((resolve) => allow(request, (_err, success) => resolve(Boolean(success))));
    if (!ok) return refuse("forbidden by allowRequest");
  }
  let id: string;
  try {
    id = opts.generateId ? await opts.generateId(request) : randomId();
  } catch {
    return refuse("id generation failed");
  }
  const session = new EngineSocket(id, request, info.remoteAddress ?? "", transport, host.session, 4);
  host.register(session);
  transport.start();
}
