/**
 * The in-memory room store, the default: membership maps and local fan-out. A broadcast is encoded once
 * and the same frames are written to every member.
 */
import { Emitter } from "../util/emitter.ts";
import { encode, type Packet } from "../socket/parser.ts";
import { SharedMessage } from "../engine/packet.ts";
import type {
  BroadcastOptions,
  Room,
  Session,
  SessionToPersist,
  SocketDetails,
  SocketId,
  StoreNamespace,
  StoreSocket,
  TopicSink,
} from "./types.ts";

/** Events of a room store (socket.io-adapter's). */
export interface AdapterEvents {
  /** A room got its first member. */
  "create-room": (room: Room) => void;
  /** A room lost its last member. */
  "delete-room": (room: Room) => void;
  /** A socket joined a room. */
  "join-room": (room: Room, id: SocketId) => void;
  /** A socket left a room. */
  "leave-room": (room: Room, id: SocketId) => void;
}

const EMPTY = new Set<Room>();
/** a quarter of the default slow-consumer bound: a paused Bun subscriber overshoots it by at most this */
const SWEEP_BYTES = 1024 * 1024;

/** The in-memory room store of one namespace (socket.io's default `Adapter`); the base of every store. */
export class InMemoryAdapter extends Emitter<AdapterEvents> {
  /** The sockets of each room. */
  readonly rooms: Map<Room, Set<SocketId>> = new Map();
  /** The rooms of each socket. */
  readonly sids: Map<SocketId, Set<Room>> = new Map();
  /** sockets subscribed to native topics (a runtime fan-out reaches them), and per room how many */
  #sinks = new Map<SocketId, TopicSink>();
  #topicMembers = new Map<Room, number>();
  /** bytes published natively per room since its subscribers' queues were last checked */
  #publishedBytes = new Map<Room, number>();

  /** @ignore Created by the server for each namespace. */
  constructor(readonly nsp: StoreNamespace) {
    super();
  }

  /** Called once the store is created. */
  init(): Promise<void> | void {}
  /** Called when the server closes. */
  close(): Promise<void> | void {}

  /** Number of nodes serving this namespace (1 without a cluster). */
  serverCount(): Promise<number> {
    return Promise.resolve(1);
  }

  /** Adds a socket to rooms. */
  addAll(id: SocketId, rooms: Iterable<Room>): Promise<void> | void {
    let mine = this.sids.get(id);
    if (!mine) this.sids.set(id, mine = new Set());
    for (const room of rooms) {
      mine.add(room);
      let members = this.rooms.get(room);
      if (!members) {
        this.rooms.set(room, members = new Set());
        if (this.hasListeners("create-room")) this.emitReserved("create-room", room);
      }
      if (!members.has(id)) {
        members.add(id);
        const sink = this.#sinks.get(id);
        if (sink && room !== id) this.#subscribe(sink, room);
        if (this.hasListeners("join-room")) this.emitReserved("join-room", room, id);
      }
    }
  }

  /** Removes a socket from a room. */
  del(id: SocketId, room: Room): Promise<void> | void {
    this.sids.get(id)?.delete(room);
    this.#leaveRoom(room, id);
  }

