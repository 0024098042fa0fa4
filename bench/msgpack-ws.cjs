// The msgpack variant of the bench without touching the shared load generator (../shared/bench): sio-bench
// loads `ws` from its working directory, so bench/msgpack.sh runs it from a folder whose `ws` is this file.
// It is the real `ws` with a translation at the generator's edge: the generator's Socket.IO text frames
// (`42["bcast",…]`, `42<id>["echo",…]`, `40`) go out as socket.io-msgpack-parser binary frames, and binary
// frames from the server come back to it as the text it expects. The servers see msgpack only; the
// translation costs the generator's CPU, not theirs (the figure that compares servers is server CPU µs/op).
"use strict";
const RealWebSocket = require("ws");
const msgpack = require("notepack.io");

/** `4<type>[<id>]<json>` (default namespace) → the packet object socket.io-msgpack-parser encodes */
function toPacket(text) {
  const type = text.charCodeAt(1) - 48;
  let i = 2;
  while (i < text.length && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) i++;
  const packet = { type, nsp: "/" };
  if (i > 2) packet.id = Number(text.slice(2, i));
  if (i < text.length) packet.data = JSON.parse(text.slice(i));
  return packet;
}

/** a decoded msgpack packet → the engine `message` text the generator parses */
function toText(packet) {
  let s = "4" + packet.type;
  if (packet.nsp && packet.nsp !== "/") s += packet.nsp + ",";
  if (packet.id !== undefined && packet.id !== null) s += packet.id;
  if (packet.data !== undefined) s += JSON.stringify(packet.data);
  return Buffer.from(s, "latin1");
}

class MsgpackWebSocket extends RealWebSocket {
  send(data, ...rest) {
    if (typeof data === "string" && data.charCodeAt(0) === 52 /* "4" */) {
      return super.send(msgpack.encode(toPacket(data)), ...rest);
    }
    return super.send(data, ...rest);
  }

  on(event, listener) {
    if (event !== "message") return super.on(event, listener);
    return super.on("message", (data, isBinary) => {
      if (!isBinary) return listener(data, false);
      let text;
      try {
        text = toText(msgpack.decode(Buffer.isBuffer(data) ? data : Buffer.concat(data)));
      } catch {
        return listener(data, true); // the generator counts it as unexpected
      }
      listener(text, false);
    });
  }
}

module.exports = MsgpackWebSocket;
module.exports.WebSocket = MsgpackWebSocket;
module.exports.default = MsgpackWebSocket;
