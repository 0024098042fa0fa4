/**
 * The soak (test/soak/soak.ts) for 30 s per runtime: mixed load (churn over both transports and upgrades, rooms,
 * broadcasts, acks both ways, recoveries, a slow consumer, clients that never poll) with no message lost and no
 * heap growth after warm-up. `npm run soak` runs it for longer (README, docs/testing.md).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { describeResult, runSoak, type Runtime } from "../soak/soak.ts";

const SECONDS = Number(process.env.SOAK_SECONDS ?? 30);

describe("soak", () => {
  for (const runtime of ["node", "deno", "bun"] as Runtime[]) {
    it(`${SECONDS} s of mixed load on ${runtime}: every message arrives, memory stops growing`, async () => {
      const r = await runSoak({ runtime, duration: SECONDS * 1000 });
      console.log(`# ${describeResult(r)}`);
      assert.ok(r.ok, r.failures.join("\n"));
    });
  }
});
