/**
 * One node of a Portio fleet on Redis (portio/redis) serving the shared bench contract, for the cross-node part
 * of `npm run bench:scale`. Bundled by bench/build.mjs like the single-node entry.
 *   PORT=23001 REDIS_URL=redis://127.0.0.1:23379 STREAM=scale node bench/dist/portio-redis-node.mjs
 */
import { serve } from "../../adapters/node/index.ts";
import { redisBenchServer } from "./portio-redis-app.ts";

const io = await redisBenchServer((n) => process.env[n]);
await serve(io, { port: Number(process.env.PORT ?? 3999), hostname: "127.0.0.1" });
console.log(`portio-redis-node listening on 127.0.0.1:${process.env.PORT} pid ${process.pid}`);
process.on("SIGTERM", () => process.exit(0));
