/**
 * WebSocket upgrades that reach a node which does not own their session, relayed over Redis.
 *
 * Why relay rather than refuse or hand the session over: a refused upgrade leaves the client on polling for
 * good (the official client tries one upgrade per connection), so behind a round-robin balancer of n nodes
 * (n-1)/n of the clients would never upgrade; handing a live session to another node would need its
 * socket.io state, and that holds closures (handlers, ack callbacks) that cannot move. A relay keeps the
 * session where it is and only moves frames: the node holding the WebSocket (the "edge") publishes each
 * client frame on the owner's forwarding channel, and the owner publishes each frame it sends on the edge's.
 * Cost: one PUBLISH and one delivery per frame, in each direction, for the life of the connection, and the
 * connection depends on both nodes (see the README's fleet section). `relayWebSocket: false` refuses instead.
 *
 * Order: each node publishes on one connection, Redis delivers a channel's messages in publish order, so
 * frames arrive in the order they were sent both ways. The owner binds the session only when the edge says
 * its socket is open ("o"), so nothing is sent before the client can receive it.
 *
 * Bounds: the edge closes a relayed socket whose runtime buffer passes the engine's `maxBufferedAmount` (a
 * slow consumer, as for a socket of its own); the owner's heartbeat closes a session whose edge died (no
 * pong); the edge closes the sockets of an owner whose channel has no subscriber any more (forward.ts).
 */
import type { ForwardedReply, ForwardTarget, Upgrade, WebSocketHandler, WebSocketLike } from "portio/runtime";
import type { ForwardMessage, RelayMessage } from "./forward.ts";

/** The edge's side: a socket held here for a session of `owner`. */
interface Edge {
  owner: string;
  ws: WebSocketLike | undefined;
  closed: boolean;
}

/** The owner's side: a session of ours whose socket is held by `peer`. */
interface Owned {
  peer: string;
  id: number;
  handler: WebSocketHandler;
  headers: Array<[string, string]>;
  open: boolean;
  closed: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
}

const isFrame = (d: unknown): d is string | Uint8Array => typeof d === "string" || d instanceof Uint8Array;

export class Relays {
  /** The engine of this node (its `maxBufferedAmount` bounds the edge's buffers). */
  engine: ForwardTarget | undefined;
  #edges = new Map<number, Edge>();
  #owned = new Map<string, Owned>();

  constructor(
    readonly nodeId: string,
    readonly send: (to: string, m: ForwardMessage) => void,
    readonly openTimeout: number,
  ) {}

