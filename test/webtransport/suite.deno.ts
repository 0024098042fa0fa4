/**
 * The shared e2e suite (test/e2e/suite) over WebTransport: run by Deno (its `node:test` layer), because the
 * official client needs a `WebTransport` global, which Deno has with `--unstable-net` and Node has not. The
 * transport matrix is swapped for WebTransport alone and polling → WebTransport; `--filter webtransport`
 * (test/e2e/webtransport.test.ts) keeps the runs to those variants: the rest of the suite is what the Deno
 * runner (test/e2e/deno.test.ts) already covers.
 */
import { runSuite } from "../e2e/suite.ts";
import { clientDefaults, SINGLE_TRANSPORTS, startProcess, TRANSPORT_MATRIX } from "../e2e/harness.ts";
import { hashBytes, makeCertificate } from "../../examples/webtransport/cert.ts";

import "./client-shims.ts";

const cert = await makeCertificate({ days: 2 });
clientDefaults.transportOptions = {
  webtransport: { serverCertificateHashes: [{ algorithm: "sha-256", value: hashBytes(cert.hash) }] },
};
TRANSPORT_MATRIX.splice(
  0,
  TRANSPORT_MATRIX.length,
  { label: "webtransport", transports: ["webtransport"] },
  { label: "polling → webtransport", transports: ["polling", "webtransport"] },
);

SINGLE_TRANSPORTS.splice(0, SINGLE_TRANSPORTS.length, ["webtransport"]);

runSuite(
  "deno-webtransport",
  () =>
    startProcess(
      "deno-webtransport",
      ["node_modules/.bin/deno", "run", "-A", "--unstable-net", "--no-check", "test/fixture/deno-webtransport.ts"],
      { WT_CERT: cert.cert, WT_KEY: cert.key },
    ),
);
