/**
 * What the room stores of one `createAdapter(...)` share: the command connection, one subscriber connection
 * for every namespace's channels, one reader per stream, and the options. Namespaces come and go; the
 * connections opened here close with the last of them.
 */
import type { StoreNamespace } from "portio";
import type { Buffer } from "node:buffer";
import { Connection, type RedisClient } from "./client.ts";
import { StreamReader } from "./stream.ts";
import { RedisStreamsAdapter } from "./adapter.ts";
import { Forwarder } from "./forward.ts";

/** Options of `createAdapter(redis, options)` (the official adapter's names and defaults). */
export interface RedisAdapterOptions {
  /** name of the Redis stream (default "socket.io", the official adapter's) */
  streamName?: string;
  /** streams to spread namespaces over (default 1); same hashing as the official adapter */
  streamCount?: number;
  /** prefix of the pub/sub channels (default "socket.io") */
  channelPrefix?: string;
  /** the stream is trimmed to about this many entries (default 10000) */
  maxLen?: number;
  /** entries per XREAD (default 100) */
  readCount?: number;
  /** ms an XREAD blocks (default 5000) */
  blockTimeInMs?: number;
  /** prefix of the recovery session keys (default "sio:session:") */
  sessionKeyPrefix?: string;
  /** the payloads never hold binary: always JSON, no binary check (default false) */
  onlyPlaintext?: boolean;
  /** ms to wait for the other nodes' answers (default 5000, the official timeout) */
  requestTimeout?: number;
  /** ms between refreshes of the live recovery records (default a quarter of maxDisconnectionDuration, 1-10 s) */
  sessionRefreshInterval?: number;
  /**
   * no sticky sessions needed (default true): session ids name their node, and a polling request or WebSocket
   * upgrade reaching another node is relayed to the owner over Redis (forward.ts). false: ids and requests as
   * in a single node, for deployments whose balancer pins each client to its node
   */
  forwarding?: boolean;
  /**
   * ms a forwarded request may wait for its owner (default 5000), on top of `pingInterval` for a polling GET
   * (which the owner may hold parked that long); then the client gets "Session ID unknown" and reconnects
   */
  forwardTimeout?: number;
  /** relay a WebSocket upgrade that reaches a non-owner (default true); false refuses it: the client stays on polling */
  relayWebSocket?: boolean;
}

export type ResolvedOptions =
  & Required<Omit<RedisAdapterOptions, "sessionRefreshInterval">>
  & Pick<RedisAdapterOptions, "sessionRefreshInterval">;

export function resolveOptions(opts: RedisAdapterOptions): ResolvedOptions {
  return {
    streamName: "socket.io",
    streamCount: 1,
    channelPrefix: "socket.io",
    maxLen: 10_000,
    readCount: 100,
    blockTimeInMs: 5_000,
    sessionKeyPrefix: "sio:session:",
    onlyPlaintext: false,
    requestTimeout: 5_000,
    forwarding: true,
    forwardTimeout: 5_000,
    relayWebSocket: true,
    ...opts,
  };
}

/** The official adapter's string hash, negative values included: the stream of a namespace must match. */
function hashCode(str: string): number {
  let hash = 0;
  for (let i = 0; i < str.length; i++) {
    hash = hash * 31 + str.charCodeAt(i);
    hash |= 0;
  }
  return hash;
}

export function streamFor(nsp: string, opts: Pick<ResolvedOptions, "streamName" | "streamCount">): string {
  return opts.streamCount === 1 ? opts.streamName : `${opts.streamName}-${hashCode(nsp) % opts.streamCount}`;
}

