/**
 * `serveClient`: socket.io's client bundle under the server's path (`/socket.io/socket.io.js`, `.min.js`,
 * `.msgpack.min.js`, `.esm.min.js` and their `.map` files), as socket.io serves it: `Cache-Control:
 * public, max-age=0`, the client's version as ETag (304 when it matches `If-None-Match`), and br, gzip or
 * deflate when the request accepts it (br only where the adapter can compress it: Web streams have no
 * brotli). The bytes come from the adapter (`ClientFiles`): the core has no file system.
 */
import type { ClientFiles } from "../ports.ts";
import { HeaderList, type Reply, reply, type RequestLike } from "../engine/http.ts";
import { corsHeaders, type CorsOptions } from "../engine/cors.ts";

/**
 * socket.io's list (lib/index.ts `CLIENT_FILES`): any other name under the path goes to the engine, which
 * answers 400, as socket.io does (`/socket.io/socket.io.esm.js` is not a bundle it serves).
 */
const FILES: ReadonlySet<string> = new Set([
  "socket.io.esm.min.js",
  "socket.io.esm.min.js.map",
  "socket.io.js",
  "socket.io.js.map",
  "socket.io.min.js",
  "socket.io.min.js.map",
  "socket.io.msgpack.min.js",
  "socket.io.msgpack.min.js.map",
]);

interface Cached {
  plain: Uint8Array;
  encoded: Map<Encoding, Promise<Uint8Array>>;
}

type Encoding = "br" | "gzip" | "deflate";

/**
 * The encoding to answer with, as socket.io picks it (`accepts(req).encodings(["br", "gzip", "deflate"])`):
 * the highest `q`, ties broken by the client's order; br only where the adapter can compress it.
 */
function encodingFor(acceptEncoding: string | null, brotli: boolean): Encoding | undefined {
  let best: { name: Encoding; q: number } | undefined;
  for (const part of (acceptEncoding ?? "").split(",")) {
    const [token, ...params] = part.trim().toLowerCase().split(";");
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    if (!(q > 0)) continue;
    const names: Encoding[] = token === "*" ? (brotli ? ["br", "gzip"] : ["gzip"]) : [token as Encoding];
    for (const name of names) {
      if (name !== "gzip" && name !== "deflate" && !(name === "br" && brotli)) continue;
      if (!best || q > best.q) best = { name, q };
    }
  }
  return best?.name;
}

async function compress(bytes: Uint8Array, format: "gzip" | "deflate"): Promise<Uint8Array> {
  const source = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(bytes);
      c.close();
    },
  });
  // the libs disagree on the stream's chunk type (BufferSource vs Uint8Array); bytes in, bytes out
  const stream = source.pipeThrough(
    new CompressionStream(format) as unknown as TransformStream<Uint8Array, Uint8Array>,
  );
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * What `io.setClientFiles` takes: `clientBundle(files)`. A class of its own, created where the files are (the
 * adapters, or an app with `portio`'s `clientBundle`), so a bundle that never serves the client (a Worker) does
 * not carry this file.
 */
export class ClientBundle {
  #files: ClientFiles;
  #cache = new Map<string, Promise<Cached | undefined>>();

  constructor(files: ClientFiles) {
    this.#files = files;
  }

  /**
   * The reply to a GET for a bundle file, or undefined when `url` names none. `base` is the server's path
   * without its trailing slash. An unparsable URL (a bad Host header) is left to the engine, which refuses it.
   */
  serve(req: RequestLike, base: string, cors?: CorsOptions): Promise<Reply> | undefined {
    let pathname: string;
    try {
      pathname = new URL(req.url).pathname;
    } catch {
      return undefined;
    }
    if (!pathname.startsWith(base) || pathname[base.length] !== "/") return undefined;
    const name = pathname.slice(base.length + 1);
    return FILES.has(name) ? this.#reply(req, name, cors) : undefined;
  }

  #load(name: string): Promise<Cached | undefined> {
    let entry = this.#cache.get(name);
    if (!entry) {
      // at most eight names (FILES), each read once and kept: the bundle does not change while we run
      entry = this.#files.read(name).then(
        (plain) => (plain ? { plain, encoded: new Map() } : undefined),
        () => undefined,
      );
      this.#cache.set(name, entry);
    }
    return entry;
  }

  /** With the `cors` option's headers, as socket.io runs its `cors` middleware before serving the bundle. */
  async #reply(req: RequestLike, name: string, cors?: CorsOptions): Promise<Reply> {
    // a custom origin function that fails leaves the headers out (the browser then refuses the script)
    const headers = cors ? await corsHeaders(cors, req, false).catch(() => new HeaderList()) : new HeaderList();
    const etag = `"${this.#files.version}"`;
    const ifNoneMatch = req.headers.get("if-none-match");
    // socket.io's ETag is the bare version: accept it as well as the quoted form
    if (ifNoneMatch && (ifNoneMatch === etag || ifNoneMatch === this.#files.version || ifNoneMatch === `W/${etag}`)) {
      headers.set("ETag", etag);
      return reply(304, headers, null);
    }
    const file = await this.#load(name);
    if (!file) {
      headers.set("Content-Type", "text/plain");
      return reply(404, headers, "Not Found");
    }
    headers.set("Cache-Control", "public, max-age=0");
    headers.set("Content-Type", `application/${name.endsWith(".map") ? "json" : "javascript"}; charset=utf-8`);
    headers.set("ETag", etag);
    headers.set("Vary", "Accept-Encoding");
    const brotli = this.#files.brotli;
    const encoding = encodingFor(req.headers.get("accept-encoding"), brotli !== undefined);
    if (!encoding) return reply(200, headers, file.plain);
    headers.set("Content-Encoding", encoding);
    let body = file.encoded.get(encoding);
    if (!body) {
      body = encoding === "br" ? brotli!(file.plain) : compress(file.plain, encoding);
      file.encoded.set(encoding, body);
    }
    return reply(200, headers, await body);
  }
}

/**
 * The client bundle served from `files` (`serveClient`), for `io.setClientFiles(clientBundle(files))` where no
 * adapter reads the files itself (a Worker with the files bundled as modules).
 */
export function clientBundle(files: ClientFiles): ClientBundle {
  return new ClientBundle(files);
}
