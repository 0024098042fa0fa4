/** Runs the shared e2e suite against the fixture on Deno (binary from the `deno` npm package). */
import { runSuite } from "./suite.ts";
import { startProcess } from "./harness.ts";

runSuite(
  "deno",
  () =>
    startProcess("deno", ["node_modules/.bin/deno", "run", "-A", "--no-check", "test/fixture/deno.ts"], {}, {
      "no-brotli-bundle":
        "portio/deno reads the client bundle with Deno APIs only, and Web streams have no brotli: it is served gzipped",
      "no-permessage-deflate":
        "Deno.upgradeWebSocket has no compression option: Deno never negotiates permessage-deflate, so " +
        "`perMessageDeflate` has no effect there",
    }),
);
