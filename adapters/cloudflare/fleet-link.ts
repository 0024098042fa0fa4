/**
 * The wire between the objects of one binding: `fetch` on a Durable Object stub, not RPC (RPC needs the
 * class to extend `DurableObject` from `cloudflare:workers`, which would tie `PortioObject` to workerd).
 *
 * One `ShardLink` per target shard keeps messages in order: at most one request is being taken by the
 * target at a time (the target handles a whole batch before it answers with headers), and what is asked
 * meanwhile goes out as the next batch. So a burst of N broadcasts costs one request per shard per round
 * trip, not N. Answers (fetchSockets, acks) stream back on the response body of the request that asked.
 */
import { FrameReader } from "./fleet-codec.ts";
import type { DurableObjectNamespaceLike } from "./types.ts";
import { encodeObjectName, OBJECT_HEADER, PEER_HEADER } from "./worker.ts";

/** The stub of an object of the binding, as fleet requests use it. */
export interface PeerStub {
  /** Sends a request to the object. */
  fetch(request: Request): Promise<Response>;
}

/** One message of a batch, already encoded, with what to do with its answers. */
export interface Outgoing {
  /** the encoded frame */
  bytes: Uint8Array;
  /** ms the sender waits for answers to it (0: none expected) */
  wait: number;
  /** the target took it (its batch was handled) */
  taken?(): void;
  /** the target could not be reached in time, or refused it */
  failed?(err: Error): void;
}

/** How a link reports answers and failures. */
export interface LinkHost {
  /** Frames streamed back by the target. */
  onFrame(frame: unknown, shard: string): void;
  /** A request failed or timed out (already passed to each message's `failed`). */
  onFailure(shard: string, err: Error, messages: number): void;
}

/** Counters of one sender, for the benchmarks and for tests that count requests. */
export interface LinkStats {
  /** HTTP requests sent to other objects */
  requests: number;
  /** cluster messages they carried */
  messages: number;
  /** requests that failed or timed out */
  failures: number;
}

/** Builds the request of a batch for the object `name`, server `path`. */
export function peerRequest(name: string, path: string, body: Uint8Array<ArrayBuffer>, signal?: AbortSignal): Request {
  return new Request("https://portio.fleet/", {
    method: "POST",
    headers: { [PEER_HEADER]: path, [OBJECT_HEADER]: encodeObjectName(name) },
    body,
    signal,
  });
}

/** The stub of `name` in `ns`. */
export function stubOf(ns: DurableObjectNamespaceLike, name: string): PeerStub {
  return ns.get(ns.idFromName(name) as never);
}

/** Reads a streamed response's frames until it ends or `signal` aborts. */
export async function readFrames(
  res: Response,
  maxFrameBytes: number,
  onFrame: (frame: unknown) => void,
): Promise<void> {
  if (!res.body) return;
  const reader = new FrameReader(maxFrameBytes);
  const body = res.body.getReader();
  for (;;) {
    const { done, value } = await body.read();
    if (done) return;
    for (const frame of reader.push(value)) onFrame(frame);
  }
}

function concat(parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  let size = 0;
  for (const p of parts) size += p.byteLength;
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) out.set(p, at), at += p.byteLength;
  return out;
}

/** The ordered queue of messages to one shard. */
export class ShardLink {
  #queue: Outgoing[] = [];
  #flying = false;
  #stub: PeerStub | undefined;

  constructor(
    readonly name: string,
    private readonly path: string,
    private readonly ns: () => DurableObjectNamespaceLike,
    private readonly opts: { requestTimeout: number; maxPendingMessages: number; maxFrameBytes: number },
    private readonly host: LinkHost,
    private readonly stats: LinkStats,
  ) {}

  /** Queues a message; it leaves with the next batch. */
  send(message: Outgoing): void {
    if (this.#queue.length >= this.opts.maxPendingMessages) {
      // the shard has not taken a batch for a while: the oldest message goes, the newest is kept
      const dropped = this.#queue.shift()!;
      const err = new Error(`fleet: more than ${this.opts.maxPendingMessages} messages pending for "${this.name}"`);
      dropped.failed?.(err);
      this.host.onFailure(this.name, err, 1);
    }
    this.#queue.push(message);
    if (!this.#flying) queueMicrotask(() => this.#flush());
  }

  #flush(): void {
    if (this.#flying || this.#queue.length === 0) return;
    const batch = this.#queue;
    this.#queue = [];
    this.#flying = true;
    const wait = Math.max(0, ...batch.map((m) => m.wait));
    const abort = new AbortController();
    const { requestTimeout } = this.opts;
    // the headers must come within requestTimeout; answers then stream until the longest wait is over
    let timer = setTimeout(() => abort.abort(new Error("timeout")), requestTimeout);
    const release = () => {
      if (!this.#flying) return;
      this.#flying = false;
      this.#flush();
    };
    this.stats.requests++;
    const fail = (err: Error) => {
      this.stats.failures++;
      this.#stub = undefined; // a stub that threw may be broken for good: the next batch takes a fresh one
      const reason = abort.signal.aborted
        ? new Error(`fleet: shard "${this.name}" did not answer within ${requestTimeout} ms`)
        : new Error(`fleet: shard "${this.name}" failed: ${err.message}`);
      for (const m of batch) m.failed?.(reason);
      this.host.onFailure(this.name, reason, batch.length);
    };
    let body: Uint8Array<ArrayBuffer>;
    try {
      this.stats.messages += batch.length;
      body = concat(batch.map((m) => m.bytes));
    } catch (err) {
      clearTimeout(timer);
      fail(err as Error);
      return release();
    }
    const attempt = (retried: boolean): void => {
      this.#stub ??= stubOf(this.ns(), this.name);
      this.#stub.fetch(peerRequest(this.name, this.path, body, abort.signal)).then(
        async (res) => {
          clearTimeout(timer);
          if (!res.ok) {
            await res.body?.cancel().catch(() => {});
            throw new Error(`status ${res.status}`);
          }
          for (const m of batch) m.taken?.();
          release();
          if (wait === 0 || !res.body) return void res.body?.cancel().catch(() => {});
          timer = setTimeout(() => abort.abort(new Error("done waiting")), wait);
          try {
            await readFrames(res, this.opts.maxFrameBytes, (f) => this.host.onFrame(f, this.name));
          } catch {
            // the wait is over, or the target went away: what was asked settles by its own timer
          } finally {
            clearTimeout(timer);
          }
        },
      ).catch((err: unknown) => {
        if (!this.#flying) return;
        // the stub points at an instance that was reset (its object restarted, or it was evicted with a
        // broken output gate): the batch never reached the new one, so it goes again, once, on a fresh stub
        // (`retryable` alone is not enough: the request may have been handled before the connection broke)
        if (!retried && !abort.signal.aborted && (err as { durableObjectReset?: boolean })?.durableObjectReset) {
          this.#stub = undefined;
          return attempt(true);
        }
        clearTimeout(timer);
        fail(err instanceof Error ? err : new Error(String(err)));
        release();
      });
    };
    attempt(false);
  }
}
