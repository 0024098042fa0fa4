// A small copy of socket.io's examples/connection-state-recovery-example (esm) server, written for the e2e
// test (official-examples.test.ts). Beyond `from "socket.io"` → `from "portio"`: nothing. The test adds a
// "state" event to read what the example logs, and TICK_MS to tick faster than its 1 s.
import { createServer } from "node:http";
import { Server } from "portio";

const httpServer = createServer((req, res) => {
  if (req.url !== "/") {
    res.writeHead(404);
    res.end("Not found");
    return;
  }
  res.writeHead(200, { "Content-Type": "text/html" });
  res.end("<!doctype html><title>recovery</title>");
});

const io = new Server(httpServer, {
  connectionStateRecovery: { maxDisconnectionDuration: 2 * 60 * 1000, skipMiddlewares: true },
});

io.on("connection", (socket) => {
  if (!socket.recovered) {
    socket.join("sample room");
    socket.data.foo = "bar";
  }
  socket.on("state", (cb) => cb({ recovered: socket.recovered, rooms: [...socket.rooms], data: socket.data }));
});

setInterval(() => io.emit("ping", new Date().toISOString()), Number(process.env.TICK_MS ?? 1000));

httpServer.listen(
  process.env.PORT ?? 3000,
  () => console.log(`listening at http://localhost:${httpServer.address().port}`),
);
