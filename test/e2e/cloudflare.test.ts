/** Runs the shared e2e suite against the fixture as a Worker + Durable Object in workerd (Miniflare). */
import { runSuite } from "./suite.ts";
import { startProcess } from "./harness.ts";

runSuite(
  "workerd",
  () =>
    startProcess("workerd", [process.execPath, "--import", "tsx", "test/fixture/cloudflare-node.ts"], {
      CLOUDFLARE_CF_FETCH_ENABLED: "false",
      WRANGLER_SEND_METRICS: "false",
    }, {
      "server-close-needs-client-frame":
        "workerd ends the connection of a hibernatable WebSocket the server closed only after the client sent a frame " +
        "(a client that never speaks sees the close frame, not the end of the connection); the adapter accepts a " +
        "socket the engine closes at once without hibernation, but a probe that stays silent until upgradeTimeout hits it",
      "msgpack-browser-build-binary":
        "bundled for Workers, socket.io-msgpack-parser uses notepack.io's browser build, which treats only ArrayBuffer " +
        "as binary (a Uint8Array becomes a map) and does not read the Node build's binary back the same way: events, " +
        "acks, rooms and broadcasts work, binary payloads do not round-trip with Node clients (docs/migration.md)",
      "no-http-compression":
        "a Worker sees the Accept-Encoding Cloudflare sends it, not the client's, and Cloudflare compresses responses " +
        "for the client itself (workerd too): `portio/cloudflare` servers default to `httpCompression: false`",
      "no-per-message-compress":
        "workerd negotiates permessage-deflate itself and its WebSocket `send` takes no per-message option: " +
        "`compress(false)` cannot keep a message uncompressed there",
      "no-client-bundle":
        "a Worker has no file system to read socket.io-client from: serve its dist/ as static assets, or hand the files " +
        "to `io.setClientFiles(clientBundle(files))` (README, Cloudflare Workers)",
    }),
);
