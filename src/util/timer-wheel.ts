/**
 * Heartbeat timers grouped into time slots: one platform timer per slot instead of one per session. Every
 * open session has a heartbeat timer pending at all times, so with a timer each, idle connections pay for a
 * platform timer object (Node's `Timeout` is ~120 bytes) and its bookkeeping at every handshake and pong.
 *
 * Bound: a timer of `ms` fires no earlier than asked and at most one slot (`resolution` ms, default 100)
 * later, and only timers of at least `minDelay` ms (default 1000) share slots; shorter ones (tests, tight
 * heartbeats) are plain platform timers, exact as before. With the defaults a ping goes out at most 100 ms late
 * in 25 s, and a ping timeout closes at most 100 ms later than `pingTimeout` (never sooner).
 */

/** The platform timer functions and clock the wheel runs on (replaced in tests). */
export interface WheelPlatform {
  /** A platform timer. */
  setTimeout(fn: () => void, ms: number): unknown;
  /** Cancels a platform timer. */
  clearTimeout(handle: unknown): void;
  /** The time in ms. */
  now(): number;
}

const globalPlatform: WheelPlatform = {
  // looked up at each call, so fake timers installed after this module loads (test runners) are used
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
};

/** One pending timer; its handle. */
export class WheelTimer {
  constructor(public fn: (() => void) | undefined, public slot: Slot | undefined) {}
}

class Slot {
  /** pending timers in the order they were set, which is the order they run */
  readonly timers = new Set<WheelTimer>();
  handle: unknown;
  constructor(readonly at: number) {}
}

/** Timers that share one platform timer per `resolution` ms. */
export class TimerWheel {
  readonly resolution: number;
  readonly minDelay: number;
  #platform: WheelPlatform;
  /** pending slots by their time */
  #slots = new Map<number, Slot>();

  constructor(options: { resolution?: number; minDelay?: number; platform?: WheelPlatform } = {}) {
    this.resolution = options.resolution ?? 100;
    this.minDelay = options.minDelay ?? 1000;
    this.#platform = options.platform ?? globalPlatform;
  }

  /** Timers pending. */
  get size(): number {
    let n = 0;
    for (const slot of this.#slots.values()) n += slot.timers.size;
    return n;
  }

  /** Runs `fn` after `ms` ms, up to one slot later (see the bound above). */
  setTimeout(fn: () => void, ms: number): WheelTimer {
    const r = this.resolution;
    const now = this.#platform.now();
    // the slot is the first slot boundary at or after the due time, so a timer never fires early
    const at = Math.ceil((now + Math.max(0, ms)) / r) * r;
    let slot = this.#slots.get(at);
    if (!slot) {
      const created = new Slot(at);
      created.handle = this.#platform.setTimeout(() => this.#fire(created), at - now);
      this.#slots.set(at, created);
      slot = created;
    }
    const timer = new WheelTimer(fn, slot);
    slot.timers.add(timer);
    return timer;
  }

  /** Cancels a timer; an empty slot gives its platform timer back (nothing keeps the process alive). */
  clearTimeout(timer: WheelTimer): void {
    const slot = timer.slot;
    timer.fn = undefined;
    timer.slot = undefined;
    if (!slot || !slot.timers.delete(timer) || slot.timers.size > 0) return;
    this.#platform.clearTimeout(slot.handle);
    this.#slots.delete(slot.at);
  }

  #fire(slot: Slot): void {
    this.#slots.delete(slot.at);
    // a timer cleared by an earlier one of the same slot is skipped: clearing deletes it from the Set
    for (const timer of slot.timers) {
      slot.timers.delete(timer);
      const fn = timer.fn;
      timer.fn = undefined;
      timer.slot = undefined;
      try {
        fn?.();
      } catch (err) {
        // as a platform timer's error would: uncaught, reported by the runtime, but the slot's other timers run
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }
}
