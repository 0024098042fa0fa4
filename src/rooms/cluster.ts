/**
 * The cluster room store base: the in-memory store plus socket.io's cluster protocol (cluster-protocol.ts).
 * Every operation acts on this node's sockets and is published for the other nodes; requests that expect
 * answers (`fetchSockets`, `serverSideEmit` with an ack, broadcasts with acks) collect them until every other
 * node answered or the timeout elapsed. A subclass supplies the transport: `doPublish`, `doPublishResponse`,
 * `serverCount`, and calls `onMessage` for whatever arrives. Web platform APIs only: it runs on any runtime.
 */
import { InMemoryAdapter } from "./memory.ts";
import type { Packet } from "../packet.ts";
import { storable, withOffset } from "./recovery.ts";
import type { BroadcastOptions, RecoverySettings, Room, SocketDetails, SocketId, StoreContext } from "./types.ts";
import {
  type AnyClusterMessage,
  type ClusterMessage,
  type ClusterResponse,
  decodeOptions,
  encodeOptions,
  MessageType,
  randomUid,
  RESPONSE_TYPES,
} from "./cluster-protocol.ts";

/** socket.io-adapter's DEFAULT_TIMEOUT for requests that expect answers from the other nodes */
const DEFAULT_REQUEST_TIMEOUT = 5000;

/** Options of a `ClusterAdapter`. */
export interface ClusterAdapterOptions {
  /** ms to wait for the other nodes' answers to `fetchSockets` / `serverSideEmit` with an ack (default 5000) */
  requestTimeout?: number;
}

interface PendingRequest {
  expected: number;
  /** uids that answered: a node answering twice (a retried publish) is counted once */
  responders: Set<string>;
  responses: unknown[];
  timer: unknown;
  finish(err: Error | null, responses: unknown[]): void;
}

interface AckRequest {
  clientCountCallback(count: number): void;
  ack(...args: unknown[]): void;
}

/** A local delivery, kept in publish order until the offsets it waits for are known. */
interface Delivery {
  ready: boolean;
  run(): void;
}

/**
 * A room store that spans nodes with socket.io's cluster protocol; a subclass supplies the transport (Redis,
 * Durable Object RPC).
 */
export abstract class ClusterAdapter extends InMemoryAdapter {
  /** this node's id in the cluster protocol */
  readonly uid: string = randomUid();
  /** How long (ms) a request waits for the other nodes. */
  readonly requestTimeout: number;
  #requests = new Map<string, PendingRequest>();
  #acks = new Map<string, AckRequest>();
  #deliveries: Delivery[] = [];
  #idle: Array<() => void> = [];

  /** @ignore Created by the subclass for one namespace. */
  constructor(ctx: StoreContext, opts: ClusterAdapterOptions = {}) {
    super(ctx);
    this.requestTimeout = opts.requestTimeout ?? DEFAULT_REQUEST_TIMEOUT;
  }

  /**
   * Sends a message to every node of the namespace; resolves with its offset when the transport keeps it
   * for connection state recovery (a stream entry id), "" when not. Implementations must serialize the
   * message before returning: the caller goes on to mutate the packet (ack ids, offsets).
   */
  protected abstract doPublish(message: ClusterMessage): Promise<string>;

  /** Sends an answer to the node `requesterUid` only. */
  protected abstract doPublishResponse(requesterUid: string, response: ClusterResponse): Promise<void>;

  /** Nodes serving this namespace, this one included. Subclasses count them on their transport. */
  abstract override serverCount(): Promise<number>;

  /** The server's recovery settings, when it keeps sessions. */
  protected get recovery(): RecoverySettings | undefined {
    return this.ctx.recovery;
  }

  /** Whether a broadcast gets an offset and is kept for recovery: the server keeps sessions, and `storable`. */
  protected storable(packet: Packet, opts: BroadcastOptions): boolean {
    return !!this.ctx.recovery && storable(packet, opts);
  }

  /** Publishes a message and resolves with its offset (for connection state recovery). */
  protected publishAndReturnOffset(message: ClusterMessage): Promise<string> {
    try {
      return this.doPublish(message);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  #publish(message: ClusterMessage, onError?: (err: unknown) => void): void {
    // a transport that is down loses cluster messages, never the local work (local clients are still served)
    this.publishAndReturnOffset(message).catch(onError ?? (() => {}));
  }

  #respond(requesterUid: string, response: ClusterResponse): void {
    try {
      this.doPublishResponse(requesterUid, response).catch(() => {});
    } catch {
      // same as a failed publish: the requester times out
    }
  }

