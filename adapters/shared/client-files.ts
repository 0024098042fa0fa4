/**
 * `ClientFiles` (ports.ts) from the installed `socket.io-client` package, for runtimes with Node's module
 * resolution and file system (Node, Deno 2, Bun). Shared by those adapters rather than copied; it imports
 * nothing of theirs. Resolved from the app's folder first (its own `socket.io-client`), then from Portio's.
 */
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { brotliCompress, constants } from "node:zlib";
import process from "node:process";
import type { ClientFiles } from "../../src/runtime.ts";

const NAME = /^socket\.io(\.msgpack|\.esm)?(\.min)?\.js(\.map)?$/;

/** The bundle of the installed `socket.io-client`, or undefined when it is not installed. */
export function readClientFiles(): ClientFiles | undefined {
  for (const from of [join(process.cwd(), "noop.js"), import.meta.url]) {
    let pkgPath: string;
    try {
      pkgPath = createRequire(from).resolve("socket.io-client/package.json");
    } catch {
      continue;
    }
    const version = (JSON.parse(readFileSync(pkgPath, "utf8")) as { version: string }).version;
    const dist = join(dirname(pkgPath), "dist");
    return {
      version,
      // only the names socket.io serves: never a path a request could steer elsewhere
      read: (name) =>
        NAME.test(name)
          ? readFile(join(dist, name)).then((b) => new Uint8Array(b), () => undefined)
          : Promise.resolve(undefined),
      // once per file (the core caches it): the best quality, as socket.io serves a pre-built .br
      brotli: (bytes) =>
        new Promise((resolve, reject) =>
          brotliCompress(
            bytes,
            { params: { [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY } },
            (err, out) => (err ? reject(err) : resolve(new Uint8Array(out.buffer, out.byteOffset, out.byteLength))),
          )
        ),
    };
  }
  return undefined;
}
