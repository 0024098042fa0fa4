/**
 * How a room store's decision reaches the wire: the `StoreContext` a namespace gives its store. The store
 * (rooms/) owns membership and decides *when* a packet goes to which local socket ids; this module decides
 * *how*: the packet is encoded once with the server's parser, a single text frame is wrapped once in a
 * `SharedMessage` (framed once where the runtime can), and a one-room broadcast is handed to the runtime's
 * native fan-out (Bun topics) when that gives the same result as writing to each member.
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
  /** writes a broadcast's single text frame, shared by all recipients */
  _writeShared(message: SharedMessage, flags: BroadcastFlags): void;
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

/** What delivery needs of its namespace (`Namespace` has it). */
export interface DeliveryHost {
  readonly name: string;
  readonly sockets: ReadonlyMap<SocketId, LocalSocket>;
  readonly scheduler: Scheduler;
  readonly fanout: Fanout | undefined;
  readonly logger: Logger;
  /** the server's `connectionStateRecovery`, when on */
  readonly _recovery: RecoverySettings | undefined;
  /** sockets with `onAnyOutgoing` listeners: native fan-out would skip them */
  readonly _outgoingListeners: number;
  /** encodes a packet with the server's parser */
  _encode(packet: Packet): Array<string | Uint8Array>;
  /** a `serverSideEmit` from another node */
  _onServerSideEmit(args: unknown[]): void;
}

const NO_FLAGS: BroadcastFlags = {};
const SOCKET_IO_SERVER = { encoder: undefined };
/** a quarter of the default slow-consumer bound: a paused Bun subscriber overshoots it by at most this */
const SWEEP_BYTES = 1024 * 1024;

/** The `StoreContext` of one namespace: local delivery, native fan-out, and the namespace's answers. */
export class Delivery implements StoreContext {
  #host: DeliveryHost;
  #store: InMemoryAdapter | undefined;
  #ackId = 0;
  /** sockets subscribed to native topics (a runtime fan-out reaches them), and per room how many */
  #sinks = new Map<SocketId, TopicSink>();
  #topicMembers = new Map<Room, number>();
  /** bytes published natively per room since its subscribers' queues were last checked */
  #publishedBytes = new Map<Room, number>();
  #hooked: InMemoryAdapter | undefined;
  #onJoin = (room: Room, id: SocketId) => {
    const sink = this.#sinks.get(id);
    if (sink && room !== id) this.#subscribe(sink, room);
  };
  #onLeave = (room: Room, id: SocketId) => {
    const sink = this.#sinks.get(id);
    if (sink && room !== id) this.#unsubscribe(sink, room);
  };

  constructor(host: DeliveryHost) {
    this.#host = host;
  }

  /** The namespace's store is (now) `store`: native subscriptions start over with it. */
  bind(store: InMemoryAdapter): void {
    if (this.#hooked) {
      this.#hooked.off("join-room", this.#onJoin);
      this.#hooked.off("leave-room", this.#onLeave);
      this.#hooked = undefined;
    }
    this.#store = store;
    this.#sinks.clear();
    this.#topicMembers.clear();
    this.#publishedBytes.clear();
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
    return this.#host._recovery;
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
    if (this.#publish(encoded, opts, targets)) return;
    const sockets = host.sockets;
    const args = packet.data as unknown[];
    const text = encoded.length === 1 ? encoded[0] : undefined;
    if (typeof text === "string") {
      // one frame for everyone: built once, framed once where the runtime can (SharedMessage)
      const message = new SharedMessage(text);
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

  // ---- native fan-out (Bun topics) ----------------------------------------------------------------------

  #topic(room: Room): string {
    return `${this.#host.name}\u0000${room}`;
  }

  #subscribe(sink: TopicSink, room: Room): void {
    sink.subscribe(this.#topic(room));
    this.#topicMembers.set(room, (this.#topicMembers.get(room) ?? 0) + 1);
  }

  #unsubscribe(sink: TopicSink, room: Room): void {
    try {
      sink.unsubscribe(this.#topic(room));
    } catch {
      // the runtime socket is already closed: its subscriptions went with it
    }
    const n = (this.#topicMembers.get(room) ?? 1) - 1;
    if (n > 0) this.#topicMembers.set(room, n);
    else this.#topicMembers.delete(room), this.#publishedBytes.delete(room);
  }

  /**
   * The socket's connection can now be reached by native fan-out (it is, or became, an open WebSocket on a
   * runtime with topics): subscribe it to the topics of its rooms, and follow its joins and leaves.
   */
  attach(id: SocketId, sink: TopicSink): void {
    const store = this.#store;
    if (!this.#host.fanout || !store || this.#sinks.has(id)) return;
    if (this.#hooked !== store) {
      store.on("join-room", this.#onJoin);
      store.on("leave-room", this.#onLeave);
      this.#hooked = store;
    }
    this.#sinks.set(id, sink);
    for (const room of store.socketRooms(id) ?? []) if (room !== id) this.#subscribe(sink, room);
  }

  /** The socket left the namespace (its rooms already left, unsubscribing their topics). */
  detach(id: SocketId): void {
    this.#sinks.delete(id);
  }

  /**
   * Publishes through the runtime when that gives the same result as writing to each member: one room,
   * no exclusions, a single text frame, and no `onAnyOutgoing` listener to call per socket. Members that
   * are not subscribed (long-polling, mid-upgrade) are written to one by one. Returns false to fall back.
   */
  #publish(encoded: ReadonlyArray<string | Uint8Array>, opts: BroadcastOptions, targets: Targets): boolean {
    const host = this.#host;
    const fanout = host.fanout;
    if (!fanout || opts.rooms.size !== 1 || (opts.except && opts.except.size) || encoded.length !== 1) return false;
    const frame = encoded[0];
    if (typeof frame !== "string" || host._outgoingListeners > 0) return false;
    const [room] = opts.rooms as Set<Room> & Iterable<Room>;
    const subscribed = this.#topicMembers.get(room!) ?? 0;
    if (subscribed === 0) return false;
    const message = new SharedMessage(frame);
    fanout.publish(this.#topic(room!), message.wire); // one engine "message" frame for every subscriber
    const sinks = this.#sinks;
    const sockets = host.sockets;
    // the runtime queued the frame for each subscriber out of the sessions' sight: after every SWEEP_BYTES
    // published to a room, its subscribers' queues are checked against the slow-consumer bound
    const published = (this.#publishedBytes.get(room!) ?? 0) + frame.length;
    if (published < SWEEP_BYTES) this.#publishedBytes.set(room!, published);
    else {
      this.#publishedBytes.delete(room!);
      targets((id) => {
        if (sinks.has(id)) sockets.get(id)?._checkBackpressure();
      });
    }
    if ((this.#store?.rooms.get(room!)?.size ?? 0) > subscribed) {
      const flags = opts.flags ?? NO_FLAGS;
      targets((id) => {
        if (!sinks.has(id)) sockets.get(id)?.client._writeShared(message, flags);
      });
    }
    return true;
  }
}
