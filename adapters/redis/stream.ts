/**
 * Reads one Redis stream on a connection of its own (XREAD BLOCK holds it), hands every entry to `onEntry`,
 * and knows how far it got: `offset` is the id of the last entry it delivered, which connection state recovery
 * needs to replay exactly what a restored socket would otherwise miss (see adapter.ts `restoreSession`).
 */
import type { AnyClusterMessage } from "portio/room-store";
import { compareIds, decodeEntry } from "./codec.ts";
import { type Connection, rangeEntries, readEntries } from "./client.ts";

export interface StreamReaderOptions {
  readCount: number;
  blockTimeInMs: number;
  /** the stream's `MAXLEN`: no more entries than this are tracked for the byte bound */
  maxLen: number;
}

/** Bytes of an entry's fields (strings by length, binary by size), near enough for a bound. */
function entryBytes(fields: readonly unknown[]): number {
  let n = 0;
  for (const f of fields) {
    n += typeof f === "string" ? f.length : (f as { byteLength?: number } | null)?.byteLength ?? 8;
  }
  return n;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class StreamReader {
  /** id of the last entry delivered; undefined until the starting point is known */
  #offset: string | undefined;
  #stopped = false;
  #started: Promise<void>;
  #markStarted!: () => void;
  #waiters = new Set<() => void>();
  /**
   * the byte bound (`connectionStateRecovery.maxBufferBytes`): the ids and sizes of the entries read, oldest
   * first (from `#head`), and their total. Every node reads every entry, whoever wrote it (other Portio nodes,
   * official ones, emitters), so each can trim the stream by bytes: XTRIM MINID drops the oldest entries first.
   */
  #maxBytes = Infinity;
  #sizes: Array<[id: string, bytes: number]> = [];
  #head = 0;
  #bytes = 0;

  constructor(
    readonly conn: Promise<Connection>,
    readonly name: string,
    readonly opts: StreamReaderOptions,
    readonly onEntry: (message: AnyClusterMessage, id: string) => void,
  ) {
    this.#started = new Promise((r) => (this.#markStarted = r));
    void this.#loop();
  }

  /** Resolves once the starting point is known: every entry added after that is delivered. */
  started(): Promise<void> {
    return this.#started;
  }

  get offset(): string {
    return this.#offset ?? "0-0";
  }

  /** Bounds the stream by bytes (the smallest bound asked for wins); entries written from now on count. */
  boundBytes(maxBytes: number): void {
    this.#maxBytes = Math.min(this.#maxBytes, maxBytes);
  }

  /** Counts an entry; returns the id to trim the stream to (XTRIM MINID) when the bound is passed. */
  #track(id: string, bytes: number): string | undefined {
    if (this.#maxBytes === Infinity) return undefined;
    this.#sizes.push([id, bytes]);
    this.#bytes += bytes;
    // entries past MAXLEN are trimmed by count already
    while (this.#sizes.length - this.#head > this.opts.maxLen) this.#bytes -= this.#sizes[this.#head++]![1];
    let minId: string | undefined;
    // the newest entry always stays, as in the in-memory store
    while (this.#bytes > this.#maxBytes && this.#sizes.length - this.#head > 1) {
      this.#bytes -= this.#sizes[this.#head++]![1];
      minId = this.#sizes[this.#head]![0];
    }
    if (this.#head > 1024 && this.#head * 2 > this.#sizes.length) {
      this.#sizes = this.#sizes.slice(this.#head);
      this.#head = 0;
    }
    return minId;
  }

  async #loop(): Promise<void> {
    let conn: Connection;
    try {
      conn = await this.conn;
    } catch {
      return this.#markStarted(); // could not connect at all (reported by the fleet)
    }
    while (!this.#stopped) {
      try {
        if (this.#offset === undefined) {
          // start after the last entry that exists now (not "$", which would be relative to each XREAD and
          // lose what is added between two of them while the connection is down)
          const last = rangeEntries(await conn.send(["XREVRANGE", this.name, "+", "-", "COUNT", "1"]))[0];
          this.#offset = last ? last[0] : "0-0";
          this.#markStarted();
        }
        const reply = await conn.send([
          "XREAD",
          "COUNT",
          String(this.opts.readCount),
          "BLOCK",
          String(this.opts.blockTimeInMs),
          "STREAMS",
          this.name,
          this.#offset,
        ]);
        if (this.#stopped) return;
        let minId: string | undefined;
        for (const [id, fields] of readEntries(reply)) {
          minId = this.#track(id, entryBytes(fields)) ?? minId;
          let message: AnyClusterMessage | undefined;
          try {
            message = decodeEntry(fields);
          } catch {
            message = undefined; // not ours, or damaged: skip it, keep reading
          }
          if (message) this.onEntry(message, id);
          this.#offset = id;
        }
        this.#notify();
        // exact (not "~"): the bound holds; the cost is the entries removed. Every node trims to the same
        // kind of point, so concurrent trims agree
        if (minId) await conn.send(["XTRIM", this.name, "MINID", minId]);
      } catch {
        if (this.#stopped) return;
        // Redis is unreachable: node-redis reconnects by itself; read again from the same offset afterwards,
        // which picks up everything written meanwhile (Streams keep it, unlike pub/sub)
        await sleep(250);
      }
    }
  }

  #notify(): void {
    for (const w of this.#waiters) w();
  }

  /** Resolves once the reader delivered every entry up to `id`, or after `ms` in any case. */
  reach(id: string, ms: number): Promise<void> {
    if (compareIds(this.offset, id) >= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve();
      };
      const check = () => {
        if (compareIds(this.offset, id) >= 0) done();
      };
      const timer = setTimeout(done, ms);
      this.#waiters.add(check);
    });
  }

  stop(): void {
    this.#stopped = true;
    this.#markStarted();
    this.#notify();
    void this.conn.then((c) => c.destroy());
  }
}
