/**
 * How the fuzzer starts the e2e fixture (test/fixture) on each runtime: as the shared suite does, plus
 * --expose-gc so the fixture's `census` reads the heap after a full collection (Bun has `Bun.gc`).
 */
import { startProcess, type Target } from "../e2e/harness.ts";
import { JSON_KEYS } from "./case.ts";

export const RUNTIMES: Record<string, string[]> = {
  node: [process.execPath, "--expose-gc", "--import", "tsx", "test/fixture/node.ts"],
  deno: ["node_modules/.bin/deno", "run", "-A", "--no-check", "--v8-flags=--expose-gc", "test/fixture/deno.ts"],
  bun: ["node_modules/.bin/bun", "run", "test/fixture/bun.ts"],
};

/**
 * What a runtime does below Portio, with the reason: framing rules (framing.ts) its WebSocket server does not
 * enforce (Portio never sees the frames), and `JSON_KEYS`. The fuzzer accepts either outcome for them there.
 */
export const RUNTIME_DIFFERENCES: Record<string, Record<string, string>> = {
  deno: {
    [JSON_KEYS]: 'Deno 2.9.6 (V8 15.0.245.2): after JSON.parse of the text {"":1,"\\\\":2}, the text ' +
      '{"":1,"\\ud800":2} parses with the key "\\" (a backslash) again: a key with an escape can take ' +
      "the name of an escaped key parsed before in an object of the same shape (Node 20 and Bun parse it right)",
    "an unmasked client frame": "Deno's WebSocket server accepts unmasked client frames (RFC 6455 §5.1 says fail " +
      "the connection); Deno.upgradeWebSocket gives Portio the messages only",
  },
};

export function startRuntime(name: string): Promise<Target> {
  const cmd = RUNTIMES[name];
  if (!cmd) throw new Error(`unknown runtime ${name} (one of ${Object.keys(RUNTIMES).join(", ")})`);
  // recovery sessions kept 1 s instead of 30 (swept every second): what the heap holds at the end of a run is
  // then what the run left behind, not the sessions of its last 30-60 s still waiting for a reconnect
  return startProcess(name, cmd, { FIXTURE_RECOVERY_MS: "1000" });
}
