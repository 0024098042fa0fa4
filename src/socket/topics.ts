/**
 * Native fan-out on runtimes with pub/sub topics (Bun): each room of a namespace is a topic, a socket whose
 * connection is an open WebSocket subscribes to the topics of its rooms, and a one-room broadcast is one
 * `publish` the runtime writes to every subscriber. The runtime adapter plugs it in with its `Fanout`
 * (`routing: topicRouting`), so runtimes without topics do not carry this code.
 */
import type { Fanout } from "../ports.ts";
import { SharedMessage } from "../engine/packet.ts";
import type { InMemoryAdapter } from "../rooms/memory.ts";
import type { BroadcastFlags, BroadcastOptions, Room, SocketId, Targets, TopicSink } from "../rooms/types.ts";
import type { DeliveryHost, NativeRoute, NativeRouting } from "./delivery.ts";

const NO_FLAGS: BroadcastFlags = {};
/** a quarter of the default slow-consumer bound: a paused Bun subscriber overshoots it by at most this */
const SWEEP_BYTES = 1024 * 1024;

/** One namespace's topics. */
class TopicRoute implements NativeRoute {
  #host: DeliveryHost;
  #fanout: Fanout;
  #store: InMemoryAdapter | undefined;
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

  constructor(host: DeliveryHost, fanout: Fanout) {
    this.#host = host;
    this.#fanout = fanout;
  }

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
    if (!store || this.#sinks.has(id)) return;
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
   * no exclusions, a single frame (text, or binary from a custom parser), and no `onAnyOutgoing` listener to
   * call per socket. Members that are not subscribed (long-polling, mid-upgrade, Engine.IO v3) are written to
   * one by one. Returns false to fall back.
   */
  publish(encoded: ReadonlyArray<string | Uint8Array>, opts: BroadcastOptions, targets: Targets): boolean {
    const host = this.#host;
    const fanout = this.#fanout;
    if (opts.rooms.size !== 1 || (opts.except && opts.except.size) || encoded.length !== 1) return false;
    const frame = encoded[0]!;
    if (host._outgoingListeners > 0) return false;
    const [room] = opts.rooms as Set<Room> & Iterable<Room>;
    const subscribed = this.#topicMembers.get(room!) ?? 0;
    if (subscribed === 0) return false;
    const sinks = this.#sinks;
    const sockets = host.sockets;
    if (opts.flags?.volatile) {
      // volatile means "dropped while the transport cannot take it" (socket.io); the runtime would queue a
      // published frame for a backpressured subscriber as for any other, so a volatile broadcast goes natively
      // only when every subscriber can take it now. Otherwise each member is written to, or skipped, on its own.
      let ready = true;
      targets((id) => {
        if (ready && sinks.has(id) && sockets.get(id)?.client.conn.canSendVolatile !== true) ready = false;
      });
      if (!ready) return false;
    }
    const message = new SharedMessage(frame);
    // one engine "message" frame for every subscriber (binary as is, v4 only: see EngineSocket.topics);
    // `compress(false)` reaches the runtime's publish
    fanout.publish(this.#topic(room!), message.wire, opts.flags?.compress);
    // the runtime queued the frame for each subscriber out of the sessions' sight: after every SWEEP_BYTES
    // published to a room, its subscribers' queues are checked against the slow-consumer bound
    const published = (this.#publishedBytes.get(room!) ?? 0) +
      (typeof frame === "string" ? frame.length : frame.byteLength);
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

/** The routing of Bun-like topics, for a runtime adapter's `Fanout` (`{ publish, routing: topicRouting }`). */
export const topicRouting: NativeRouting = (host, fanout) => new TopicRoute(host, fanout);
