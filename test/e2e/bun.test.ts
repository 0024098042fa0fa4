/** Runs the shared e2e suite against the fixture on Bun (binary from the `bun` npm package). */
import { runSuite } from "./suite.ts";
import { startProcess } from "./harness.ts";

runSuite("bun", () => startProcess("bun", ["node_modules/.bin/bun", "run", "test/fixture/bun.ts"]));
