// Deno with WebTransport (--unstable-net), importing the built package from node_modules. cert.ts is the
// example's certificate maker, copied next to this file by the test.
import { Server } from "portio";
import { serve } from "portio/deno";
import { chat, exchange } from "./exchange.mjs";
import { hashBytes, makeCertificate } from "./cert.ts";

const cert = await makeCertificate({ days: 1 });
const io = new Server({ transports: ["polling", "websocket", "webtransport"] });
chat(io);
const server = await serve(io, { port: 0, hostname: "127.0.0.1", webTransport: { cert: cert.cert, key: cert.key } });
await exchange(`http://127.0.0.1:${server.port}`, "deno-webtransport", {
  transports: ["webtransport"],
  transportOptions: {
    webtransport: { serverCertificateHashes: [{ algorithm: "sha-256", value: hashBytes(cert.hash) }] },
  },
});
await server.close();
Deno.exit(0);
