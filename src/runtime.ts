/**
 * `portio/runtime`: the kit of runtime-adapter authors (what portio/node, portio/deno, portio/bun, portio/hono
 * and portio/cloudflare are written with). The ports a runtime implements (ports.ts), the HTTP vocabulary the
 * core answers in, the engine, and the Socket.IO packet codec. Apps import `portio`.
 */
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
export { defaultScheduler } from "./ports.ts";
export { HeaderList, RecordHeaders, toResponse } from "./engine/http.ts";
export type { HeadersLike, Reply, RequestLike } from "./engine/http.ts";
export { PayloadTooLargeError } from "./engine/body.ts";
export { EngineRequestError, ERROR_CODES, ERROR_MESSAGES } from "./engine/errors.ts";
export type { ErrorCode } from "./engine/errors.ts";
export { EngineServer } from "./engine/server.ts";
export { EngineSocket } from "./engine/socket.ts";
export type { UpgradeTarget } from "./engine/socket.ts";
export type { EngineProtocol, OnAbort, Transport, TransportEvents, WebSocketTransport } from "./engine/transports.ts";
export type { WebTransportTransport } from "./engine/transport-webtransport.ts";
// handed to the engine by the adapter serving WebTransport (portio/deno): bundled only where it is imported
export { acceptWebTransport } from "./engine/webtransport.ts";
export type { WebTransportAcceptor, WebTransportHost } from "./engine/webtransport.ts";
// sessions owned by another node of a fleet (no sticky sessions): the port a fleet's room store implements
// (its factory's `sessionRouter`) and what it carries
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
export type {
  Packet as EnginePacket,
  PacketType as EnginePacketType,
  RawData,
  SharedMessage,
} from "./engine/packet.ts";
export type { ResolvedEngineOptions } from "./engine/options.ts";
export { DEFAULT_MAX_BUFFERED_AMOUNT } from "./engine/options.ts";
export { IGNORED_OPTIONS } from "./socket/options.ts";
// `socket.client`: one connection's namespace sockets (internal to the socket layer; its type, for reference)
export type { Client } from "./socket/client.ts";
export { Decoder, encode, hasBinary, PacketType, ParseError } from "./socket/parser.ts";
export type { DecoderOptions, Packet } from "./socket/parser.ts";
export { createLogger, debugEnabled } from "./util/logger.ts";
