/**
 * The heartbeat timer wheel (src/util/timer-wheel.ts) on a fake clock: timers never fire early, at most one
 * slot late, share one platform timer per slot, and a wheel with nothing pending holds no platform timer.
 */
import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { TimerWheel } from "../../src/util/timer-wheel.ts";
import { defaultScheduler } from "../../src/ports.ts";

/** platform timers on a manual clock, installed as the globals the wheel calls (`setTimeout`, `Date.now`) */
class FakePlatform {
  t = 0;
  #next = 1;
  timers = new Map<number, { at: number; fn: () => void }>();
  /** moves the clock to `until`, running due platform timers in time order */
  advance(by: number): void {
    const until = this.t + by;
    for (;;) {
      const due = [...this.timers].filter(([, x]) => x.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.t = due[1].at;
      due[1].fn();
    }
    this.t = until;
  }
  install(): void {
    const g = globalThis as unknown as Record<string, unknown>;
    g.setTimeout = (fn: () => void, ms: number) => {
      const id = this.#next++;
      this.timers.set(id, { at: this.t + ms, fn });
      return id;
    };
    g.clearTimeout = (id: number) => void this.timers.delete(id);
    Date.now = () => this.t;
  }
}

const real = { setTimeout: globalThis.setTimeout, clearTimeout: globalThis.clearTimeout, now: Date.now };
function restore(): void {
  globalThis.setTimeout = real.setTimeout;
  globalThis.clearTimeout = real.clearTimeout;
  Date.now = real.now;
}

function wheel(resolution = 100) {
  const p = new FakePlatform();
  p.install();
  return { p, w: new TimerWheel(resolution) };
}

describe("TimerWheel", () => {
  afterEach(restore);

  it("never fires early and at most one slot late", () => {
    for (const start of [0, 1, 37, 99, 100, 250]) {
      for (const ms of [1000, 1001, 1099, 25_000, 20_050]) {
        const { p, w } = wheel();
        p.t = start;
        let firedAt = -1;
        w.setTimeout(() => (firedAt = p.t), ms);
        p.advance(ms - 1);
        assert.equal(firedAt, -1, `fired early: start ${start}, ms ${ms}`);
        p.advance(101);
        assert.ok(firedAt >= start + ms && firedAt <= start + ms + 100, `start ${start} ms ${ms}: fired at ${firedAt}`);
      }
    }
  });

  it("timers due in the same slot share one platform timer and run in the order they were set", () => {
    const { p, w } = wheel();
    const order: string[] = [];
    p.t = 10; // due at 1010, 1040, 1070: all in the slot ending at 1100
    w.setTimeout(() => order.push("a"), 1000);
    p.advance(30);
    w.setTimeout(() => order.push("b"), 1000);
    p.advance(30);
    w.setTimeout(() => order.push("c"), 1000);
    assert.equal(p.timers.size, 1, "three timers, one slot");
    p.advance(1099 - 70);
    assert.deepEqual(order, [], "the slot has not come");
    p.advance(1);
    assert.deepEqual(order, ["a", "b", "c"]);
    assert.equal(p.timers.size, 0);
  });

  it("a cleared timer does not run; the last one cleared gives the platform timer back", () => {
    const { p, w } = wheel();
    const ran: string[] = [];
    const a = w.setTimeout(() => ran.push("a"), 2000);
    const b = w.setTimeout(() => ran.push("b"), 2000);
    w.clearTimeout(a);
    assert.equal(p.timers.size, 1, "b still pending");
    w.clearTimeout(b);
    assert.equal(p.timers.size, 0, "an empty wheel holds no platform timer (the process may exit)");
    w.clearTimeout(b); // clearing twice is harmless
    p.advance(5000);
    assert.deepEqual(ran, []);
  });

  it("a timer can clear a later one of its own slot, and set new ones from its callback", () => {
    const { p, w } = wheel();
    const ran: string[] = [];
    const later: { b?: ReturnType<TimerWheel["setTimeout"]> } = {};
    w.setTimeout(() => {
      ran.push("a");
      w.clearTimeout(later.b!);
      w.setTimeout(() => ran.push("again"), 1000);
    }, 1000);
    later.b = w.setTimeout(() => ran.push("b"), 1000);
    p.advance(1100);
    assert.deepEqual(ran, ["a"]);
    p.advance(1100);
    assert.deepEqual(ran, ["a", "again"]);
  });

  it("a throwing timer does not stop the others of its slot; its error is rethrown uncaught", () => {
    const { p, w } = wheel();
    const ran: string[] = [];
    w.setTimeout(() => {
      throw new Error("boom");
    }, 1000);
    w.setTimeout(() => ran.push("after"), 1000);
    const queued: Array<() => void> = [];
    const original = globalThis.queueMicrotask;
    globalThis.queueMicrotask = (cb) => void queued.push(cb);
    try {
      p.advance(1100);
    } finally {
      globalThis.queueMicrotask = original;
    }
    assert.deepEqual(ran, ["after"]);
    assert.equal(queued.length, 1);
    assert.throws(queued[0]!, /boom/);
  });

  it("defaultScheduler: heartbeats of 1 s or more go to the wheel, shorter and other timers stay exact", async () => {
    const long = defaultScheduler.setTimeout(() => {}, 25_000, "heartbeat");
    const short = defaultScheduler.setTimeout(() => {}, 50, "heartbeat");
    const other = defaultScheduler.setTimeout(() => {}, 25_000);
    assert.equal(long?.constructor.name, "WheelTimer");
    assert.notEqual(short?.constructor.name, "WheelTimer");
    assert.notEqual(other?.constructor.name, "WheelTimer");
    for (const h of [long, short, other]) defaultScheduler.clearTimeout(h);
    // a short heartbeat fires on time
    const t0 = Date.now();
    await new Promise<void>((resolve) => defaultScheduler.setTimeout(resolve, 30, "heartbeat"));
    assert.ok(Date.now() - t0 >= 25);
  });
});
