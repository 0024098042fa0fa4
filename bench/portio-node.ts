/** Portio on Node for the shared bench: PORT=3999 node --import tsx bench/portio-node.ts */
import { serve } from "../adapters/node/index.ts";
import { benchServer } from "./app.ts";

const io = benchServer((n) => process.env[n]);
await serve(io, { port: Number(process.env.PORT ?? 3999), hostname: "127.0.0.1" });
process.on("SIGTERM", () => process.exit(0));
