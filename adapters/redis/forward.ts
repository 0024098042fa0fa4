/**
 * No sticky sessions on a Redis fleet: the `SessionRouter` of `portio/redis` (port: src/engine/forward.ts).
 *
 * - Session ids are `<node id>.<20 random chars>`: the 8-character id of the node that made the session, a
 *   dot, then an id of engine.io's shape. The official client takes any id; an official socket.io node's ids
 *   (20 characters, no dot) name no node, so a request for one that reaches a Portio node is answered
 *   "Session ID unknown" at once, as before, without touching Redis.
 * - Each node subscribes to its own channel `<channelPrefix>#fwd#<node id>#` (on the fleet's subscriber
 *   connection). A polling GET/POST for another node's session is published there as one MessagePack message
 *   (method, URL, headers, address, body read within `maxHttpBufferSize`); the owner answers it as its own
 *   request (a GET may stay parked until data, a noop or the next ping) and publishes the reply on the
 *   asker's channel. One PUBLISH and one delivery each way per forwarded request.
 * - Bounded: a POST waits `forwardTimeout` at most, a GET `pingInterval + forwardTimeout` (a parked GET is
 *   released by the owner's ping at the latest). No answer in time, PUBLISH reaching no subscriber (the owner
 *   is gone: Redis dropped its connection), or the owner's channel found empty by the liveness check (every
 *   second while requests wait): the client gets "Session ID unknown", as for an unknown session, so it
 *   reconnects and, with connection state recovery, recovers. A client that goes away mid-request, or a
 *   timeout, tells the owner, which treats it as its own client going away.
 * - WebSocket upgrades reaching a non-owner are relayed (relay.ts).
 */
import {
  type ForwardedReply,
  type ForwardedRequest,
  type ForwardedUpgrade,
  type ForwardTarget,
  forwardTarget,
  forwardToOwner,
  type HeaderList,
  type OnAbort,
  type Reply,
  type RequestContext,
  type RequestLike,
  type RouterHost,
  type SessionRelay,
  type SessionRouter,
  type Upgrade,
} from "portio/runtime";
import type { Buffer } from "node:buffer";
import { msgpack, unmsgpack } from "./codec.ts";
import { numsub } from "./client.ts";
import type { Fleet } from "./fleet.ts";
import { Relays } from "./relay.ts";

const NODE_ID = /^[A-Za-z0-9_-]{8}$/;
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** `n` random URL-safe characters. */
function randomChars(n: number): string {
  let out = "";
  for (const b of crypto.getRandomValues(new Uint8Array(n))) out += ALPHABET[b & 63];
  return out;
}

/** The node id inside a session id of this scheme, or undefined. */
export function ownerOf(sid: string): string | undefined {
  if (sid.length < 10 || sid.charCodeAt(8) !== 46 /* . */) return undefined;
  const id = sid.slice(0, 8);
  return NODE_ID.test(id) ? id : undefined;
}

/** Messages on a node's forwarding channel (MessagePack). `f` is the sender's node id, `i` its request id. */
export type ForwardMessage =
  | { t: "q"; i: number; f: string; r: ForwardedRequest; u?: 1 } // request (u: a WebSocket upgrade)
  | { t: "a"; i: number; f: string } // the asker's client went away, or the asker gave up
  | { t: "r"; i: number; r: ForwardedReply } // the owner's reply
  | RelayMessage;

/** Relay frames (relay.ts): open, message, close from the edge (o, m, c) and from the owner (M, C). */
export type RelayMessage = {
  t: "o" | "m" | "c" | "M" | "C";
  i: number;
  f?: string;
  d?: string | Uint8Array;
  c?: number;
  s?: string;
};

interface Waiting {
  owner: string;
  resolve(r: ForwardedReply | undefined): void;
  timer: ReturnType<typeof setTimeout>;
}

export interface ForwarderOptions {
  /** ms a forwarded request may wait for its owner beyond what the owner may hold it (default 5000) */
  forwardTimeout: number;
  /** relay WebSocket upgrades that reach a non-owner (default true); false refuses them */
  relayWebSocket: boolean;
}