type Listener = (payload: Buffer) => void;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class Fleet {
  readonly main: Connection;
  readonly opts: ResolvedOptions;
  readonly adapters: Map<string, RedisStreamsAdapter> = new Map();
  /** the session router handed to the engine (no sticky sessions), unless `forwarding: false` */
  readonly forwarder: Forwarder | undefined;
  #opened: Promise<void>;
  #sub: Promise<Connection>;
  #readers = new Map<string, StreamReader>();
  #closed = false;

  constructor(redis: RedisClient | string, opts: RedisAdapterOptions) {
    this.opts = resolveOptions(opts);
    this.main = typeof redis === "string"
      ? Connection.fromUrl(redis, "command")
      : new Connection(redis, false, "command");
    this.#opened = this.main.open();
    this.#sub = this.#opened.then(() => this.main.duplicate("subscriber"));
    // awaited later by whoever needs them; a failure must not also surface as an unhandled rejection
    this.#sub.catch((err) => console.error("portio/redis: cannot connect", err));
    // every stream this fleet may use gets its reader now, so none misses entries written before its first use
    const names = this.opts.streamCount === 1
      ? [this.opts.streamName]
      : Array.from({ length: this.opts.streamCount }, (_, i) => `${this.opts.streamName}-${i}`);
    for (const name of names) {
      const conn = this.#opened.then(() => this.main.duplicate(`reader ${name}`));
      conn.catch(() => {});
      this.#readers.set(
        name,
        new StreamReader(
          conn,
          name,
          this.opts,
          (message, id) => this.adapters.get(message.nsp)?.onMessage(message, id),
        ),
      );
    }
    if (this.opts.forwarding) {
      this.forwarder = new Forwarder(this, {
        forwardTimeout: this.opts.forwardTimeout,
        relayWebSocket: this.opts.relayWebSocket,
      });
    }
    this.main.onReconnect(() => {
      for (const adapter of this.adapters.values()) adapter.resync();
    });
  }

  streamFor(nsp: string): string {
    return streamFor(nsp, this.opts);
  }

  reader(stream: string): StreamReader {
    return this.#readers.get(stream)!;
  }

  adapterFor(nsp: StoreNamespace): RedisStreamsAdapter {
    const adapter = new RedisStreamsAdapter(nsp, this);
    this.adapters.set(nsp.name, adapter);
    // the stream is the recovery buffer: bounded by bytes as the in-memory one is (`maxBufferBytes`)
    const maxBytes = adapter.maxBufferBytes;
    if (maxBytes !== undefined) this.reader(adapter.streamName).boundBytes(maxBytes);
    return adapter;
  }

  /** Subscribes (binary payloads); retried until Redis takes it, since node-redis resubscribes only what it has. */
  async subscribe(channels: string[], listener: Listener): Promise<void> {
    const sub = await this.#sub;
    while (!this.#closed) {
      try {
        await sub.client.subscribe(channels, listener, true);
        return;
      } catch {
        await sleep(250);
      }
    }
  }

  /** Resolves once the connections are up, the readers know where they start and the channels are subscribed. */
  async ready(): Promise<void> {
    await this.#sub;
    await Promise.all([...this.#readers.values()].map((r) => r.started()));
    await Promise.all([...this.adapters.values()].map((a) => a.subscribed));
    await this.forwarder?.subscribed;
  }

  /** A namespace's store closed; the last one closes the connections. */
  async release(adapter: RedisStreamsAdapter, channels: string[], listener: Listener): Promise<void> {
    if (this.adapters.get(adapter.nsp.name) === adapter) this.adapters.delete(adapter.nsp.name);
    const sub = await this.#subscriberNow();
    if (sub?.ready) await sub.client.unsubscribe(channels, listener, true).catch(() => {});
    if (this.adapters.size === 0) await this.close();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.forwarder?.close();
    for (const reader of this.#readers.values()) reader.stop();
    (await this.#subscriberNow())?.destroy();
    void this.#sub.then((s) => s.destroy(), () => {}); // connected later: closed then
    await this.main.close();
  }

  /** The subscriber connection if it is up by now: closing never waits for Redis to come back. */
  #subscriberNow(): Promise<Connection | undefined> {
    return Promise.race([this.#sub.catch(() => undefined), sleep(0).then(() => undefined)]);
  }
}
