/**
 * `serveClient`: socket.io's client bundle under the server's path (`/socket.io/socket.io.js`, `.min.js`,
 * `.msgpack.min.js`, `.esm.min.js` and their `.map` files), as socket.io serves it: `Cache-Control:
 * public, max-age=0`, the client's version as ETag (304 when it matches `If-None-Match`), and gzip when the
 * request accepts it. The bytes come from the adapter (`ClientFiles`): the core has no file system.
 */
import type { ClientFiles } from "../ports.ts";
import { HeaderList, type Reply, reply, type RequestLike } from "../engine/http.ts";

/** socket.io's pattern (lib/index.ts `attachServe`), against the part of the path after the server's path. */
const FILE = /^\/socket\.io(\.msgpack|\.esm)?(\.min)?\.js(\.map)?$/;

interface Cached {
  plain: Uint8Array;
  gzip?: Promise<Uint8Array>;
}

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const source = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(bytes);
      c.close();
    },
  });
  // the libs disagree on the stream's chunk type (BufferSource vs Uint8Array); bytes in, bytes out
  const stream = source.pipeThrough(
    new CompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>,
  );
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

export class ClientBundle {
  #files: ClientFiles;
  #cache = new Map<string, Promise<Cached | undefined>>();

  constructor(files: ClientFiles) {
    this.#files = files;
  }

  /** The bundle file a GET asks for, or undefined. `base` is the server's path without its trailing slash. */
  static fileOf(pathname: string, base: string): string | undefined {
    if (!pathname.startsWith(base)) return undefined;
    return FILE.test(pathname.slice(base.length)) ? pathname.slice(base.length + 1) : undefined;
  }

  #load(name: string): Promise<Cached | undefined> {
    let entry = this.#cache.get(name);
    if (!entry) {
      // at most eight names (FILE), each read once and kept: the bundle does not change while we run
      entry = this.#files.read(name).then((plain) => (plain ? { plain } : undefined), () => undefined);
      this.#cache.set(name, entry);
    }
    return entry;
  }

  async reply(req: RequestLike, name: string): Promise<Reply> {
    const headers = new HeaderList();
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
    const accepts = /\bgzip\b/.test(req.headers.get("accept-encoding") ?? "");
    if (!accepts) return reply(200, headers, file.plain);
    headers.set("Content-Encoding", "gzip");
    return reply(200, headers, await (file.gzip ??= gzip(file.plain)));
  }
}
