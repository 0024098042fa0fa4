/**
 * The Worker side: forwards Portio's paths to a Durable Object. Every request of a session must reach the
 * object that holds it, on both transports and with no sticky sessions, so the object's name travels in
 * the session id itself (`<base64url(name)>.<random>`): a polling GET/POST or an upgrade names its object.
 * A handshake (no `sid`) goes where `route(request)` says.
 */
import type { DurableObjectNamespaceLike } from "./types.ts";

/** Request header carrying the object's name, base64url-encoded, from the Worker to the object. */
export const OBJECT_HEADER = "x-portio-object";

/**
 * Request header of requests between the objects of one binding (portio/cloudflare/fleet), naming the
 * server path they are for. The Worker strips it from what clients send: only objects set it.
 */
export const PEER_HEADER = "x-portio-peer";

const B64URL = /^[A-Za-z0-9_-]+$/;

/** base64url of the UTF-8 name: safe in a header value and in a session id. */
export function encodeObjectName(name: string): string {
  let bin = "";
  for (const b of new TextEncoder().encode(name)) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** A session id that routes back to the object whose encoded name is `encoded` (see `encodeObjectName`). */
export function sessionIdFor(encoded: string | null): string {
  const random = crypto.getRandomValues(new Uint8Array(15));
  let bin = "";
  for (const b of random) bin += String.fromCharCode(b);
  const id = btoa(bin).replace(/\+/g, "-").replace(/\//g, "_");
  return encoded && B64URL.test(encoded) ? `${encoded}.${id}` : id;
}

/** The object name inside a session id, or undefined when the id is not one of ours. */
export function objectOfSessionId(sid: string): string | undefined {
  const dot = sid.indexOf(".");
  const encoded = sid.slice(0, dot);
  if (dot <= 0 || !B64URL.test(encoded)) return undefined;
  try {
    const bin = atob(encoded.replace(/-/g, "+").replace(/_/g, "/"));
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(
      Uint8Array.from(bin, (c) => c.charCodeAt(0)),
    );
  } catch {
    return undefined;
  }
}

/** Options of `createWorker`. */
export interface WorkerOptions<Env> {
  /** the Durable Object namespace: the binding's name in `env` (wrangler `durable_objects.bindings[].name`) */
  binding: string | ((env: Env) => DurableObjectNamespaceLike);
  /**
   * The object a new session goes to (default: one object, "default"). Shard by tenant or room with
   * something the client sends on its handshake, e.g. `io(url, { query: { room } })` and
   * `route: (req) => new URL(req.url).searchParams.get("room") ?? "lobby"`. Must give the same answer for
   * the same client: connection state recovery finds a dropped session in the object that held it.
   */
  route?: (request: Request, env: Env) => string | Promise<string>;
  /** the servers' paths, as their `path` option (default ["/socket.io/"]) */
  paths?: string[];
  /** answers every other request (your app's routes); default 404 */
  fetch?: (request: Request, env: Env, ctx: unknown) => Response | Promise<Response>;
}

/** The Worker's `export default`: `export default createWorker({ binding: "PORTIO" })`. */
export function createWorker<Env>(
  options: WorkerOptions<Env>,
): { fetch(request: Request, env: Env, ctx: unknown): Promise<Response> } {
  const paths = (options.paths ?? ["/socket.io/"]).map((p) => p.replace(/\/$/, "") + "/");
  const route = options.route ?? (() => "default");
  return {
    async fetch(request, env, ctx) {
      const url = new URL(request.url);
      // a prefix, as the engine matches its path (engine.io's rule)
      if (!paths.some((p) => url.pathname.startsWith(p) || url.pathname + "/" === p)) {
        return options.fetch ? options.fetch(request, env, ctx) : new Response("Not Found", { status: 404 });
      }
      const sid = url.searchParams.get("sid");
      // an id that is not ours goes to the routed object, which answers "Session ID unknown"
      const name = (sid !== null ? objectOfSessionId(sid) : undefined) ?? await route(request, env);
      const ns = typeof options.binding === "function"
        ? options.binding(env)
        : (env as Record<string, DurableObjectNamespaceLike>)[options.binding];
      if (!ns) throw new Error(`portio: no Durable Object binding ${String(options.binding)} in env`);
      const forwarded = new Request(request);
      forwarded.headers.set(OBJECT_HEADER, encodeObjectName(name));
      forwarded.headers.delete(PEER_HEADER); // a client must not pass for another object
      return ns.get(ns.idFromName(name) as never).fetch(forwarded);
    },
  };
}
