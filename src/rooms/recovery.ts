/**
 * Connection state recovery, the rules every room store shares (memory, Durable Object storage, the cluster
 * base and Redis): which broadcasts are kept for a reconnecting client, and which of them concern it.
 */
import { type Packet, PacketType } from "../packet.ts";
import type { BroadcastOptions, Room } from "./types.ts";

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
