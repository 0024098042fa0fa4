/**
 * `ws` sockets bound to the core's WebSocket handler, with the two write-path levers of Node: pre-built
 * frames shared by a broadcast, and writes corked until the end of the event-loop turn.
 */
import type { Duplex } from "node:stream";
import type { WebSocket } from "ws";
import type { WebSocketHandler } from "../../src/index.ts";

// Writes to a socket stay corked until the end of the event-loop turn, so the frames of several messages
// leave in one writev instead of one syscall each (the largest lever for fan-out; what Bun/uWS do natively).
const corked = new Set<Duplex>();
let uncorkScheduled = false;
function uncorkAll(): void {
  uncorkScheduled = false;
  for (const s of corked) s.uncork();
  corked.clear();
}
function cork(socket: Duplex): void {
  if (corked.has(socket)) return;
  socket.cork();
  corked.add(socket);
  if (!uncorkScheduled) {
    uncorkScheduled = true;
    setImmediate(uncorkAll);
  }
}

/** A complete unmasked WebSocket text frame (RFC 6455 §5.2), built once and written to many sockets. */
function textFrame(text: string): Buffer {
  const n = Buffer.byteLength(text);
  const head = n < 126 ? 2 : n < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(head + n);
  frame[0] = 0x81; // FIN + text opcode
  if (n < 126) frame[1] = n;
  else if (n < 65536) (frame[1] = 126), frame.writeUInt16BE(n, 2);
  else (frame[1] = 127), frame.writeBigUInt64BE(BigInt(n), 2);
  frame.write(text, head);
  return frame;
}

export function bindWebSocket(ws: WebSocket, handler: WebSocketHandler): void {
  // `ws` keeps its TCP socket here; with permessage-deflate off its sender writes synchronously, so a
  // pre-built frame written to the socket directly keeps the order of every other frame
  const raw = (ws as unknown as { _socket?: Duplex })._socket;
  handler.onOpen({
    // a single message (an ack, an emit) goes out at once: corking it would only add a turn of latency;
    // if a broadcast corked this socket in the same turn, the write queues behind it in order
    send: (data) => {
      if (ws.readyState !== 1) return;
      // text: one buffer, one write (ws's own path writes header and payload with a writev)
      if (raw && typeof data === "string") raw.write(textFrame(data));
      else ws.send(data);
    },
    prepare: raw ? (text) => textFrame(text) : undefined,
    sendPrepared: raw
      ? (frame) => {
        if (ws.readyState !== 1) return;
        cork(raw);
        raw.write(frame as Buffer);
      }
      : undefined,
    close: (code, reason) => ws.close(code, reason),
    get bufferedAmount() {
      return ws.bufferedAmount;
    },
  });
  ws.on("message", (data, isBinary) => {
    try {
      if (!isBinary) handler.onMessage(data.toString());
      else if (Array.isArray(data)) handler.onMessage(Buffer.concat(data));
      else if (data instanceof ArrayBuffer) handler.onMessage(new Uint8Array(data));
      else handler.onMessage(data);
    } catch (err) {
      // an app listener threw: report it, keep the process and every other connection alive
      console.error("portio: error in a message handler", err);
    }
  });
  ws.on("close", (code, reason) => handler.onClose(code, reason.toString()));
  // protocol violations (oversized frame, bad UTF-8) are followed by "close"; nothing else to do here
  ws.on("error", () => {});
}

