/**
 * How the fuzzer starts the e2e fixture (test/fixture) on each runtime: as the shared suite does, plus
 * --expose-gc so the fixture's `census` reads the heap after a full collection (Bun has `Bun.gc`).
 */
import { startProcess, type Target } from "../e2e/harness.ts";

export const RUNTIMES: Record<string, string[]> = {
  node: [process.execPath, "--expose-gc", "--import", "tsx", "test/fixture/node.ts"],
  deno: ["node_modules/.bin/deno", "run", "-A", "--no-check", "--v8-flags=--expose-gc", "test/fixture/deno.ts"],
  bun: ["node_modules/.bin/bun", "run", "test/fixture/bun.ts"],
};

export function startRuntime(name: string): Promise<Target> {
  const cmd = RUNTIMES[name];
  if (!cmd) throw new Error(`unknown runtime ${name} (one of ${Object.keys(RUNTIMES).join(", ")})`);
  return startProcess(name, cmd);
}
