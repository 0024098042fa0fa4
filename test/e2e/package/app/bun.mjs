// Bun: `bun bun.mjs`
import { Server } from "portio";
import { serve } from "portio/bun";
import { chat, exchange } from "./exchange.mjs";

const io = new Server();
chat(io);
const server = await serve(io, { port: 0, hostname: "127.0.0.1" });
await exchange(`http://127.0.0.1:${server.port}`, "bun");
await server.close();
