/**
 * The path and query of a request URL without a `URL` object on the common path: a WHATWG URL parse and its
 * `URLSearchParams` cost more than the rest of a long-polling POST's JS (profile in docs/benchmarks.md). What
 * Engine.IO clients send (`/socket.io/?EIO=4&transport=polling&t=P1a-_b&sid=...`) is split by hand; anything
 * the URL parser would rewrite (percent-escapes, `+`, dot segments, other characters) goes through `URL`,
 * so both paths give the same answers.
 */

/** The one query lookup the engine needs (a `URLSearchParams` is one). */
export interface QueryLike {
  /** The first value of `name`, or null. */
  get(name: string): string | null;
}

/** A request URL split into what the engine reads. */
export interface SplitUrl {
  /** The path, as `URL.pathname` gives it. */
  pathname: string;
  /** The query parameters. */
  query: QueryLike;
}

/** A query string made only of characters `URLSearchParams` keeps as they are: its pairs are read in place. */
class PlainQuery implements QueryLike {
  constructor(readonly search: string) {}

  get(name: string): string | null {
    const s = this.search;
    let at = 0;
    while (at <= s.length) {
      let end = s.indexOf("&", at);
      if (end === -1) end = s.length;
      const eq = s.indexOf("=", at);
      const keyEnd = eq === -1 || eq > end ? end : eq;
      // an empty pair (`&&`) is no parameter, as for URLSearchParams
      if (end > at && keyEnd - at === name.length && s.startsWith(name, at)) {
        return keyEnd === end ? "" : s.slice(keyEnd + 1, end);
      }
      at = end + 1;
    }
    return null;
  }
}

/** path characters the URL parser leaves alone (no escapes, no backslash); dot segments are checked apart */
const PLAIN_PATH = /^\/[A-Za-z0-9\-._~/]*$/;
/** query characters neither the URL parser nor `URLSearchParams` rewrite (no `%`, no `+`) */
const PLAIN_QUERY = /^[A-Za-z0-9\-._~=&]*$/;
/** Host headers seen, and whether a URL can hold them (the URL parse fails only on the host; few distinct ones) */
const hosts = new Map<string, boolean>();
const MAX_HOSTS = 64;

/** the last host found valid: nearly every request names the same one */
let lastHost = "";

/** Whether `host` is one the split can take: a URL holds it, and it has nothing that ends a host early. */
function hostValid(host: string): boolean {
  if (host === lastHost) return true;
  let ok = hosts.get(host);
  if (ok === undefined) {
    try {
      new URL(`http://${host}/`);
      ok = !/[?#\\]/.test(host);
    } catch {
      ok = false;
    }
    if (hosts.size >= MAX_HOSTS) hosts.clear();
    hosts.set(host, ok);
  }
  if (ok) lastHost = host;
  return ok;
}

/**
 * The path and query of `url` (absolute, as a runtime's `Request.url` or Node's view builds it), or
 * undefined when it is not a URL (`new URL` would throw). Same results as `new URL(url)`.
 */
export function splitUrl(url: string): SplitUrl | undefined {
  const scheme = url.startsWith("http://") ? 7 : url.startsWith("https://") ? 8 : -1;
  const slash = scheme === -1 ? -1 : url.indexOf("/", scheme);
  if (slash !== -1) {
    const host = url.slice(scheme, slash);
    const q = url.indexOf("?", slash);
    const pathname = q === -1 ? url.slice(slash) : url.slice(slash, q);
    const search = q === -1 ? "" : url.slice(q + 1);
    if (
      PLAIN_PATH.test(pathname) && !pathname.includes("/.") && PLAIN_QUERY.test(search) &&
      hostValid(host)
    ) {
      return { pathname, query: new PlainQuery(search) };
    }
  }
  try {
    const parsed = new URL(url);
    return { pathname: parsed.pathname, query: parsed.searchParams };
  } catch {
    return undefined;
  }
}
