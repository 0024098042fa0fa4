/**
 * Keeps one Server's WebSocket connections restorable across hibernation (a Durable Object evicted from
 * memory with its WebSockets still connected). Runtime-agnostic: the host supplies a key-value storage and
 * sockets that carry a small attachment (Cloudflare's `serializeAttachment`, at most 2 KiB).
 *
 * - attachment, per runtime socket: `{ p: path, sid, beat }` (~74 bytes), rewritten on every pong so the
 *   heartbeat resumes exactly where it was (engine-restore.ts)
 * - storage, `<prefix>c:<sid>`: the connection's first request (URL, headers can be kilobytes, address)
 * - storage, `<prefix>s:<sid>:<nsp>`: each namespace socket (socket-restore.ts `SocketRecord`), rewritten
 *   when its rooms change (the room store's events) and after a message its connection delivers if its
 *   `data`, compared as JSON, changed: the rest of the record is fixed at connect, so a message that
 *   changes nothing costs one `JSON.stringify` of `data`, not the record
 *
 * A session is kept from the moment it is on a WebSocket: opened there, or upgraded. Long-polling sessions
 * are not (a parked GET keeps the object in memory anyway, and a restart ends the request), but with
 * connection state recovery on their sockets are recorded too: records whose connection did not survive
 * a restart become recovery sessions, since a restart runs no disconnect that would have written them.
 */
import type { WebSocketHandler, WebSocketLike } from "../ports.ts";
import { engineRecordOf, type EngineSessionRecord, restoreEngineSession } from "./engine-restore.ts";
import type { EngineSocket } from "../engine/socket.ts";
import { deleteKeys, type KeyValueStorage, putQuietly } from "../rooms/storage.ts";
import type { Namespace } from "../socket/namespace.ts";
import { announceRestored, restoreClient, type SocketRecord, socketRecordOf } from "./socket-restore.ts";
import type { AnyServer } from "../socket/server.ts";
import type { AnySocket } from "../socket/socket.ts";

/** A runtime WebSocket that keeps a small structured-clone value through hibernation. */
export interface HibernatableSocket {
  /** Stores the value with the WebSocket. */
  serializeAttachment(value: unknown): void;
  /** The stored value. */
  deserializeAttachment(): unknown;
}

interface Attachment {
  /** the server's path: one object may serve several servers */
  p: string;
  sid: string;
  /** when the session opened or last answered a ping (ms) */
  beat: number;
}

// deno-lint-ignore no-explicit-any -- restores namespaces of every event map
type AnyNamespace = Namespace<any, any, any, any>;

function attachmentOf(ws: HibernatableSocket): Attachment | undefined {
  let a: unknown;
  try {
    a = ws.deserializeAttachment();
  } catch {
    return undefined;
  }
  const r = a as Partial<Attachment> | null;
  return r && typeof r.p === "string" && typeof r.sid === "string" && typeof r.beat === "number"
    ? (r as Attachment)
    : undefined;
}

/** The JSON of `socket.data`; undefined when it has none (a cycle, a BigInt): then written every time. */
function dataJson(socket: AnySocket): string | undefined {
  try {
    return JSON.stringify(socket.data) ?? ""; // undefined, a function: nothing storage would keep
  } catch {
    return undefined;
  }
}

/** Restores a server's connections after a Durable Object woke from hibernation. */
export class Hibernation {
  /** The server's path. */
  readonly path: string;
  #server: AnyServer;
  #storage: KeyValueStorage;
  #prefix: string;
  /** sessions on a kept WebSocket */
  #kept = new Map<EngineSocket, HibernatableSocket>();
  /** sessions whose namespace sockets are written to storage: the kept ones, and with recovery on all */
  #recorded = new Set<EngineSocket>();
  #beats = new WeakMap<EngineSocket, number>();
  #sockets = new Map<EngineSocket, Set<AnySocket>>();
  /** the JSON of each socket's `data` as last written */
  #saved = new WeakMap<AnySocket, string>();
  /** sockets to write at the next flush: true = changed (rooms, new), false = compare `data` first */
  #dirty = new Map<AnySocket, boolean>();
  #flushQueued = false;
  #opening: HibernatableSocket | undefined;
  #probes = new Map<string, HibernatableSocket>();
  #restoring = false;

