/** The room store contract (socket.io calls it "adapter"): what a namespace needs from membership + fan-out. */
import type { Logger } from "../util/logger.ts";
import type { Packet } from "../packet.ts";
import type { Scheduler } from "../ports.ts";

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

/** The server's connection state recovery settings, as a room store reads them. */
export interface RecoverySettings {
  /** How long (ms) a dropped session and the broadcasts it misses are kept. */
  readonly maxDisconnectionDuration: number;
  /** At most this many bytes of broadcasts are kept per namespace (the memory store's bound). */
  readonly maxBufferBytes?: number;
}

/**
 * Walks the ids a broadcast selects (`InMemoryAdapter.apply`'s selection): the store passes it to
 * `StoreContext.deliver`, which resolves each id to a socket connected here and skips the others. A function
 * rather than a list, so a broadcast to 10,000 members builds no array.
 */
export type Targets = (visit: (id: SocketId) => void) => void;

/**
 * What a namespace gives its room store: the store owns membership and decides *when* a packet reaches which
 * local ids; the context carries it out (encoding, shared frames, native fan-out) and answers for the
 * namespace (recovery settings, timers, acks, the sockets' details). A room store never sees a socket object.
 */
export interface StoreContext {
  /** The namespace's name. */
  readonly name: string;
  /** Timers (ack and request timeouts); a Durable Object drives them from one alarm. */
  readonly scheduler: Scheduler;
  /** Where the store reports errors (the server's logger). */
  readonly logger: Logger;
  /** The server's connection state recovery settings, undefined when it keeps no sessions. */
  readonly recovery: RecoverySettings | undefined;
  /** Whether the socket `id` is connected to this namespace on this node. */
  has(id: SocketId): boolean;
  /** The ids of the sockets connected to this namespace on this node. */
  ids(): IterableIterator<SocketId>;
  /**
   * Writes `packet` to the connected sockets among `targets`, encoded once for all of them. `opts` is the
   * broadcast's selection: the context may hand it to the runtime's native fan-out when that gives the same
   * result (one room, no exclusion; see socket/delivery.ts).
   */
  deliver(packet: Packet, opts: BroadcastOptions, targets: Targets): void;
  /**
   * Same as `deliver` for a packet that expects an answer from each socket: `packet.id` is set (see
   * `nextAckId`) and `ack` registered on every recipient. Returns how many sockets it was written to.
   */
  deliverWithAck(
    packet: Packet,
    opts: BroadcastOptions,
    targets: Targets,
    ack: (...args: unknown[]) => void,
  ): number;
  /** The id for the next packet that expects acks. */
  nextAckId(): number;
  /** A connected socket as the cluster reports it (`fetchSockets` of another node), with its private session id. */
  details(id: SocketId): (SocketDetails & { pid?: PrivateSessionId }) | undefined;
  /** Disconnects a connected socket; `close` closes its whole connection. */
  disconnect(id: SocketId, close: boolean): void;
  /** A `serverSideEmit` from another node: `[ev, ...args]`, a trailing function being the reply. */
  onServerSideEmit(args: unknown[]): void;
}

export type { Packet };
