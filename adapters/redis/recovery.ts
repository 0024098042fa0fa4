/**
 * Connection state recovery on Redis, the Redis store's `RecoveryLog`: the stream is the log (a broadcast's
 * offset is its entry id, given by XADD: no `append` here), sessions are records any node can take
 * (sessions.ts). A restore collects, from the stream, exactly what the client missed: the broadcasts kept by
 * the shared rule (`storable`) that concern its rooms (`includes`), up to where this node's own delivery stands.
 */
import {
  includes,
  MessageType,
  type RecoveryLog,
  type Session,
  type SessionToPersist,
  type SocketId,
  storable,
} from "portio/room-store";
import { compareIds, decodeEntry, decodeSession, ENTRY_ID } from "./codec.ts";
import { rangeEntries } from "./client.ts";
import type { Fleet } from "./fleet.ts";
import type { LiveSessions } from "./sessions.ts";

/** How long a restore waits for this node to catch up with the stream before it answers anyway. */
const CATCH_UP_MS = 2000;
/** XRANGE page size and page count when collecting a restored session's missed packets. */
const RANGE_PAGE = 1000;
const RANGE_PAGES = 100;

/** Waits for `p`, `ms` at most. */
function atMost(p: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([p, new Promise((r) => (timer = setTimeout(r, ms)))]).finally(() => clearTimeout(timer));
}

/** What the log needs of its store (the cluster base's delivery order, and the fleet's eviction). */
export interface StreamLogHost {
  /** the namespace */
  readonly name: string;
  /** resolves once no local delivery waits for its offset */
  delivered(): Promise<void>;
  /** the newest offset of this node's own broadcasts delivered here */
  ownOffset(): string;
  /** ends the old incarnation of a restored socket, here and on the other nodes */
  evict(sid: SocketId): void;
}

/** The recovery log of one namespace on a Redis stream. */
export class RedisStreamLog implements RecoveryLog {
  #fleet: Fleet;
  #stream: string;
  #sessions: LiveSessions | undefined;
  #host: StreamLogHost;

  /**
   * `maxBufferBytes` (`connectionStateRecovery.maxBufferBytes`, when recovery is on) bounds the stream by bytes,
   * as the in-memory log is bounded: the stream's reader counts every entry and trims the oldest (stream.ts).
   */
  constructor(
    fleet: Fleet,
    stream: string,
    sessions: LiveSessions | undefined,
    host: StreamLogHost,
    maxBufferBytes?: number,
  ) {
    this.#fleet = fleet;
    this.#stream = stream;
    this.#sessions = sessions;
    this.#host = host;
    if (maxBufferBytes !== undefined) fleet.reader(stream).boundBytes(maxBufferBytes);
  }

  /** Writes a disconnected socket's session for recovery. */
  persist(session: SessionToPersist): void {
    this.#sessions?.persist(session);
  }

  /**
   * Restores a session from any node's record (GETDEL: once) and collects the missed packets from the stream,
   * exactly: the range ends where this node's own delivery stands (its reader, its own broadcasts), so what
   * comes after reaches the restored socket live, and nothing the client already saw is replayed.
   */
  async restore(pid: string, offset: string): Promise<Session | null> {
    if (!ENTRY_ID.test(offset)) return null;
    const main = this.#fleet.main;
    const [raw, known] = await Promise.all([
      main.send(["GETDEL", this.#fleet.opts.sessionKeyPrefix + pid]),
      main.send(["XRANGE", this.#stream, offset, offset]),
    ]);
    // the offset was trimmed away (`maxLen`): what was missed cannot be known, so no recovery
    if (typeof raw !== "string" || rangeEntries(known).length === 0) return null;
    const session = decodeSession(raw);
    if (!session) return null;
    const reader = this.#fleet.reader(this.#stream);
    // the client may have seen entries this node has not read yet: delivering them live would repeat them
    await reader.reach(offset, CATCH_UP_MS);
    const missedPackets: unknown[][] = [];
    const rooms = new Set(session.rooms);
    let from = offset;
    for (let page = 0; page < RANGE_PAGES; page++) {
      await atMost(this.#host.delivered(), CATCH_UP_MS);
      const own = this.#host.ownOffset();
      const reached = compareIds(reader.offset, own) >= 0 ? reader.offset : own;
      if (compareIds(reached, from) <= 0) break;
      const entries = rangeEntries(
        await main.send(["XRANGE", this.#stream, "(" + from, reached, "COUNT", String(RANGE_PAGE)]),
      );
      for (const [id, fields] of entries) {
        from = id;
        const m = decodeEntry(fields);
        if (!m || m.nsp !== this.#host.name || m.type !== MessageType.BROADCAST || m.data.requestId !== undefined) {
          continue;
        }
        const { packet, opts } = m.data;
        // the rule the broadcast was kept by (rooms/recovery.ts), on what another node (maybe official) wrote
        if (!packet || !opts || !storable(packet, opts)) continue;
        if (includes(rooms, opts)) missedPackets.push([...(packet.data as unknown[]), id]);
      }
      if (entries.length < RANGE_PAGE) from = reached;
    }
    // the stream is trimmed oldest first (MAXLEN, the byte bound): if the offset is still there, nothing after it
    // was trimmed while the pages were read; if it went meanwhile, the replay may have a gap: no recovery
    if (rangeEntries(await main.send(["XRANGE", this.#stream, offset, offset])).length === 0) return null;
    this.#host.evict(session.sid);
    return { ...session, missedPackets };
  }
}
