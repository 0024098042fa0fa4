/**
 * A `Scheduler` for a Durable Object. A pending `setTimeout` forbids hibernation (the runtime could not
 * recreate its callback after evicting the object), so heartbeat timers live in memory and ONE storage
 * alarm is set for the earliest of them; the object's `alarm()` handler calls `fire()`. Only heartbeat
 * timers go there, because only they can be rebuilt after a wake (from the session record, see
 * engine-restore.ts). Any other timer (an ack timeout, `connectTimeout`) holds a closure that hibernation
 * would lose, so it stays a real `setTimeout` and keeps the object in memory until it fires or is cleared.
 */
import { defaultLogger, type Logger } from "../util/logger.ts";
import type { Scheduler, TimerKind } from "../ports.ts";

/** The part of Durable Object storage the scheduler needs. */
export interface AlarmStorage {
  /** Sets the alarm. */
  setAlarm(scheduledTime: number): Promise<void>;
  /** Deletes the alarm. */
  deleteAlarm(): Promise<void>;
}

/** Options of an `AlarmScheduler`. */
export interface AlarmSchedulerOptions {
  /**
   * How early a heartbeat timer may run to share an alarm with an earlier one: at most this many ms
   * (default 1000) and at most a tenth of its own delay. Sockets connect at random moments, so without it
   * every socket's ping is its own wake-up; a ping sent a little early only resets the client's timer sooner.
   */
  maxCoalesce?: number;
  /** clock, for tests */
  now?: () => number;
  /** where a failing timer or alarm call is reported (default: console) */
  logger?: Logger;
}

class AlarmTimer {
  cancelled = false;
  constructor(readonly at: number, readonly early: number, readonly seq: number, readonly fn: () => void) {}
}

const before = (a: AlarmTimer, b: AlarmTimer) => a.at < b.at || (a.at === b.at && a.seq < b.seq);

/** Timers driven by one storage alarm, so a Durable Object can hibernate between heartbeats. */
export class AlarmScheduler implements Scheduler {
  #storage: AlarmStorage;
  #maxCoalesce: number;
  #now: () => number;
  /** binary min-heap on (at, seq); cleared timers stay until they reach the top */
  #heap: AlarmTimer[] = [];
  #live = 0;
  #seq = 0;
  /** the alarm time last asked of storage, undefined when none is known to be set */
  #armed: number | undefined;
  #syncQueued = false;
  #logger: Logger;

  /** Creates the scheduler over a storage's alarm. */
  constructor(storage: AlarmStorage, options: AlarmSchedulerOptions = {}) {
    this.#storage = storage;
    this.#maxCoalesce = options.maxCoalesce ?? 1000;
    this.#now = options.now ?? Date.now;
    this.#logger = options.logger ?? defaultLogger;
  }

  /** heartbeat timers pending */
  get size(): number {
    return this.#live;
  }

  setTimeout(fn: () => void, ms: number, kind?: TimerKind): unknown {
    if (kind !== "heartbeat") return globalThis.setTimeout(fn, ms);
    const timer = new AlarmTimer(this.#now() + ms, Math.min(this.#maxCoalesce, ms / 10), this.#seq++, fn);
    this.#push(timer);
    this.#live++;
    this.#queueSync();
    return timer;
  }

  /** Cancels a timer. */
  clearTimeout(handle: unknown): void {
    if (!(handle instanceof AlarmTimer)) {
      if (handle !== undefined) globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>);
      return;
    }
    if (handle.cancelled) return;
    handle.cancelled = true;
    this.#live--;
    this.#queueSync();
  }

  /** The storage alarm fired: runs every heartbeat timer that is due (or close enough), then re-arms. */
  fire(): void {
    this.#armed = undefined; // storage consumed it
    const now = this.#now();
    const due: AlarmTimer[] = [];
    const notYet: AlarmTimer[] = [];
    while (this.#heap.length) {
      const top = this.#heap[0]!;
      if (top.at > now + this.#maxCoalesce) break;
      this.#pop();
      if (top.cancelled) continue;
      if (top.at - top.early <= now) due.push(top);
      else notYet.push(top);
    }
    for (const t of notYet) this.#push(t);
    for (const t of due) {
      if (t.cancelled) continue; // cleared by an earlier timer of this batch
      t.cancelled = true;
      this.#live--;
      try {
        t.fn();
      } catch (err) {
        this.#logger.error("uncaught error in a timer", err);
      }
    }
    this.#queueSync();
  }

  // One storage call per event at most: timers set and cleared in the same turn cost nothing. The alarm is
  // moved earlier when needed, never later: an alarm that fires early finds nothing due and re-arms.
  #queueSync(): void {
    if (this.#syncQueued) return;
    this.#syncQueued = true;
    // a promise's reaction, not queueMicrotask: the same queue, but workerd's queueMicrotask is a C++ call
    Promise.resolve().then(() => {
      this.#syncQueued = false;
      this.#sync();
    });
  }

  #sync(): void {
    while (this.#heap.length && this.#heap[0]!.cancelled) this.#pop();
    const top = this.#heap[0];
    if (!top) {
      if (this.#armed === undefined) return;
      this.#armed = undefined;
      this.#storage.deleteAlarm().catch((err) => this.#logger.error("deleteAlarm failed", err));
      return;
    }
    if (this.#armed !== undefined && this.#armed <= top.at) return;
    this.#armed = top.at;
    this.#storage.setAlarm(top.at).catch((err) => this.#logger.error("setAlarm failed", err));
  }

  #push(t: AlarmTimer): void {
    const h = this.#heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  #pop(): void {
    const h = this.#heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && before(h[l]!, h[m]!)) m = l;
      if (r < h.length && before(h[r]!, h[m]!)) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}
