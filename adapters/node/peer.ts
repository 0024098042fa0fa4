/**
 * `ws` and `@hono/node-server` are optional peer dependencies (a Deno, Bun or Workers user never needs
 * them), so portio/node loads them here, on first use (`attach`/`serve`): a missing one fails with the package to
 * install, not with a resolution error from deep inside dist/. A synchronous `require` (both ship CommonJS) keeps
 * the module free of top-level await, which `require("portio/node")` (Node's require(esm)) refuses.
 */
import { createRequire } from "node:module";

const load = createRequire(import.meta.url);

/** Loads the peer dependency `name` that the entry `entry` needs, or throws naming the install command. */
export function requirePeer<T>(name: string, entry: string): T {
  try {
    return load(name) as T;
  } catch (err) {
    if ((err as { code?: string }).code !== "MODULE_NOT_FOUND") throw err;
    throw new Error(`${entry} needs the optional peer dependency "${name}": npm install ${name}`, { cause: err });
  }
}
