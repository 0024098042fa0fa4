// A small copy of socket.io's examples/private-messaging server/cluster.js, written for the e2e test
// (official-examples.test.ts): a primary that spreads connections over workers with @socket.io/sticky.
// As socket.io's (it does not import socket.io), with @socket.io/sticky 1.x as the example pins it (2.x also
// needs `cluster.setupPrimary({ serialization: "advanced" })`); WORKERS (default 4) lets the test run two.
const cluster = require("node:cluster");
const http = require("node:http");
const { setupMaster } = require("@socket.io/sticky");

if (cluster.isPrimary) {
  for (let i = 0; i < Number(process.env.WORKERS ?? 4); i++) cluster.fork();
  const httpServer = http.createServer();
  setupMaster(httpServer, { loadBalancingMethod: "least-connection" });
  httpServer.listen(
    process.env.PORT ?? 3000,
    () => console.log(`server listening at http://localhost:${httpServer.address().port}`),
  );
  process.on("SIGTERM", () => {
    for (const w of Object.values(cluster.workers)) w.process.kill("SIGTERM");
    process.exit(0);
  });
} else {
  require("./index.cjs");
}
