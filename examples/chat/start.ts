// Starts the chat example on Node: Portio server + chat logic + page.
// Used by server.ts (`npm start`) and in-process by test/e2e/browser.test.ts.
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Server } from "portio";
import { serve } from "portio/node";
import { chatApp } from "./app.ts";
import { chatPage } from "./page.ts";

export type StartChatOptions = {
  /** Port to listen on; 0 picks a free one. Default 3000. */
  port?: number;
  /** Interface to bind; default: the adapter's default (all interfaces). */
  hostname?: string;
};

export type ChatServer = {
  io: Server;
  handle: Awaited<ReturnType<typeof serve>>;
  /** Port actually bound. */
  port: number;
  /** Base URL of the page, e.g. http://localhost:3000 */
  url: string;
  close(): Promise<void>;
};

/** Reads the official browser bundle shipped by socket.io-client. */
export function readClientScript(): Promise<string> {
  // `dist/socket.io.min.js` is not in the package's exports map, so locate the
  // package through its package.json (which is exported).
  const require = createRequire(import.meta.url);
  const pkgDir = dirname(require.resolve("socket.io-client/package.json"));
  return readFile(join(pkgDir, "dist", "socket.io.min.js"), "utf8");
}

function urlHost(hostname: string | undefined): string {
  if (hostname === undefined || hostname === "" || hostname === "0.0.0.0" || hostname === "::") return "localhost";
  return hostname.includes(":") ? `[${hostname}]` : hostname;
}

export async function startChat(options: StartChatOptions = {}): Promise<ChatServer> {
  const io = new Server({
    // Clients that drop for less than two minutes get their rooms, socket.data
    // and missed messages back (`socket.recovered` on both sides).
    connectionStateRecovery: { maxDisconnectionDuration: 2 * 60 * 1000 },
  });
  chatApp(io);

  const app = chatPage({ clientScript: await readClientScript() });
  const handle = await serve(io, {
    port: options.port ?? 3000,
    hostname: options.hostname,
    fetch: app.fetch,
  });

  return {
    io,
    handle,
    port: handle.port,
    url: `http://${urlHost(options.hostname)}:${handle.port}`,
    close: () => handle.close(),
  };
}
