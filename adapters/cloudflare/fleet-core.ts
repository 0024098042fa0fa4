/**
 * One shard's side of a fleet: the links to the other shards (sending), the handler of their requests
 * (receiving, registered on the `PortioObject` by server path), and the namespaces' adapters in between.
 */
import type { Logger, Server } from "../../src/index.ts";
import {
  type ClusterMessage,
  type ClusterResponse,
  MessageType,
  type Session,
  type StoreContext,
} from "../../src/room-store.ts";
import { decodeFrames, encodeFrames } from "./fleet-codec.ts";
import { type AnswerFrame, Answers } from "./fleet-answers.ts";
import { DurableObjectFleetAdapter, expectsAnswers, type FleetHost } from "./fleet-adapter.ts";
import { type LinkStats, ShardLink } from "./fleet-link.ts";
import type { DurableObjectNamespaceLike } from "./types.ts";
import type { PortioObject } from "./object.ts";
import { encodeObjectName, OBJECT_HEADER, objectOfSessionId } from "./worker.ts";

/** Options of `createFleetAdapter`. */
export interface FleetOptions<Env = unknown> {
  /** the Durable Object namespace of the shards: its binding's name in `env`, or a function of `env` */
  binding: string | ((env: Env) => DurableObjectNamespaceLike);
  /**
   * Every shard name the Worker's `route()` can produce (this object's included or not). Fleet operations
   * go to each of them: one request per other shard, which wakes it if it hibernates.
   */
  shards: readonly string[] | ((env: Env) => readonly string[]);
  /** ms to wait for another shard to take a message or answer a request (default 5000) */
  requestTimeout?: number;
  /** messages queued for one shard that has not taken the previous batch yet; the oldest go past it (default 10000) */
  maxPendingMessages?: number;
  /** largest frame read from another shard, in bytes (default 16 MiB) */
  maxFrameBytes?: number;
}

/** An item of a request body. */
type Item =
  | { n: string; m: ClusterMessage; w: number }
  | { n: string; restore: { id: string; pid: string; offset: string } };

/** Resolves the namespace binding of `opts` in `env`. */
export function namespaceOf<Env>(binding: FleetOptions<Env>["binding"], env: Env): DurableObjectNamespaceLike {
  const ns = typeof binding === "function"
    ? binding(env)
    : (env as Record<string, DurableObjectNamespaceLike | undefined>)[binding];
  if (!ns) throw new Error(`portio: no Durable Object binding ${String(binding)} in env`);
  return ns;
}

/** The fleet of one server (path) of one shard. */
export class Fleet<Env> implements FleetHost {
  readonly requestTimeout: number;
  readonly maxPendingMessages: number;
  readonly maxFrameBytes: number;
  /** requests and messages this shard sent */
  readonly stats: LinkStats = { requests: 0, messages: 0, failures: 0 };
  #object: PortioObject<Env>;
  #opts: FleetOptions<Env>;
  #path: string | undefined;
  #adapters = new Map<string, DurableObjectFleetAdapter>();
  #links = new Map<string, ShardLink>();
  #answers = new Map<string, Answers>();
  #restores = new Map<string, (s: Session | null) => void>();
  #logger: Logger = console;
  #name: string | undefined;
  /** the server this fleet serves, once `PortioObject.server()` built it */
  #io: () => Server | undefined = () => undefined;

  constructor(object: PortioObject<Env>, opts: FleetOptions<Env>) {
    this.#object = object;
    this.#opts = opts;
    this.requestTimeout = opts.requestTimeout ?? 5000;
    this.maxPendingMessages = opts.maxPendingMessages ?? 10_000;
    this.maxFrameBytes = opts.maxFrameBytes ?? 16 << 20;
  }

  get storage(): FleetHost["storage"] {
    return this.#object.ctx.storage;
  }

  /**
   * `PortioObject.server()` names the server this fleet is given to, before building it (a room store's
   * context does not carry the server's path); `io` gives the server once built. Registers this fleet's
   * request handler on the object under that path.
   */
  serves(path: string, io: () => Server | undefined): void {
    if (this.#path !== undefined && this.#path !== path) {
      throw new Error("portio: one createFleetAdapter() per server (it was given to servers on two paths)");
    }
    this.#register(path);
    this.#io = io;
  }

  #register(path: string): void {
    if (this.#path !== undefined) return;
    this.#path = path;
    this.#object._peers.set(path, (req) => this.handle(req));
  }

  /** The server's Engine.IO path (engine.io's default until `serves` names it). */
  get path(): string {
    return this.#path ?? "/socket.io/";
  }

