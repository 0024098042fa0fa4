// Shared by every consumer app: two official socket.io-client clients join room "r"; one emits "hello"
// with an ack, the server answers the ack and broadcasts "news" to the room; both must receive it.
import { io as connect } from "socket.io-client";

/** Wires the server side onto a Portio `Server`. */
export function chat(io) {
  io.on("connection", (socket) => {
    socket.join("r");
    socket.on("hello", (name, ack) => {
      ack({ greeting: `hi ${name}`, id: socket.id });
      io.to("r").emit("news", `${name} said hello`);
    });
  });
}

/** Runs the client side against `url`, prints one result line, and resolves when done. */
export async function exchange(url, label, extra = {}) {
  const opts = { transports: ["polling", "websocket"], forceNew: true, reconnection: false, ...extra };
  const a = connect(url, opts);
  const b = connect(url, opts);
  try {
    await Promise.all([a, b].map((c) => new Promise((res, rej) => (c.on("connect", res), c.on("connect_error", rej)))));
    const news = Promise.all([a, b].map((c) => new Promise((res) => c.once("news", res))));
    const reply = await a.timeout(5000).emitWithAck("hello", label);
    if (reply.greeting !== `hi ${label}` || reply.id !== a.id) throw new Error(`bad ack ${JSON.stringify(reply)}`);
    let timer;
    const late = new Promise((_, rej) => (timer = setTimeout(() => rej(new Error("no news")), 5000)));
    const got = await Promise.race([news, late]).finally(() => clearTimeout(timer));
    if (got.some((m) => m !== `${label} said hello`)) throw new Error(`bad news ${JSON.stringify(got)}`);
    console.log(`OK ${label} ack=${reply.greeting} news=${got.length}`);
  } finally {
    a.close();
    b.close();
  }
}
