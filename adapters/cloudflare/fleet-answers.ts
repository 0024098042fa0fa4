/**
 * The answering side of a fleet request: the answers to the requests in one batch (fetchSockets,
 * serverSideEmit with an ack, broadcast acks, a session restore) stream back on its response body, each as
 * one frame, and the body ends once every request in it is answered or its wait is over.
 */
import { type ClusterResponse, MessageType } from "../../src/room-store.ts";
import { encodeFrames } from "./fleet-codec.ts";

/** Frames a response body carries. */
export type AnswerFrame = { r: ClusterResponse } | { restored: string; session: unknown };

/** The streamed response of one batch. */
export class Answers {
  readonly readable: ReadableStream<Uint8Array>;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  /** open requests: how many more frames each expects (undefined: until a count says) */
  #open = new Map<string, number | undefined>();
  #all: string[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(private readonly onClose: (ids: string[]) => void) {
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    this.readable = readable;
    this.#writer = writable.getWriter();
  }

  /** A request in the batch expects `frames` answers (undefined: as many as its client count says). */
  expect(id: string, frames: number | undefined): void {
    this.#open.set(id, frames);
    this.#all.push(id);
  }

  /** Once the batch was handled: the body ends after `wait` ms at most (the longest wait of its requests). */
  arm(wait: number): void {
    if (this.#open.size === 0) return this.close();
    this.#timer = setTimeout(() => this.close(), wait);
  }

  /** Writes an answer; the request is done when it expects no more. */
  write(id: string, frame: AnswerFrame): void {
    if (this.#closed || !this.#open.has(id)) return;
    this.#writer.write(encodeFrames([frame])).catch(() => this.close());
    let left = this.#open.get(id);
    if ("r" in frame && frame.r.type === MessageType.BROADCAST_CLIENT_COUNT) left = frame.r.data.clientCount;
    else left = (left ?? 1) - 1;
    if (left <= 0) this.#open.delete(id);
    else this.#open.set(id, left);
    if (this.#open.size === 0 && this.#timer !== undefined) this.close();
  }

  /** Ends the body (all answered, or the wait is over). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.onClose(this.#all);
    this.#writer.close().catch(() => {});
  }
}
