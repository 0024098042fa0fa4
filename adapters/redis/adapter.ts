/**
 * The Redis room store: `ClusterAdapter` over the transport of @socket.io/redis-streams-adapter 0.3, so Portio
 * nodes and official nodes on one Redis serve one fleet.
 * - operations that must not be lost (broadcasts, socketsJoin/Leave, disconnectSockets) are stream entries
 *   (XADD, trimmed at `maxLen`, and by bytes at `connectionStateRecovery.maxBufferBytes`, see recovery.ts); their
 *   entry id is the recovery offset;
 * - requests that need no replay (fetchSockets, serverSideEmit, broadcasts with acks) are published on
 *   `<channelPrefix>#<nsp>#`, and each node answers on the requester's `<channelPrefix>#<nsp>#<uid>#`;
 * - the number of nodes is the number of subscribers of the public channel (PUBSUB NUMSUB), as the official
 *   0.3 adapter counts them: a node whose process died drops out as soon as Redis sees its connection close.
 */
import {
  ClusterAdapter,
  type ClusterMessage,
  type ClusterResponse,
  MessageType,
  type Room,
  type Session,
  type SessionToPersist,
  type SocketId,
  type StoreContext,
} from "portio/room-store";
import { compareIds, encodeEntry, msgpack, unmsgpack } from "./codec.ts";
import { numsub } from "./client.ts";
import { RedisStreamLog } from "./recovery.ts";
import type { Fleet } from "./fleet.ts";
import { LiveSessions } from "./sessions.ts";

function isEphemeral(message: ClusterMessage): boolean {
  if (message.type === MessageType.BROADCAST) return message.data.requestId !== undefined;
  return message.type === MessageType.SERVER_SIDE_EMIT || message.type === MessageType.FETCH_SOCKETS;
}

