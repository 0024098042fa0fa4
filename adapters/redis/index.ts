/**
 * `portio/redis`: fleets of Portio nodes on Node, Deno and Bun, sharing rooms through Redis, and speaking the
 * protocol of the official `@socket.io/redis-streams-adapter` so official socket.io nodes can be in the fleet.
 *
 *   const io = new Server({ adapter: createAdapter("redis://localhost:6379"), connectionStateRecovery: {} });
 *   const emitter = new Emitter("redis://localhost:6379");   // from a worker: emitter.to("room").emit(...)
 */
import type { AdapterFactory } from "portio";
import type { StoreContext } from "portio/room-store";
import type { SessionRouter } from "portio/runtime";
import type { RedisClient } from "./client.ts";
import { Fleet, type RedisAdapterOptions } from "./fleet.ts";

export { Emitter, EmitterOperator, type EmitterOptions } from "./emitter.ts";
export { RedisStreamsAdapter } from "./adapter.ts";
export { type RedisClient, RedisUnavailableError } from "./client.ts";
export type { RedisAdapterOptions } from "./fleet.ts";

/** The `adapter` option of a `Server`, with the fleet's lifecycle. */
export interface RedisAdapterFactory extends AdapterFactory {
  /** resolves once connected, reading the stream and subscribed: from then on nothing sent to the fleet is missed */
  ready(): Promise<void>;
  /** closes the connections now (a Server's `close()` does it after persisting its sessions) */
  close(): Promise<void>;
  /**
   * what lets any node answer any request of any session (no sticky sessions): the `Server` hands it to its
   * engine; undefined with `forwarding: false`
   */
  readonly sessionRouter: SessionRouter | undefined;
}

/**
 * The room store factory for `new Server({ adapter })`. `redis` is a node-redis client (yours: connect it
 * first; it stays open) or a URL (default redis://localhost:6379: connections made and closed here).
 */
export function createAdapter(
  redis: RedisClient | string = "redis://localhost:6379",
  opts: RedisAdapterOptions = {},
): RedisAdapterFactory {
  const fleet = new Fleet(redis, opts);
  return Object.assign((nsp: StoreContext) => fleet.adapterFor(nsp), {
    ready: () => fleet.ready(),
    close: () => fleet.close(),
    sessionRouter: fleet.forwarder,
  });
}
