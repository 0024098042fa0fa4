/**
 * `portio`: what an app uses. The socket.io-compatible `Server`, its namespaces, sockets and broadcasts, and
 * the types of their options and events. Runtime-adapter authors import `portio/runtime`; room-store authors
 * `portio/room-store` (test/unit/exports.test.ts lists these names).
 */
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
export type * from "./socket/typed-events.ts";
// an app serving WebTransport from its own QUIC server hands it to the engine (README "WebTransport"):
// `io.engine.offerWebTransport(acceptWebTransport)`; portio/deno does it. Bundled only where it is imported.
export { acceptWebTransport } from "./engine/webtransport.ts";
// a Worker serving the client bundle: io.setClientFiles(clientBundle({ version, read }))
export { clientBundle } from "./socket/client-bundle.ts";
export type { ClientBundle } from "./socket/client-bundle.ts";
export type { CustomParser } from "./socket/codec.ts";

// what `io.engine` and `socket.conn` are, and the options they take
export type { EngineServer } from "./engine/server.ts";
export type { ConnectionError, EngineMiddleware, EngineServerEvents, MiddlewareResponse } from "./engine/server.ts";
export type { EngineSocket } from "./engine/socket.ts";
export type { EngineCloseReason, EngineSocketEvents, ReadyState } from "./engine/socket.ts";
export type { HttpCompressionOptions } from "./engine/compression.ts";
export type { AllowRequest, CookieOptions, EngineOptions, PerMessageDeflateOptions } from "./engine/options.ts";
export type { CorsOptions, CustomOrigin, StaticOrigin } from "./engine/cors.ts";
export type { RequestLike } from "./engine/http.ts";

// the room store an app meets as `io.of("/").adapter` (socket.io's name; Portio calls it a room store)
export type { InMemoryAdapter } from "./rooms/memory.ts";
export type { AdapterEvents } from "./rooms/memory.ts";
export type { BroadcastFlags, Room, SocketId } from "./rooms/types.ts";

export type { Logger, LogScope } from "./util/logger.ts";