  /**
   * Runs local deliveries in the order they were asked for. A broadcast waiting for its offset (a round trip
   * to the transport) holds back the operations asked after it, as the official adapter's `await` does, so
   * `io.to(r).emit("bye"); io.in(r).disconnectSockets()` still delivers "bye" first. With nothing pending it
   * runs at once.
   */
  #deliver(run: () => void, wait?: Promise<unknown>): void {
    if (!wait && this.#deliveries.length === 0) return run();
    const delivery: Delivery = { ready: !wait, run };
    this.#deliveries.push(delivery);
    wait?.then(() => {
      delivery.ready = true;
      this.#drain();
    });
  }

  #drain(): void {
    while (this.#deliveries[0]?.ready) {
      const d = this.#deliveries.shift()!;
      try {
        d.run();
      } catch (err) {
        this.ctx.logger.error("error in a cluster delivery", err);
      }
    }
    if (this.#deliveries.length > 0 || this.#idle.length === 0) return;
    const idle = this.#idle;
    this.#idle = [];
    for (const resolve of idle) resolve();
  }

  // ---- operations started on this node -----------------------------------------------------------------

  /** Broadcasts here and to the other nodes. */
  override broadcast(packet: Packet, opts: BroadcastOptions): void {
    if (opts.flags?.local) return this.#deliver(() => super.broadcast(packet, opts));
    const message: ClusterMessage = {
      uid: this.uid,
      nsp: this.ctx.name,
      type: MessageType.BROADCAST,
      data: { packet, opts: encodeOptions(opts) },
    };
    if (!this.storable(packet, opts)) {
      this.#publish(message);
      return this.#deliver(() => super.broadcast(packet, opts));
    }
    // the offset is the transport's id for the message: known once it answered. Without it (transport down)
    // the packet goes out without one and the client keeps its previous offset.
    const data = packet.data as unknown[];
    let id = "";
    const offset = this.publishAndReturnOffset(message).then(
      (entryId) => {
        id = entryId;
        if (id) packet.data = [...data, id]; // see withOffset
      },
      () => {},
    );
    this.#deliver(() => {
      super.broadcast(packet, opts);
      this.onDelivered(id);
    }, offset);
  }

  /** A broadcast of this node that was kept for recovery was delivered here, with its offset ("" without). */
  protected onDelivered(_offset: string): void {}

  /** Resolves once no local delivery is waiting for its offset (a restore uses it to know what was sent). */
  protected whenDelivered(): Promise<void> {
    if (this.#deliveries.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Broadcasts with acks here and to the other nodes; `ack` gets every answer. */
  override broadcastWithAck(
    packet: Packet,
    opts: BroadcastOptions,
    clientCountCallback: (count: number) => void,
    ack: (...args: unknown[]) => void,
  ): void {
    if (!opts.flags?.local) {
      const requestId = randomUid();
      this.#acks.set(requestId, { clientCountCallback, ack });
      // a copy: the local delivery below gives the packet this node's ack id, which is no other node's business
      const copy: Packet = { type: packet.type, nsp: packet.nsp, data: packet.data };
      this.#publish({
        uid: this.uid,
        nsp: this.ctx.name,
        type: MessageType.BROADCAST,
        data: { packet: copy, requestId, opts: encodeOptions(opts) },
      });
      // the operator owns the timeout; answers arriving later have nobody to go to
      this.ctx.scheduler.setTimeout(() => this.#acks.delete(requestId), opts.flags?.timeout ?? this.requestTimeout);
    }
    this.#deliver(() => super.broadcastWithAck(packet, opts, clientCountCallback, ack));
  }

  /** Makes matching sockets join rooms, on every node. */
  override addSockets(opts: BroadcastOptions, rooms: Room[]): void {
    if (!opts.flags?.local) {
      this.#publish({
        uid: this.uid,
        nsp: this.ctx.name,
        type: MessageType.SOCKETS_JOIN,
        data: { opts: encodeOptions(opts), rooms },
      });
    }
    this.#deliver(() => super.addSockets(opts, rooms));
  }

  /** Makes matching sockets leave rooms, on every node. */
  override delSockets(opts: BroadcastOptions, rooms: Room[]): void {
    if (!opts.flags?.local) {
      this.#publish({
        uid: this.uid,
        nsp: this.ctx.name,
        type: MessageType.SOCKETS_LEAVE,
        data: { opts: encodeOptions(opts), rooms },
      });
    }
    this.#deliver(() => super.delSockets(opts, rooms));
  }

  /** Disconnects matching sockets, on every node. */
  override disconnectSockets(opts: BroadcastOptions, close: boolean): void {
    if (!opts.flags?.local) {
      this.#publish({
        uid: this.uid,
        nsp: this.ctx.name,
        type: MessageType.DISCONNECT_SOCKETS,
        data: { opts: encodeOptions(opts), close },
      });
    }
    this.#deliver(() => super.disconnectSockets(opts, close));
  }

  /**
   * This node's matching sockets, then the other nodes' as `SocketDetails`; rejects when one does not answer
   * in time.
   */
  override async fetchSockets(opts: BroadcastOptions): Promise<Array<SocketId | SocketDetails>> {
    const local = await super.fetchSockets(opts);
    if (opts.flags?.local) return local;
    const timeout = opts.flags?.timeout ?? this.requestTimeout;
    const start = Date.now();
    const expected = await this.#othersWithin(timeout);
    if (expected === undefined) throw countTimeout(timeout);
    if (expected <= 0) return local;
    return new Promise((resolve, reject) => {
      const requestId = this.#request(
        expected,
        Math.max(0, timeout - (Date.now() - start)),
        [...local],
        (err, responses) => err ? reject(err) : resolve(responses as Array<SocketId | SocketDetails>),
      );
      this.#publish(
        {
          uid: this.uid,
          nsp: this.ctx.name,
          type: MessageType.FETCH_SOCKETS,
          data: { opts: encodeOptions(opts), requestId },
        },
        (err) => this.#settle(requestId, err instanceof Error ? err : new Error(String(err))),
      );
    });
  }

  /** `[ev, ...args]`, a trailing function being the ack: `(err, responses)` once every other node answered. */
  override serverSideEmit(packet: unknown[]): void {
    const ack = packet[packet.length - 1];
    if (typeof ack !== "function") {
      this.#publish({ uid: this.uid, nsp: this.ctx.name, type: MessageType.SERVER_SIDE_EMIT, data: { packet } });
      return;
    }
    const args = packet.slice(0, -1);
    const done = ack as (err: Error | null, responses: unknown[]) => void;
    // a count that cannot be had means no other node can be reached either
    const start = Date.now();
    void this.#othersWithin(this.requestTimeout).then((expected) => {
      if (expected === undefined) return done(countTimeout(this.requestTimeout), []);
      if (expected <= 0) return done(null, []);
      const requestId = this.#request(expected, Math.max(0, this.requestTimeout - (Date.now() - start)), [], done);
      this.#publish(
        { uid: this.uid, nsp: this.ctx.name, type: MessageType.SERVER_SIDE_EMIT, data: { packet: args, requestId } },
        (err) => this.#settle(requestId, err instanceof Error ? err : new Error(String(err))),
      );
    });
  }

  /**
   * How many other nodes should answer, or undefined when the transport cannot tell within `ms`. A fleet
   * request's deadline starts before this count, so a stalled or slow transport (Redis silent, or answering
   * each command late) cannot stretch a request past `requestTimeout`; a count that fails means alone.
   */
  #othersWithin(ms: number): Promise<number | undefined> {
    return new Promise((resolve) => {
      const s = this.ctx.scheduler;
      const timer = s.setTimeout(() => resolve(undefined), ms);
      this.serverCount().catch(() => 1).then((count) => {
        s.clearTimeout(timer);
        resolve(count - 1);
      });
    });
  }

  #request(expected: number, timeout: number, responses: unknown[], finish: PendingRequest["finish"]): string {
    const requestId = randomUid();
    const timer = this.ctx.scheduler.setTimeout(() => {
      const r = this.#requests.get(requestId);
      // socket.io-adapter's wording, so an app's error handling matches either server
      if (r) {
        this.#settle(
          requestId,
          new Error(`timeout reached: only ${r.responders.size} responses received out of ${r.expected}`),
        );
      }
    }, timeout);
    this.#requests.set(requestId, { expected, responders: new Set(), responses, timer, finish });
    return requestId;
  }

  #settle(requestId: string, err: Error | null): void {
    const r = this.#requests.get(requestId);
    if (!r) return;
    this.#requests.delete(requestId);
    this.ctx.scheduler.clearTimeout(r.timer);
    r.finish(err, r.responses);
  }

  /** Stops answering the cluster. */
  override close(): Promise<void> | void {
    for (const id of [...this.#requests.keys()]) this.#settle(id, new Error("the room store was closed"));
    this.#acks.clear();
  }

  // ---- messages from the other nodes ----------------------------------------------------------------------

  /** A message from another node; `offset` is its transport id when it was kept for recovery. */
  onMessage(message: AnyClusterMessage, offset?: string): void {
    if (!message || message.uid === this.uid || message.nsp !== this.ctx.name) return;
    try {
      if (RESPONSE_TYPES.has(message.type)) return this.onResponse(message as ClusterResponse);
      this.#handle(message as ClusterMessage, offset);
    } catch (err) {
      // another process wrote it: a malformed message must not take this node down
      this.ctx.logger.error("cannot handle a cluster message", message.type, err);
    }
  }

  #handle(message: ClusterMessage, offset: string | undefined): void {
    switch (message.type) {
      case MessageType.BROADCAST: {
        const { packet, requestId } = message.data;
        const opts = decodeOptions(message.data.opts);
        if (!opts || !packet || !Array.isArray(packet.data)) return;
        packet.nsp = this.ctx.name;
        if (requestId === undefined) {
          if (offset && this.storable(packet, opts)) withOffset(packet, offset);
          return super.broadcast(packet, opts);
        }
        return super.broadcastWithAck(
          packet,
          opts,
          (clientCount) =>
            this.#respond(message.uid, {
              uid: this.uid,
              nsp: this.ctx.name,
              type: MessageType.BROADCAST_CLIENT_COUNT,
              data: { requestId, clientCount },
            }),
          (arg) =>
            this.#respond(message.uid, {
              uid: this.uid,
              nsp: this.ctx.name,
              type: MessageType.BROADCAST_ACK,
              data: { requestId, packet: arg },
            }),
        );
      }
      case MessageType.SOCKETS_JOIN:
      case MessageType.SOCKETS_LEAVE: {
        const opts = decodeOptions(message.data.opts);
        const rooms = message.data.rooms;
        if (!opts || !Array.isArray(rooms)) return;
        if (message.type === MessageType.SOCKETS_JOIN) return super.addSockets(opts, rooms);
        return super.delSockets(opts, rooms);
      }
      case MessageType.DISCONNECT_SOCKETS: {
        const opts = decodeOptions(message.data.opts);
        if (opts) super.disconnectSockets(opts, !!message.data.close);
        return;
      }
      case MessageType.FETCH_SOCKETS: {
        const opts = decodeOptions(message.data.opts);
        const requestId = message.data.requestId;
        if (!opts) return;
        void super.fetchSockets(opts).then((sockets) => {
          const details: SocketDetails[] = [];
          for (const s of sockets) {
            const d = typeof s === "string" ? this.ctx.details(s) : s;
            if (d) details.push({ id: d.id, handshake: d.handshake, rooms: d.rooms, data: d.data });
          }
          this.#respond(message.uid, {
            uid: this.uid,
            nsp: this.ctx.name,
            type: MessageType.FETCH_SOCKETS_RESPONSE,
            data: { requestId, sockets: details },
          });
        });
        return;
      }
      case MessageType.SERVER_SIDE_EMIT: {
        const { packet, requestId } = message.data;
        if (!Array.isArray(packet)) return;
        if (requestId === undefined) return this.ctx.onServerSideEmit(packet);
        let answered = false;
        // only the first answer counts, as in socket.io: one response per node
        const reply = (arg: unknown) => {
          if (answered) return;
          answered = true;
          this.#respond(message.uid, {
            uid: this.uid,
            nsp: this.ctx.name,
            type: MessageType.SERVER_SIDE_EMIT_RESPONSE,
            data: { requestId, packet: arg },
          });
        };
        return this.ctx.onServerSideEmit([...packet, reply]);
      }
      default:
        // heartbeats and ADAPTER_CLOSE come from adapters that count nodes by heartbeat; this protocol
        // version counts them on the transport (serverCount), so there is nothing to do
        return;
    }
  }

  /** An answer to one of this node's requests. */
  onResponse(response: ClusterResponse): void {
    const requestId = response.data?.requestId;
    switch (response.type) {
      case MessageType.BROADCAST_CLIENT_COUNT:
        this.#acks.get(requestId)?.clientCountCallback(response.data.clientCount);
        return;
      case MessageType.BROADCAST_ACK:
        this.#acks.get(requestId)?.ack(response.data.packet);
        return;
      case MessageType.FETCH_SOCKETS_RESPONSE:
      case MessageType.SERVER_SIDE_EMIT_RESPONSE: {
        const r = this.#requests.get(requestId);
        if (!r || r.responders.has(response.uid)) return;
        r.responders.add(response.uid);
        if (response.type === MessageType.FETCH_SOCKETS_RESPONSE) {
          if (Array.isArray(response.data.sockets)) r.responses.push(...response.data.sockets);
        } else {
          r.responses.push(response.data.packet);
        }
        if (r.responders.size >= r.expected) this.#settle(requestId, null);
        return;
      }
    }
  }
}

/** The error of a fleet request whose nodes could not even be counted in time (socket.io-adapter's wording). */
function countTimeout(ms: number): Error {
  return new Error(`timeout reached: the other nodes could not be counted within ${ms} ms`);
}
