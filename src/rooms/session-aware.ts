/**
 * Connection state recovery in memory: every kept broadcast gets an offset (appended as its last argument on
 * the wire), disconnected sessions are kept for `maxDisconnectionDuration`, and a reconnecting client gets
 * the packets it missed, once. `MemoryRecoveryLog` is the log; `SessionAwareAdapter` the in-memory store
 * composed with it (what the server creates when `connectionStateRecovery` is on).
 *
 * No timer: old entries are swept while writing new ones (as storage.ts does), and a restore ignores what
 * is older than `maxDisconnectionDuration` even if no sweep ran since.
 */
import { InMemoryAdapter } from "./memory.ts";
import type { Packet } from "../packet.ts";
import { includes, type RecoveryLog, type StoredSelection, withOffset } from "./recovery.ts";
import type { Session, SessionToPersist, StoreContext } from "./types.ts";

interface StoredPacket {
  id: string;
  emittedAt: number;
  opts: StoredSelection;
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

/**
 * The in-memory recovery log: broadcasts are kept for `maxDisconnectionDuration` and at most `maxBufferBytes`,
 * the oldest evicted first; a client whose offset was evicted gets a plain, non-recovered connection, never
 * a replay with a gap.
 */
export class MemoryRecoveryLog implements RecoveryLog {
  #sessions = new Map<string, StoredSession>();
  #packets: StoredPacket[] = [];
  #bytes = 0;
  #lastSweep = 0;
  #sweepEvery: number;

  /** A log keeping broadcasts and sessions `maxDisconnectionDuration` ms, broadcasts `maxBufferBytes` at most. */
  constructor(
    readonly maxDisconnectionDuration: number,
    readonly maxBufferBytes: number = DEFAULT_RECOVERY_BUFFER_BYTES,
  ) {
    this.#sweepEvery = Math.min(60_000, Math.max(1000, maxDisconnectionDuration));
  }

  /** Keeps a broadcast and gives it its offset. */
  append(packet: Packet, selection: StoredSelection): string {
    const id = nextOffset();
    withOffset(packet, id);
    const data = packet.data as unknown[];
    const size = sizeOfArgs(data);
    this.#packets.push({ id, emittedAt: Date.now(), opts: selection, data, size });
    this.#bytes += size;
    if (this.#bytes > this.maxBufferBytes) this.#evict();
    this.#maybeSweep();
    return id;
  }

  /** Keeps a disconnected socket's session. */
  persist(session: SessionToPersist): void {
    this.#sessions.set(session.pid, { ...session, disconnectedAt: Date.now() });
    this.#maybeSweep();
  }

  /** The session and the packets missed since `offset`, or null when it expired. */
  restore(pid: string, offset: string): Promise<Session | null> {
    const session = this.#sessions.get(pid);
    if (!session) return Promise.resolve(null);
    // a session is restored at most once
    this.#sessions.delete(pid);
    const threshold = Date.now() - this.maxDisconnectionDuration;
    if (session.disconnectedAt < threshold) return Promise.resolve(null);
    let index = -1;
    for (let i = this.#packets.length - 1; i >= 0; i--) {
      if (this.#packets[i]!.id === offset) {
        index = i;
        break;
      }
    }
    // unknown, or older than a sweep would have kept: what came after it may be gone
    if (index === -1 || this.#packets[index]!.emittedAt < threshold) return Promise.resolve(null);
    const missedPackets: unknown[][] = [];
    const rooms = new Set(session.rooms);
    for (let i = index + 1; i < this.#packets.length; i++) {
      const p = this.#packets[i]!;
      if (includes(rooms, p.opts)) missedPackets.push(p.data);
    }
    const { disconnectedAt: _, ...rest } = session;
    return Promise.resolve({ ...rest, missedPackets });
  }

  #maybeSweep(): void {
    const now = Date.now();
    if (now - this.#lastSweep < this.#sweepEvery) return;
    this.#lastSweep = now;
    const threshold = now - this.maxDisconnectionDuration;
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
}

/** The in-memory store with connection state recovery: the in-memory store composed with a `MemoryRecoveryLog`. */
export class SessionAwareAdapter extends InMemoryAdapter {
  /** How long (ms) a dropped session and its missed broadcasts are kept. */
  readonly maxDisconnectionDuration: number;
  /** At most this many bytes of broadcasts are kept. */
  readonly maxBufferBytes: number;

  /** @ignore Created by the server when `connectionStateRecovery` is on. */
  constructor(
    ctx: StoreContext,
    maxDisconnectionDuration: number,
    maxBufferBytes: number = DEFAULT_RECOVERY_BUFFER_BYTES,
  ) {
    super(ctx, new MemoryRecoveryLog(maxDisconnectionDuration, maxBufferBytes));
    this.maxDisconnectionDuration = maxDisconnectionDuration;
    this.maxBufferBytes = maxBufferBytes;
  }
}
