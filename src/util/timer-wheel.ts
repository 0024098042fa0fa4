/**
 * Heartbeat timers grouped into time slots: one platform timer per slot instead of one per session. Every
 * open session has a heartbeat timer pending at all times, so with a timer each, idle connections pay for a
 * platform timer object (Node's `Timeout` is ~120 bytes) and its bookkeeping at every handshake and pong.
 *
 * Bound: a timer of `ms` fires no earlier than asked and at most one slot (`resolution` ms, default 100)
 * later, and only timers of at least `WHEEL_MIN_DELAY` (1000 ms) share slots; shorter ones (tests, tight
 * heartbeats) are plain platform timers, exact as before. With the defaults a ping goes out at most 100 ms late
 * in 25 s, and a ping timeout closes at most 100 ms later than `pingTimeout` (never sooner).
 */

/** One pending timer; its handle. */
export class WheelTimer {
  constructor(public fn: (() => void) | undefined, public slot: Slot | undefined) {}
}

/** the timers due at `at`, in the order they were set (the order they run) */
class Slot extends Set<WheelTimer> {
  handle: unknown;
  constructor(readonly at: number) {
    super();
  }
}

/** Heartbeat timers shorter than this stay platform timers (see the bound above). */
export const WHEEL_MIN_DELAY = 1000;

/** Timers that share one platform timer per `resolution` ms. */
export class TimerWheel {
  /** pending slots by their time */
  #slots = new Map<number, Slot>();

  // the platform's timers and clock are looked up at each call, so fake ones a test installs are used
  constructor(readonly resolution = 100) {}

  /** Runs `fn` after `ms` ms, up to one slot later (see the bound above). */
  setTimeout(fn: () => void, ms: number): WheelTimer {
    const r = this.resolution;
    const now = Date.now();
    // the slot is the first slot boundary at or after the due time, so a timer never fires early
    const at = Math.ceil((now + ms) / r) * r;
    let slot = this.#slots.get(at);
    if (!slot) {
      const created = slot = new Slot(at);
      created.handle = setTimeout(() => this.#fire(created), at - now);
      this.#slots.set(at, created);
    }
    const timer = new WheelTimer(fn, slot);
    slot.add(timer);
    return timer;
  }

  /** Cancels a timer; an empty slot gives its platform timer back (nothing keeps the process alive). */
  clearTimeout(timer: WheelTimer): void {
    const slot = timer.slot;
    timer.fn = timer.slot = undefined;
    if (slot?.delete(timer) && !slot.size) {
      clearTimeout(slot.handle as ReturnType<typeof setTimeout>);
      if (this.#slots.get(slot.at) === slot) this.#slots.delete(slot.at);
    }
  }

  #fire(slot: Slot): void {
    this.#slots.delete(slot.at);
    // a timer cleared by an earlier one of the same slot is skipped: clearing deletes it from the Set
    for (const timer of slot) {
      const fn = timer.fn!;
      this.clearTimeout(timer);
      try {
        fn();
      } catch (err) {
        // as a platform timer's error would: uncaught, reported by the runtime, but the slot's other timers run
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }
}
