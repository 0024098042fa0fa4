/**
 * CORS with the semantics of the `cors` middleware that socket.io's `cors` option is handed to
 * (same option names and defaults). Opt-in: without the option no CORS
 * header is ever written, so browsers on other origins are denied.
 */
import { HeaderList, type RequestLike } from "./http.ts";

export type StaticOrigin = boolean | string | RegExp | Array<boolean | string | RegExp>;
export type CustomOrigin = (
  origin: string | undefined,
  callback: (err: Error | null, origin?: StaticOrigin) => void,
) => void;

export interface CorsOptions {
  origin?: StaticOrigin | CustomOrigin;
  methods?: string | string[];
  allowedHeaders?: string | string[];
  exposedHeaders?: string | string[];
  credentials?: boolean;
  maxAge?: number;
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
