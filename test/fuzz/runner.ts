/**
 * A fuzz run against one started server: cases `from`… of `seed`, a few at a time, with the invariants of
 * invariants.ts checked every `healthEvery` cases and at the end. A failure names its seed and case index;
 * `npm run fuzz -- --runtime <r> --seed <s> --case <i>` replays that case alone.
 */
import type { Socket } from "socket.io-client";
import { showCase } from "./case.ts";
import { drive, type Outcome } from "./drive.ts";
import { generate } from "./generate.ts";
import { type Census, census, echoes, freshClient, officialClient, settle } from "./invariants.ts";

export interface RunOptions {
  url: string;
  seed: number;
  /** first case index (default 0) */
  from?: number;
  /** how many cases (default: until `durationMs` is over) */
  cases?: number;
  durationMs?: number;
  /** cases in flight at once (default 4) */
  concurrency?: number;
  /** the invariants every so many cases (default 100) */
  healthEvery?: number;
  /** stop after this many failures (default 1) */
  maxFailures?: number;
  /** whether the server process still runs */
  alive(): boolean;
  /** framing rules this runtime's WebSocket server does not enforce (runtimes.ts RUNTIME_DIFFERENCES) */
  tolerated?: Record<string, string>;
  /** the server's stderr so far (its last lines go into the report when it died) */
  logs?(): string;
  /** run only the cases of these transports (the others are skipped, not counted): to narrow a failure down */
  only?: string[];
  /** the heap may end at most this far above its baseline (default 8 MiB) */
  heapSlack?: number;
  log?(line: string): void;
}

export interface Failure {
  seed: number;
  /** the case, or for an invariant the last case completed before it was checked */
  index: number;
  invariant?: string;
  message: string;
  detail: string;
}

export interface RunResult {
  cases: number;
  ms: number;
  outcomes: Record<Outcome, number>;
  failures: Failure[];
  healthChecks: number;
  /** before the run, after warm-up, at the end */
  census: { start: Census; warm?: Census; end?: Census };
}

const MiB = 1024 * 1024;

export async function runFuzz(o: RunOptions): Promise<RunResult> {
  const log = o.log ?? (() => {});
  const from = o.from ?? 0;
  const concurrency = o.concurrency ?? 4;
  const healthEvery = o.healthEvery ?? 100;
  const maxFailures = o.maxFailures ?? 1;
  const deadline = o.durationMs ? Date.now() + o.durationMs : Infinity;
  const end = o.cases !== undefined ? from + o.cases : Infinity;
  const outcomes: Record<Outcome, number> = { closed: 0, answered: 0, indeterminate: 0 };
  const failures: Failure[] = [];
  const t0 = Date.now();

  // an official client connected for the whole run (polling: the other transport than most fresh ones),
  // and one for the census
  const sentinel: Socket = await officialClient(o.url, true);
  const observer: Socket = await officialClient(o.url);
  const result: RunResult = {
    cases: 0,
    ms: 0,
    outcomes,
    failures,
    healthChecks: 0,
    census: { start: await census(observer) },
  };
  const fail = (f: Omit<Failure, "seed">) => {
    failures.push({ seed: o.seed, ...f });
    log(`FAIL seed ${o.seed} case ${f.index}${f.invariant ? ` (${f.invariant})` : ""}: ${f.message}`);
  };

  const health = async (after: number, final = false) => {
    result.healthChecks++;
    const checks: Array<[string, () => Promise<void>]> = [
      ["alive", () => (o.alive() ? Promise.resolve() : Promise.reject(new Error("the server process died")))],
      ["sentinel", () => echoes(sentinel, `sentinel after ${after}`)],
      ["fresh client", () => freshClient(o.url, result.healthChecks % 2 === 0)],
    ];
    for (const [name, check] of checks) {
      try {
        await check();
      } catch (err) {
        fail({
          index: after,
          invariant: name,
          message: (err as Error).message,
          detail: `checked after ${result.cases} cases${final ? " (end of run)" : ""}; the cases in flight were ` +
            `the ${concurrency} before ${after + 1}`,
        });
        return;
      }
    }
  };

  let next = from;
  const inFlight = new Set<number>();
  const pool = async (until: number) => {
    const worker = async () => {
      while (failures.length < maxFailures && next < until && Date.now() < deadline && o.alive()) {
        const index = next++;
        const c = generate(o.seed, index);
        if (o.only && !o.only.includes(c.transport)) continue;
        inFlight.add(index);
        try {
          outcomes[await drive(o.url, c, o.tolerated)]++;
        } catch (err) {
          let message = (err as Error).message;
          if (message.length > 1500) message = message.slice(0, 1500) + "…";
          if (!o.alive()) {
            // which case killed it: one of those in flight; each replays alone
            message = `the server process died (cases in flight: ${[...inFlight].join(", ")}); this case: ${message}`;
          }
          const logs = o.alive() ? "" : `\nserver stderr (end):\n${(o.logs?.() ?? "").slice(-2000)}`;
          fail({ index, message, detail: showCase(c) + logs });
        } finally {
          inFlight.delete(index);
        }
        result.cases++;
        if (result.cases % healthEvery === 0) await health(index);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  };
  // warm-up: the heap baseline is taken once the first cases warmed the code paths up and their sessions
  // are gone, so the final comparison sees what the run kept, not what the JIT and the first buffers cost
  await pool(Math.min(end, from + Math.min(200, Math.floor((o.cases ?? 2000) / 10))));
  if (o.alive()) {
    await settle(observer, result.census.start, 15_000);
    await new Promise((r) => setTimeout(r, 2500));
    result.census.warm = await settle(observer, result.census.start, 15_000);
  }
  await pool(end);
  if (failures.length < maxFailures) await health(next - 1, true);
  result.ms = Date.now() - t0;

  if (o.alive() && failures.length === 0) {
    const start = result.census.start;
    await settle(observer, start, 20_000);
    await new Promise((r) => setTimeout(r, 2500)); // the fixture's 1 s recovery window, swept every second
    const now = (result.census.end = await settle(observer, start, 20_000));
    const held = (["sessions", "sockets", "nsps", "rooms"] as const).filter((k) => now[k] > start[k]);
    if (held.length) {
      fail({
        index: next - 1,
        invariant: "leak",
        message: `the server still holds ${held.map((k) => `${k} ${now[k]} (was ${start[k]})`).join(", ")}`,
        detail: `20 s after the last case of ${result.cases}; namespaces now: ` +
          now.names.filter((n) => !start.names.includes(n)).join(", "),
      });
    }
    const base = result.census.warm?.heap;
    if (base != null && now.heap != null && now.heap > base + (o.heapSlack ?? 8 * MiB)) {
      fail({
        index: next - 1,
        invariant: "memory",
        message: `heap ${(now.heap / MiB).toFixed(1)} MiB at the end, ${(base / MiB).toFixed(1)} MiB after warm-up`,
        detail: `after ${result.cases} cases`,
      });
    }
  }
  sentinel.close();
  observer.close();
  return result;
}
