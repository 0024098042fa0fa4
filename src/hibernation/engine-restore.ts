/**
 * The Engine.IO half of a session that outlives the server object holding it (a Durable Object that
 * hibernates with its WebSockets connected). On wake every JS object is gone; what comes back is the
 * runtime socket and the records written here. `EngineServer.restoreSession` then rebuilds an open session
 * on that socket: no handshake, no open packet, and the heartbeat resumes where it stopped.
 */
import type { WebSocketHandler, WebSocketLike } from "../ports.ts";
import { RecordHeaders, type RequestLike } from "../engine/http.ts";
import type { EngineServer } from "../engine/server.ts";
import type { EngineSocket } from "../engine/socket.ts";

/** What the session's first request said; kept in storage (headers can be kilobytes). */
export interface EngineSessionRecord {
  /** The session id. */
  id: string;
  /** The URL of the connection's first request. */
  url: string;
  /** The headers of the connection's first request. */
  headers: Array<[string, string]>;
  /** The peer address. */
  remoteAddress: string;
}

/** The record of an engine session that survives hibernation. */
export function engineRecordOf(session: EngineSocket): EngineSessionRecord {
  const headers: Array<[string, string]> = [];
  session.request.headers.forEach((v, k) => headers.push([k, v]));
  return { id: session.id, url: session.request.url, headers, remoteAddress: session.remoteAddress };
}

/**
 * When the heartbeat next needs the session: `lastBeat` is when it opened or last answered a ping (a pong
 * arrived), so the next ping was due `pingInterval` later and its pong `pingTimeout` after that.
 * Past that window the client is gone: ping at once with no time left, and the timer closes the session
 * with "ping timeout" as it would have without hibernation.
 */
export function heartbeatAfterWake(
  lastBeat: number,
  now: number,
  pingInterval: number,
  pingTimeout: number,
): { nextPingIn: number; pongWithin: number } {
  const due = lastBeat + pingInterval;
  if (now < due) return { nextPingIn: due - now, pongWithin: pingTimeout };
  return { nextPingIn: 0, pongWithin: Math.max(0, due + pingTimeout - now) };
}

/** Rebuilds the session on `ws` (see `EngineServer.restoreSession`). */
export function restoreEngineSession(
  server: EngineServer,
  record: EngineSessionRecord,
  ws: WebSocketLike,
  lastBeat: number,
  now: number = Date.now(),
): { session: EngineSocket; handler: WebSocketHandler } {
  const headers: Record<string, string> = {};
  // defineProperty: a header named "__proto__" stays a plain key (as in handshake.ts)
  for (const [k, v] of record.headers) Object.defineProperty(headers, k, { value: v, enumerable: true });
  const request: RequestLike = { url: record.url, method: "GET", headers: new RecordHeaders(headers) };
  const { pingInterval, pingTimeout } = server.opts;
  return server.restoreSession(
    record.id,
    request,
    record.remoteAddress,
    ws,
    heartbeatAfterWake(lastBeat, now, pingInterval, pingTimeout),
  );
}
