import { RecordHeaders, type RequestLike } from "../engine/http.ts";

/** `socket.handshake`, with socket.io's field names and shapes, built from a Web `Request`. */
export interface Handshake {
  /** request headers, lower-case names (as Node's `IncomingMessage.headers`) */
  headers: Record<string, string>;
  /** date of creation, as a string */
  time: string;
  /** peer IP address */
  address: string;
  /** whether the connection is cross-domain (an `Origin` header was sent) */
  xdomain: boolean;
  /** whether the connection is secure (https / wss, or `X-Forwarded-Proto: https`) */
  secure: boolean;
  /** date of creation, as a Unix timestamp in ms */
  issued: number;
  /** the request URL path and query */
  url: string;
  /** query parameters of the first request */
  query: Record<string, string>;
  /** the auth payload of the CONNECT packet */
  auth: Record<string, unknown>;
}

/**
 * Built when first read (`socket.handshake` is a getter): most apps never read it, and what it holds (a
 * parsed URL, the query, a date string) would cost every idle connection memory and its CONNECT CPU time.
 * `issued` is the CONNECT's time, so a late build reports the same time as an eager one.
 */
export function buildHandshake(
  req: RequestLike | undefined,
  address: string,
  auth: Record<string, unknown>,
  issued: number = Date.now(),
): Handshake {
  const now = new Date(issued);
  if (!req) {
    // a connection with no HTTP request (socket.io's WebTransport-only case): secure, nothing to read
    return {
      headers: {},
      time: now.toString(),
      address,
      xdomain: false,
      secure: true,
      issued: now.getTime(),
      url: "",
      query: {},
      auth,
    };
  }
  const url = new URL(req.url);
  let headers: Record<string, string>;
  if (req.headers instanceof RecordHeaders) {
    // Node: the IncomingMessage's own header record, shared as socket.io does (no copy per namespace)
    headers = req.headers.record as Record<string, string>;
  } else {
    headers = {};
    // defineProperty: a header named "__proto__" stays a plain key
    req.headers.forEach((v, k) =>
      Object.defineProperty(headers, k, { value: v, enumerable: true, writable: true, configurable: true })
    );
  }
  const query = Object.fromEntries(url.searchParams);
  return {
    headers,
    time: now.toString(),
    address,
    xdomain: req.headers.has("origin"),
    secure: url.protocol === "https:" || url.protocol === "wss:" || req.headers.get("x-forwarded-proto") === "https",
    issued: now.getTime(),
    url: url.pathname + url.search,
    query,
    auth,
  };
}
