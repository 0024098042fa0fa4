/**
 * The chat example on Deno: the same app code as on Node, started by `portio/deno`.
 *   npm run example:deno   (deno run -A examples/deno/server.ts; PORT, HOST from the environment)
 */
import { Server } from "portio";
import { serve } from "portio/deno";
import { chatApp } from "../chat/app.ts";
import { chatPage } from "../chat/page.ts";

const io = new Server({ connectionStateRecovery: { maxDisconnectionDuration: 2 * 60 * 1000 } });
chatApp(io);
const clientScript = await Deno.readTextFile(
  new URL("../../node_modules/socket.io-client/dist/socket.io.min.js", import.meta.url),
);
const page = chatPage({ clientScript });
const handle = await serve(io, {
  port: Number(Deno.env.get("PORT") ?? 3000),
  hostname: Deno.env.get("HOST"),
  fetch: page.fetch,
});
console.log(`Portio chat on http://localhost:${handle.port} (Deno)`);
Deno.addSignalListener("SIGINT", () => void handle.close().then(() => Deno.exit(0)));
Deno.addSignalListener("SIGTERM", () => void handle.close().then(() => Deno.exit(0)));
