/**
 * The in-memory store with connection state recovery: every stored broadcast gets an offset (appended as
 * its last argument on the wire), disconnected sessions are kept for `maxDisconnectionDuration`, and a
 * reconnecting client gets the packets it missed, once.
 */
import { InMemoryAdapter } from "./memory.ts";
import type { Packet } from "../socket/parser.ts";
import { PacketType } from "../socket/parser.ts";
import type { BroadcastOptions, Room, Session, SessionToPersist, StoreNamespace } from "./types.ts";

interface StoredPacket {
  id: string;
  emittedAt: number;
  opts: { rooms: Room[]; except: Room[] };
  data: unknown[];
  /** approximate bytes (see `sizeOfArgs`) */
  size: number;
}

/** Bytes of a broadcast's arguments, near enough for a bound: strings and binary exact, the rest as JSON. */
export function sizeOfArgs(args: readonly unknown[]): number {
  let n = 0;
  for (const a of args) {
    if (typeof a === "string") n += a.length;
    else if (a instanceof Uint8Array || a instanceof ArrayBuffer) n += a.byteLength;
    else if (typeof a === "object" && a !== null) {
      try {
        n += JSON.stringify(a)?.length ?? 8;
      } catch {
        n += 8; // cyclic: the encoder refuses it anyway
      }
    } else n += 8;
  }
  return n;
}

/** 64 MiB of broadcasts per namespace: several minutes of a busy room, a fraction of a server's memory */
export const DEFAULT_RECOVERY_BUFFER_BYTES = 64 * 1024 * 1024;

interface StoredSession extends SessionToPersist {
  disconnectedAt: number;
}

let counter = 0;
/** Unique, ordered within a process; the time prefix keeps offsets from an earlier process from matching. */
export function nextOffset(): string {
  return `${Date.now().toString(36)}-${(counter++).toString(36)}`;
}

export function includes(rooms: Iterable<Room>, opts: { rooms: Room[]; except: Room[] }): boolean {
  const set = rooms instanceof Set ? rooms : new Set(rooms);
  const included = opts.rooms.length === 0 || opts.rooms.some((r) => set.has(r));
  return included && !opts.except.some((r) => set.has(r));
}

/** The in-memory store with connection state recovery: keeps sessions and broadcasts for `maxDisconnectionDuration`. */
export class SessionAwareAdapter extends InMemoryAdapter {
  #sessions = new Map<string, StoredSession>();
  #packets: StoredPacket[] = [];
  #bytes = 0;
  #timer: ReturnType<typeof setInterval>;

  /**
   * @ignore Created by the server when `connectionStateRecovery` is on. Broadcasts are kept for
   * `maxDisconnectionDuration` and at most `maxBufferBytes`, the oldest evicted first: a client whose offset
   * was evicted gets a plain, non-recovered connection, never a replay with a gap.
   */
  constructor(
    nsp: StoreNamespace,
    readonly maxDisconnectionDuration: number,
    readonly maxBufferBytes: number = DEFAULT_RECOVERY_BUFFER_BYTES,
  ) {
    super(nsp);
    this.#timer = setInterval(() => this.#sweep(), Math.min(60_000, Math.max(1000, maxDisconnectionDuration)));
    // a sweep timer must not keep a Node or Deno process alive on its own
    (this.#timer as { unref?: () => void }).unref?.();
  }

  #sweep(): void {
    const threshold = Date.now() - this.maxDisconnectionDuration;
    for (const [pid, s] of this.#sessions) if (s.disconnectedAt < threshold) this.#sessions.delete(pid);
    let i = 0;
    while (i < this.#packets.length && this.#packets[i]!.emittedAt < threshold) this.#bytes -= this.#packets[i++]!.size;
    if (i > 0) this.#packets.splice(0, i);
  }

  /** Drops the oldest packets until the buffer fits `maxBufferBytes` (the newest one always stays). */
  #evict(): void {
    let i = 0;
    while (this.#bytes > this.maxBufferBytes && i < this.#packets.length - 1) this.#bytes -= this.#packets[i++]!.size;
    this.#packets.splice(0, i);
  }

  /** Stops the cleanup timer. */
  override close(): void {
    clearInterval(this.#timer);
  }

  /** Keeps a disconnected socket's session. */
  override persistSession(session: SessionToPersist): void {
    this.#sessions.set(session.pid, { ...session, disconnectedAt: Date.now() });
  }

  /** The session and the packets missed since `offset`, or null when it expired. */
  override restoreSession(pid: string, offset: string): Promise<Session | null> {
    const session = this.#sessions.get(pid);
    if (!session) return Promise.resolve(null);
    // a session is restored at most once
    this.#sessions.delete(pid);
    if (session.disconnectedAt + this.maxDisconnectionDuration < Date.now()) return Promise.resolve(null);
    let index = -1;
    for (let i = this.#packets.length - 1; i >= 0; i--) {
      if (this.#packets[i]!.id === offset) {
        index = i;
        break;
      }
    }
    if (index === -1) return Promise.resolve(null);
    const missedPackets: unknown[][] = [];
    const rooms = new Set(session.rooms);
    for (let i = index + 1; i < this.#packets.length; i++) {
      const p = this.#packets[i]!;
      if (includes(rooms, p.opts)) missedPackets.push(p.data);
    }
    const { disconnectedAt: _, ...rest } = session;
    return Promise.resolve({ ...rest, missedPackets });
  }

  /** Broadcasts and keeps the packet for recovery. */
  override broadcast(packet: Packet, opts: BroadcastOptions): void {
    const storable = packet.type === PacketType.EVENT && packet.id === undefined && !opts.flags?.volatile;
    if (storable && Array.isArray(packet.data)) {
      const id = nextOffset();
      // the offset travels as the last argument; the client strips it and remembers it
      packet.data = [...packet.data, id];
      const size = sizeOfArgs(packet.data as unknown[]);
      this.#packets.push({
        id,
        emittedAt: Date.now(),
        opts: { rooms: [...opts.rooms], except: [...(opts.except ?? [])] },
        data: packet.data as unknown[],
        size,
      });
      this.#bytes += size;
      if (this.#bytes > this.maxBufferBytes) this.#evict();
    }
    super.broadcast(packet, opts);
  }
}
