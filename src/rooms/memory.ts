/**
 * The in-memory room store, the default: membership maps and the selection of a broadcast's targets. It
 * decides which local socket ids a packet reaches; the namespace's `StoreContext` writes it to them (encoded
 * once, framed once, natively fanned out where the runtime can: socket/delivery.ts).
 */
import { Emitter } from "../util/emitter.ts";
import type { Packet } from "../packet.ts";
import { type RecoveryLog, selectionOf, storable } from "./recovery.ts";
import type {
  BroadcastOptions,
  Room,
  Session,
  SessionToPersist,
  SocketDetails,
  SocketId,
  StoreContext,
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

/**
 * The in-memory room store of one namespace (socket.io's default `Adapter`); the base of every store. The
 * contract a store keeps, on socket ids: membership (`addAll`, `del`, `delAll`, `socketRooms`, the room
 * events), selection (`apply`), `broadcast` / `broadcastWithAck`, the fleet operations (`sockets`,
 * `fetchSockets`, `addSockets`, `delSockets`, `disconnectSockets`, `serverSideEmit`, `serverCount`) and
 * recovery (`persistSession`, `restoreSession`). See docs/room-store.md.
 */
export class InMemoryAdapter extends Emitter<AdapterEvents> {
  /** The sockets of each room. */
  readonly rooms: Map<Room, Set<SocketId>> = new Map();
  /** The rooms of each socket. */
  readonly sids: Map<SocketId, Set<Room>> = new Map();

  /**
   * @ignore Created by the server for each namespace, with the namespace's context; with a recovery log
   * (connection state recovery), broadcasts `storable` accepts are kept and sessions persisted there.
   */
  constructor(readonly ctx: StoreContext, protected readonly recoveryLog?: RecoveryLog) {
    super();
  }

  /** Called once the store is created. */
  init(): Promise<void> | void {}
  /** Called when the server closes. */
  close(): Promise<void> | void {
    return this.recoveryLog?.close?.();
  }

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
  }

  /** The rooms of a socket. */
  socketRooms(id: SocketId): Set<Room> | undefined {
    return this.sids.get(id);
  }

  /**
   * The ids a selection names (rooms ∪, minus `except` rooms; every connected socket for no room), each once.
   * A member may not be connected (a socket in its middlewares, or leaving): `deliver` skips those.
   */
  #select(opts: BroadcastOptions, visit: (id: SocketId) => void): void {
    const except = this.#exceptSids(opts.except);
    const rooms = opts.rooms;
    if (rooms.size === 0) {
      for (const id of this.ctx.ids()) if (!except.has(id)) visit(id);
      return;
    }
    if (rooms.size === 1) {
      // the common case needs no de-duplication set
      for (const room of rooms) {
        for (const id of this.rooms.get(room) ?? EMPTY) if (!except.has(id)) visit(id);
      }
      return;
    }
    const seen = new Set<SocketId>();
    for (const room of rooms) {
      for (const id of this.rooms.get(room) ?? EMPTY) {
        if (seen.has(id) || except.has(id)) continue;
        seen.add(id);
        visit(id);
      }
    }
  }

  /** Calls `fn` once for every connected local socket matching the options (rooms ∪, minus `except` rooms). */
  apply(opts: BroadcastOptions, fn: (id: SocketId) => void): void {
    const ctx = this.ctx;
    this.#select(opts, (id) => {
      if (ctx.has(id)) fn(id);
    });
  }

  #exceptSids(except: Set<Room> | undefined): Set<SocketId> {
    if (!except || except.size === 0) return EMPTY;
    const out = new Set<SocketId>();
    for (const room of except) for (const id of this.rooms.get(room) ?? EMPTY) out.add(id);
    return out;
  }

  /** Sends a packet to the matching local sockets (kept first for recovery, with its offset, when it may be). */
  broadcast(packet: Packet, opts: BroadcastOptions): void {
    const log = this.recoveryLog;
    if (log?.append && storable(packet, opts)) log.append(packet, selectionOf(opts));
    this.ctx.deliver(packet, opts, (visit) => this.#select(opts, visit));
  }

  /** Broadcast expecting one ack per client: `clientCount` gets how many were sent, `ack` each response. */
  broadcastWithAck(
    packet: Packet,
    opts: BroadcastOptions,
    clientCountCallback: (count: number) => void,
    ack: (...args: unknown[]) => void,
  ): void {
    packet.id = this.ctx.nextAckId();
    const count = this.ctx.deliverWithAck(packet, opts, (visit) => this.#select(opts, visit), ack);
    clientCountCallback(count);
  }

  /** The connected local ids matching the options, listed first: the operations below change what they walk. */
  #matching(opts: BroadcastOptions): SocketId[] {
    const ids: SocketId[] = [];
    this.apply(opts, (id) => ids.push(id));
    return ids;
  }

  /** The ids of the sockets in the given rooms (all sockets for an empty set). */
  sockets(rooms: Set<Room>): Promise<Set<SocketId>> {
    return Promise.resolve(new Set(this.#matching({ rooms })));
  }

  /**
   * The matching sockets: this node's as their ids (the namespace has their objects), a cluster store adds
   * the other nodes' as `SocketDetails`.
   */
  fetchSockets(opts: BroadcastOptions): Promise<Array<SocketId | SocketDetails>> {
    return Promise.resolve(this.#matching(opts));
  }

  /** Makes matching sockets join rooms. */
  addSockets(opts: BroadcastOptions, rooms: Room[]): void {
    for (const id of this.#matching(opts)) this.addAll(id, rooms);
  }

  /** Makes matching sockets leave rooms. */
  delSockets(opts: BroadcastOptions, rooms: Room[]): void {
    for (const id of this.#matching(opts)) for (const room of rooms) this.del(id, room);
  }

  /** Disconnects matching sockets. */
  disconnectSockets(opts: BroadcastOptions, close: boolean): void {
    for (const id of this.#matching(opts)) this.ctx.disconnect(id, close);
  }

  /**
   * Sends `[ev, ...args]` to the other nodes of the cluster; a trailing function is the ack, called with
   * `(err, responses)` once every other node answered. Alone there are none: it completes with no responses.
   */
  serverSideEmit(packet: unknown[]): void {
    const ack = packet[packet.length - 1];
    if (typeof ack === "function") queueMicrotask(() => (ack as (err: Error | null, r: unknown[]) => void)(null, []));
  }

  /** Keeps a disconnected socket's session for recovery, in the recovery log (nothing without one). */
  persistSession(session: SessionToPersist): Promise<void> | void {
    return this.recoveryLog?.persist(session);
  }

  /** The session a reconnecting client asks for, with the packets it missed, or null. */
  restoreSession(pid: string, offset: string): Promise<Session | null> {
    return this.recoveryLog ? this.recoveryLog.restore(pid, offset) : Promise.resolve(null);
  }
}
