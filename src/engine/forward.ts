/**
 * Fleets without sticky sessions. A session lives on the node that made it; behind a balancer that does not
 * pin clients, its next polling GET/POST or its WebSocket upgrade may reach another node. With a
 * `SessionRouter` (a fleet's transport supplies one, e.g. `portio/redis`), session ids name their node, and a
 * request for a session that is not here is relayed to its owner and answered with the owner's reply, as the
 * Cloudflare Worker routes by the object name inside the id. Without a router, or for an id that names no
 * node, the answer stays "Session ID unknown".
 *
 * This file holds the port and the translations a router needs: a request into a `ForwardedRequest` (body
 * read here, within `maxHttpBufferSize`: `forwardToOwner`), and a `ForwardedRequest` back into a request and
 * context the engine answers as its own (`requestOf`, `forwardTarget`). The engine imports only the types:
 * the helpers are exported by `portio` for router implementations (`portio/redis`), so an app without a
 * router (a Cloudflare Worker) does not bundle them.
 */
import type { RequestContext, Upgrade } from "../ports.ts";
import { PayloadTooLargeError, readBytesLimited } from "./body.ts";
import { type HeaderList, RecordHeaders, type Reply, reply, type RequestLike } from "./http.ts";
import type { OnAbort } from "./transports.ts";
import type { ResolvedEngineOptions } from "./options.ts";

/** A request of a session on its way from the node that received it to the node that owns the session. */
export interface ForwardedRequest {
  /** HTTP method. */
  method: string;
  /** The full request URL. */
  url: string;
  /** The request headers, names in lower case. */
  headers: Array<[string, string]>;
  /** Peer address as the receiving node saw it. */
  remoteAddress?: string;
  /** A POST's body, read by the receiving node within `maxHttpBufferSize`. */
  body?: Uint8Array;
  /** The body could not be read there: "too large" (past `maxHttpBufferSize`) or "read error". */
  bodyError?: "too large" | "read error";
}

/** The owner's answer to a `ForwardedRequest`. */
export interface ForwardedReply {
  /** HTTP status (101 when a relayed WebSocket upgrade was accepted). */
  status: number;
  /** Response headers. */
  headers: Array<[string, string]>;
  /** Response body. */
  body: string | Uint8Array | null;
}

/**
 * What the engine lends its router (`SessionRouter.attach`): its live options, and answering a request that
 * another node received as its own (middlewares and forwarding skipped: they ran where it arrived).
 */
export interface RouterHost {
  /** the engine's options (live: `io.attach(srv, opts)` may change them after `attach`) */
  readonly opts: Pick<ResolvedEngineOptions, "pingInterval" | "maxBufferedAmount" | "maxHttpBufferSize">;
  /** Answers a request as this node's own; undefined when its path is not the engine's. */
  respond(req: RequestLike, ctx: RequestContext): Promise<Reply | undefined>;
}

/** A request another node received, as a router serves it on the owner (`forwardTarget(host)`). */
export interface ForwardTarget {
  /**
   * Answers `request` as if this node had received it (middlewares already ran where it arrived). `onAbort`
   * registers what to run when the client goes away there; `upgrade` is present for a relayed WebSocket
   * upgrade. Resolves with undefined once an upgrade was accepted through `upgrade`.
   */
  serveForwarded(
    request: ForwardedRequest,
    ctx: { onAbort?: OnAbort; upgrade?: Upgrade },
  ): Promise<ForwardedReply | undefined>;
  /** ms between pings: the longest a polling GET stays parked at its owner */
  readonly pingInterval: number;
  /** bytes a session may have queued (`maxBufferedAmount`): the bound of a relayed WebSocket's buffer too */
  readonly maxBufferedAmount: number;
}

/** The outcome of a relayed WebSocket upgrade. */
export type ForwardedUpgrade =
  /** the owner refused it (its error reply goes to the client) */
  | { reply: ForwardedReply }
  /** accepted: this node holds the WebSocket and relays its frames; the runtime's 101 `Response`, if it made one */
  | { upgraded: Response | undefined };

/**
 * The fleet port, the only part of forwarding the engine calls: ids that name their node, and relaying to
 * the owner. Every method but `attach` must be cheap when the id names this node or none (they run on every
 * request for an unknown session). A router built on `ForwardedRequest` messages implements `route` with
 * `forwardToOwner(this, ...)` and serves its peers' requests through `forwardTarget(host)`.
 */
export interface SessionRouter {
  /** Called once by the engine that uses this router. */
  attach(engine: RouterHost): void;
  /** An id for a new session of this node (URL-safe; the official client takes any). */
  newId(): string;
  /** Whether `sid` names another node of the fleet (no I/O). */
  isRemote(sid: string): boolean;
  /**
   * Relays a request for `sid`, a session of another node, and resolves with the reply for the client
   * (`headers`, the local CORS and middleware headers, first); null when it was a WebSocket upgrade the
   * runtime answered itself (Node, Bun); undefined when there is no answer (owner gone, timeout, fleet
   * transport down): the client then gets "Session ID unknown".
   */
  route(
    sid: string,
    req: RequestLike,
    ctx: RequestContext,
    headers: HeaderList,
    onAbort: OnAbort | undefined,
  ): Promise<Reply | null | undefined>;
}

