/**
 * `node:test` for the shared suite when it runs over WebTransport (import-map.json maps the suite's
 * `node:test` here): only the tests whose name says "webtransport" (the transport matrix's variants) are
 * registered; the others are the Deno runner's (test/e2e/deno.test.ts) and would only run twice. Groups
 * where WebTransport cannot apply are left out, with the reason.
 */
import { describe as nodeDescribe, it as nodeIt } from "node:test";

export { after, afterEach, before, beforeEach } from "node:test";

/** describe groups whose WebTransport variants cannot exist, and why */
export const NOT_APPLICABLE: Record<string, string> = {
  "socket.io-client 2.x (allowEIO3)":
    "Engine.IO v3 and socket.io-client 2.x predate WebTransport: the 2.x client has no such transport",
};

const groups: string[] = [];

/** `describe`, remembering the group names for `it`. */
export function describe(name: string, fn: () => void): void {
  nodeDescribe(name, () => {
    groups.push(name);
    try {
      fn();
    } finally {
      groups.pop();
    }
  });
}

/** `it`, registering only WebTransport variants. */
export function it(name: string, ...rest: unknown[]): void {
  if (!name.includes("webtransport") || groups.some((g) => g in NOT_APPLICABLE)) return;
  (nodeIt as (name: string, ...rest: unknown[]) => void)(name, ...rest);
}
