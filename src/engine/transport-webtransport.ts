/**
 * The WebTransport transport: Engine.IO packets framed (framing.ts) on the first bidirectional stream of a
 * WebTransport session. Runtime-free: the adapter hands over the session (ports.ts, `WebTransportSessionLike`).
 */
import type { WebTransportSessionLike, WebTransportStreamLike } from "../ports.ts";
import { encodeFrame, FrameDecoder, FrameError } from "./framing.ts";
import type { Packet, RawData } from "./packet.ts";
import type { Transport, TransportEvents } from "./transports.ts";

const noopEvents: TransportEvents = { onPacket() {}, onClose() {}, onReady() {} };

/**
 * How long a graceful close waits for the last packets (a socket.io disconnect packet) to be taken by the
 * stream before the session is closed anyway: closing a session aborts its streams, so it must come after
 * them, but a client that stopped reading must not keep the session open.
 */
const CLOSE_FLUSH_MS = 2000;
/** How long a closed stream's last bytes get to reach the client before the session closes (see closeSocket). */
const CLOSE_GRACE_MS = 1000;

/** The WebTransport transport of one session. */
export class WebTransportTransport implements Transport {
  /** The transport's name. */
  readonly name = "webtransport";
  /** Where it reports to (set by the session). */
  events: TransportEvents = noopEvents;
  #session: WebTransportSessionLike;
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #decoder: FrameDecoder;
  /** packets decoded before the session took over (after the open packet, in the same chunk) */
  #pending: RawData[] = [];
  #closed = false;
  /** the client sent bad framing: the close is immediate, whatever code the session asks for */
  #failed = false;
  #buffered = 0;
  #pumping = false;
  #onPumpEnd: (() => void) | undefined;

  /** Wraps the session's first bidirectional stream; frames longer than `maxPayload` close the session. */
  constructor(session: WebTransportSessionLike, stream: WebTransportStreamLike, maxPayload: number) {
    this.#session = session;
    this.#reader = stream.readable.getReader();
    this.#writer = stream.writable.getWriter();
    this.#writer.closed.catch(() => {}); // a reset stream is reported through the reader or `session.closed`
    this.#decoder = new FrameDecoder(maxPayload);
    session.closed.then(() => this.#sessionClosed(), () => this.#sessionClosed());
  }

  /**
   * The session is closed, but the stream may still hold what the client wrote just before (a socket.io
   * disconnect packet and then the close: both leave together): the pump reads it to the end first, and only
   * a pump that is not running, or does not finish soon, makes it a transport close here.
   */
  #sessionClosed(): void {
    if (this.#closed) return;
    if (!this.#pumping) return this.#gone();
    const timer = setTimeout(() => this.#gone(), CLOSE_FLUSH_MS);
    this.#onPumpEnd = () => clearTimeout(timer);
  }

  /** Whether it can send now. */
  get writable(): boolean {
    return !this.#closed;
  }

  /** Whether a volatile packet may go now: no write waits for the stream (socket.io drops it otherwise). */
  get idle(): boolean {
    return !this.#closed && this.#buffered === 0;
  }

  /** Bytes handed to the stream that it has not taken yet (the slow-consumer bound counts them). */
  get bufferedAmount(): number {
    return this.#buffered;
  }

  /**
   * Reads the first packet (the client's open packet) before any session is bound. Undefined when the
   * stream ended first; throws `FrameError` on bad framing.
   */
  async readFirst(): Promise<RawData | undefined> {
    while (this.#pending.length === 0) {
      const { value, done } = await this.#reader.read();
      if (done) return undefined;
      this.#pending.push(...this.#decoder.push(value));
    }
    return this.#pending.shift();
  }

  /** Starts delivering packets to `events` (the packets read with the first one go first). */
  start(): void {
    void this.#pump();
  }

  async #pump(): Promise<void> {
    this.#pumping = true;
    try {
      const early = this.#pending;
      this.#pending = [];
      for (const raw of early) {
        if (this.#closed) return;
        this.events.onPacket(raw);
      }
      while (!this.#closed) {
        const { value, done } = await this.#reader.read();
        if (done) break;
        for (const raw of this.#decoder.push(value)) {
          if (this.#closed) return;
          this.events.onPacket(raw);
        }
      }
    } catch (err) {
      if (err instanceof FrameError) {
        this.#failed = true;
        // the session closes the transport with the code for this description (see closeSocket)
        if (!this.#closed) this.events.onClose("transport error", err.message);
        this.closeSocket(err.message === "payload too large" ? 1009 : 1002, err.message);
        return;
      }
      // the stream was reset or the session went away: reported below as a transport close
    } finally {
      this.#pumping = false;
      this.#onPumpEnd?.();
    }
    this.#gone();
  }

  /** The stream or the session ended from the client's side (or the network). */
  #gone(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.events.onClose("transport close");
    this.#abort(1000, "");
  }

  /** Sends packets, one frame each. */
  send(packets: Packet[]): void {
    if (this.#closed) return;
    for (const p of packets) {
      const frame = encodeFrame(p);
      this.#buffered += frame.byteLength;
      this.#writer.write(frame).then(
        () => (this.#buffered -= frame.byteLength),
        () => {}, // the session is closing: reported through `session.closed`
      );
    }
  }

  /** Graceful close: the session records its reason first, then the buffered packets go out before the close. */
  close(done: () => void): void {
    done();
    this.closeSocket(1000, "");
  }

  /**
   * Closes the stream, then the session. `code` follows the WebSocket transport (1000 normal, 1009 too big,
   * 1002 protocol error, 1013 slow consumer) and is sent as the session's application close code. Only a
   * normal close waits for the written packets; any other is immediate (the client may not be reading).
   */
  closeSocket(code: number, reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    if (code !== 1000 || this.#failed) return this.#abort(code, reason);
    void this.#closeGracefully(code, reason);
  }

  /**
   * The stream's end (FIN) is queued once `writer.close()` resolves, not delivered, and closing the session
   * (Deno: the QUIC connection) drops what is still in flight: a socket.io disconnect packet would be lost
   * and the client would see a "transport close". So the session is left for the client to close, which it
   * does on that disconnect packet, or closed after `CLOSE_GRACE_MS` at the latest.
   */
  async #closeGracefully(code: number, reason: string): Promise<void> {
    await this.#within(this.#writer.close(), CLOSE_FLUSH_MS);
    await this.#within(this.#session.closed, CLOSE_GRACE_MS);
    this.#abort(code, reason);
  }

  /** Resolves when `p` settles, or after `ms`. */
  #within(p: Promise<unknown>, ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      const done = () => (clearTimeout(timer), resolve());
      p.then(done, done);
    });
  }

  #abort(code: number, reason: string): void {
    this.#reader.cancel().catch(() => {});
    try {
      this.#session.close({ closeCode: code, reason });
    } catch {
      // already closed by the client or the network
    }
  }

  /** Stop using this transport without closing the Engine.IO session (never happens: nothing upgrades from it). */
  discard(): void {
    this.closeSocket(1000, "");
  }
}
