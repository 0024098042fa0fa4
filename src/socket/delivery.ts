/**
 * How a room store's decision reaches the wire: the `StoreContext` a namespace gives its store. The store
 * (rooms/) owns membership and decides *when* a packet goes to which local socket ids; this module decides
 * *how*: the packet is encoded once with the server's parser, a single frame (text or binary) is wrapped once in a
 * `SharedMessage` (framed once where the runtime can), and a one-room broadcast is handed to the runtime's
 * native fan-out (Bun topics, socket/topics.ts) when that gives the same result as writing to each member.
 *
 * Nothing here outlives the call that delivers: no cache of encoded packets, no queue of pending deliveries,
 * no list of targets (the store walks them, `Targets`); what a slow connection holds is its own send queue.
 */
import type { Logger } from "../util/logger.ts";
import type { Fanout, Scheduler } from "../ports.ts";
import { SharedMessage } from "../engine/packet.ts";
import type { Packet } from "../packet.ts";
import type { InMemoryAdapter } from "../rooms/memory.ts";
import type {
  BroadcastFlags,
  BroadcastOptions,
  PrivateSessionId,
  RecoverySettings,
  Room,
  SocketDetails,
  SocketId,
  StoreContext,
  Targets,
  TopicSink,
} from "../rooms/types.ts";

/** What delivery writes to: a socket's connection (`Client`, shared by the client's namespaces). */
export interface LocalConnection {
  /** writes an already-encoded packet (one string + attachments) */
  _write(encoded: ReadonlyArray<string | Uint8Array>, flags: BroadcastFlags): void;
  /** writes a broadcast's single frame (text or binary), shared by all recipients */
  _writeShared(message: SharedMessage, flags: BroadcastFlags): void;
  /** the engine connection: whether a volatile packet may go now (it can take it at once) */
  readonly conn: { readonly canSendVolatile: boolean };
}

/** What delivery needs of a connected socket (`Socket` has it). */
export interface LocalSocket {
  readonly id: SocketId;
  readonly handshake: unknown;
  readonly data: unknown;
  readonly pid: PrivateSessionId | undefined;
  readonly rooms: Set<Room>;
  /** the connection it lives on */
  readonly client: LocalConnection;
  /** runs `onAnyOutgoing` listeners */
  _notifyOutgoing(args: unknown[]): void;
  /** registers the ack of a packet written to many sockets */
  _registerAck(id: number, ack: (...args: unknown[]) => void): void;
  /** applies the slow-consumer bound after native fan-out wrote to the connection out of its sight */
  _checkBackpressure(): void;
  disconnect(close?: boolean): unknown;
}

/**
 * A runtime's native fan-out as one namespace uses it (socket/topics.ts): which sockets are subscribed to
 * which room's topic, and a broadcast handed to the runtime when that gives the same result.
 */
export interface NativeRoute {
  /** The namespace's store is (now) `store`: subscriptions start over with it. */
  bind(store: InMemoryAdapter): void;
  /** The socket's connection can be reached natively through `sink`. */
  attach(id: SocketId, sink: TopicSink): void;
  /** The socket left the namespace. */
  detach(id: SocketId): void;
  /** Publishes natively when the result is the same as writing to each target; false to fall back. */
  publish(encoded: ReadonlyArray<string | Uint8Array>, opts: BroadcastOptions, targets: Targets): boolean;
}

/** Builds a namespace's `NativeRoute`; a runtime adapter gives it with its `Fanout` (`routing`). */
export type NativeRouting = (host: DeliveryHost, fanout: Fanout) => NativeRoute;

/**
 * A `Fanout` with the routing that uses it: the runtime adapter that has topics brings the code for them, so
 * runtimes without (a Worker) do not carry it.
 */
export interface RoutedFanout extends Fanout {
  /** how a namespace routes broadcasts to topics (`topicRouting`, socket/topics.ts) */
  readonly routing?: NativeRouting;
}

/** What delivery needs of its namespace (`Namespace` has it). */
export interface DeliveryHost {
  readonly name: string;
  readonly sockets: ReadonlyMap<SocketId, LocalSocket>;
  readonly scheduler: Scheduler;
  readonly fanout: RoutedFanout | undefined;
  readonly logger: Logger;
  /** the server: its `connectionStateRecovery` settings, when on */
  readonly server: { readonly _recovery: RecoverySettings | undefined };
  /** sockets with `onAnyOutgoing` listeners: native fan-out would skip them */
  readonly _outgoingListeners: number;
  /** encodes a packet with the server's parser */
  _encode(packet: Packet): Array<string | Uint8Array>;
  /** a `serverSideEmit` from another node */
  _onServerSideEmit(args: unknown[]): void;
}