  #leaveRoom(room: Room, id: SocketId): void {
    const members = this.rooms.get(room);
    if (!members || !members.delete(id)) return;
    const sink = this.#sinks.get(id);
    if (sink && room !== id) this.#unsubscribe(sink, room);
    if (this.hasListeners("leave-room")) this.emitReserved("leave-room", room, id);
    if (members.size === 0 && this.rooms.delete(room) && this.hasListeners("delete-room")) {
      this.emitReserved("delete-room", room);
    }
  }

  /** Removes a socket from every room. */
  delAll(id: SocketId): void {
    const mine = this.sids.get(id);
    if (!mine) return;
    for (const room of mine) this.#leaveRoom(room, id);
    this.sids.delete(id);
    this.#sinks.delete(id);
  }

  // ---- native fan-out (Bun topics) ----------------------------------------------------------------------

  #topic(room: Room): string {
    return `${this.nsp.name}\u0000${room}`;
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
   * runtime with topics): subscribe it to the topics of its rooms.
   */
  attachTopics(id: SocketId, sink: TopicSink): void {
    if (!this.nsp.fanout || this.#sinks.has(id)) return;
    this.#sinks.set(id, sink);
    for (const room of this.sids.get(id) ?? EMPTY) if (room !== id) this.#subscribe(sink, room);
  }

  /**
   * Publishes through the runtime when that gives the same result as writing to each member: one room,
   * no exclusions, a single frame (text, or binary from a custom parser), and no `onAnyOutgoing` listener to
   * call per socket. Members that are not subscribed (long-polling, mid-upgrade, Engine.IO v3) are written to
   * one by one. Returns false to fall back.
   */
  #publish(encoded: ReadonlyArray<string | Uint8Array>, opts: BroadcastOptions): boolean {
    const fanout = this.nsp.fanout;
    if (!fanout || opts.rooms.size !== 1 || (opts.except && opts.except.size) || encoded.length !== 1) return false;
    const frame = encoded[0]!;
    if (this.nsp._outgoingListeners > 0) return false;
    const [room] = opts.rooms as Set<Room> & Iterable<Room>;
    const subscribed = this.#topicMembers.get(room!) ?? 0;
    if (subscribed === 0) return false;
    const members = this.rooms.get(room!);
    if (opts.flags?.volatile) {
      // volatile means "dropped while the transport cannot take it" (socket.io); the runtime would queue a
      // published frame for a backpressured subscriber as for any other, so a volatile broadcast goes natively
      // only when every subscriber can take it now. Otherwise each member is written to, or skipped, on its own.
      for (const id of members ?? EMPTY) {
        if (this.#sinks.has(id) && !this.nsp.sockets.get(id)?._volatileReady?.()) return false;
      }
    }
    // engine "message" packet, one WebSocket frame (binary as is, v4 only: see EngineSocket.topics);
    // `compress(false)` reaches the runtime's publish
    const text = typeof frame === "string";
    fanout.publish(this.#topic(room!), text ? "4" + frame : frame, opts.flags?.compress);
    // the runtime queued the frame for each subscriber out of the sessions' sight: after every SWEEP_BYTES
    // published to a room, its subscribers' queues are checked against the slow-consumer bound
    const published = (this.#publishedBytes.get(room!) ?? 0) + (text ? frame.length : frame.byteLength);
    if (published < SWEEP_BYTES) this.#publishedBytes.set(room!, published);
    else {
      this.#publishedBytes.delete(room!);
      for (const id of members ?? EMPTY) if (this.#sinks.has(id)) this.nsp.sockets.get(id)?._checkBackpressure();
    }
    if (members && members.size > subscribed) {
      const flags = opts.flags ?? {};
      const message = new SharedMessage(frame);
      for (const id of members) {
        if (this.#sinks.has(id)) continue;
        this.nsp.sockets.get(id)?._writeShared(message, flags);
      }
    }
    return true;
  }

  /** The rooms of a socket. */
  socketRooms(id: SocketId): Set<Room> | undefined {
    return this.sids.get(id);
  }

  /** Calls `fn` once for every local socket matching the options (rooms ∪, minus `except` rooms). */
  apply(opts: BroadcastOptions, fn: (socket: StoreSocket) => void): void {
    const sockets = this.nsp.sockets;
    const except = this.#exceptSids(opts.except);
    const rooms = opts.rooms;
    if (rooms.size === 0) {
      for (const [id, socket] of sockets) if (!except.has(id)) fn(socket);
      return;
    }
    if (rooms.size === 1) {
      // the common case needs no de-duplication set
      for (const room of rooms) {
        for (const id of this.rooms.get(room) ?? EMPTY) {
          if (except.has(id)) continue;
          const socket = sockets.get(id);
          if (socket) fn(socket);
        }
      }
      return;
    }
    const seen = new Set<SocketId>();
    for (const room of rooms) {
      for (const id of this.rooms.get(room) ?? EMPTY) {
        if (seen.has(id) || except.has(id)) continue;
        seen.add(id);
        const socket = sockets.get(id);
        if (socket) fn(socket);
      }
    }
  }

  #exceptSids(except: Set<Room> | undefined): Set<SocketId> {
    if (!except || except.size === 0) return EMPTY;
    const out = new Set<SocketId>();
    for (const room of except) for (const id of this.rooms.get(room) ?? EMPTY) out.add(id);
    return out;
  }

  /** Sends a packet to the matching sockets. */
  broadcast(packet: Packet, opts: BroadcastOptions): void {
    const flags = opts.flags ?? {};
    const encoded = this.nsp._encode ? this.nsp._encode(packet) : encode(packet);
    if (this.#publish(encoded, opts)) return;
    const args = packet.data as unknown[];
    const single = encoded.length === 1 ? encoded[0] : undefined;
    if (single !== undefined) {
      // one frame for everyone, text or binary (a msgpack parser's packet): built once, framed once where the
      // runtime can (SharedMessage)
      const message = new SharedMessage(single);
      const notify = this.nsp._outgoingListeners > 0;
      this.apply(opts, (socket) => {
        if (notify) socket._notifyOutgoing(args);
        socket._writeShared(message, flags);
      });
      return;
    }
    this.apply(opts, (socket) => {
      socket._notifyOutgoing(args);
      socket._writeEncoded(encoded, flags);
    });
  }

  /** Broadcast expecting one ack per client: `clientCount` gets how many were sent, `ack` each response. */
  broadcastWithAck(
    packet: Packet,
    opts: BroadcastOptions,
    clientCountCallback: (count: number) => void,
    ack: (...args: unknown[]) => void,
  ): void {
    const flags = opts.flags ?? {};
    packet.id = this.nsp._nextAckId();
    const encoded = this.nsp._encode ? this.nsp._encode(packet) : encode(packet);
    let count = 0;
    this.apply(opts, (socket) => {
      socket._registerAck(packet.id!, ack);
      socket._writeEncoded(encoded, flags);
      count++;
    });
    clientCountCallback(count);
  }

  /** The ids of the sockets in the given rooms (all sockets for an empty set). */
  sockets(rooms: Set<Room>): Promise<Set<SocketId>> {
    const ids = new Set<SocketId>();
    this.apply({ rooms }, (s) => ids.add(s.id));
    return Promise.resolve(ids);
  }

  /** Local sockets; a cluster store adds `SocketDetails` of the other nodes' sockets. */
  fetchSockets(opts: BroadcastOptions): Promise<Array<StoreSocket | SocketDetails>> {
    const out: StoreSocket[] = [];
    this.apply(opts, (s) => out.push(s));
    return Promise.resolve(out);
  }

  /** Makes matching sockets join rooms. */
  addSockets(opts: BroadcastOptions, rooms: Room[]): void {
    this.apply(opts, (s) => s.join(rooms));
  }

  /** Makes matching sockets leave rooms. */
  delSockets(opts: BroadcastOptions, rooms: Room[]): void {
    this.apply(opts, (s) => rooms.forEach((r) => s.leave(r)));
  }

  /** Disconnects matching sockets. */
  disconnectSockets(opts: BroadcastOptions, close: boolean): void {
    const list: StoreSocket[] = [];
    this.apply(opts, (s) => list.push(s));
    for (const s of list) s.disconnect(close);
  }

  /**
   * Sends `[ev, ...args]` to the other nodes of the cluster; a trailing function is the ack, called with
   * `(err, responses)` once every other node answered. Alone there are none: it completes with no responses.
   */
  serverSideEmit(packet: unknown[]): void {
    const ack = packet[packet.length - 1];
    if (typeof ack === "function") queueMicrotask(() => (ack as (err: Error | null, r: unknown[]) => void)(null, []));
  }

  /** Keeps a disconnected socket's session for recovery (nothing here: see `SessionAwareAdapter`). */
  persistSession(_session: SessionToPersist): Promise<void> | void {}

  /** The session a reconnecting client asks for, with the packets it missed, or null. */
  restoreSession(_pid: string, _offset: string): Promise<Session | null> {
    return Promise.resolve(null);
  }
}
