/** Portio on Deno for the shared bench: PORT=3999 deno run -A bench/portio-deno.ts */
import { serve } from "../adapters/deno/index.ts";
import { benchServer } from "./app.ts";

const io = benchServer((n) => Deno.env.get(n));
await serve(io, { port: Number(Deno.env.get("PORT") ?? 3999), hostname: "127.0.0.1" });
Deno.addSignalListener("SIGTERM", () => Deno.exit(0));