const NO_FLAGS: BroadcastFlags = {};
const SOCKET_IO_SERVER = { encoder: undefined };

/** The `StoreContext` of one namespace: local delivery, native fan-out, and the namespace's answers. */
export class Delivery implements StoreContext {
  #host: DeliveryHost;
  #store: InMemoryAdapter | undefined;
  #ackId = 0;
  /** the runtime's native fan-out, once a socket could use it */
  #native: NativeRoute | undefined;

  constructor(host: DeliveryHost) {
    this.#host = host;
  }

  /** The namespace's store is (now) `store`: native subscriptions start over with it. */
  bind(store: InMemoryAdapter): void {
    this.#store = store;
    this.#native?.bind(store);
  }

  /**
   * Not Portio's: socket.io's adapters read `nsp.server.encoder` when built. A socket.io store given to the
   * `adapter` option by mistake is then built and refused with a pointer to portio/redis (server.ts), instead
   * of failing on a missing property.
   */
  get server(): { encoder: undefined } {
    return SOCKET_IO_SERVER;
  }

  // ---- StoreContext ----------------------------------------------------------------------------------

  get name(): string {
    return this.#host.name;
  }

  get scheduler(): Scheduler {
    return this.#host.scheduler;
  }

  get logger(): Logger {
    return this.#host.logger;
  }

  get recovery(): RecoverySettings | undefined {
    return this.#host.server._recovery;
  }

  has(id: SocketId): boolean {
    return this.#host.sockets.has(id);
  }

  ids(): IterableIterator<SocketId> {
    return this.#host.sockets.keys() as IterableIterator<SocketId>;
  }

  nextAckId(): number {
    return this.#ackId++;
  }

  details(id: SocketId): (SocketDetails & { pid?: PrivateSessionId }) | undefined {
    const s = this.#host.sockets.get(id);
    if (!s) return undefined;
    return { id, handshake: s.handshake, rooms: [...s.rooms], data: s.data, pid: s.pid };
  }

  disconnect(id: SocketId, close: boolean): void {
    this.#host.sockets.get(id)?.disconnect(close);
  }

  onServerSideEmit(args: unknown[]): void {
    this.#host._onServerSideEmit(args);
  }

  deliver(packet: Packet, opts: BroadcastOptions, targets: Targets): void {
    const host = this.#host;
    const flags = opts.flags ?? NO_FLAGS;
    const encoded = host._encode(packet);
    if (this.#native?.publish(encoded, opts, targets)) return;
    const sockets = host.sockets;
    const args = packet.data as unknown[];
    const single = encoded.length === 1 ? encoded[0] : undefined;
    if (single !== undefined) {
      // one frame for everyone, text or binary (a msgpack parser's packet): built once, framed once where the
      // runtime can (SharedMessage)
      const message = new SharedMessage(single);
      const notify = host._outgoingListeners > 0;
      targets((id) => {
        const socket = sockets.get(id);
        if (!socket) return;
        if (notify) socket._notifyOutgoing(args);
        socket.client._writeShared(message, flags);
      });
      return;
    }
    targets((id) => {
      const socket = sockets.get(id);
      if (!socket) return;
      socket._notifyOutgoing(args);
      socket.client._write(encoded, flags);
    });
  }

  deliverWithAck(
    packet: Packet,
    opts: BroadcastOptions,
    targets: Targets,
    ack: (...args: unknown[]) => void,
  ): number {
    const flags = opts.flags ?? NO_FLAGS;
    const encoded = this.#host._encode(packet);
    const sockets = this.#host.sockets;
    const id = packet.id!;
    let count = 0;
    targets((sid) => {
      const socket = sockets.get(sid);
      if (!socket) return;
      socket._registerAck(id, ack);
      socket.client._write(encoded, flags);
      count++;
    });
    return count;
  }

  // ---- native fan-out, plugged in by the runtime adapter with its Fanout (socket/topics.ts) ----------------

  #route(): NativeRoute | undefined {
    const fanout = this.#host.fanout;
    if (!fanout?.routing) return undefined;
    if (!this.#native) {
      this.#native = fanout.routing(this.#host, fanout);
      if (this.#store) this.#native.bind(this.#store);
    }
    return this.#native;
  }

  /**
   * The socket's connection can now be reached by native fan-out (it is, or became, an open WebSocket on a
   * runtime with topics): subscribe it to the topics of its rooms, and follow its joins and leaves.
   */
  attach(id: SocketId, sink: TopicSink): void {
    this.#route()?.attach(id, sink);
  }

  /** The socket left the namespace (its rooms already left, unsubscribing their topics). */
  detach(id: SocketId): void {
    this.#native?.detach(id);
  }
}
