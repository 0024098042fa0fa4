// A small copy of socket.io's examples/chat server, written for the e2e test (official-examples.test.ts).
// Beyond `require("socket.io")` → `require("portio")`: nothing.
const express = require("express");
const path = require("node:path");
const app = express();
const server = require("node:http").createServer(app);
const io = require("portio")(server);

app.use(express.static(path.join(__dirname, "public")));

let numUsers = 0;

io.on("connection", (socket) => {
  let added = false;
  socket.on("new message", (message) => {
    socket.broadcast.emit("new message", { username: socket.username, message });
  });
  socket.on("add user", (username) => {
    if (added) return;
    added = true;
    socket.username = username;
    numUsers++;
    socket.emit("login", { numUsers });
    socket.broadcast.emit("user joined", { username, numUsers });
  });
  socket.on("typing", () => socket.broadcast.emit("typing", { username: socket.username }));
  socket.on("stop typing", () => socket.broadcast.emit("stop typing", { username: socket.username }));
  socket.on("disconnect", () => {
    if (!added) return;
    numUsers--;
    socket.broadcast.emit("user left", { username: socket.username, numUsers });
  });
});

server.listen(process.env.PORT ?? 3000, () => console.log(`listening at http://localhost:${server.address().port}`));
