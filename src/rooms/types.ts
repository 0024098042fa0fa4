/** The room store contract (socket.io calls it "adapter"): what a namespace needs from membership + fan-out. */
import type { Logger } from "../util/logger.ts";
import type { Packet } from "../socket/parser.ts";
import type { Fanout, Scheduler } from "../ports.ts";
import type { SharedMessage } from "../engine/packet.ts";

/** A socket's handle on native pub/sub topics (see `Fanout`). */
export interface TopicSink {
  subscribe(topic: string): void;
  unsubscribe(topic: string): void;
}

export type Room = string;
export type SocketId = string;
export type PrivateSessionId = string;

export interface BroadcastFlags {
  volatile?: boolean;
  compress?: boolean;
  /** only this node, even in a cluster */
  local?: boolean;
  /** ms to wait for acks */
  timeout?: number;
  /** `socket.to(x).timeout(t).emitWithAck` on one socket resolves with one response, not a list */
  expectSingleResponse?: boolean;
}

export interface BroadcastOptions {
  rooms: Set<Room>;
  except?: Set<Room>;
  flags?: BroadcastFlags;
}

/** What a socket leaves behind to be restored (connection state recovery). */
export interface SessionToPersist {
  sid: SocketId;
  pid: PrivateSessionId;
  rooms: Room[];
  data: unknown;
}

export interface Session extends SessionToPersist {
  missedPackets: unknown[][];
}

/** A socket on another node, as a cluster store reports it (`fetchSockets`). */
export interface SocketDetails {
  id: SocketId;
  handshake: unknown;
  rooms: Room[];
  data: unknown;
}

/** What the room store needs from one socket, kept structural so rooms/ does not depend on socket/. */
export interface StoreSocket {
  readonly id: SocketId;
  readonly handshake: unknown;
  readonly data: unknown;
  readonly rooms: Set<Room>;
  /** writes an already-encoded packet (one string + attachments) to this socket's connection */
  _writeEncoded(encoded: ReadonlyArray<string | Uint8Array>, flags: BroadcastFlags): void;
  /** writes a broadcast's single text frame, shared by all recipients (framed once where the runtime can) */
  _writeShared(message: SharedMessage, flags: BroadcastFlags): void;
  /** runs `onAnyOutgoing` listeners */
  _notifyOutgoing(args: unknown[]): void;
  _registerAck(id: number, ack: (...args: unknown[]) => void): void;
  join(rooms: Room | Room[]): unknown;
  leave(room: Room): unknown;
  disconnect(close?: boolean): unknown;
}

export interface StoreNamespace {
  readonly name: string;
  readonly sockets: Map<SocketId, StoreSocket>;
  /** timers for ack timeouts (a Durable Object drives them from one alarm) */
  readonly scheduler: Scheduler;
  /** the runtime's native fan-out, if any */
  readonly fanout: Fanout | undefined;
  /** how many sockets have `onAnyOutgoing` listeners (native fan-out would skip them) */
  readonly _outgoingListeners: number;
  /** next id for a packet that expects acks */
  _nextAckId(): number;
  /** where the store reports errors (the server's logger); the console one when absent */
  readonly logger?: Logger;
}

export type { Packet };
