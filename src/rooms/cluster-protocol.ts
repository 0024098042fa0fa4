/**
 * socket.io's cluster message protocol (socket.io-adapter's `ClusterAdapter`), as data: the message types,
 * their payloads and the option encoding. Every official cluster adapter (Redis Streams, Postgres, Mongo,
 * cluster) and emitter speaks it, so a Portio node that speaks it joins an official fleet. Only the transport
 * (where a message goes, how its bytes look) differs between them; that part is the subclass's.
 */
import type { Packet } from "../packet.ts";
import type { BroadcastFlags, BroadcastOptions, Room, SocketDetails } from "./types.ts";

/** socket.io-adapter's `MessageType` numbers: on the wire, so never renumber. */
export const MessageType = {
  INITIAL_HEARTBEAT: 1,
  HEARTBEAT: 2,
  BROADCAST: 3,
  SOCKETS_JOIN: 4,
  SOCKETS_LEAVE: 5,
  DISCONNECT_SOCKETS: 6,
  FETCH_SOCKETS: 7,
  FETCH_SOCKETS_RESPONSE: 8,
  SERVER_SIDE_EMIT: 9,
  SERVER_SIDE_EMIT_RESPONSE: 10,
  BROADCAST_CLIENT_COUNT: 11,
  BROADCAST_ACK: 12,
  ADAPTER_CLOSE: 13,
} as const;
/** The type of a cluster message. */
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

/** The uid an emitter (a process that is not a server) writes: never counted as a node, never answered. */
export const EMITTER_UID = "emitter";

/** Broadcast options as they travel: Sets become arrays (socket.io-adapter's `encodeOptions`). */
export interface EncodedOptions {
  /** Target rooms. */
  rooms: Room[];
  /** Excluded rooms. */
  except: Room[];
  /** Broadcast flags. */
  flags?: BroadcastFlags;
}

/** The body of each cluster message type. */
export type Body =
  | {
    type: typeof MessageType.INITIAL_HEARTBEAT | typeof MessageType.HEARTBEAT | typeof MessageType.ADAPTER_CLOSE;
    data?: undefined;
  }
  | { type: typeof MessageType.BROADCAST; data: { packet: Packet; opts: EncodedOptions; requestId?: string } }
  | {
    type: typeof MessageType.SOCKETS_JOIN | typeof MessageType.SOCKETS_LEAVE;
    data: { opts: EncodedOptions; rooms: Room[] };
  }
  | { type: typeof MessageType.DISCONNECT_SOCKETS; data: { opts: EncodedOptions; close?: boolean } }
  | { type: typeof MessageType.FETCH_SOCKETS; data: { opts: EncodedOptions; requestId: string } }
  | { type: typeof MessageType.SERVER_SIDE_EMIT; data: { packet: unknown[]; requestId?: string } };

/** The body of each cluster response type. */
export type ResponseBody =
  | { type: typeof MessageType.FETCH_SOCKETS_RESPONSE; data: { requestId: string; sockets: SocketDetails[] } }
  | { type: typeof MessageType.SERVER_SIDE_EMIT_RESPONSE; data: { requestId: string; packet: unknown } }
  | { type: typeof MessageType.BROADCAST_CLIENT_COUNT; data: { requestId: string; clientCount: number } }
  | { type: typeof MessageType.BROADCAST_ACK; data: { requestId: string; packet: unknown } };

/** A request or notice for every node of the namespace. */
export type ClusterMessage = { uid: string; nsp: string } & Body;
/** An answer to one node (`requestId` names its request). */
export type ClusterResponse = { uid: string; nsp: string } & ResponseBody;
/** Whatever a transport may hand over: some deliver responses on the same path as messages. */
export type AnyClusterMessage = ClusterMessage | ClusterResponse;

/** Message types a node answers on its private path, not the shared one. */
export const RESPONSE_TYPES: ReadonlySet<number> = new Set([
  MessageType.FETCH_SOCKETS_RESPONSE,
  MessageType.SERVER_SIDE_EMIT_RESPONSE,
  MessageType.BROADCAST_CLIENT_COUNT,
  MessageType.BROADCAST_ACK,
]);

/** Broadcast options as the wire carries them (Sets as arrays). */
export function encodeOptions(opts: BroadcastOptions): EncodedOptions {
  const out: EncodedOptions = { rooms: [...opts.rooms], except: [...(opts.except ?? [])] };
  if (opts.flags) out.flags = opts.flags;
  return out;
}

/** Untrusted input (another process wrote it): anything malformed selects nothing rather than everything. */
export function decodeOptions(opts: unknown): BroadcastOptions | undefined {
  if (typeof opts !== "object" || opts === null) return undefined;
  const { rooms, except, flags } = opts as Partial<EncodedOptions>;
  if (!Array.isArray(rooms)) return undefined;
  return {
    rooms: new Set(rooms.filter((r): r is Room => typeof r === "string")),
    except: new Set(Array.isArray(except) ? except.filter((r): r is Room => typeof r === "string") : []),
    flags: typeof flags === "object" && flags !== null ? flags : {},
  };
}

/** 16 hex characters, the shape of socket.io-adapter's node and request ids. */
export function randomUid(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  let hex = "";
  for (const b of bytes) hex += b.toString(16).padStart(2, "0");
  return hex;
}
