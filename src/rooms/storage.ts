/**
 * Connection state recovery kept in a key-value storage (a Durable Object's), so a client that drops and
 * comes back within `maxDisconnectionDuration` recovers its id, rooms, data and missed messages even when
 * the object holding it was evicted, redeployed or restarted in between. Same wire behaviour as
 * session-aware.ts; the differences are the storage and that nothing here needs a timer (a pending timer
 * would keep a Durable Object from hibernating): old entries are swept while writing new ones.
 *
 * Keys, under the given prefix and the namespace: `p:<offset>` a stored broadcast, `z:<offset>` its size in bytes
 * (for the `maxBufferBytes` bound: read back cheaply by a woken object), `r:<pid>` a session. Offsets are fixed-width
 * base-36 (time, then a counter), so storage's key order is emission order.
 */
import { defaultLogger, type Logger } from "../util/logger.ts";
import { InMemoryAdapter } from "./memory.ts";
import type { Packet } from "../packet.ts";
import { includes, type RecoveryLog, type StoredSelection, withOffset } from "./recovery.ts";
import { DEFAULT_RECOVERY_BUFFER_BYTES, sizeOfArgs } from "./session-aware.ts";
import { ByteLedger } from "./byte-ledger.ts";
import type { Session, SessionToPersist, StoreContext } from "./types.ts";

/** The key-value API of Durable Object storage, as much of it as Portio uses. */
export interface KeyValueStorage {
  /** Reads a value. */
  get<T = unknown>(key: string): Promise<T | undefined>;
  /** Reads several values. */
  get<T = unknown>(keys: string[]): Promise<Map<string, T>>;
  /** Writes a value. */
  put<T>(key: string, value: T): Promise<void>;
  /** Writes several values. */
  put<T>(entries: Record<string, T>): Promise<void>;
  /** Deletes a value. */
  delete(key: string): Promise<boolean>;
  /** Deletes several values. */
  delete(keys: string[]): Promise<number>;
  /** Lists values by key range or prefix, in key order. */
  list<T = unknown>(
    options?: { start?: string; end?: string; prefix?: string; reverse?: boolean; limit?: number },
  ): Promise<Map<string, T>>;
}

/** Durable Object storage takes at most 128 keys per batch call. */
export const STORAGE_BATCH = 128;

export async function deleteKeys(storage: KeyValueStorage, keys: readonly string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += STORAGE_BATCH) await storage.delete(keys.slice(i, i + STORAGE_BATCH));
}

/** A write nobody awaits: Durable Objects hold outgoing messages until pending writes are stored. */
export function putQuietly(
  storage: KeyValueStorage,
  key: string,
  value: unknown,
  logger: Logger = defaultLogger,
): void {
  try {
    storage.put(key, value).catch((err) => logger.error(`storage write of ${key} failed`, err));
  } catch (err) {
    // not structured-cloneable, or over the value size limit (128 KiB, 2 MiB on SQLite-backed objects)
    logger.error(`storage write of ${key} refused`, err);
  }
}

interface StoredPacket extends StoredSelection {
  at: number;
  data: unknown[];
}

interface StoredSession extends SessionToPersist {
  disconnectedAt: number;
}

const OFFSET = /^[0-9a-z]{14}$/;
const timePart = (ms: number) => ms.toString(36).padStart(9, "0");

/** Options of a `StorageSessionAdapter`. */
export interface StorageSessionOptions {
  /** key prefix, so several servers (paths) share one storage */
  prefix: string;
  /** How long (ms) a dropped session and its missed broadcasts are kept. */
  maxDisconnectionDuration: number;
  /** bytes of broadcasts kept at most, the oldest evicted first (default 64 MiB, as in memory) */
  maxBufferBytes?: number;
}

/** The recovery log of one namespace in a key-value storage (a Durable Object's). */
export class StorageRecoveryLog implements RecoveryLog {
  /** How long (ms) a dropped session and its missed broadcasts are kept. */
  readonly maxDisconnectionDuration: number;
  #storage: KeyValueStorage;
  #prefix: string;
  #logger: Logger;
  #lastMs = 0;
  #seq = 0;
  #lastSweep = 0;
  #sweepEvery: number;
  #maxBytes: number;
  #ledger = new ByteLedger();
  /** the sizes stored by earlier instances, read once on the first broadcast of this one */
  #ledgerRead: Promise<void> | undefined;
  #ledgerReady = false;

  /** A log for namespace `name` under `options.prefix`; write errors go to `logger`. */
  constructor(name: string, storage: KeyValueStorage, options: StorageSessionOptions, logger: Logger = defaultLogger) {
    this.#storage = storage;
    this.#prefix = `${options.prefix}${encodeURIComponent(name)}:`;
    this.#logger = logger;
    this.maxDisconnectionDuration = options.maxDisconnectionDuration;
    this.#sweepEvery = Math.min(60_000, Math.max(1000, options.maxDisconnectionDuration));
    this.#maxBytes = options.maxBufferBytes ?? DEFAULT_RECOVERY_BUFFER_BYTES;
    // offsets must keep growing across instances even if this machine's clock is behind the last one's
    storage.list({ start: this.#prefix + "p:", end: this.#prefix + "p;", reverse: true, limit: 1 }).then((last) => {
      for (const key of last.keys()) this.#lastMs = Math.max(this.#lastMs, parseInt(key.slice(-14, -5), 36));
    }, () => {});
  }

