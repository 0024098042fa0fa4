/** Runs the shared e2e suite against the fixture mounted in a Hono app (on Node). */
import { runSuite } from "./suite.ts";
import { startProcess } from "./harness.ts";

runSuite(
  "hono (node)",
  () =>
    startProcess("hono", [process.execPath, "--import", "tsx", "test/fixture/hono-node.ts"], {}, {
      "upgrade-refusal-body":
        "@hono/node-server answers a refused WebSocket upgrade with its status line only, no JSON body",
      "no-permessage-deflate":
        "behind Hono the app creates the WebSocket server (`upgradeWebSocket`, here ws's WebSocketServer with its " +
        "default perMessageDeflate: false): compression is the app's setting there, not Portio's",
    }),
);
