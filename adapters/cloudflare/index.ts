/**
 * Cloudflare Workers adapter (`portio/cloudflare`): a Worker entry that routes Portio's paths to a
 * Durable Object (worker.ts), and the Durable Object base class that holds connections, rooms and
 * recovery state, hibernating with its WebSockets connected (object.ts).
 *
 * ```ts
 * import { createWorker, PortioObject } from "portio/cloudflare";
 * export class Realtime extends PortioObject {
 *   setup() { this.server({ connectionStateRecovery: {} }).on("connection", (socket) => { … }); }
 * }
 * export default createWorker({ binding: "REALTIME" });
 * ```
 */
export { PortioObject } from "./object.ts";
export {
  createWorker,
  encodeObjectName,
  OBJECT_HEADER,
  objectOfSessionId,
  PEER_HEADER,
  sessionIdFor,
} from "./worker.ts";
export type { WorkerOptions } from "./worker.ts";
export type { CloudflareWebSocket, DurableObjectNamespaceLike, DurableObjectStateLike } from "./types.ts";
// the hibernation kit (src/hibernation/) as far as this entry's own types show it
export type { AlarmScheduler, AlarmStorage, HibernatableSocket } from "../../src/hibernation/index.ts";
export type { KeyValueStorage } from "../../src/room-store.ts";
