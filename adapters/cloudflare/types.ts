/**
 * The few Cloudflare runtime objects the adapter touches, as structural types: the adapter type-checks
 * without `@cloudflare/workers-types` (which clashes with the DOM lib the rest of the project uses);
 * test/fixture/cloudflare-types.ts checks that the real types fit these.
 */
import type { AlarmStorage, HibernatableSocket, KeyValueStorage } from "../../src/index.ts";

/** A Workers WebSocket accepted through the Hibernation API. */
export interface CloudflareWebSocket extends HibernatableSocket {
  send(message: string | ArrayBuffer | ArrayBufferView): void;
  close(code?: number, reason?: string): void;
  /** the standard (non-hibernatable) acceptance */
  accept(): void;
}

/** `ctx` of a Durable Object (`DurableObjectState`). */
export interface DurableObjectStateLike {
  readonly storage: KeyValueStorage & AlarmStorage;
  acceptWebSocket(ws: CloudflareWebSocket, tags?: string[]): void;
  getWebSockets(tag?: string): CloudflareWebSocket[];
  blockConcurrencyWhile<T>(callback: () => Promise<T>): Promise<T>;
}

/** A Durable Object namespace binding (`env.MY_OBJECT`). */
export interface DurableObjectNamespaceLike {
  idFromName(name: string): unknown;
  get(id: never): { fetch(request: Request): Promise<Response> };
}

/** The Workers global that creates the two ends of a server-side WebSocket. */
export type WebSocketPairConstructor = new () => { 0: CloudflareWebSocket; 1: CloudflareWebSocket };
