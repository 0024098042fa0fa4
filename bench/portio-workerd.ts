/**
 * Portio's Worker for the shared bench: the bench app (app.ts) on portio/cloudflare, one Durable Object
 * holding every connection (as examples/cloudflare). Bundled by bench/build.mjs, run in workerd by
 * bench/workerd-server.mjs: PORT=3999 node bench/workerd-server.mjs portio
 * The environment's PING_INTERVAL / PING_TIMEOUT / PARSER arrive as bindings. WAKE=1 (bench/wake.mjs only)
 * adds a `start` event answering what the object's last start restored.
 */
import { createWorker, PortioObject } from "../adapters/cloudflare/index.ts";
import { benchApp, benchOptions } from "./app.ts";

type Env = Record<string, string | undefined>;

export class BenchObject extends PortioObject<Env> {
  setup(): void {
    const io = benchApp(this.server(benchOptions((name) => this.env[name])));
    if (this.env.WAKE === "1") {
      io.on("connection", (socket) => socket.on("start", (ack: (x: unknown) => void) => ack(this.lastStart)));
    }
  }
}

export default createWorker<Env>({ binding: "BENCH" });