export class Forwarder implements SessionRouter, SessionRelay {
  /** This node's id, the prefix of its session ids. */
  readonly nodeId: string = randomChars(8);
  /** Resolves once this node's channel is subscribed (or at once when no engine uses the router). */
  subscribed: Promise<void> = Promise.resolve();
  #fleet: Fleet;
  #opts: ForwarderOptions;
  #engine: ForwardTarget | undefined;
  #host: RouterHost | undefined;
  #nextId = 1;
  /** requests this node forwarded, waiting for their owner */
  #waiting = new Map<number, Waiting>();
  /** requests this node serves for others: what to run when the asker's client goes away */
  #serving = new Map<string, Array<() => void>>();
  #relays: Relays;
  #liveness: ReturnType<typeof setInterval> | undefined;
  /** owners found without a subscriber once: a second time in a row means gone */
  #suspect = new Set<string>();
  #listener = (payload: Buffer) => {
    let m: ForwardMessage;
    try {
      m = unmsgpack(payload) as ForwardMessage;
    } catch {
      return;
    }
    if (m && typeof m === "object" && typeof m.i === "number") this.#onMessage(m);
  };

  constructor(fleet: Fleet, opts: ForwarderOptions) {
    this.#fleet = fleet;
    this.#opts = opts;
    this.#relays = new Relays(
      this.nodeId,
      (to, m) => void this.#send(to, m).catch(() => {}),
      opts.forwardTimeout,
    );
  }

  #channel(node: string): string {
    return `${this.#fleet.opts.channelPrefix}#fwd#${node}#`;
  }

  /** Publishes to a node's channel; resolves with the number of subscribers that got it (0: the node is gone). */
  #send(node: string, m: ForwardMessage): Promise<number> {
    return this.#fleet.main.send(["PUBLISH", this.#channel(node), msgpack(m)]).then(Number);
  }

  attach(host: RouterHost): void {
    const first = this.#engine === undefined;
    const engine = forwardTarget(host);
    this.#host = host;
    this.#engine = engine;
    this.#relays.engine = engine;
    // once: a second subscription would serve every forwarded request twice (`io.adapter(sameFactory)` again)
    if (first) this.subscribed = this.#fleet.subscribe([this.#channel(this.nodeId)], this.#listener);
  }

  newId(): string {
    return `${this.nodeId}.${randomChars(20)}`;
  }

  isRemote(sid: string): boolean {
    const owner = ownerOf(sid);
    return owner !== undefined && owner !== this.nodeId;
  }

  route(
    sid: string,
    req: RequestLike,
    ctx: RequestContext,
    headers: HeaderList,
    onAbort: OnAbort | undefined,
  ): Promise<Reply | null | undefined> {
    const limit = this.#host?.opts.maxHttpBufferSize ?? 1e6;
    return forwardToOwner(this, sid, req, ctx, limit, headers, onAbort);
  }

  forward(sid: string, request: ForwardedRequest, onAbort: OnAbort | undefined): Promise<ForwardedReply | undefined> {
    const parked = request.method === "GET" ? (this.#engine?.pingInterval ?? 25_000) : 0;
    return this.#ask(ownerOf(sid)!, request, parked + this.#opts.forwardTimeout, onAbort);
  }

  forwardUpgrade(sid: string, request: ForwardedRequest, upgrade: Upgrade): Promise<ForwardedUpgrade | undefined> {
    if (!this.#opts.relayWebSocket) return Promise.resolve(undefined);
    const owner = ownerOf(sid)!;
    const id = this.#nextId++;
    return this.#ask(owner, request, this.#opts.forwardTimeout, undefined, id, true).then((r) => {
      if (!r) return undefined;
      if (r.status !== 101) return { reply: r };
      return { upgraded: this.#relays.accept(owner, id, upgrade, r.headers) };
    });
  }

  #ask(
    owner: string,
    request: ForwardedRequest,
    ms: number,
    onAbort: OnAbort | undefined,
    id = this.#nextId++,
    upgrade = false,
  ): Promise<ForwardedReply | undefined> {
    return new Promise((resolve) => {
      const done = (r: ForwardedReply | undefined) => {
        if (this.#waiting.get(id)?.resolve !== resolve) return;
        clearTimeout(this.#waiting.get(id)!.timer);
        this.#waiting.delete(id);
        resolve(r);
      };
      const giveUp = (r: ForwardedReply | undefined) => {
        if (!this.#waiting.has(id)) return;
        done(r);
        void this.#send(owner, { t: "a", i: id, f: this.nodeId }).catch(() => {});
      };
      const timer = setTimeout(() => giveUp(undefined), ms);
      this.#waiting.set(id, { owner, resolve, timer });
      this.#watch();
      // the client went away: the owner must learn it, as it would from its own client
      onAbort?.(() => giveUp({ status: 499, headers: [], body: null }));
      const m: ForwardMessage = upgrade
        ? { t: "q", i: id, f: this.nodeId, r: request, u: 1 }
        : { t: "q", i: id, f: this.nodeId, r: request };
      this.#send(owner, m).then((n) => n === 0 && done(undefined), () => done(undefined));
    });
  }

  /** While requests wait or relays run, checks every second that their owners are still subscribed. */
  #watch(): void {
    if (this.#liveness !== undefined) return;
    this.#liveness = setInterval(() => void this.#checkOwners(), 1000);
    (this.#liveness as { unref?: () => void }).unref?.();
  }

  async #checkOwners(): Promise<void> {
    const owners = new Set([...this.#waiting.values()].map((w) => w.owner));
    for (const o of this.#relays.peers()) owners.add(o);
    if (owners.size === 0) {
      clearInterval(this.#liveness);
      this.#liveness = undefined;
      this.#suspect.clear();
      return;
    }
    for (const owner of owners) {
      let count: number;
      try {
        count = numsub(await this.#fleet.main.send(["PUBSUB", "NUMSUB", this.#channel(owner)]));
      } catch {
        continue; // Redis away: the timeouts decide
      }
      if (count > 0) {
        this.#suspect.delete(owner);
        continue;
      }
      // once may be a resubscription after a Redis reconnect; twice in a row, the node is gone
      if (!this.#suspect.has(owner)) {
        this.#suspect.add(owner);
        continue;
      }
      this.#suspect.delete(owner);
      for (const [id, w] of this.#waiting) {
        if (w.owner === owner) (clearTimeout(w.timer), this.#waiting.delete(id), w.resolve(undefined));
      }
      this.#relays.ownerGone(owner);
    }
  }

  #onMessage(m: ForwardMessage): void {
    switch (m.t) {
      case "q":
        return void this.#serve(m as Extract<ForwardMessage, { t: "q" }>);
      case "a": {
        const key = `${(m as { f: string }).f}:${m.i}`;
        const aborts = this.#serving.get(key);
        this.#serving.delete(key);
        for (const fn of aborts ?? []) fn();
        return;
      }
      case "r": {
        const w = this.#waiting.get(m.i);
        if (!w) return;
        clearTimeout(w.timer);
        this.#waiting.delete(m.i);
        return w.resolve((m as Extract<ForwardMessage, { t: "r" }>).r);
      }
      default:
        return this.#relays.onMessage(m as RelayMessage);
    }
  }

  /** A request of another node for one of ours: answered as our own, the reply published back. */
  async #serve(m: Extract<ForwardMessage, { t: "q" }>): Promise<void> {
    const engine = this.#engine;
    if (!engine || typeof m.f !== "string" || !NODE_ID.test(m.f) || !m.r || typeof m.r.url !== "string") return;
    const key = `${m.f}:${m.i}`;
    const aborts: Array<() => void> = [];
    this.#serving.set(key, aborts);
    const upgrade = m.u ? this.#relays.owned(m.f, m.i) : undefined;
    let r: ForwardedReply | undefined;
    try {
      r = await engine.serveForwarded(m.r, { onAbort: (cb) => aborts.push(cb), upgrade: upgrade?.upgrade });
    } catch {
      r = { status: 500, headers: [], body: null };
    }
    this.#serving.delete(key);
    if (!r) r = upgrade?.accepted() ?? { status: 404, headers: [], body: null };
    await this.#send(m.f, { t: "r", i: m.i, r }).catch(() => {});
  }

  /** Fails what waits, ends the relays; the fleet unsubscribes with its connection. */
  close(): void {
    clearInterval(this.#liveness);
    this.#liveness = undefined;
    for (const w of this.#waiting.values()) (clearTimeout(w.timer), w.resolve(undefined));
    this.#waiting.clear();
    this.#relays.closeAll();
  }
}
