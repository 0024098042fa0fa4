/**
 * The `portio` entry on Node (package.json `exports["."].node`): the core's API with the Node-shaped
 * `Server` (adapters/node/server.ts), and socket.io's CommonJS shape: `require("portio")(httpServer, opts)`
 * returns a Server, `require("portio").Server` is the class. The callable default comes from the
 * `"module.exports"` export name, which Node's `require(esm)` returns as the module's value (Node 20.19+,
 * 22.12+). Other runtimes resolve `portio` to src/index.ts, whose `Server` is the runtime-free one.
 */
import * as core from "../../src/index.ts";
import type { ServerOptions } from "../../src/index.ts";
import { Server, type TServerInstance } from "./server.ts";

export * from "../../src/index.ts";
export { Server };
export type { TServerInstance };

type Create =
  & {
    (srv?: TServerInstance | number | string | Partial<ServerOptions>, opts?: Partial<ServerOptions>): Server;
  }
  & Omit<typeof core, "Server">
  & { Server: typeof Server };

/** socket.io's `module.exports`: a function returning a Server, with the named exports as properties. */
const portio: Create = Object.assign(
  (srv?: TServerInstance | number | string | Partial<ServerOptions>, opts?: Partial<ServerOptions>) =>
    new Server(srv as TServerInstance, opts),
  core,
  { Server },
) as unknown as Create;

export { portio as "module.exports", portio as default };
