/** Runs the shared e2e suite against the fixture on Node. */
import { runSuite } from "./suite.ts";
import { startProcess } from "./harness.ts";

runSuite("node", () => startProcess("node", [process.execPath, "--import", "tsx", "test/fixture/node.ts"]));
