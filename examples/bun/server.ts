/**
 * The chat example on Bun: the same app code as on Node, started by `portio/bun`.
 *   npm run example:bun   (bun --conditions=portio-source examples/bun/server.ts; PORT, HOST from the environment)
 * To add Portio to an existing `Bun.serve` app instead, spread `createHandler(io, app.fetch)` into it.
 */
import { Server } from "portio";
import { serve } from "portio/bun";
import { chatApp } from "../chat/app.ts";
import { chatPage } from "../chat/page.ts";

interface BunFile {
  text(): Promise<string>;
}
const Bun = (globalThis as unknown as { Bun: { file(path: URL): BunFile } }).Bun;

const io = new Server({ connectionStateRecovery: { maxDisconnectionDuration: 2 * 60 * 1000 } });
chatApp(io);
const clientScript = await Bun.file(
  new URL("../../node_modules/socket.io-client/dist/socket.io.min.js", import.meta.url),
).text();
const page = chatPage({ clientScript });
const handle = await serve(io, {
  port: Number(process.env.PORT ?? 3000),
  hostname: process.env.HOST,
  fetch: (req) => page.fetch(req),
});
console.log(`Portio chat on http://localhost:${handle.port} (Bun)`);
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => void handle.close().then(() => process.exit(0)));
}
