// Deno, importing the built package from node_modules (deno.json: "nodeModulesDir": "manual").
import { Server } from "portio";
import { serve } from "portio/deno";
import { chat, exchange } from "./exchange.mjs";

const io = new Server();
chat(io);
const server = await serve(io, { port: 0, hostname: "127.0.0.1" });
await exchange(`http://127.0.0.1:${server.port}`, "deno");
await server.close();
