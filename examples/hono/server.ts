/**
 * Realtime added to an existing Hono app in a few lines (here on Node; on Deno or Bun pass that runtime's
 * `upgradeWebSocket` from hono/deno or hono/bun instead).
 *   npm run example:hono   (node --conditions=portio-source --import tsx examples/hono/server.ts; PORT, HOST)
 */
import { readFile } from "node:fs/promises";
import { serve, upgradeWebSocket } from "@hono/node-server";
import { WebSocketServer } from "ws";
import { Server } from "portio";
import { portio } from "portio/hono";
import { chatApp } from "../chat/app.ts";
import { chatPage } from "../chat/page.ts";

const clientScript = await readFile(
  new URL("../../node_modules/socket.io-client/dist/socket.io.min.js", import.meta.url),
  "utf8",
);
const app = chatPage({ clientScript }); // an ordinary Hono app with its own routes

// the few lines that add Portio:
const io = new Server({ connectionStateRecovery: {} });
chatApp(io);
app.use(portio(io, { upgradeWebSocket }));

const server = serve(
  {
    fetch: app.fetch,
    port: Number(process.env.PORT ?? 3000),
    hostname: process.env.HOST,
    websocket: { server: new WebSocketServer({ noServer: true }) },
  },
  (info) => console.log(`Portio chat on http://localhost:${info.port} (Hono on Node)`),
);
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => void io.close().then(() => server.close(() => process.exit(0))));
}
