/**
 * `io.engine.use(fn)`: engine.io's middlewares, run on every request of the engine (handshake, polling,
 * upgrade) before it is checked. On Node they get the `IncomingMessage` and `ServerResponse` the adapter hands
 * over (`RequestContext.native`), so Connect middlewares (express-session, passport, helmet) run unchanged;
 * elsewhere the Web `Request` and a small response whose headers go on the engine's answer.
 */
import type { RequestContext } from "../ports.ts";
import { EngineRequestError, ERROR_CODES } from "./errors.ts";
import type { HeaderList, RequestLike } from "./http.ts";

/** A Connect-style middleware for `io.engine.use` (Node: IncomingMessage + ServerResponse; elsewhere a Web Request). */
// deno-lint-ignore no-explicit-any
export type EngineMiddleware = (req: any, res: any, next: (err?: unknown) => void) => void;

/** The response object middlewares get on runtimes without a native one (Node's method names). */
export interface MiddlewareResponse {
  /** Sets a header of the response. */
  setHeader(name: string, value: string | number | readonly string[]): void;
  /** Reads a header set so far. */
  getHeader(name: string): string | undefined;
  /** Removes a header. */
  removeHeader(name: string): void;
}

function webResponse(headers: HeaderList): MiddlewareResponse {
  return {
    setHeader: (name, value) => headers.set(name, Array.isArray(value) ? value.join(", ") : String(value)),
    getHeader: (name) => headers.get(name) ?? undefined,
    removeHeader: (name) => {
      const lower = name.toLowerCase();
      const i = headers.entries.findIndex(([k]) => k.toLowerCase() === lower);
      if (i !== -1) headers.entries.splice(i, 1);
    },
  };
}

/** Runs them in order; `next(err)` or a throw refuses the request (400, as engine.io's MIDDLEWARE_FAILURE). */
export async function applyMiddlewares(
  middlewares: readonly EngineMiddleware[],
  req: RequestLike,
  ctx: RequestContext,
  headers: HeaderList,
): Promise<void> {
  const nativeReq = ctx.native?.req ?? req;
  const res = ctx.native?.res ?? webResponse(headers);
  for (const fn of middlewares) {
    const err = await new Promise<unknown>((resolve) => {
      try {
        fn(nativeReq, res, (e?: unknown) => resolve(e));
      } catch (e) {
        resolve(e ?? new Error("middleware threw"));
      }
    });
    if (err) throw new EngineRequestError(ERROR_CODES.BAD_REQUEST, { name: "MIDDLEWARE_FAILURE", error: err });
  }
}

/**
 * What Web-form middlewares set on the Request (`req.user = …`) stays readable on `socket.request`, which is
 * the session's snapshot of it. (On Node `socket.request` is the `IncomingMessage` itself.)
 */
export function keepWhatMiddlewaresSet(req: RequestLike, snapshot: RequestLike): void {
  if (req.native !== undefined) return;
  const from = req as unknown as Record<string, unknown>;
  const to = snapshot as unknown as Record<string, unknown>;
  for (const k of Object.keys(req)) if (!(k in snapshot)) to[k] = from[k];
}
