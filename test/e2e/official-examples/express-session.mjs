// A small copy of socket.io's examples/express-session-example (esm) server, written for the e2e test
// (official-examples.test.ts). Beyond `from "socket.io"` → `from "portio"`: nothing.
import express from "express";
import { createServer } from "node:http";
import session from "express-session";
import { Server } from "portio";

const app = express();
const httpServer = createServer(app);
const sessionMiddleware = session({ secret: "changeit", resave: true, saveUninitialized: true });
app.use(sessionMiddleware);

app.get("/", (_req, res) => res.type("html").send("<!doctype html><title>session</title>"));

app.post("/incr", (req, res) => {
  const session = req.session;
  session.count = (session.count || 0) + 1;
  res.status(200).end("" + session.count);
  io.to(session.id).emit("current count", session.count);
});

app.post("/logout", (req, res) => {
  const sessionId = req.session.id;
  req.session.destroy(() => {
    io.to(sessionId).disconnectSockets();
    res.status(204).end();
  });
});

const io = new Server(httpServer);
io.engine.use(sessionMiddleware);

io.on("connection", (socket) => {
  const req = socket.request;
  socket.join(req.session.id);
  socket.on("incr", (cb) => {
    req.session.reload((err) => {
      if (err) return socket.disconnect();
      req.session.count = (req.session.count || 0) + 1;
      req.session.save(() => cb(req.session.count));
    });
  });
});

httpServer.listen(
  process.env.PORT ?? 3000,
  () => console.log(`listening at http://localhost:${httpServer.address().port}`),
);
