/**
 * The chat example on Deno with WebTransport: the same app as examples/chat, with `"webtransport"` among the
 * transports and QUIC served on the HTTP port number. Browsers reach a server with a self-signed certificate
 * over WebTransport only by its hash (`serverCertificateHashes`), so the page is given it.
 *
 *   deno run -A --unstable-net examples/webtransport/server.ts
 *   CERT=cert.pem KEY=key.pem deno run -A --unstable-net examples/webtransport/server.ts   (your certificate)
 *
 * Without CERT/KEY a certificate valid for 10 days is made at start (examples/webtransport/cert.ts). Open
 * http://localhost:3000/?transports=webtransport (or polling,webtransport; websocket for a WebSocket page).
 */
import { Server } from "portio";
import { serve } from "portio/deno";
import { chatApp } from "../chat/app.ts";
import { indexHtml } from "../chat/html.ts";
import { hashOfPem, makeCertificate } from "./cert.ts";

const certFile = Deno.env.get("CERT");
const keyFile = Deno.env.get("KEY");
const tls = certFile && keyFile
  ? await (async () => {
    const cert = await Deno.readTextFile(certFile);
    return { cert, key: await Deno.readTextFile(keyFile), hash: await hashOfPem(cert) };
  })()
  : await makeCertificate();

const io = new Server({
  transports: ["polling", "websocket", "webtransport"],
  connectionStateRecovery: { maxDisconnectionDuration: 2 * 60 * 1000 },
});
chatApp(io);

const clientScript = (await Deno.readTextFile(
  new URL("../../node_modules/socket.io-client/dist/socket.io.min.js", import.meta.url),
)).replace(/\n?\/\/# sourceMappingURL=\S*\s*$/, "\n");

// the chat page, its `io()` given the transports from the page's query and the certificate's hash
const options = `<script>
window.portioOptions = function () {
  var t = new URLSearchParams(location.search).get("transports");
  var hash = ${JSON.stringify(tls.hash)}.match(/../g).map(function (h) { return parseInt(h, 16); });
  return {
    transports: t ? t.split(",") : ["polling", "webtransport"],
    transportOptions: { webtransport: { serverCertificateHashes: [{ algorithm: "sha-256", value: new Uint8Array(hash) }] } }
  };
};
</script>
`;
const html = indexHtml
  .replace('<script src="/socket.io.min.js"></script>', options + '<script src="/socket.io.min.js"></script>')
  .replace("var socket = io();", "var socket = io(window.portioOptions());");

function page(req: Request): Response {
  const { pathname } = new URL(req.url);
  if (pathname === "/") return new Response(html, { headers: { "content-type": "text/html; charset=utf-8" } });
  if (pathname === "/socket.io.min.js") {
    return new Response(clientScript, { headers: { "content-type": "text/javascript; charset=utf-8" } });
  }
  return new Response("Not Found", { status: 404 });
}

const handle = await serve(io, {
  port: Number(Deno.env.get("PORT") ?? 3000),
  hostname: Deno.env.get("HOST"),
  fetch: page,
  webTransport: { cert: tls.cert, key: tls.key },
});
console.log(`Portio chat on http://localhost:${handle.port} (Deno, WebTransport on UDP ${handle.webTransport?.port})`);
console.log(`certificate SHA-256: ${tls.hash}`);
console.log(`LISTENING ${handle.port}`);
Deno.addSignalListener("SIGINT", () => void handle.close().then(() => Deno.exit(0)));
Deno.addSignalListener("SIGTERM", () => void handle.close().then(() => Deno.exit(0)));