/** What `forwardToOwner` relays through: a router's transport for `ForwardedRequest` messages. */
export interface SessionRelay {
  /**
   * Relays a polling request to the owner of `sid` and resolves with its reply; undefined when there is no
   * answer (owner gone, timeout, fleet transport down).
   */
  forward(sid: string, request: ForwardedRequest, onAbort: OnAbort | undefined): Promise<ForwardedReply | undefined>;
  /**
   * Relays a WebSocket upgrade for a session of another node (absent: such upgrades are refused with
   * "Session ID unknown", and the client stays on polling).
   */
  forwardUpgrade?(sid: string, request: ForwardedRequest, upgrade: Upgrade): Promise<ForwardedUpgrade | undefined>;
}

function headerEntries(req: RequestLike): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  req.headers.forEach((v, k) => out.push([k.toLowerCase(), v]));
  return out;
}

/** The engine's reply for a client whose request the owner answered: local headers (CORS, middlewares) first. */
function replyOf(r: ForwardedReply, headers: HeaderList): Reply {
  for (const [k, v] of r.headers) {
    if (k.toLowerCase() === "set-cookie") headers.append(k, v);
    else headers.set(k, v);
  }
  return reply(r.status, headers, r.body);
}

/**
 * `SessionRouter.route` for a router relaying `ForwardedRequest` messages: the request (a POST's body read
 * here, within `limit`) goes through `router`. Resolves with the reply for the client; null when the
 * request was a WebSocket upgrade the runtime answered itself (Node, Bun: nothing more to send); undefined
 * when the owner gave no answer (the engine answers "Session ID unknown", as for any unknown session).
 */
export async function forwardToOwner(
  router: SessionRelay,
  sid: string,
  req: RequestLike,
  ctx: RequestContext,
  limit: number,
  headers: HeaderList,
  onAbort: OnAbort | undefined,
): Promise<Reply | null | undefined> {
  const request: ForwardedRequest = { method: req.method, url: req.url, headers: headerEntries(req) };
  if (ctx.remoteAddress !== undefined) request.remoteAddress = ctx.remoteAddress;
  const isUpgrade = (req.headers.get("upgrade") ?? "").toLowerCase() === "websocket";
  if (isUpgrade && ctx.upgrade) {
    if (!router.forwardUpgrade) return undefined;
    const r = await router.forwardUpgrade(sid, request, ctx.upgrade);
    if (!r) return undefined;
    if ("reply" in r) return replyOf(r.reply, headers);
    return r.upgraded ? { status: r.upgraded.status, headers, body: null, response: r.upgraded } : null;
  }
  if (req.method === "POST") {
    // read here, within this node's limit: the owner gets the bytes, or the reason it gets none
    const declared = req.headers.get("content-length");
    try {
      if (declared !== null && Number(declared) > limit) throw new PayloadTooLargeError(`body of ${declared} bytes`);
      request.body = ctx.readBytes ? await ctx.readBytes(limit) : await readBytesLimited(req, limit);
    } catch (err) {
      request.bodyError = err instanceof PayloadTooLargeError ? "too large" : "read error";
    }
  }
  const r = await router.forward(sid, request, onAbort);
  return r && replyOf(r, headers);
}

/** A forwarded request as the engine reads one of its own: headers, address, body and abort signal. */
export function requestOf(
  f: ForwardedRequest,
  ctx: { onAbort?: OnAbort; upgrade?: Upgrade },
): { req: RequestLike; ctx: RequestContext } {
  const record: Record<string, string> = {};
  for (const [k, v] of f.headers) Object.defineProperty(record, k, { value: v, enumerable: true });
  const req: RequestLike = { url: f.url, method: f.method, headers: new RecordHeaders(record) };
  const bytes = (limit: number): Uint8Array => {
    if (f.bodyError === "too large") throw new PayloadTooLargeError("body over the limit where it arrived");
    if (f.bodyError) throw new Error("body read error where it arrived");
    const body = f.body ?? new Uint8Array(0);
    if (body.byteLength > limit) throw new PayloadTooLargeError(`body of ${body.byteLength} bytes`);
    return body;
  };
  const out: RequestContext = {
    readBytes: (limit) => Promise.resolve().then(() => bytes(limit)),
    readBody: (limit) => Promise.resolve().then(() => new TextDecoder().decode(bytes(limit))),
  };
  if (f.remoteAddress !== undefined) out.remoteAddress = f.remoteAddress;
  if (ctx.onAbort) out.onAbort = ctx.onAbort;
  if (ctx.upgrade) out.upgrade = ctx.upgrade;
  return { req, ctx: out };
}

/** The owner's side of a router: the engine it was attached to, answering forwarded requests. */
export function forwardTarget(host: RouterHost): ForwardTarget {
  const opts = host.opts;
  return {
    async serveForwarded(f, c) {
      const { req, ctx } = requestOf(f, c);
      const r = await host.respond(req, ctx);
      return r && { status: r.status, headers: r.headers.entries, body: r.body };
    },
    get pingInterval() {
      return opts.pingInterval;
    },
    get maxBufferedAmount() {
      return opts.maxBufferedAmount;
    },
  };
}