/** The room store of one namespace on Redis: the official redis-streams adapter's protocol (see the README). */
export class RedisStreamsAdapter extends ClusterAdapter {
  /** The Redis stream of broadcasts and socket operations. */
  readonly streamName: string;
  /** The pub/sub channel of requests to every node. */
  readonly publicChannel: string;
  /** The pub/sub channel of answers to this node. */
  readonly privateChannel: string;
  /** Resolves once both channels are subscribed. */
  readonly subscribed: Promise<void>;
  #fleet: Fleet;
  #sessions: LiveSessions | undefined;
  #log: RedisStreamLog;
  /** whether this node's subscription is in place, hence counted by NUMSUB */
  #listening = false;
  /** the newest offset of this node's own broadcasts delivered here: they go out when XADD answers, not
   * when the reader meets them (it ignores this node's entries) */
  #ownOffset = "0-0";
  #listener = (payload: Uint8Array) => {
    let message: ClusterMessage | ClusterResponse;
    try {
      message = unmsgpack(payload) as ClusterMessage | ClusterResponse;
    } catch {
      return;
    }
    this.onMessage(message);
  };

  /** @ignore Created by the factory of `createAdapter` for each namespace. */
  constructor(nsp: StoreContext, fleet: Fleet) {
    super(nsp, { requestTimeout: fleet.opts.requestTimeout });
    this.#fleet = fleet;
    this.streamName = fleet.streamFor(nsp.name);
    this.publicChannel = `${fleet.opts.channelPrefix}#${nsp.name}#`;
    this.privateChannel = `${fleet.opts.channelPrefix}#${nsp.name}#${this.uid}#`;
    this.subscribed = fleet.subscribe([this.publicChannel, this.privateChannel], this.#listener).then(() => {
      this.#listening = true;
    });
    const recovery = this.recovery;
    if (recovery) {
      const refreshMs = fleet.opts.sessionRefreshInterval ??
        Math.min(10_000, Math.max(1000, recovery.maxDisconnectionDuration / 4));
      this.#sessions = new LiveSessions(fleet.main, {
        keyPrefix: fleet.opts.sessionKeyPrefix,
        maxDisconnectionDuration: recovery.maxDisconnectionDuration,
        refreshMs,
        snapshot: (sid) => this.#snapshot(sid),
      });
    }
    this.#log = new RedisStreamLog(fleet, this.streamName, this.#sessions, {
      name: nsp.name,
      delivered: () => this.whenDelivered(),
      ownOffset: () => this.#ownOffset,
      evict: (sid) => this.#evict(sid),
    }, recovery?.maxBufferBytes);
  }

  // ---- transport ------------------------------------------------------------------------------------------

  /** Appends a message to the stream (or publishes an ephemeral one); resolves with its offset. */
  protected doPublish(message: ClusterMessage): Promise<string> {
    const main = this.#fleet.main;
    if (isEphemeral(message)) return main.send(["PUBLISH", this.publicChannel, msgpack(message)]).then(() => "");
    const fields = encodeEntry(message, this.#fleet.opts.onlyPlaintext);
    return main.send(["XADD", this.streamName, "MAXLEN", "~", String(this.#fleet.opts.maxLen), "*", ...fields]).then(
      String,
    );
  }

  /** Publishes an answer on the requester's channel. */
  protected doPublishResponse(requesterUid: string, response: ClusterResponse): Promise<void> {
    const channel = `${this.#fleet.opts.channelPrefix}#${this.ctx.name}#${requesterUid}#`;
    return this.#fleet.main.send(["PUBLISH", channel, msgpack(response)]).then(() => {});
  }

  /**
   * Subscribers of this namespace's public channel: one per node, this one included (until its own
   * subscription is in place, it is added: a request must not settle before every node answered).
   */
  override serverCount(): Promise<number> {
    return this.#fleet.main.send(["PUBSUB", "NUMSUB", this.publicChannel]).then(
      (r) => Math.max(1, numsub(r) + (this.#listening ? 0 : 1)),
      () => 1,
    );
  }

  /** Remembers the last stream entry read. */
  protected override onDelivered(offset: string): void {
    if (offset && compareIds(offset, this.#ownOffset) > 0) this.#ownOffset = offset;
  }

  // ---- connection state recovery ---------------------------------------------------------------------------

  #snapshot(sid: SocketId): SessionToPersist | undefined {
    const socket = this.ctx.details(sid);
    if (!socket?.pid) return undefined;
    return { sid, pid: socket.pid, rooms: [...(this.sids.get(sid) ?? [])], data: socket.data };
  }

  /** Joins rooms and updates the socket's recovery record. */
  override addAll(id: SocketId, rooms: Iterable<Room>): void {
    super.addAll(id, rooms);
    const sessions = this.#sessions;
    if (!sessions) return;
    if (sessions.has(id)) return sessions.changed(id);
    // a socket's first join is its own id, in `_onconnect`, once it is in `nsp.sockets` with its pid
    const pid = this.ctx.details(id)?.pid;
    if (pid) sessions.track(id, pid);
  }

  /** Leaves a room and updates the socket's recovery record. */
  override del(id: SocketId, room: Room): void {
    super.del(id, room);
    this.#sessions?.changed(id);
  }

  /** Forgets a socket. */
  override delAll(id: SocketId): void {
    super.delAll(id);
    this.#sessions?.drop(id);
  }

  /** Writes a disconnected socket's session for recovery. */
  override persistSession(session: SessionToPersist): void {
    this.#log.persist(session);
  }

  /** The session and what it missed, from the stream (see `RedisStreamLog`). */
  override restoreSession(pid: string, offset: string): Promise<Session | null> {
    return this.#log.restore(pid, offset);
  }

  /**
   * A record can be live: its socket may still be connected where the client left it (that node has not
   * noticed the drop yet). The restore takes the session over, and the old incarnation goes, so one id never
   * lives twice: here at once (before the new socket joins; it would take the new one's rooms when it
   * closes), on the other nodes through the fleet.
   */
  #evict(sid: SocketId): void {
    this.ctx.disconnect(sid, true);
    const opts = { rooms: [sid], except: [] };
    this.publishAndReturnOffset({
      uid: this.uid,
      nsp: this.ctx.name,
      type: MessageType.DISCONNECT_SOCKETS,
      data: { opts, close: true },
    }).catch(() => {});
  }

  /** Redis is back after an outage: live records may have gone with a restart. */
  resync(): void {
    this.#sessions?.resync();
  }

  /** Unsubscribes and stops reading the stream. */
  override async close(): Promise<void> {
    await super.close();
    await this.#sessions?.close();
    await this.#fleet.release(this, [this.publicChannel, this.privateChannel], this.#listener);
  }
}
