/**
 * `portio/room-store`: the kit of room-store authors (socket.io calls a room store an "adapter"; the option
 * keeps that name). The contract (`InMemoryAdapter`, the base every store extends, and the `StoreContext` its
 * namespace gives it), the cluster base and protocol a transport plugs into, and the recovery rules and
 * stores. docs/room-store.md walks through writing one. Apps import `portio`.
 */
export { InMemoryAdapter } from "./rooms/memory.ts";
export type { AdapterEvents } from "./rooms/memory.ts";
export type {
  BroadcastFlags,
  BroadcastOptions,
  PrivateSessionId,
  RecoverySettings,
  Room,
  Session,
  SessionToPersist,
  SocketDetails,
  SocketId,
  StoreContext,
  Targets,
  TopicSink,
} from "./rooms/types.ts";
export { type Packet, PacketType } from "./packet.ts";
export { hasBinary } from "./socket/parser.ts";
export type { AdapterConstructor, AdapterFactory } from "./socket/server.ts";
export type {
  DefaultEvents,
  Emitter,
  EventNames as EmitterEventNames,
  EventParams as EmitterEventParams,
  EventsMap as EmitterEventsMap,
  Listener,
} from "./util/emitter.ts";

// connection state recovery: the rules every store shares, the memory and key-value (Durable Object) stores
export { includes, selectionOf, storable, withOffset } from "./rooms/recovery.ts";
export type { RecoveryLog, StoredSelection } from "./rooms/recovery.ts";
export { MemoryRecoveryLog, SessionAwareAdapter } from "./rooms/session-aware.ts";
export { StorageRecoveryLog, StorageSessionAdapter } from "./rooms/storage.ts";
export type { KeyValueStorage, StorageSessionOptions } from "./rooms/storage.ts";

// clusters: the base a transport subclasses (doPublish, doPublishResponse, serverCount, onMessage) and the wire
export { ClusterAdapter } from "./rooms/cluster.ts";
export type { ClusterAdapterOptions } from "./rooms/cluster.ts";
export {
  decodeOptions,
  EMITTER_UID,
  encodeOptions,
  MessageType,
  randomUid,
  RESPONSE_TYPES,
} from "./rooms/cluster-protocol.ts";
export type {
  AnyClusterMessage,
  Body as ClusterMessageBody,
  ClusterMessage,
  ClusterResponse,
  EncodedOptions,
  ResponseBody as ClusterResponseBody,
} from "./rooms/cluster-protocol.ts";
