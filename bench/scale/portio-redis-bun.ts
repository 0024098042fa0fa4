/**
 * One node of a Portio fleet on Redis (portio/redis) on Bun, for the cross-node part of `npm run bench:scale`.
 *   PORT=23001 REDIS_URL=redis://127.0.0.1:23379 STREAM=scale bun bench/scale/portio-redis-bun.ts
 */
import { serve } from "../../adapters/bun/index.ts";
import { redisBenchServer } from "./portio-redis-app.ts";

const io = await redisBenchServer((n) => process.env[n]);
await serve(io, { port: Number(process.env.PORT ?? 3999), hostname: "127.0.0.1" });
console.log(`portio-redis-bun listening on 127.0.0.1:${process.env.PORT} pid ${process.pid}`);
process.on("SIGTERM", () => process.exit(0));
