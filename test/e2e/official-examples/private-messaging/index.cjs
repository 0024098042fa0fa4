// A small copy of socket.io's examples/private-messaging server/index.js (a worker), written for the e2e test
// (official-examples.test.ts). Beyond `require("socket.io")` → `require("portio")`, one change: the room store
// is `portio/redis`'s `createAdapter(redisClient)` instead of `socket.io-redis` (a socket.io adapter works on
// socket.io's internals; Portio refuses it with an error pointing to portio/redis). The session and message
// stores use @redis/client instead of ioredis (the example's choice, unrelated to socket.io).
const { createClient } = require("@redis/client");
const crypto = require("node:crypto");
const { setupWorker } = require("@socket.io/sticky");
const { createAdapter } = require("portio/redis");

const redisClient = createClient({ url: process.env.REDIS_URL ?? "redis://127.0.0.1:6379" });
const prefix = process.env.KEY_PREFIX ?? "";
const httpServer = require("node:http").createServer();
const io = require("portio")(httpServer, {
  adapter: createAdapter(redisClient, { streamName: `${prefix}socket.io` }),
});

const randomId = () => crypto.randomBytes(8).toString("hex");

// the example's RedisSessionStore / RedisMessageStore, reduced
const sessions = {
  find: async (id) => JSON.parse((await redisClient.get(`${prefix}session:${id}`)) ?? "null"),
  save: (id, s) => redisClient.set(`${prefix}session:${id}`, JSON.stringify(s), { EX: 24 * 60 * 60 }),
  all: async () => {
    const keys = await redisClient.keys(`${prefix}session:*`);
    return keys.length ? (await redisClient.mGet(keys)).filter(Boolean).map((s) => JSON.parse(s)) : [];
  },
};
const messages = {
  save: (m) => Promise.all([m.from, m.to].map((id) => redisClient.rPush(`${prefix}messages:${id}`, JSON.stringify(m)))),
  forUser: async (id) => (await redisClient.lRange(`${prefix}messages:${id}`, 0, -1)).map((m) => JSON.parse(m)),
};

io.use(async (socket, next) => {
  const sessionID = socket.handshake.auth.sessionID;
  if (sessionID) {
    const session = await sessions.find(sessionID);
    if (session) {
      socket.sessionID = sessionID;
      socket.userID = session.userID;
      socket.username = session.username;
      return next();
    }
  }
  const username = socket.handshake.auth.username;
  if (!username) return next(new Error("invalid username"));
  socket.sessionID = randomId();
  socket.userID = randomId();
  socket.username = username;
  next();
});

io.on("connection", async (socket) => {
  const { sessionID, userID, username } = socket;
  await sessions.save(sessionID, { userID, username, connected: true });
  socket.emit("session", { sessionID, userID, worker: process.pid });
  socket.join(userID);

  const [mine, all] = await Promise.all([messages.forUser(userID), sessions.all()]);
  const users = all.map((s) => ({
    ...s,
    messages: mine.filter((m) => m.from === s.userID || m.to === s.userID),
  }));
  socket.emit("users", users);
  socket.broadcast.emit("user connected", { userID, username, connected: true, messages: [] });

  socket.on("private message", ({ content, to }) => {
    const message = { content, from: userID, to };
    socket.to(to).to(userID).emit("private message", message);
    messages.save(message);
  });

  socket.on("disconnect", async () => {
    const matching = await io.in(userID).allSockets();
    if (matching.size === 0) {
      socket.broadcast.emit("user disconnected", userID);
      await sessions.save(sessionID, { userID, username, connected: false });
    }
  });
});

redisClient.connect().then(() => {
  setupWorker(io);
  console.log(`worker ${process.pid} ready`);
});
process.on("SIGTERM", () => io.close(() => process.exit(0)));
