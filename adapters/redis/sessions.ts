/**
 * Recovery records kept in Redis while their sockets are alive. The official adapter writes a session only
 * when its node sees the disconnect, so the clients of a node that was killed (SIGKILL, OOM, power loss) lose
 * theirs. Here each socket's record `<prefix><pid>` (the official key and encoding, so an official node can
 * restore it too) is written at connect and whenever its rooms change, its `socket.data` is checked every
 * second (a new object) and at each refresh (changed in place), and its expiry is pushed forward every
 * `refreshMs` by a pipelined PEXPIRE: whichever way the node goes, the session stays restorable for at least
 * `maxDisconnectionDuration` after the last refresh.
 *
 * Updates are compare-and-set against the value this node last wrote: once another node restored the session
 * (GETDEL, then its own record), a node that has not yet noticed its old connection is gone can no longer
 * overwrite or delete the new owner's record.
 */
import type { SessionToPersist, SocketId } from "portio/room-store";
import { encodeSession } from "./codec.ts";
import type { Connection } from "./client.ts";

// KEYS[1] = key, ARGV = expected value, new value ("" deletes), ttl ms. 1 when written, 0 when the record
// is no longer the one we wrote (restored elsewhere)
const COMPARE_AND_SET = `local cur = redis.call('GET', KEYS[1])
if cur ~= ARGV[1] then return 0 end
if ARGV[2] == '' then redis.call('DEL', KEYS[1]) else redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) end
return 1`;

interface LiveRecord {
  pid: string;
  /** the value written last (or being written): what a compare-and-set expects to find */
  value: string;
  /** `socket.data` when it was written, to notice a new object cheaply */
  dataRef: unknown;
  /** restored by another node: this copy is stale, never write it again */
  stale: boolean;
  /** the disconnect was persisted: dropping the socket must keep the record */
  persisted: boolean;
}

export interface LiveSessionsOptions {
  keyPrefix: string;
  maxDisconnectionDuration: number;
  refreshMs: number;
  /** the socket's current `{sid, pid, rooms, data}`, or undefined once it is gone */
  snapshot(sid: SocketId): SessionToPersist | undefined;
}

export class LiveSessions {
  #records = new Map<SocketId, LiveRecord>();
  #dirty = new Set<SocketId>();
  #flushTimer: ReturnType<typeof setTimeout> | undefined;
  #tick: ReturnType<typeof setInterval>;
  #ticks = 0;
  #pending = new Set<Promise<unknown>>();

  constructor(readonly conn: Connection, readonly opts: LiveSessionsOptions) {
    this.#tick = setInterval(() => this.#onTick(), 1000);
    (this.#tick as { unref?: () => void }).unref?.();
  }

  /** Expiry of a live record: restorable `maxDisconnectionDuration` after the last refresh at the latest. */
  get #liveTtl(): number {
    return this.opts.maxDisconnectionDuration + this.opts.refreshMs + 1000;
  }

