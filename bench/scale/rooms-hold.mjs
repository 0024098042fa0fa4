// Creates ROOMS distinct rooms on a bench server and holds them: up to 100 connections, room `r<i>` joined by
// connection i % 100 (acked joins, pipelined per connection), then prints `READY <rooms> <conns>` and idles
// (answering pings) until SIGTERM. The broadcast-cost part of bench:scale runs sio-bench's fanout beside it, so
// the server broadcasts to one room while it holds ROOMS others; the same load for every server.
//   node bench/scale/rooms-hold.mjs PORT ROOMS
import { connect, pool } from "./lib.mjs";

const port = Number(process.argv[2]);
const rooms = Number(process.argv[3]);
const conns = Math.min(rooms, 100);
const clients = [];
await pool(conns, 50, async (i) => {
  clients[i] = await connect(port, { onClose: () => fail(`connection ${i} closed`) });
});
await Promise.all(clients.map(async (c, j) => {
  const acks = [];
  for (let i = j; i < rooms; i += conns) acks.push(c.emitWithAck(`["join","r${i}"]`));
  await Promise.all(acks);
}));
console.log(`READY ${rooms} ${conns}`);
process.on("SIGTERM", () => process.exit(0));
setInterval(() => {}, 1 << 30);

function fail(why) {
  console.error(`rooms-hold: ${why}`);
  process.exit(1);
}
