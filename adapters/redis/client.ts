/**
 * The Redis client: node-redis (`@redis/client`, the client of the `redis` package, v5+; a client from `redis`
 * v4+ can be passed in). Chosen because it is Redis' own maintained client, has no dependencies, runs
 * unchanged on Node, Deno 2 and Bun (verified here: commands, blocking XREAD, binary pub/sub, and reconnecting
 * after a Redis restart, on all three), resubscribes by itself after a reconnect, and with
 * `disableOfflineQueue` rejects commands at once while disconnected instead of queueing them without bound.
 * Everything goes through `sendCommand`, so reply shapes are normalized here (RESP2 arrays or RESP3 maps).
 */
import type { Buffer } from "node:buffer";
import { createClient } from "@redis/client";

/** The part of a node-redis client used here (structural, so any v4+ client fits). */
export interface RedisClient {
  /** Connected and ready. */
  readonly isReady: boolean;
  /** Connection open. */
  readonly isOpen: boolean;
  /** Sends a raw command. */
  sendCommand(args: Array<string | Buffer>): Promise<unknown>;
  /** A new client with the same options (for subscriptions and blocking reads). */
  duplicate(): RedisClient;
  /** Connects. */
  connect(): Promise<unknown>;
  /** Connection events. */
  // deno-lint-ignore no-explicit-any -- node-redis listeners of several signatures
  on(event: "error" | "ready" | "end", listener: (...args: any[]) => void): unknown;
  /** Subscribes to channels. */
  subscribe(
    channels: string[],
    listener: (message: Buffer, channel: Buffer) => unknown,
    bufferMode: true,
  ): Promise<unknown>;
  /** Unsubscribes from channels. */
  unsubscribe(
    channels: string[],
    listener?: (message: Buffer, channel: Buffer) => unknown,
    bufferMode?: true,
  ): Promise<unknown>;
  /** v5+ */
  close?(): Promise<unknown>;
  /** Closes at once (node-redis v5). */
  destroy?(): void;
  /** v4 */
  quit?(): Promise<unknown>;
  /** Closes at once (node-redis v4). */
  disconnect?(): Promise<unknown>;
}

/** A command refused because the connection is down: the caller serves its local clients and goes on. */
export class RedisUnavailableError extends Error {
  /** The error's name. */
  override name = "RedisUnavailableError";
}

// ms between reconnection attempts: quick at first (a restart takes a second or two), then every 2 s
const reconnectStrategy = (retries: number) => Math.min(100 * 2 ** retries, 2000);

/**
 * One connection. `owned` ones (made here from a URL, or duplicated) are closed here; a client the app passed
 * in stays the app's. Connection errors are reported once per outage: node-redis emits "error" for every
 * failed attempt, and an "error" event without a listener would throw and end the process.
 */
export class Connection {
  #down = false;
  #reconnected: Array<() => void> = [];

  constructor(readonly client: RedisClient, readonly owned: boolean, readonly label: string) {
    client.on("error", (err: Error) => {
      if (this.#down) return;
      this.#down = true;
      console.warn(`portio/redis: ${label} connection lost (${err.message}); reconnecting`);
    });
    client.on("ready", () => {
      if (!this.#down) return;
      this.#down = false;
      console.warn(`portio/redis: ${label} connection back`);
      for (const fn of this.#reconnected) fn();
    });
  }

  /** Calls `fn` each time the connection is back after an outage. */
  onReconnect(fn: () => void): void {
    this.#reconnected.push(fn);
  }

  static fromUrl(url: string, label: string): Connection {
    const client = createClient({
      url,
      disableOfflineQueue: true,
      socket: { reconnectStrategy },
    }) as unknown as RedisClient;
    return new Connection(client, true, label);
  }

  get ready(): boolean {
    return this.client.isReady;
  }

  /** Connects an owned client; resolves once Redis answered (node-redis retries until it does). */
  async open(): Promise<void> {
    if (this.owned && !this.client.isOpen) await this.client.connect();
  }

  /** A new connection to the same server (for blocking reads and subscriptions, which hold a connection). */
  async duplicate(label: string): Promise<Connection> {
    const conn = new Connection(this.client.duplicate(), true, label);
    await conn.open();
    return conn;
  }

  /** Sends a command; rejects at once while disconnected (node-redis would queue it for an app's own client). */
  send(args: Array<string | Buffer>): Promise<unknown> {
    if (!this.client.isReady) return Promise.reject(new RedisUnavailableError(`${this.label}: Redis is not reachable`));
    try {
      return this.client.sendCommand(args);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Closes an owned connection now, dropping pending replies (blocking reads would otherwise hold it). */
  destroy(): void {
    if (!this.owned) return;
    try {
      if (this.client.destroy) this.client.destroy();
      else void this.client.disconnect?.().catch(() => {});
    } catch {
      // already closed
    }
  }

  /** Closes an owned connection after its pending replies. */
  async close(): Promise<void> {
    if (!this.owned || !this.client.isOpen) return;
    // not connected (Redis away): nothing pending can complete, so do not wait for it
    if (!this.client.isReady) return this.destroy();
    try {
      if (this.client.close) await this.client.close();
      else await this.client.quit?.();
    } catch {
      this.destroy();
    }
  }
}

// ---- reply shapes ---------------------------------------------------------------------------------------------

export type StreamEntry = [id: string, fields: unknown[]];

function asEntries(value: unknown): StreamEntry[] {
  if (!Array.isArray(value)) return [];
  const out: StreamEntry[] = [];
  for (const e of value) {
    if (Array.isArray(e) && e.length >= 2 && Array.isArray(e[1])) out.push([String(e[0]), e[1] as unknown[]]);
  }
  return out;
}

/** XRANGE / XREVRANGE reply. */
export function rangeEntries(reply: unknown): StreamEntry[] {
  return asEntries(reply);
}

/** XREAD reply for one stream: `[[name, entries]]` in RESP2, `{name: entries}` (or a Map) in RESP3, or null. */
export function readEntries(reply: unknown): StreamEntry[] {
  if (reply === null || reply === undefined) return [];
  if (Array.isArray(reply)) return asEntries((reply[0] as unknown[] | undefined)?.[1]);
  if (reply instanceof Map) return asEntries(reply.values().next().value);
  if (typeof reply === "object") return asEntries(Object.values(reply)[0]);
  return [];
}

/** PUBSUB NUMSUB reply for one channel: `[name, count]` (or `{name: count}`). */
export function numsub(reply: unknown): number {
  const n = Array.isArray(reply)
    ? reply[1]
    : reply instanceof Map
    ? reply.values().next().value
    : typeof reply === "object" && reply
    ? Object.values(reply)[0]
    : 0;
  return Number(n) || 0;
}
