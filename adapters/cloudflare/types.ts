/**
 * The few Cloudflare runtime objects the adapter touches, as structural types: the adapter type-checks
 * without `@cloudflare/workers-types` (which clashes with the DOM lib the rest of the project uses);
 * test/fixture/cloudflare-types.ts checks that the real types fit these.
 */
import type { KeyValueStorage } from "../../src/room-store.ts";
import type { AlarmStorage, HibernatableSocket } from "../../src/hibernation/index.ts";

/** A Workers WebSocket accepted through the Hibernation API. */
export interface CloudflareWebSocket extends HibernatableSocket {
  /** Sends a frame. */
  send(message: string | ArrayBuffer | ArrayBufferView): void;
  /** Closes the WebSocket. */
  close(code?: number, reason?: string): void;
  /** the standard (non-hibernatable) acceptance */
  accept(): void;
}

/** `ctx` of a Durable Object (`DurableObjectState`). */
export interface DurableObjectStateLike {
  /** Storage: key-value records and the alarm. */
  readonly storage: KeyValueStorage & AlarmStorage;
  /** Accepts a WebSocket through the Hibernation API. */
  acceptWebSocket(ws: CloudflareWebSocket, tags?: string[]): void;
  /** The accepted WebSockets (all, or those with a tag). */
  getWebSockets(tag?: string): CloudflareWebSocket[];
  /** Runs `callback` before any event is delivered. */
  blockConcurrencyWhile<T>(callback: () => Promise<T>): Promise<T>;
  /** The object's id; `name` is the name it was reached by (`idFromName`), where the runtime tells it. */
  readonly id?: { readonly name?: string };
}

/** A Durable Object namespace binding (`env.MY_OBJECT`). */
export interface DurableObjectNamespaceLike {
  /** The id of the object with this name. */
  idFromName(name: string): unknown;
  /** The stub of an object. */
  get(id: never): { fetch(request: Request): Promise<Response> };
}

/** The Workers global that creates the two ends of a server-side WebSocket. */
export type WebSocketPairConstructor = new () => { 0: CloudflareWebSocket; 1: CloudflareWebSocket };
