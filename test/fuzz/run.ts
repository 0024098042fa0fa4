/**
 * `npm run fuzz`: long fuzz runs against the e2e fixture on Node, Deno and Bun (docs/testing.md, "Fuzzing").
 *
 *   npm run fuzz                                        every runtime, a random seed, 20,000 cases each
 *   npm run fuzz -- --runtime deno --seed 7 --cases 100000
 *   npm run fuzz -- --duration 600                      ten minutes per runtime
 *   npm run fuzz -- --runtime bun --seed 7 --case 4242  replay one case: print it, run it alone
 *   --concurrency 4, --from 0, --max-failures 10, --heap-slack 8 (MiB over the heap after warm-up),
 *   --only websocket,polling,upgrade,frames,http (skip the other cases, to narrow a failure down)
 *
 * Prints the seed first, and for every failure its case index and the one-line command that replays it.
 * Exits 1 on any failure.
 */
import process from "node:process";
import { showCase } from "./case.ts";
import { drive } from "./drive.ts";
import { expect } from "./model.ts";
import { generate } from "./generate.ts";
import { runFuzz } from "./runner.ts";
import { RUNTIME_DIFFERENCES, RUNTIMES, startRuntime } from "./runtimes.ts";

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const runtimes = (option("runtime") ?? Object.keys(RUNTIMES).join(",")).split(",");
const seed = Number(option("seed") ?? (Date.now() % 2 ** 31));
const single = option("case");
const duration = option("duration");
const cases = option("cases") ?? (duration ? undefined : "20000");
const replay = (runtime: string, index: number) =>
  `npm run fuzz -- --runtime ${runtime} --seed ${seed} --case ${index}`;

console.log(`fuzz seed ${seed} on ${runtimes.join(", ")}`);
let failed = false;
for (const runtime of runtimes) {
  const target = await startRuntime(runtime);
  try {
    if (single !== undefined) {
      const c = generate(seed, Number(single));
      console.log(showCase(c));
      console.log("model:", JSON.stringify(expect(c), (_k, v) => (v instanceof Uint8Array ? `<${v.length}B>` : v)));
      try {
        console.log(`${runtime}: ${await drive(target.url, c, RUNTIME_DIFFERENCES[runtime])}`);
      } catch (err) {
        failed = true;
        console.log(`${runtime}: FAIL ${(err as Error).message}`);
      }
      if (!target.alive()) (failed = true), console.log(`${runtime} died:\n${target.logs()}`);
      continue;
    }
    const r = await runFuzz({
      url: target.url,
      seed,
      from: Number(option("from") ?? 0),
      cases: cases === undefined ? undefined : Number(cases),
      durationMs: duration ? Number(duration) * 1000 : undefined,
      concurrency: Number(option("concurrency") ?? 4),
      maxFailures: Number(option("max-failures") ?? 10),
      heapSlack: Number(option("heap-slack") ?? 8) * 1024 * 1024,
      only: option("only")?.split(","),
      alive: () => target.alive(),
      logs: () => target.logs(),
      tolerated: RUNTIME_DIFFERENCES[runtime],
      log: (line) => console.log(`${runtime}: ${line}`),
    });
    const mib = (n: number | null | undefined) => (n == null ? "n/a" : (n / 1024 / 1024).toFixed(1));
    console.log(
      `${runtime}: ${r.cases} cases in ${(r.ms / 1000).toFixed(1)} s (${r.outcomes.answered} answered, ` +
        `${r.outcomes.closed} closed, ${r.outcomes.indeterminate} unpredictable), ${r.healthChecks} health checks; ` +
        `heap ${mib(r.census.warm?.heap)} → ${mib(r.census.end?.heap)} MiB, ` +
        `rss ${mib(r.census.warm?.rss)} → ${mib(r.census.end?.rss)} MiB`,
    );
    for (const f of r.failures) {
      failed = true;
      console.log(`\nFAILURE on ${runtime}, seed ${f.seed}, case ${f.index}${f.invariant ? ` (${f.invariant})` : ""}`);
      console.log(`  ${f.message}\n${f.detail}`);
      console.log(`  replay: ${replay(runtime, f.index)}`);
    }
    if (!target.alive()) (failed = true), console.log(`${runtime} died:\n${target.logs()}`);
  } finally {
    await target.stop();
  }
}
process.exit(failed ? 1 : 0);
