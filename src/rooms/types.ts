/** The room store contract (socket.io calls it "adapter"): what a namespace needs from membership + fan-out. */
import type { Logger } from "../util/logger.ts";
import type { Packet } from "../socket/parser.ts";
import type { Fanout, Scheduler } from "../ports.ts";
import type { SharedMessage } from "../engine/packet.ts";

/** A socket's handle on native pub/sub topics (see `Fanout`). */
export interface TopicSink {
  /** Subscribes to a native topic. */
  subscribe(topic: string): void;
  /** Unsubscribes from a native topic. */
  unsubscribe(topic: string): void;
}

/** A room name. */
export type Room = string;
/** A socket id. */
export type SocketId = string;
/** The private id a client keeps to recover its session. */
export type PrivateSessionId = string;

/** Modifiers of a broadcast. */
export interface BroadcastFlags {
  /** May be dropped for sockets not ready to receive it. */
  volatile?: boolean;
  /** Compressed. */
  compress?: boolean;
  /** only this node, even in a cluster */
  local?: boolean;
  /** ms to wait for acks */
  timeout?: number;
  /** `socket.to(x).timeout(t).emitWithAck` on one socket resolves with one response, not a list */
  expectSingleResponse?: boolean;
}

/** The targets of a broadcast. */
export interface BroadcastOptions {
  /** Target rooms (all sockets when empty). */
  rooms: Set<Room>;
  /** Excluded rooms. */
  except?: Set<Room>;
  /** Modifiers. */
  flags?: BroadcastFlags;
}

/** What a socket leaves behind to be restored (connection state recovery). */
export interface SessionToPersist {
  /** The socket id. */
  sid: SocketId;
  /** The private session id the client keeps. */
  pid: PrivateSessionId;
  /** The socket's rooms. */
  rooms: Room[];
  /** The socket's data. */
  data: unknown;
}

/** A restored session: what was persisted plus the packets the client missed. */
export interface Session extends SessionToPersist {
  /** The missed packets' arguments, in order. */
  missedPackets: unknown[][];
}

/** A socket on another node, as a cluster store reports it (`fetchSockets`). */
export interface SocketDetails {
  /** The socket id. */
  id: SocketId;
  /** The handshake. */
  handshake: unknown;
  /** The rooms. */
  rooms: Room[];
  /** The data. */
  data: unknown;
}

/** What the room store needs from one socket, kept structural so rooms/ does not depend on socket/. */
export interface StoreSocket {
  /** The socket id. */
  readonly id: SocketId;
  /** The handshake. */
  readonly handshake: unknown;
  /** The data. */
  readonly data: unknown;
  /** The rooms. */
  readonly rooms: Set<Room>;
  /** writes an already-encoded packet (one string + attachments) to this socket's connection */
  _writeEncoded(encoded: ReadonlyArray<string | Uint8Array>, flags: BroadcastFlags): void;
  /** writes a broadcast's single text frame, shared by all recipients (framed once where the runtime can) */
  _writeShared(message: SharedMessage, flags: BroadcastFlags): void;
  /** runs `onAnyOutgoing` listeners */
  _notifyOutgoing(args: unknown[]): void;
  /** applies the slow-consumer bound after native fan-out wrote to this socket */
  _checkBackpressure(): void;
  /** whether a volatile packet may go to this socket now (its connection can take it at once) */
  _volatileReady?(): boolean;
  /** @ignore Registers the ack of a packet the store sends. */
  _registerAck(id: number, ack: (...args: unknown[]) => void): void;
  /** Joins rooms. */
  join(rooms: Room | Room[]): unknown;
  /** Leaves a room. */
  leave(room: Room): unknown;
  /** Disconnects. */
  disconnect(close?: boolean): unknown;
}

/** What a room store sees of its namespace. */
export interface StoreNamespace {
  /** The namespace's name. */
  readonly name: string;
  /** Its connected sockets. */
  readonly sockets: Map<SocketId, StoreSocket>;
  /** timers for ack timeouts (a Durable Object drives them from one alarm) */
  readonly scheduler: Scheduler;
  /** the runtime's native fan-out, if any */
  readonly fanout: Fanout | undefined;
  /** how many sockets have `onAnyOutgoing` listeners (native fan-out would skip them) */
  readonly _outgoingListeners: number;
  /** next id for a packet that expects acks */
  _nextAckId(): number;
  /** encodes a packet with the server's parser (the `parser` option); the default parser when absent */
  _encode?(packet: Packet): Array<string | Uint8Array>;
  /** where the store reports errors (the server's logger); the console one when absent */
  readonly logger?: Logger;
}

export type { Packet };
