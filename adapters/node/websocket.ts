/**
 * `ws` sockets bound to the core's WebSocket handler, with the two write-path levers of Node: pre-built
 * frames shared by a broadcast, and writes corked until the end of the event-loop turn.
 */
import type { Duplex } from "node:stream";
import type { WebSocket } from "ws";
import type { WebSocketHandler, WebSocketLike } from "../../src/runtime.ts";

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

/**
 * A complete unmasked WebSocket frame (RFC 6455 §5.2), text or binary, built once and written to many sockets.
 */
function wsFrame(data: string | Uint8Array): Buffer {
  const text = typeof data === "string";
  const n = text ? Buffer.byteLength(data) : data.byteLength;
  const head = n < 126 ? 2 : n < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(head + n);
  frame[0] = text ? 0x81 : 0x82; // FIN + text or binary opcode
  if (n < 126) frame[1] = n;
  else if (n < 65536) (frame[1] = 126), frame.writeUInt16BE(n, 2);
  else (frame[1] = 127), frame.writeBigUInt64BE(BigInt(n), 2);
  if (text) frame.write(data, head);
  else frame.set(data, head);
  return frame;
}

interface Prepared {
  data: string | Uint8Array;
  frame: Buffer;
}

/**
 * The core's view of one `ws` socket. A class and module-level listeners rather than closures: they are
 * per connection, and closures cost ~60 bytes each (measured with heap snapshots in the connect bench).
 */
class NodeSocket implements WebSocketLike {
  constructor(
    readonly ws: WebSocket,
    readonly handler: WebSocketHandler,
    // `ws` keeps its TCP socket here; with permessage-deflate off its sender writes synchronously, so a
    // pre-built frame written to the socket directly keeps the order of every other frame
    readonly raw: Duplex | undefined,
    // the `perMessageDeflate` threshold when the socket negotiated permessage-deflate
    readonly threshold: number | undefined,
  ) {}

  // a single message (an ack, an emit) goes out at once: corking it would only add a turn of latency;
  // if a broadcast corked this socket in the same turn, the write queues behind it in order
  send(data: string | Uint8Array, compress?: boolean): void {
    if (this.ws.readyState !== 1) return;
    // text: one buffer, one write (ws's own path writes header and payload with a writev)
    if (this.raw && typeof data === "string") this.raw.write(wsFrame(data));
    else if (this.threshold === undefined) this.ws.send(data);
    else this.ws.send(data, { compress: this.#compress(data, compress) });
  }

  /**
   * engine.io's rule: compressed unless the message says `compress(false)` or is under the threshold. ws
   * itself applies a threshold only without context takeover; string length stands for byte length (a
   * heuristic, as in the Bun adapter).
   */
  #compress(data: string | Uint8Array, compress: boolean | undefined): boolean {
    return compress !== false && (typeof data === "string" ? data.length : data.byteLength) >= this.threshold!;
  }

  // the data and its frame: a socket that negotiated permessage-deflate cannot take the raw frame
  prepare(data: string | Uint8Array): unknown {
    return { data, frame: wsFrame(data) } satisfies Prepared;
  }

  sendPrepared(prepared: unknown, compress?: boolean): void {
    if (this.ws.readyState !== 1) return;
    const { data, frame } = prepared as Prepared;
    if (!this.raw) return this.send(data, compress);
    cork(this.raw);
    this.raw.write(frame);
  }

  close(code?: number, reason?: string): void {
    // 1013: the core closes a slow consumer (maxBufferedAmount); a close frame would queue behind the frames
    // the client is not reading, holding them for ws's 30 s close timeout, so the TCP socket goes at once
    if (code === 1013) this.ws.terminate();
    else this.ws.close(code, reason);
  }

  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }
}

const bound = Symbol("portio.socket");
type Bound = WebSocket & { [bound]: NodeSocket };

let quietUntil = 0;

function onMessage(this: Bound, data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): void {
  const handler = this[bound].handler;
  try {
    if (!isBinary) handler.onMessage(data.toString());
    else if (Array.isArray(data)) handler.onMessage(Buffer.concat(data));
    else if (data instanceof ArrayBuffer) handler.onMessage(new Uint8Array(data));
    else handler.onMessage(data);
  } catch (err) {
    // an app listener threw (the core reports those itself; this is the last resort): report it, keep the process
    // and every other connection alive; at most once a minute, since a client can send the same message again
    if (Date.now() < quietUntil) return;
    quietUntil = Date.now() + 60_000;
    console.error("portio: error in a message handler (more within a minute are not logged)", err);
  }
}

function onClose(this: Bound, code: number, reason: Buffer): void {
  this[bound].handler.onClose(code, reason.toString());
}

// protocol violations (oversized frame, bad UTF-8) are followed by "close"; nothing else to do here
function onError(): void {}

/** Binds a `ws` socket to the core; `threshold`: the `perMessageDeflate` threshold, when compression is on. */
export function bindWebSocket(ws: WebSocket, handler: WebSocketHandler, threshold?: number): void {
  // with permessage-deflate (`perMessageDeflate`) ws compresses asynchronously and queues behind it: frames
  // written to the TCP socket directly would overtake queued ones, so every write goes through ws then
  const deflated = ws.extensions.includes("permessage-deflate");
  const raw = deflated ? undefined : (ws as unknown as { _socket?: Duplex })._socket;
  const socket = new NodeSocket(ws, handler, raw, deflated ? threshold ?? 1024 : undefined);
  (ws as Bound)[bound] = socket;
  handler.onOpen(socket);
  ws.on("message", onMessage as (this: WebSocket, ...args: unknown[]) => void);
  ws.on("close", onClose as (this: WebSocket, ...args: unknown[]) => void);
  ws.on("error", onError);
}
