/**
 * Connection state recovery, the rules every room store shares (memory, Durable Object storage, the cluster
 * base and Redis): which broadcasts are kept for a reconnecting client, and which of them concern it.
 */
import { type Packet, PacketType } from "../packet.ts";
import type { BroadcastOptions, Room, Session, SessionToPersist } from "./types.ts";

/**
 * Whether a broadcast gets an offset and is kept for recovery (socket.io's `addOffsetIfNecessary`): a plain
 * event, not one expecting acks, not volatile. Written once: every store and the Redis replay use it.
 */
export function storable(packet: Packet, opts: Pick<BroadcastOptions, "flags">): boolean {
  return packet.type === PacketType.EVENT && packet.id === undefined && !opts.flags?.volatile &&
    Array.isArray(packet.data);
}

/** A stored broadcast's selection, as rooms lists (what survives serialization). */
export interface StoredSelection {
  /** Target rooms (everyone when empty). */
  rooms: Room[];
  /** Excluded rooms. */
  except: Room[];
}

/** The selection of a broadcast in its stored form. */
export function selectionOf(opts: BroadcastOptions): StoredSelection {
  return { rooms: [...opts.rooms], except: [...(opts.except ?? [])] };
}

/**
 * Whether a stored broadcast reaches a socket in `rooms` (socket.io's `shouldIncludePacket`): one of its target
 * rooms (or no target room), none of its excluded rooms.
 */
export function includes(rooms: Iterable<Room>, opts: Partial<StoredSelection>): boolean {
  const set = rooms instanceof Set ? rooms : new Set(rooms);
  const to = Array.isArray(opts.rooms) ? opts.rooms : [];
  const except = Array.isArray(opts.except) ? opts.except : [];
  return (to.length === 0 || to.some((r) => set.has(r))) && !except.some((r) => set.has(r));
}

/** The offset travels as the last argument; the client strips it and remembers it. */
export function withOffset(packet: Packet, offset: string): void {
  packet.data = [...(packet.data as unknown[]), offset];
}

/**
 * Where a store keeps what connection state recovery needs, composed into the store rather than inherited:
 * `new InMemoryAdapter(ctx, log)`. The memory log (session-aware.ts) and the key-value storage log (storage.ts)
 * give offsets themselves; a cluster transport that gives them (a Redis stream entry id) has no `append`.
 */
export interface RecoveryLog {
  /**
   * Keeps a broadcast `storable` accepted: gives it its offset (appended to `packet.data`, see `withOffset`)
   * and returns it. The store calls it before delivering, so the clients get the offset with the packet.
   */
  append?(packet: Packet, selection: StoredSelection): string;
  /** Keeps a disconnected socket's session for `maxDisconnectionDuration`. */
  persist(session: SessionToPersist): void | Promise<void>;
  /** The session `pid` and the kept broadcasts after `offset` that concern its rooms, once; null when unknown. */
  restore(pid: string, offset: string): Promise<Session | null>;
  /** Releases what the log holds (the server closes). */
  close?(): void | Promise<void>;
}
