/**
 * The small HTTP vocabulary of the engine. A runtime's `Request` is a `RequestLike`; Node's adapter passes
 * a light view of its `IncomingMessage` instead, because building undici `Request`/`Response` objects
 * (an AbortSignal, web streams, webidl conversions) costs more than the whole long-polling exchange.
 * Answers are `Reply` records, turned into a `Response` at the edge (`toResponse`) or written directly.
 */

/** The parts of `Headers` the core reads. */
export interface HeadersLike {
  /** The value of a header, or null. */
  get(name: string): string | null;
  /** Whether a header is present. */
  has(name: string): boolean;
  /** Calls `callback` for each header. */
  forEach(callback: (value: string, key: string) => void): void;
}

/** The parts of `Request` the core reads; a Web `Request` is one. */
export interface RequestLike {
  /** The request URL. */
  readonly url: string;
  /** The request method. */
  readonly method: string;
  /** The request headers. */
  readonly headers: HeadersLike;
  /**
   * the runtime's own request object when this is a view over one (Node's `IncomingMessage`): kept with the
   * session so `socket.request` is what socket.io gives there, with what Connect middlewares set on it
   */
  readonly native?: unknown;
}

/** Read-only headers over a plain record with lower-case names (Node's `IncomingMessage.headers`). */
export class RecordHeaders implements HeadersLike {
  /** Wraps a plain header record (Node's `IncomingMessage.headers`). */
  constructor(readonly record: Readonly<Record<string, string | string[] | undefined>>) {}

  /** The value of a header (several joined with ", "), or null. */
  get(name: string): string | null {
    const v = this.record[name.toLowerCase()];
    if (v === undefined) return null;
    return Array.isArray(v) ? v.join(", ") : v;
  }

  /** Whether a header is present. */
  has(name: string): boolean {
    return this.record[name.toLowerCase()] !== undefined;
  }

  /** Calls `callback` for each header. */
  forEach(callback: (value: string, key: string) => void): void {
    for (const key of Object.keys(this.record)) {
      const v = this.record[key];
      if (v !== undefined) callback(Array.isArray(v) ? v.join(", ") : v, key);
    }
  }
}

/**
 * A request that outlives its HTTP exchange (a session's first request). Some runtimes (Deno) forbid
 * reading a finished request's headers, so Web headers are copied once; a record view is kept as is.
 */
export function snapshotRequest(req: RequestLike): RequestLike {
  if (req.headers instanceof RecordHeaders) {
    return { url: req.url, method: req.method, headers: req.headers, native: req.native };
  }
  const record: Record<string, string> = {};
  req.headers.forEach((v, k) => Object.defineProperty(record, k, { value: v, enumerable: true }));
  return { url: req.url, method: req.method, headers: new RecordHeaders(record) };
}

/** Response headers being built: a list, so `Set-Cookie` can repeat; names kept as given. */
export class HeaderList {
  /** The headers, in order. */
  readonly entries: Array<[string, string]> = [];

  /** Sets a header, replacing any of the same name. */
  set(name: string, value: string): void {
    const lower = name.toLowerCase();
    const i = this.entries.findIndex(([k]) => k.toLowerCase() === lower);
    if (i === -1) this.entries.push([name, value]);
    else this.entries[i] = [name, value];
  }

  /** Adds a header. */
  append(name: string, value: string): void {
    this.entries.push([name, value]);
  }

  /** The first value of a header, or null. */
  get(name: string): string | null {
    const lower = name.toLowerCase();
    return this.entries.find(([k]) => k.toLowerCase() === lower)?.[1] ?? null;
  }

  /** A Web `Headers` with these entries. */
  toHeaders(): Headers {
    const h = new Headers();
    for (const [k, v] of this.entries) h.append(k, v);
    return h;
  }
}

/** An answer of the engine. */
export interface Reply {
  /** The HTTP status. */
  status: number;
  /** The response headers. */
  headers: HeaderList;
  /** The response body: text, or bytes (the client bundle). */
  body: string | Uint8Array | null;
  /** a runtime's own 101 response to a WebSocket upgrade (Deno, Workers), returned as is */
  response?: Response;
}

export function reply(status: number, headers: HeaderList, body: string | Uint8Array | null): Reply {
  return { status, headers, body };
}

/** The Web `Response` of a `Reply`. */
export function toResponse(r: Reply): Response {
  if (r.response) return r.response;
  // the entries as they are: a `Headers` built first and copied by the `Response` would be built twice
  const init: ResponseInit & { encodeBody?: "manual" } = { status: r.status, headers: r.headers.entries };
  // A body we compressed (`httpCompression`): Workers would compress it again because of its Content-Encoding
  // unless told it already is (`encodeBody: "manual"`, Workers' Response API); other runtimes ignore the field.
  if (r.headers.get("content-encoding") !== null) init.encodeBody = "manual";
  return new Response(r.body as BodyInit | null, init);
}