  #nextOffset(): string {
    const now = Date.now();
    if (now > this.#lastMs) {
      this.#lastMs = now;
      this.#seq = 0;
    } else {
      this.#seq++; // the clock of a Worker only moves between I/O: many broadcasts share one millisecond
    }
    return timePart(this.#lastMs) + this.#seq.toString(36).padStart(5, "0");
  }

  /** Stores a broadcast and gives it its offset. */
  append(packet: Packet, selection: StoredSelection): string {
    const offset = this.#nextOffset();
    withOffset(packet, offset);
    const stored: StoredPacket = { at: Date.now(), ...selection, data: packet.data as unknown[] };
    putQuietly(this.#storage, `${this.#prefix}p:${offset}`, stored, this.#logger);
    const size = sizeOfArgs(stored.data);
    putQuietly(this.#storage, `${this.#prefix}z:${offset}`, size, this.#logger);
    this.#ledger.add(offset, size);
    this.#bound();
    this.#maybeSweep();
    return offset;
  }

  /** Stores a disconnected socket's session. */
  persist(session: SessionToPersist): void {
    const stored: StoredSession = { ...session, disconnectedAt: Date.now() };
    putQuietly(this.#storage, `${this.#prefix}r:${session.pid}`, stored, this.#logger);
    this.#maybeSweep();
  }

  /** The stored session and the packets missed since `offset`, or null. */
  async restore(pid: string, offset: string): Promise<Session | null> {
    const key = `${this.#prefix}r:${pid}`;
    const session = await this.#storage.get<StoredSession>(key);
    if (!session) return null;
    await this.#storage.delete(key); // a session is restored at most once
    if (session.disconnectedAt + this.maxDisconnectionDuration < Date.now() || !OFFSET.test(offset)) return null;
    const from = `${this.#prefix}p:${offset}`;
    if ((await this.#storage.get(from)) === undefined) return null; // swept, or never ours: a fresh session
    const later = await this.#storage.list<StoredPacket>({ start: from, end: this.#prefix + "p;" });
    // evicted meanwhile (oldest first): what follows may have a gap too
    if (!later.has(from)) return null;
    const rooms = new Set(session.rooms);
    const missedPackets: unknown[][] = [];
    for (const [k, p] of later) if (k !== from && includes(rooms, p)) missedPackets.push(p.data);
    const { disconnectedAt: _, ...rest } = session;
    return { ...rest, missedPackets };
  }

  /** Evicts the oldest broadcasts past `maxBufferBytes`, once the sizes stored by earlier instances are known. */
  #bound(): void {
    if (this.#ledgerReady && this.#ledger.total <= this.#maxBytes) return;
    this.#ledgerRead ??= this.#storage.list<number>({ start: this.#prefix + "z:", end: this.#prefix + "z;" }).then(
      (sizes) => this.#ledger.prepend([...sizes].map(([k, bytes]) => [k.slice(-14), bytes])),
      () => {}, // unreadable: bound what this instance stores
    ).then(() => void (this.#ledgerReady = true));
    void this.#ledgerRead.then(() => {
      const gone = this.#ledger.evict(this.#maxBytes);
      if (gone.length === 0) return;
      const keys = gone.flatMap((o) => [`${this.#prefix}p:${o}`, `${this.#prefix}z:${o}`]);
      deleteKeys(this.#storage, keys).catch((err) => this.#logger.error("recovery eviction failed", err));
    });
  }

  #maybeSweep(): void {
    const now = Date.now();
    if (now - this.#lastSweep < this.#sweepEvery) return;
    this.#lastSweep = now;
    this.#sweep(now).catch((err) => this.#logger.error("recovery sweep failed", err));
  }

  async #sweep(now: number): Promise<void> {
    const threshold = now - this.maxDisconnectionDuration;
    const old = await this.#storage.list({
      start: this.#prefix + "p:",
      end: `${this.#prefix}p:${timePart(threshold)}`,
    });
    const sizes = await this.#storage.list({
      start: this.#prefix + "z:",
      end: `${this.#prefix}z:${timePart(threshold)}`,
    });
    const expired = [...old.keys(), ...sizes.keys()];
    this.#ledger.dropBefore(timePart(threshold));
    const sessions = await this.#storage.list<StoredSession>({ prefix: this.#prefix + "r:" });
    for (const [k, s] of sessions) if (s.disconnectedAt < threshold) expired.push(k);
    await deleteKeys(this.#storage, expired);
  }
}

/**
 * A recovery-aware store that keeps sessions and broadcasts in a key-value storage: the in-memory store composed
 * with a `StorageRecoveryLog`.
 */
export class StorageSessionAdapter extends InMemoryAdapter {
  /** How long (ms) a dropped session and its missed broadcasts are kept. */
  readonly maxDisconnectionDuration: number;

  /** @ignore Created by a Durable Object's server. */
  constructor(ctx: StoreContext, storage: KeyValueStorage, options: StorageSessionOptions) {
    super(ctx, new StorageRecoveryLog(ctx.name, storage, options, ctx.logger));
    this.maxDisconnectionDuration = options.maxDisconnectionDuration;
  }
}