  /** Create before the app registers its listeners, so the records are written before app code runs. */
  constructor(server: AnyServer, storage: KeyValueStorage, prefix = `pio:${server.engine.opts.path}:`) {
    this.#server = server;
    this.#storage = storage;
    this.#prefix = prefix;
    this.path = server.engine.opts.path;
    server.engine.on("connection", (session) => this.#onSession(session));
    for (const nsp of server._nsps.values()) this.#watch(nsp);
    server.on("new_namespace", (nsp: AnyNamespace) => this.#watch(nsp));
  }

  /**
   * The host accepted `ws` for this server; `open` hands it to the engine (the handler's `onOpen`). With
   * `sid` it is an upgrade probe, kept once the upgrade completes; without, a new WebSocket session.
   */
  accept(ws: HibernatableSocket, sid: string | null, open: () => void): void {
    if (sid !== null) {
      this.#probes.set(sid, ws);
      return open();
    }
    this.#opening = ws;
    try {
      open(); // the engine emits "connection" synchronously in there
    } finally {
      this.#opening = undefined;
    }
  }

  #onSession(session: EngineSocket): void {
    this.#beats.set(session, Date.now());
    session.on("heartbeat", () => {
      this.#beats.set(session, Date.now());
      const ws = this.#kept.get(session);
      if (ws) this.#attach(session, ws);
    });
    session.on("upgrade", () => {
      const ws = this.#probes.get(session.id);
      this.#probes.delete(session.id);
      if (ws) this.#keep(session, ws, true);
    });
    session.on("close", () => this.#forget(session));
    if (this.#opening && session.transport.name === "websocket") this.#keep(session, this.#opening, true);
    // a polling client cannot hibernate, but with recovery on its sockets' records let it recover after a
    // restart, which runs no disconnect (see `#recoverStale`)
    else if (this.#server._recovery) this.#record(session);
  }

  #record(session: EngineSocket): void {
    if (this.#recorded.has(session)) return;
    this.#recorded.add(session);
    // a message may change any socket of its connection (`socket.data`): compare them after it
    session.on("message", () => {
      for (const s of this.#sockets.get(session) ?? []) this.#markDirty(s, false);
    });
  }

  #attach(session: EngineSocket, ws: HibernatableSocket): void {
    const a: Attachment = { p: this.path, sid: session.id, beat: this.#beats.get(session) ?? Date.now() };
    try {
      ws.serializeAttachment(a);
    } catch (err) {
      this.#server.logger.error("serializeAttachment failed", err);
    }
  }

  #keep(session: EngineSocket, ws: HibernatableSocket, write: boolean): void {
    this.#kept.set(session, ws);
    this.#record(session);
    if (!write) return;
    this.#attach(session, ws);
    putQuietly(this.#storage, `${this.#prefix}c:${session.id}`, engineRecordOf(session), this.#server.logger);
    for (const s of this.#sockets.get(session) ?? []) this.#markDirty(s);
  }

  #forget(session: EngineSocket): void {
    this.#probes.delete(session.id);
    this.#kept.delete(session);
    const recorded = this.#recorded.delete(session);
    const sockets = this.#sockets.get(session);
    this.#sockets.delete(session);
    if (!recorded) return;
    const keys = [`${this.#prefix}c:${session.id}`];
    for (const s of sockets ?? []) keys.push(this.#socketKey(session.id, s.nsp.name));
    deleteKeys(this.#storage, keys).catch((err) => this.#server.logger.error("storage delete failed", err));
  }

  #socketKey(sid: string, nsp: string): string {
    return `${this.#prefix}s:${sid}:${encodeURIComponent(nsp)}`;
  }

  #watch(nsp: AnyNamespace): void {
    nsp.on("connection", (socket: AnySocket) => this.#onSocket(socket));
    const onRoom = (_room: string, id: string) => {
      const s = nsp.sockets.get(id);
      if (s) this.#markDirty(s);
    };
    nsp.adapter.on("join-room", onRoom);
    nsp.adapter.on("leave-room", onRoom);
  }

  #onSocket(socket: AnySocket): void {
    const session = socket.conn;
    let set = this.#sockets.get(session);
    if (!set) this.#sockets.set(session, set = new Set());
    set.add(socket);
    socket.on("disconnect", () => {
      this.#sockets.get(session)?.delete(socket);
      this.#dirty.delete(socket);
      if (this.#recorded.has(session)) {
        this.#storage.delete(this.#socketKey(session.id, socket.nsp.name)).catch((err) =>
          this.#server.logger.error("storage delete failed", err)
        );
      }
    });
    this.#markDirty(socket);
  }

  #markDirty(socket: AnySocket, changed = true): void {
    if (this.#restoring || !this.#recorded.has(socket.conn)) return;
    this.#dirty.set(socket, changed || this.#dirty.get(socket) === true);
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    // a promise's reaction, not queueMicrotask: the same queue, but workerd's queueMicrotask is a C++ call
    Promise.resolve().then(() => this.flush());
  }

  /**
   * Writes the records of changed sockets. Runs by itself after each message and room change; call it
   * after changing a `socket.data` from elsewhere (after an `await`, or another socket's).
   */
  flush(socket?: AnySocket): void {
    if (socket && !this.#dirty.has(socket)) this.#dirty.set(socket, false);
    this.#flushQueued = false;
    const dirty = this.#dirty;
    this.#dirty = new Map();
    for (const [s, changed] of dirty) {
      if (!s.connected || !this.#recorded.has(s.conn)) continue;
      const json = dataJson(s);
      if (!changed && json !== undefined && this.#saved.get(s) === json) continue;
      if (json !== undefined) this.#saved.set(s, json);
      putQuietly(this.#storage, this.#socketKey(s.conn.id, s.nsp.name), socketRecordOf(s), this.#server.logger);
    }
  }

  /**
   * After a wake: rebuilds every session whose runtime socket (`ws`, wrapped as `like`) names this server,
   * then runs the app's connection listeners for them. Returns the handler of each restored socket; a
   * socket missing from the result has no record and should be closed. Records of sockets the runtime no
   * longer has (the object restarted, which closes WebSockets) become connection state recovery sessions.
   */
  async restore(
    sockets: ReadonlyArray<{ ws: HibernatableSocket; like: WebSocketLike }>,
    now: number = Date.now(),
  ): Promise<Map<HibernatableSocket, WebSocketHandler>> {
    const conns = await this.#storage.list<EngineSessionRecord>({ prefix: `${this.#prefix}c:` });
    const records = await this.#storage.list<SocketRecord>({ prefix: `${this.#prefix}s:` });
    const bySid = new Map<string, Array<[string, SocketRecord]>>();
    for (const [key, r] of records) {
      const sid = key.slice(this.#prefix.length + 2, key.lastIndexOf(":"));
      let list = bySid.get(sid);
      if (!list) bySid.set(sid, list = []);
      list.push([key, r]);
    }
    const handlers = new Map<HibernatableSocket, WebSocketHandler>();
    const restored: AnySocket[] = [];
    this.#restoring = true;
    try {
      for (const { ws, like } of sockets) {
        const a = attachmentOf(ws);
        const record = a && a.p === this.path ? conns.get(`${this.#prefix}c:${a.sid}`) : undefined;
        if (!a || !record) continue;
        conns.delete(`${this.#prefix}c:${a.sid}`);
        const list = bySid.get(a.sid) ?? [];
        bySid.delete(a.sid);
        const { session, handler } = restoreEngineSession(this.#server.engine, record, like, a.beat, now);
        this.#onSession(session);
        this.#beats.set(session, a.beat);
        this.#keep(session, ws, false);
        const { sockets: back } = await restoreClient(this.#server, session, list.map(([, r]) => r));
        for (const s of back) {
          const json = dataJson(s);
          if (json !== undefined) this.#saved.set(s, json);
        }
        handlers.set(ws, handler);
        restored.push(...back);
      }
    } finally {
      this.#restoring = false;
    }
    await this.#recoverStale(conns, bySid);
    announceRestored(restored); // the keeper's own listener comes first and registers each socket
    return handlers;
  }

  async #recoverStale(conns: Map<string, unknown>, bySid: Map<string, Array<[string, SocketRecord]>>): Promise<void> {
    const keys = [...conns.keys()];
    for (const list of bySid.values()) {
      for (const [key, r] of list) {
        keys.push(key);
        const nsp = this.#server._nsps.get(r.nsp);
        if (!nsp || !r.pid || !this.#server._recovery) continue;
        nsp.adapter.persistSession({ sid: r.id, pid: r.pid, rooms: [r.id, ...r.rooms], data: r.data });
      }
    }
    if (keys.length) await deleteKeys(this.#storage, keys);
  }
}