  #key(pid: string): string {
    return this.opts.keyPrefix + pid;
  }

  has(sid: SocketId): boolean {
    return this.#records.has(sid);
  }

  /** A socket with a private session id connected: its record is written on the next turn, with the rooms
   * and data its "connection" handlers gave it. */
  track(sid: SocketId, pid: string): void {
    this.#records.set(sid, { pid, value: "", dataRef: undefined, stale: false, persisted: false });
    this.changed(sid);
  }

  /** Rooms or data changed: rewrite the record (coalesced: several joins in one turn make one write). */
  changed(sid: SocketId): void {
    if (!this.#records.has(sid)) return;
    this.#dirty.add(sid);
    this.#flushTimer ??= setTimeout(() => this.#flush(), 0);
  }

  #flush(): void {
    this.#flushTimer = undefined;
    const dirty = [...this.#dirty];
    this.#dirty.clear();
    for (const sid of dirty) {
      const rec = this.#records.get(sid);
      const state = this.opts.snapshot(sid);
      if (!rec || rec.stale || rec.persisted || !state) continue;
      this.#write(rec, encodeSession(state), this.#liveTtl, state.data);
    }
  }

  #write(rec: LiveRecord, value: string, ttl: number, data: unknown): void {
    rec.dataRef = data;
    if (value === rec.value) return;
    const key = this.#key(rec.pid);
    const expected = rec.value;
    // optimistic: the connection runs commands in order, so the next compare-and-set finds this value
    rec.value = value;
    const write = expected === ""
      ? this.conn.send(["SET", key, value, "PX", String(ttl)])
      : this.conn.send(["EVAL", COMPARE_AND_SET, "1", key, expected, value, String(ttl)]).then((ok) => {
        if (Number(ok) !== 1) rec.stale = true;
      });
    this.#track(write);
  }

  #track(p: Promise<unknown>): void {
    // a write that fails while Redis is away is redone by `resync` when it is back
    const settled = p.catch(() => {});
    this.#pending.add(settled);
    void settled.then(() => this.#pending.delete(settled));
  }

  /** The socket disconnected and may come back: the record now lives `maxDisconnectionDuration`. */
  persist(session: SessionToPersist): void {
    const rec = this.#records.get(session.sid);
    const value = encodeSession(session);
    const ttl = String(this.opts.maxDisconnectionDuration);
    if (!rec || rec.value === "") {
      this.#track(this.conn.send(["SET", this.#key(session.pid), value, "PX", ttl]));
    } else if (!rec.stale) {
      this.#track(this.conn.send(["EVAL", COMPARE_AND_SET, "1", this.#key(rec.pid), rec.value, value, ttl]));
    }
    if (rec) rec.persisted = true;
  }

  /** The socket is gone. Unless it was persisted, it left on purpose: its record must not be restorable. */
  drop(sid: SocketId): void {
    const rec = this.#records.get(sid);
    if (!rec) return;
    this.#records.delete(sid);
    this.#dirty.delete(sid);
    if (rec.persisted || rec.stale || rec.value === "") return;
    this.#track(this.conn.send(["EVAL", COMPARE_AND_SET, "1", this.#key(rec.pid), rec.value, "", "0"]));
  }

  #onTick(): void {
    const refresh = ++this.#ticks * 1000 >= this.opts.refreshMs;
    if (refresh) this.#ticks = 0;
    if (!this.conn.ready) return;
    const ttl = String(this.#liveTtl);
    for (const [sid, rec] of this.#records) {
      if (rec.stale || rec.persisted || rec.value === "") continue;
      const state = this.opts.snapshot(sid);
      if (!state) continue;
      if (!refresh) {
        // every second, the cheap check: `socket.data = {...}` assigned a new object
        if (state.data !== rec.dataRef) this.changed(sid);
        continue;
      }
      // each refresh, the full one (data changed in place), else just push the expiry forward; node-redis
      // pipelines the commands issued in one turn, so this is one round trip for any number of sockets
      const value = encodeSession(state);
      if (value !== rec.value) this.#write(rec, value, this.#liveTtl, state.data);
      else this.#track(this.conn.send(["PEXPIRE", this.#key(rec.pid), ttl]));
    }
  }

  /** Redis is back (maybe restarted empty): write every live record again. */
  resync(): void {
    for (const [sid, rec] of this.#records) {
      const state = this.opts.snapshot(sid);
      if (rec.stale || rec.persisted || !state) continue;
      rec.value = encodeSession(state);
      rec.dataRef = state.data;
      this.#track(this.conn.send(["SET", this.#key(rec.pid), rec.value, "PX", String(this.#liveTtl)]));
    }
  }

  /** Waits for the writes in flight (a graceful shutdown persists every session before it exits). */
  async close(): Promise<void> {
    clearInterval(this.#tick);
    if (this.#flushTimer !== undefined) {
      clearTimeout(this.#flushTimer);
      this.#flush();
    }
    await Promise.all([...this.#pending]);
  }
}
