/**
 * The hibernation kit, for hosts whose connections outlive the server object (Cloudflare Durable Objects):
 * alarm-driven timers, the records an engine session and its sockets are rebuilt from, and the store that
 * keeps recovery in the object's storage. Used by portio/cloudflare; not a public entry of its own.
 */
export { AlarmScheduler } from "./alarm-scheduler.ts";
export type { AlarmSchedulerOptions, AlarmStorage } from "./alarm-scheduler.ts";
export { Hibernation } from "./hibernation.ts";
export type { HibernatableSocket } from "./hibernation.ts";
export { StorageSessionAdapter } from "../rooms/storage.ts";
export type { KeyValueStorage, StorageSessionOptions } from "../rooms/storage.ts";
export { engineRecordOf, heartbeatAfterWake, restoreEngineSession } from "./engine-restore.ts";
export type { EngineSessionRecord } from "./engine-restore.ts";
export { announceRestored, restoreClient, socketRecordOf } from "./socket-restore.ts";
export type { SocketRecord } from "./socket-restore.ts";