  /** Owners of the sockets held here (watched for liveness). */
  peers(): string[] {
    return [...this.#edges.values()].map((e) => e.owner);
  }

  // ---- owner side ---------------------------------------------------------------------------------------

  /** The `upgrade` of a relayed request: binds the session to a proxy of the edge's socket once it opens. */
  owned(peer: string, id: number): { upgrade: Upgrade; accepted(): ForwardedReply | undefined } {
    const key = `${peer}:${id}`;
    return {
      upgrade: (handler, headers) => {
        const entry: Owned = { peer, id, handler, headers: [], open: false, closed: false, timer: undefined };
        headers.forEach((v, k) => entry.headers.push([k, v]));
        // the edge may never open it (its runtime failed, it died): forget it after a while
        entry.timer = setTimeout(() => this.#owned.get(key) === entry && this.#owned.delete(key), this.openTimeout);
        this.#owned.set(key, entry);
        return undefined;
      },
      accepted: () => {
        const entry = this.#owned.get(key);
        return entry && { status: 101, headers: entry.headers, body: null };
      },
    };
  }

  #opened(key: string, entry: Owned): void {
    clearTimeout(entry.timer);
    entry.open = true;
    const { peer, id } = entry;
    const proxy: WebSocketLike = {
      send: (d) => {
        if (!entry.closed) this.send(peer, { t: "M", i: id, d });
      },
      close: (code, reason) => {
        if (entry.closed) return;
        entry.closed = true;
        this.#owned.delete(key);
        this.send(peer, { t: "C", i: id, c: code ?? 1000, s: reason ?? "" });
        // a runtime reports the close of a socket the server closed too
        queueMicrotask(() => entry.handler.onClose(code ?? 1000, reason ?? ""));
      },
    };
    entry.handler.onOpen(proxy);
  }

  // ---- edge side ----------------------------------------------------------------------------------------

  /** The owner accepted: upgrades the client's request here and relays its frames. */
  accept(owner: string, id: number, upgrade: Upgrade, headers: Array<[string, string]>): Response | undefined {
    const edge: Edge = { owner, ws: undefined, closed: false };
    this.#edges.set(id, edge);
    const closed = (code: number, reason: string) => {
      if (this.#edges.get(id) === edge) this.#edges.delete(id);
      if (edge.closed) return;
      edge.closed = true;
      this.send(owner, { t: "c", i: id, f: this.nodeId, c: code, s: reason });
    };
    const handler: WebSocketHandler = {
      onOpen: (ws) => {
        edge.ws = ws;
        if (edge.closed) return ws.close(1001, "");
        this.send(owner, { t: "o", i: id, f: this.nodeId });
      },
      onMessage: (d) => {
        if (!edge.closed) this.send(owner, { t: "m", i: id, f: this.nodeId, d });
      },
      onClose: closed,
    };
    let res: Response | undefined;
    try {
      res = upgrade(handler, new Headers(headers));
    } catch (err) {
      closed(1006, "");
      throw err;
    }
    if (res && res.status !== 101) closed(1006, "");
    return res;
  }

  /** The owner's channel is empty: its sockets held here end (the client reconnects, and recovers). */
  ownerGone(owner: string): void {
    for (const [id, edge] of this.#edges) {
      if (edge.owner !== owner) continue;
      this.#edges.delete(id);
      edge.closed = true;
      edge.ws?.close(1001, "owner gone");
    }
  }

  // ---- both ---------------------------------------------------------------------------------------------

  onMessage(m: RelayMessage): void {
    if (m.t === "M" || m.t === "C") {
      const edge = this.#edges.get(m.i);
      if (!edge) return;
      if (m.t === "C") {
        this.#edges.delete(m.i);
        edge.closed = true;
        return edge.ws?.close(typeof m.c === "number" ? m.c : 1000, typeof m.s === "string" ? m.s : "");
      }
      const ws = edge.ws;
      if (!ws || edge.closed || !isFrame(m.d)) return;
      ws.send(m.d);
      // the client reads slower than the owner sends: the engine's slow-consumer bound, as for our own sockets
      if ((ws.bufferedAmount ?? 0) > (this.engine?.maxBufferedAmount ?? Infinity)) ws.close(1008, "slow consumer");
      return;
    }
    if (typeof m.f !== "string") return;
    const key = `${m.f}:${m.i}`;
    const entry = this.#owned.get(key);
    if (!entry) {
      // a socket we do not (or no longer) hold a session for: the edge must close it
      if (m.t === "o" || m.t === "m") this.send(m.f, { t: "C", i: m.i, c: 1000, s: "" });
      return;
    }
    if (m.t === "o") return entry.open ? undefined : this.#opened(key, entry);
    if (m.t === "m") {
      if (entry.open && !entry.closed && isFrame(m.d)) entry.handler.onMessage(m.d);
      return;
    }
    if (m.t === "c") {
      this.#owned.delete(key);
      clearTimeout(entry.timer);
      if (entry.closed) return;
      entry.closed = true;
      if (entry.open) entry.handler.onClose(typeof m.c === "number" ? m.c : 1006, typeof m.s === "string" ? m.s : "");
    }
  }

  /** The fleet closes: every relayed socket ends, both sides. */
  closeAll(): void {
    for (const edge of this.#edges.values()) (edge.closed = true, edge.ws?.close(1001, ""));
    this.#edges.clear();
    for (const entry of this.#owned.values()) {
      clearTimeout(entry.timer);
      if (entry.open && !entry.closed) (entry.closed = true, entry.handler.onClose(1001, ""));
    }
    this.#owned.clear();
  }
}
