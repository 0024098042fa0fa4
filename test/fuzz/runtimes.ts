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

/**
 * Framing rules (framing.ts) a runtime's own WebSocket server does not enforce, with the reason: Portio never
 * sees the frames there, so the fuzzer accepts either outcome for them on that runtime.
 */
export const FRAMING_DIFFERENCES: Record<string, Record<string, string>> = {
  deno: {
    "an unmasked client frame": "Deno's WebSocket server accepts unmasked client frames (RFC 6455 §5.1 says fail " +
      "the connection); Deno.upgradeWebSocket gives Portio the messages only",
  },
};

export function startRuntime(name: string): Promise<Target> {
  const cmd = RUNTIMES[name];
  if (!cmd) throw new Error(`unknown runtime ${name} (one of ${Object.keys(RUNTIMES).join(", ")})`);
  return startProcess(name, cmd);
}
