// A small copy of socket.io's examples/passport-example (esm) server, written for the e2e test
// (official-examples.test.ts). Beyond `from "socket.io"` → `from "portio"`: nothing (its `req._query.sid`
// check reads what engine.io sets, and Portio's Node adapter sets it too).
import express from "express";
import { createServer } from "node:http";
import session from "express-session";
import passport from "passport";
import { Strategy as LocalStrategy } from "passport-local";
import { Server } from "portio";

const app = express();
const httpServer = createServer(app);
const sessionMiddleware = session({ secret: "changeit", resave: true, saveUninitialized: true });

app.use(sessionMiddleware);
app.use(express.urlencoded({ extended: false }));
app.use(passport.session());

app.get(
  "/",
  (req, res) => (req.user ? res.type("html").send("<!doctype html><title>home</title>") : res.redirect("/login")),
);
app.get("/login", (req, res) => (req.user ? res.redirect("/") : res.type("html").send("<!doctype html><form></form>")));
app.post("/login", passport.authenticate("local", { successRedirect: "/", failureRedirect: "/" }));
app.post("/logout", (req, res) => {
  const sessionId = req.session.id;
  req.session.destroy(() => {
    io.to(`session:${sessionId}`).disconnectSockets();
    res.status(204).end();
  });
});

passport.use(
  new LocalStrategy((username, password, done) =>
    username === "john" && password === "changeit" ? done(null, { id: 1, username }) : done(null, false)
  ),
);
passport.serializeUser((user, cb) => cb(null, user));
passport.deserializeUser((user, cb) => cb(null, user));

const io = new Server(httpServer);

function onlyForHandshake(middleware) {
  return (req, res, next) => (req._query.sid === undefined ? middleware(req, res, next) : next());
}

io.engine.use(onlyForHandshake(sessionMiddleware));
io.engine.use(onlyForHandshake(passport.session()));
io.engine.use(
  onlyForHandshake((req, res, next) => {
    if (req.user) return next();
    res.writeHead(401);
    res.end();
  }),
);

io.on("connection", (socket) => {
  const req = socket.request;
  socket.join(`session:${req.session.id}`);
  socket.join(`user:${req.user.id}`);
  socket.on("whoami", (cb) => cb(req.user.username));
});

httpServer.listen(
  process.env.PORT ?? 3000,
  () => console.log(`listening at http://localhost:${httpServer.address().port}`),
);
