/**
 * CORS with the semantics of the `cors` middleware that socket.io's `cors` option is handed to
 * (same option names and defaults). Opt-in: without the option no CORS
 * header is ever written, so browsers on other origins are denied.
 */
import { HeaderList, type RequestLike } from "./http.ts";

/** Origins given as values: `true` reflects the request's origin. */
export type StaticOrigin = boolean | string | RegExp | Array<boolean | string | RegExp>;
/** Origins decided per request: `callback(null, origin)` allows `origin`. */
export type CustomOrigin = (
  origin: string | undefined,
  callback: (err: Error | null, origin?: StaticOrigin) => void,
) => void;

/** CORS options, with the semantics of the `cors` package socket.io hands them to. */
export interface CorsOptions {
  /** Allowed origins: `true` (reflect the request's), a string, a RegExp, a list of them, or a function. */
  origin?: StaticOrigin | CustomOrigin;
  /** Allowed methods (default `GET,HEAD,PUT,PATCH,POST,DELETE`). */
  methods?: string | string[];
  /** Allowed request headers (default: those the preflight asks for). */
  allowedHeaders?: string | string[];
  /** Response headers the browser may read. */
  exposedHeaders?: string | string[];
  /** Whether credentials (cookies) are allowed. */
  credentials?: boolean;
  /** How long (s) a preflight answer may be cached. */
  maxAge?: number;
  /** The status of a successful preflight (default 204). */
  optionsSuccessStatus?: number;
}

const join = (v: string | string[] | undefined) => (Array.isArray(v) ? v.join(",") : v);

function isAllowed(origin: string, allowed: StaticOrigin): boolean {
  if (Array.isArray(allowed)) return allowed.some((a) => isAllowed(origin, a));
  if (typeof allowed === "string") return origin === allowed;
  if (allowed instanceof RegExp) return allowed.test(origin);
  return !!allowed;
}

function resolveOrigin(opts: CorsOptions, requestOrigin: string | undefined): Promise<StaticOrigin> {
  const o = opts.origin ?? "*";
  if (typeof o !== "function") return Promise.resolve(o);
  return new Promise((resolve, reject) =>
    o(requestOrigin, (err, value) => (err ? reject(err) : resolve(value ?? false)))
  );
}

/** Headers to add to a response for `req`; also used for the preflight (`preflight = true`). */
export async function corsHeaders(
  opts: CorsOptions,
  req: RequestLike,
  preflight: boolean,
  headers = new HeaderList(),
): Promise<HeaderList> {
  const requestOrigin = req.headers.get("origin") ?? undefined;
  const allowed = await resolveOrigin(opts, requestOrigin);
  if (allowed === false) return headers; // `origin: false` disables CORS entirely
  if (allowed === "*") {
    headers.set("Access-Control-Allow-Origin", "*");
  } else if (typeof allowed === "string") {
    headers.set("Access-Control-Allow-Origin", allowed);
    headers.append("Vary", "Origin");
  } else {
    if (requestOrigin !== undefined && isAllowed(requestOrigin, allowed)) {
      headers.set("Access-Control-Allow-Origin", requestOrigin);
    }
    headers.append("Vary", "Origin");
  }
  if (opts.credentials) headers.set("Access-Control-Allow-Credentials", "true");
  if (preflight) {
    headers.set("Access-Control-Allow-Methods", join(opts.methods) ?? "GET,HEAD,PUT,PATCH,POST,DELETE");
    const allowedHeaders = join(opts.allowedHeaders) ?? req.headers.get("access-control-request-headers");
    if (allowedHeaders) {
      headers.set("Access-Control-Allow-Headers", allowedHeaders);
      if (opts.allowedHeaders === undefined) headers.append("Vary", "Access-Control-Request-Headers");
    }
    if (opts.maxAge !== undefined) headers.set("Access-Control-Max-Age", String(opts.maxAge));
  } else {
    const exposed = join(opts.exposedHeaders);
    if (exposed) headers.set("Access-Control-Expose-Headers", exposed);
  }
  return headers;
}
