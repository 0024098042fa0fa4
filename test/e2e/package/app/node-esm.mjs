// Node, plain ESM JavaScript, no loader: `node node-esm.mjs`
import { Server } from "portio";
import { serve } from "portio/node";
import { chat, exchange } from "./exchange.mjs";

const io = new Server();
chat(io);
const server = await serve(io, { port: 0, hostname: "127.0.0.1" });
await exchange(`http://127.0.0.1:${server.port}`, `node${process.versions.node.split(".")[0]}-esm`);
await server.close();
