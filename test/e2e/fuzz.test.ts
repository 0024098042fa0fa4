/**
 * The short fixed-seed fuzz run of `npm test` (test/fuzz, docs/testing.md "Fuzzing"): 2,000 cases of mutated
 * Engine.IO/Socket.IO traffic per runtime, each checked against the reference model, with the invariants
 * (process alive, a long-lived client and a fresh client still answered, nothing left behind, heap back
 * near its baseline). A failure names the seed and case and the command that replays it.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Target } from "./harness.ts";
import { runFuzz } from "../fuzz/runner.ts";
import { RUNTIME_DIFFERENCES, RUNTIMES, startRuntime } from "../fuzz/runtimes.ts";

const SEED = Number(process.env.FUZZ_SEED ?? 20261130);
const CASES = Number(process.env.FUZZ_CASES ?? 2000);

const only = process.env.FUZZ_RUNTIMES?.split(",");
for (const name of Object.keys(RUNTIMES).filter((n) => !only || only.includes(n))) {
  describe(`fuzz on ${name}`, () => {
    let target: Target;
    before(async () => {
      target = await startRuntime(name);
    });
    after(() => target?.stop());

    it(`${CASES} mutated cases (seed ${SEED}) keep the model's answers and the invariants`, async () => {
      const r = await runFuzz({
        url: target.url,
        seed: SEED,
        cases: CASES,
        alive: () => target.alive(),
        logs: () => target.logs(),
        tolerated: RUNTIME_DIFFERENCES[name],
        maxFailures: 3,
      });
      const mib = (n: number | null | undefined) => (n == null ? "n/a" : (n / 1024 / 1024).toFixed(1));
      console.log(
        `# ${name}: ${r.cases} cases in ${(r.ms / 1000).toFixed(1)} s (${r.outcomes.answered} answered, ` +
          `${r.outcomes.closed} closed, ${r.outcomes.indeterminate} unpredictable); heap ${
            mib(r.census.warm?.heap)
          } → ` +
          `${mib(r.census.end?.heap)} MiB`,
      );
      const report = r.failures.map((f) =>
        `seed ${f.seed} case ${f.index}${f.invariant ? ` (${f.invariant})` : ""}: ${f.message}\n${f.detail}\n` +
        `replay: npm run fuzz -- --runtime ${name} --seed ${f.seed} --case ${f.index}`
      );
      assert.deepEqual(report, [], `${report.join("\n\n")}\n${target.alive() ? "" : target.logs()}`);
      assert.ok(r.cases >= CASES, `only ${r.cases} cases ran`);
    });
  });
}
