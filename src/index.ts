/** Portio's public core entry: the socket.io-compatible `Server` and what adapters and apps need. */
export { Server } from "./socket/server.ts";
export type {
  AdapterConstructor,
  AdapterFactory,
  AnyServer,
  ConnectionStateRecoveryOptions,
  ServerEvents,
  ServerOptions,
  ServerReservedEvents,
} from "./socket/server.ts";
export { Namespace, ParentNamespace } from "./socket/namespace.ts";
export type { ExtendedError, Middleware, NamespaceEvents, NamespaceMatcher } from "./socket/namespace.ts";
export { Socket } from "./socket/socket.ts";
export type {
  AnyListener,
  AnySocket,
  DisconnectReason,
  SocketMiddleware,
  SocketReservedEvents,
} from "./socket/socket.ts";
export { BroadcastOperator, RemoteSocket } from "./socket/broadcast.ts";
export type { RemoteSocketLike } from "./socket/broadcast.ts";
export type { Handshake } from "./socket/handshake.ts";
export { Client } from "./socket/client.ts";
export type * from "./socket/typed-events.ts";
export { Decoder, encode, hasBinary, PacketType, ParseError } from "./socket/parser.ts";
export type { DecoderOptions, Packet } from "./socket/parser.ts";

export { EngineServer } from "./engine/server.ts";
export type { ConnectionError, EngineMiddleware, EngineServerEvents, MiddlewareResponse } from "./engine/server.ts";
export { EngineSocket } from "./engine/socket.ts";
export type { EngineCloseReason, EngineSocketEvents, ReadyState, UpgradeTarget } from "./engine/socket.ts";
export type { EngineProtocol, OnAbort, Transport, TransportEvents, WebSocketTransport } from "./engine/transports.ts";
export type { WebTransportTransport } from "./engine/transport-webtransport.ts";
// handed to the engine by the adapter serving WebTransport (portio/deno): bundled only where it is imported
export { acceptWebTransport } from "./engine/webtransport.ts";
export type { WebTransportAcceptor, WebTransportHost } from "./engine/webtransport.ts";
export type { HttpCompressionOptions } from "./engine/compression.ts";
export type { CustomParser } from "./socket/codec.ts";
export type {
  Packet as EnginePacket,
  PacketType as EnginePacketType,
  RawData,
  SharedMessage,
} from "./engine/packet.ts";
export type {
  AllowRequest,
  CookieOptions,
  EngineOptions,
  PerMessageDeflateOptions,
  ResolvedEngineOptions,
} from "./engine/options.ts";
export type { CorsOptions, CustomOrigin, StaticOrigin } from "./engine/cors.ts";
export { EngineRequestError, ERROR_CODES, ERROR_MESSAGES } from "./engine/errors.ts";
export type { ErrorCode } from "./engine/errors.ts";
export { HeaderList, RecordHeaders, toResponse } from "./engine/http.ts";
export type { HeadersLike, Reply, RequestLike } from "./engine/http.ts";
export { PayloadTooLargeError } from "./engine/body.ts";
export type {
  ForwardedReply,
  ForwardedRequest,
  ForwardedUpgrade,
  ForwardTarget,
  RouterHost,
  SessionRelay,
  SessionRouter,
} from "./engine/forward.ts";
// for session routers (portio/redis): bundled only where a router is imported
export { forwardTarget, forwardToOwner, requestOf } from "./engine/forward.ts";

export { InMemoryAdapter } from "./rooms/memory.ts";
export type { AdapterEvents } from "./rooms/memory.ts";
export type {
  DefaultEvents,
  Emitter,
  EventNames as EmitterEventNames,
  EventParams as EmitterEventParams,
  EventsMap as EmitterEventsMap,
  Listener,
} from "./util/emitter.ts";
export { SessionAwareAdapter } from "./rooms/session-aware.ts";
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
export type {
  BroadcastFlags,
  BroadcastOptions,
  PrivateSessionId,
  Room,
  Session,
  SessionToPersist,
  SocketDetails,
  SocketId,
  StoreNamespace,
  StoreSocket,
  TopicSink,
} from "./rooms/types.ts";

// hosts whose connections outlive the server object (Durable Objects): hibernation, alarm timers, storage
export { AlarmScheduler } from "./util/alarm-scheduler.ts";
export type { AlarmSchedulerOptions, AlarmStorage } from "./util/alarm-scheduler.ts";
export { Hibernation } from "./socket/hibernation.ts";
export type { HibernatableSocket } from "./socket/hibernation.ts";
export { StorageSessionAdapter } from "./rooms/storage.ts";
export type { KeyValueStorage, StorageSessionOptions } from "./rooms/storage.ts";
export { engineRecordOf, heartbeatAfterWake, restoreEngineSession } from "./engine/restore.ts";
export type { EngineSessionRecord } from "./engine/restore.ts";
export { announceRestored, restoreClient, socketRecordOf } from "./socket/restore.ts";
export type { SocketRecord } from "./socket/restore.ts";

export { defaultScheduler } from "./ports.ts";
export { createLogger, debugEnabled } from "./util/logger.ts";
export type { Logger, LogScope } from "./util/logger.ts";
export { IGNORED_OPTIONS } from "./socket/options.ts";
export { DEFAULT_MAX_BUFFERED_AMOUNT } from "./engine/options.ts";
export type {
  ClientFiles,
  Fanout,
  RequestContext,
  Scheduler,
  Servable,
  TimerKind,
  Upgrade,
  WebSocketHandler,
  WebSocketLike,
  WebTransportInfo,
  WebTransportSessionLike,
  WebTransportStreamLike,
} from "./ports.ts";