  /** The adapter of a namespace; the first one registers this fleet's request handler on the object. */
  adapterFor(ctx: StoreContext): DurableObjectFleetAdapter {
    // a server built without `PortioObject.server()`: engine.io's default path
    if (this.#path === undefined) this.#register("/socket.io/");
    if (this.#adapters.size === 0) this.#logger = ctx.logger ?? console;
    const adapter = new DurableObjectFleetAdapter(ctx, this);
    this.#adapters.set(ctx.name, adapter);
    return adapter;
  }

  #shards(): readonly string[] {
    const s = this.#opts.shards;
    return typeof s === "function" ? s(this.#object.env) : s;
  }

  /**
   * This shard's name: the runtime's (`ctx.id.name`) where it tells it, else learned from the requests the
   * other shards send (they name their target) or from the session ids of this shard's sockets.
   */
  name(): string | undefined {
    const known = this.#object.ctx.id?.name ?? this.#name;
    if (known !== undefined) return known;
    for (const sid of this.#io()?.engine.clients.keys() ?? []) {
      if ((this.#name = objectOfSessionId(sid)) !== undefined) return this.#name;
    }
    return undefined;
  }

  others(): readonly string[] {
    const me = this.name();
    return this.#shards().filter((n) => n !== me);
  }

  offsetSuffix(): string {
    const me = this.name();
    return me === undefined ? "" : "." + encodeObjectName(me);
  }

  #link(name: string): ShardLink {
    let link = this.#links.get(name);
    if (!link) {
      link = new ShardLink(
        name,
        this.path,
        () => namespaceOf(this.#opts.binding, this.#object.env),
        this,
        {
          onFrame: (frame) => this.#onAnswer(frame as AnswerFrame),
          onFailure: (shard, err, n) =>
            this.#logger.warn(`portio fleet: ${n} message(s) for shard "${shard}" not taken: ${err.message}`),
        },
        this.stats,
      );
      this.#links.set(name, link);
    }
    return link;
  }

  publish(nsp: string, message: ClusterMessage, wait: number, answered: boolean): Promise<void> {
    const others = this.others();
    const bytes = encodeFrames([{ n: nsp, m: message, w: wait } satisfies Item]);
    if (!answered) {
      for (const name of others) this.#link(name).send({ bytes, wait: 0 });
      return Promise.resolve();
    }
    // a request fails as soon as one shard cannot take it: its answer would never come
    return new Promise((resolve, reject) => {
      let left = others.length;
      if (left === 0) return resolve();
      for (const name of others) {
        this.#link(name).send({ bytes, wait, taken: () => --left === 0 && resolve(), failed: reject });
      }
    });
  }

  respond(response: ClusterResponse): void {
    const id = response.data.requestId;
    this.#answers.get(id)?.write(id, { r: response });
  }

  restoreFrom(encoded: string, nsp: string, pid: string, offset: string): Promise<Session | null> {
    const name = objectOfSessionId(encoded + ".x");
    // only a shard of the fleet: an offset is client input, and naming an object creates it
    if (name === undefined || !this.#shards().includes(name)) return Promise.resolve(null);
    const id = crypto.randomUUID();
    return new Promise((resolve) => {
      const done = (s: Session | null) => {
        if (!this.#restores.delete(id)) return;
        clearTimeout(timer);
        resolve(s);
      };
      const timer = setTimeout(() => done(null), this.requestTimeout);
      this.#restores.set(id, done);
      this.#link(name).send({
        bytes: encodeFrames([{ n: nsp, restore: { id, pid, offset } } satisfies Item]),
        wait: this.requestTimeout,
        failed: () => done(null),
      });
    });
  }

  #onAnswer(frame: AnswerFrame): void {
    if ("restored" in frame) return this.#restores.get(frame.restored)?.(frame.session as Session | null);
    const r = frame.r;
    this.#adapters.get(r?.nsp)?.onMessage(r);
  }

  /** A request from another shard (or the emitter): handles its batch in order, then streams the answers. */
  async handle(request: Request): Promise<Response> {
    const named = request.headers.get(OBJECT_HEADER);
    if (named && this.#name === undefined) this.#name = objectOfSessionId(named + ".x");
    let items: Item[];
    try {
      items = decodeFrames(new Uint8Array(await request.arrayBuffer()), this.maxFrameBytes) as Item[];
    } catch (err) {
      return new Response(`bad fleet request: ${(err as Error).message}`, { status: 400 });
    }
    let answers: Answers | undefined;
    let wait = 0;
    const open = () =>
      answers ??= new Answers((ids) => {
        for (const id of ids) if (this.#answers.get(id) === answers) this.#answers.delete(id);
      });
    for (const item of items) {
      const adapter = this.#adapters.get(item?.n);
      if ("restore" in item) {
        const { id, pid, offset } = item.restore ?? {};
        const a = open();
        a.expect(id, 1);
        wait = Math.max(wait, this.requestTimeout);
        const restored = adapter ? adapter.restoreLocal(pid, offset) : Promise.resolve(null);
        restored.catch(() => null).then((session) => a.write(id, { restored: id, session }));
        continue;
      }
      const m = item.m;
      if (!m || typeof m !== "object") continue;
      if (expectsAnswers(m)) {
        const id = (m.data as { requestId: string }).requestId;
        const a = open();
        a.expect(id, m.type === MessageType.BROADCAST ? undefined : 1);
        this.#answers.set(id, a);
        wait = Math.max(wait, Math.min(typeof item.w === "number" ? item.w : 0, 10 * this.requestTimeout));
        // no such namespace here: nothing to fetch, nobody to ack (a serverSideEmit then goes unanswered)
        if (!adapter) this.#answerEmpty(m, a);
      }
      adapter?.receive(m);
    }
    if (!answers) return new Response(null, { status: 204 });
    answers.arm(wait);
    return new Response(answers.readable, { headers: { "content-type": "application/octet-stream" } });
  }

  #answerEmpty(m: ClusterMessage, a: Answers): void {
    const id = (m.data as { requestId: string }).requestId;
    // a uid of its own: the requester counts answers by uid
    const base = { uid: crypto.randomUUID(), nsp: m.nsp };
    if (m.type === MessageType.FETCH_SOCKETS) {
      a.write(id, { r: { ...base, type: MessageType.FETCH_SOCKETS_RESPONSE, data: { requestId: id, sockets: [] } } });
    } else if (m.type === MessageType.BROADCAST) {
      a.write(id, {
        r: { ...base, type: MessageType.BROADCAST_CLIENT_COUNT, data: { requestId: id, clientCount: 0 } },
      });
    }
  }
}
