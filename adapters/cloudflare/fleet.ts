/**
 * `portio/cloudflare/fleet`: rooms, broadcasts and fleet operations across the Durable Objects of one
 * binding. Each shard's server gets a room store that speaks socket.io's cluster protocol over requests
 * between the objects; a plain Worker (a route, a cron trigger) drives the fleet with `FleetEmitter`.
 * A subpath of its own: apps that run one object do not bundle it.
 *
 * ```ts
 * import { createWorker, PortioObject } from "portio/cloudflare";
 * import { createFleetAdapter, FleetEmitter, shardOf } from "portio/cloudflare/fleet";
 * const SHARDS = ["s0", "s1", "s2", "s3"];
 * export class Realtime extends PortioObject<Env> {
 *   setup() {
 *     const io = this.server({ adapter: createFleetAdapter(this, { binding: "REALTIME", shards: SHARDS }) });
 *     io.on("connection", (socket) => socket.on("shout", (m) => io.emit("shout", m))); // every shard
 *   }
 * }
 * export default createWorker<Env>({
 *   binding: "REALTIME",
 *   route: (req) => shardOf(new URL(req.url).searchParams.get("room") ?? "lobby", SHARDS),
 * });
 * // elsewhere: await new FleetEmitter(env.REALTIME, { shards: SHARDS }).to("news").emit("flash", "…");
 * ```
 */
import type { Server } from "../../src/index.ts";
import type { AdapterFactory, StoreContext } from "../../src/room-store.ts";
import { Fleet, type FleetOptions } from "./fleet-core.ts";
import type { LinkStats } from "./fleet-link.ts";
import type { PortioObject } from "./object.ts";

export { DurableObjectFleetAdapter } from "./fleet-adapter.ts";
export { FleetEmitter, FleetEmitterOperator } from "./fleet-emitter.ts";
export type { FleetEmitResult, FleetEmitterOptions } from "./fleet-emitter.ts";
export type { FleetOptions } from "./fleet-core.ts";
export type { LinkStats as FleetStats } from "./fleet-link.ts";

/** The `adapter` option of a shard's server, with the fleet's counters. */
export interface FleetAdapterFactory extends AdapterFactory {
  /** requests and messages this shard sent to the others since it started (this instance) */
  readonly stats: LinkStats;
  /** @internal `PortioObject.server()` names the server (path) the fleet serves, before building it. */
  _serves(path: string, io: () => Server | undefined): void;
}

/**
 * The room store factory of a shard's server: `this.server({ adapter: createFleetAdapter(this, opts) })`.
 * One per server; with `connectionStateRecovery` on, it keeps sessions and broadcasts in the object's storage.
 */
export function createFleetAdapter<Env>(object: PortioObject<Env>, opts: FleetOptions<Env>): FleetAdapterFactory {
  const fleet = new Fleet(object, opts);
  return Object.assign((ctx: StoreContext) => fleet.adapterFor(ctx), {
    stats: fleet.stats,
    _serves: (path: string, io: () => Server | undefined) => fleet.serves(path, io),
  });
}

/**
 * A stable shard for a key (a room, a tenant): FNV-1a of its UTF-8 bytes modulo the number of shards. Use
 * it in `route()` so the same key always lands on the same shard.
 */
export function shardOf(key: string, shards: readonly string[]): string {
  if (shards.length === 0) throw new Error("shardOf: no shards");
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(key)) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return shards[h % shards.length]!;
}
