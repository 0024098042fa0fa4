// Node, CommonJS: `require("portio")` loads the ESM build (require(esm), Node 20.19+ and 22.12+).
const { Server } = require("portio");
const { serve } = require("portio/node");

(async () => {
  const { chat, exchange } = await import("./exchange.mjs");
  const io = new Server();
  chat(io);
  const server = await serve(io, { port: 0, hostname: "127.0.0.1" });
  await exchange(`http://127.0.0.1:${server.port}`, `node${process.versions.node.split(".")[0]}-cjs`);
  await server.close();
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
