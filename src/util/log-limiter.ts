/**
 * Errors a client can cause at will (a request the code did not expect, an app listener that throws on what a
 * client sent) must not let that client write a line and a stack to the log per request: each kind is logged at
 * most once per `period` (a minute), with the number of repeats left out since the last line of that kind.
 * A kind is where the error happened, its name and the line that threw it (`errorKind`); the number of kinds tracked
 * is bounded too, so whatever the errors, the log gets a bounded number of lines a minute.
 */
import type { Logger } from "./logger.ts";

/** kinds tracked at once; beyond, new kinds share one entry (so a flood of distinct errors is one line a minute) */
const MAX_KINDS = 100;
const OVERFLOW = "(other errors)";

/** Logs each kind of error at most once per period. */
export class LogLimiter {
  #seen = new Map<string, { until: number; skipped: number }>();

  /** `now` is a clock for tests. */
  constructor(readonly logger: Logger, readonly period = 60_000, readonly now: () => number = Date.now) {}

  /** Logs `args` at error level unless `kind` was logged within the period (then only counts it). */
  error(kind: string, ...args: unknown[]): void {
    const t = this.now();
    if (!this.#seen.has(kind) && this.#seen.size >= MAX_KINDS) {
      for (const [k, v] of this.#seen) if (v.until <= t) this.#seen.delete(k);
      if (this.#seen.size >= MAX_KINDS) kind = OVERFLOW;
    }
    const entry = this.#seen.get(kind);
    if (entry && t < entry.until) {
      entry.skipped++;
      return;
    }
    this.#seen.set(kind, { until: t + this.period, skipped: 0 });
    const more = entry?.skipped ? [`(and ${entry.skipped} more like it since the last report, not logged)`] : [];
    this.logger.error(...args, ...more);
  }
}

const limiters = new WeakMap<Logger, LogLimiter>();

/** `logger.error(...args)`, at most once a minute per `kind` and logger (see `LogLimiter`). */
export function logLimited(logger: Logger, kind: string, ...args: unknown[]): void {
  let limiter = limiters.get(logger);
  if (!limiter) limiters.set(logger, limiter = new LogLimiter(logger));
  limiter.error(kind, ...args);
}

/**
 * The kind of an error: where it happened, its name and the code that threw it (the first frame of its stack),
 * never its message, which often holds what the client sent (`listener failed on <data>`).
 */
export function errorKind(where: string, err: unknown): string {
  if (!(err instanceof Error)) return `${where}: ${typeof err}`;
  const frame = typeof err.stack === "string" ? /\n\s*(at .*)/.exec(err.stack)?.[1] ?? "" : "";
  return `${where}: ${err.name} ${frame}`;
}
