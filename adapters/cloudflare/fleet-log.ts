/**
 * Connection state recovery of a fleet shard, in the shard's own storage: every storable broadcast this
 * shard delivers (its own and the fleet's) is written under a local offset, and a dropped session under its
 * pid. The offset a client gets names the shard (`<offset>.<base64url(shard)>`), so a client that
 * comes back through another shard is recovered from the shard that held it: the new shard asks it for the
 * session and the broadcasts it stored since the client's offset (fleet.ts, `restore`).
 *
 * Keys under the prefix: `p:<offset>` a stored broadcast, `r:<pid>` a session. Offsets are fixed-width
 * base-36 (time, then a counter), so storage's key order is delivery order on this shard.
 */
import type { Logger } from "../../src/index.ts";
import {
  includes,
  type KeyValueStorage,
  type Room,
  type Session,
  type SessionToPersist,
} from "../../src/room-store.ts";
import { deleteKeys, putQuietly } from "../../src/rooms/storage.ts";

interface StoredPacket {
  at: number;
  rooms: Room[];
  except: Room[];
  data: unknown[];
}

interface StoredSession extends SessionToPersist {
  disconnectedAt: number;
}

const LOCAL = /^[0-9a-z]{14}$/;
const timePart = (ms: number) => ms.toString(36).padStart(9, "0");

/** A client's offset: the local part and the shard (encoded name) that gave it. */
export function parseOffset(offset: string): { local: string; shard: string | undefined } | undefined {
  const dot = offset.indexOf(".");
  const local = dot === -1 ? offset : offset.slice(0, dot);
  if (!LOCAL.test(local)) return undefined;
  return { local, shard: dot === -1 ? undefined : offset.slice(dot + 1) };
}

/** The recovery log of one namespace on one shard. */
export class FleetLog {
  #lastMs = 0;
  #seq = 0;
  #lastSweep = 0;
  #sweepEvery: number;

  constructor(
    private readonly storage: KeyValueStorage,
    private readonly prefix: string,
    readonly maxDisconnectionDuration: number,
    private readonly logger: Logger,
  ) {
    this.#sweepEvery = Math.min(60_000, Math.max(1000, maxDisconnectionDuration));
    // offsets must keep growing across instances even if this machine's clock is behind the last one's
    storage.list({ start: prefix + "p:", end: prefix + "p;", reverse: true, limit: 1 }).then((last) => {
      for (const key of last.keys()) this.#lastMs = Math.max(this.#lastMs, parseInt(key.slice(-14, -5), 36));
    }, () => {});
  }

  #next(): string {
    const now = Date.now();
    if (now > this.#lastMs) {
      this.#lastMs = now;
      this.#seq = 0;
    } else {
      this.#seq++; // a Worker's clock only moves between I/O: many broadcasts share one millisecond
    }
    return timePart(this.#lastMs) + this.#seq.toString(36).padStart(5, "0");
  }

  /** Stores a broadcast's arguments; returns the offset its recipients get (`suffix`: ".<shard>"). */
  append(rooms: Room[], except: Room[], data: unknown[], suffix: string): { offset: string; data: unknown[] } {
    const local = this.#next();
    const offset = local + suffix;
    const stored: StoredPacket = { at: Date.now(), rooms, except, data: [...data, offset] };
    putQuietly(this.storage, `${this.prefix}p:${local}`, stored, this.logger);
    this.#maybeSweep();
    return { offset, data: stored.data };
  }

  /** Stores a dropped session. */
  persist(session: SessionToPersist): void {
    putQuietly(this.storage, `${this.prefix}r:${session.pid}`, { ...session, disconnectedAt: Date.now() }, this.logger);
    this.#maybeSweep();
  }

  /** The session and what it missed since `local` on this shard, or null; a session is restored once. */
  async restore(pid: string, local: string): Promise<Session | null> {
    const key = `${this.prefix}r:${pid}`;
    const session = await this.storage.get<StoredSession>(key);
    if (!session) return null;
    await this.storage.delete(key);
    if (session.disconnectedAt + this.maxDisconnectionDuration < Date.now() || !LOCAL.test(local)) return null;
    const from = `${this.prefix}p:${local}`;
    if ((await this.storage.get(from)) === undefined) return null; // swept: what was missed is unknown
    const later = await this.storage.list<StoredPacket>({ start: from, end: this.prefix + "p;" });
    const rooms = new Set(session.rooms);
    const missedPackets: unknown[][] = [];
    for (const [k, p] of later) if (k !== from && includes(rooms, p)) missedPackets.push(p.data);
    const { disconnectedAt: _, ...rest } = session;
    return { ...rest, missedPackets };
  }

  #maybeSweep(): void {
    const now = Date.now();
    if (now - this.#lastSweep < this.#sweepEvery) return;
    this.#lastSweep = now;
    this.#sweep(now).catch((err) => this.logger.error("recovery sweep failed", err));
  }

  async #sweep(now: number): Promise<void> {
    const threshold = now - this.maxDisconnectionDuration;
    const old = await this.storage.list({ start: this.prefix + "p:", end: `${this.prefix}p:${timePart(threshold)}` });
    const expired = [...old.keys()];
    const sessions = await this.storage.list<StoredSession>({ prefix: this.prefix + "r:" });
    for (const [k, s] of sessions) if (s.disconnectedAt < threshold) expired.push(k);
    await deleteKeys(this.storage, expired);
  }
}
