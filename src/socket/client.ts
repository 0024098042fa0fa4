/**
 * One Engine.IO connection seen from Socket.IO: decodes packets, routes them to the namespace sockets
 * multiplexed on it, answers CONNECT, and closes the connection on any protocol violation.
 */
import type { EngineCloseReason, EngineSocket } from "../engine/socket.ts";
import type { RawData, SharedMessage } from "../engine/packet.ts";
import type { RequestLike } from "../engine/http.ts";
import type { BroadcastFlags } from "../rooms/types.ts";
import { type Packet, PacketType, ParseError } from "./parser.ts";
import type { PacketDecoder } from "./codec.ts";
import type { Server } from "./server.ts";
import { errorKind, logLimited } from "../util/log-limiter.ts";
import type { AnySocket, DisconnectReason } from "./socket.ts";

/** One Engine.IO connection seen from Socket.IO: the namespace sockets multiplexed on it. */
export class Client {
  /** The Engine.IO session. */
  readonly conn: EngineSocket;
  /** The session id. */
  readonly id: string;
  /** The server. */
  // deno-lint-ignore no-explicit-any -- one connection serves a server of any event maps
  readonly server: Server<any, any, any, any>;
  #decoder: PacketDecoder;
  // The socket of each namespace joined on this connection, found by name: a list, as a connection joins one
  // namespace or a few, and a Map costs ~250 bytes per connection on Bun (measured with a heap snapshot diff).
  // Replaced, never changed in place: an exact-size array (V8 gives a pushed one 17 slots), and a loop over
  // it is not disturbed by a socket leaving
  #nsps: AnySocket[] = [];
  // Created on first use: most connections never leave a namespace or overlap two CONNECTs, and every
  // Set costs ~100 bytes per connection (measured in the connect benchmark).
  /** namespaces this client was in: a late packet for one of them is ignored, not a violation */
  #left: Set<string> | undefined;
  #connecting: Set<string> | undefined;
  #connectTimer: unknown;

  /** @ignore Created by the server for each Engine.IO session. */
  // deno-lint-ignore no-explicit-any -- one connection serves a server of any event maps
  constructor(server: Server<any, any, any, any>, conn: EngineSocket) {
    this.server = server;
    this.conn = conn;
    this.id = conn.id;
    this.#decoder = server._codec.decoder();
    conn._owner = this; // the session calls _ondata, _onclose and _onupgrade (no listener closures)
    const scheduler = server.engine.opts.scheduler;
    // a connection that joins no namespace in time is closed (socket.io's `connectTimeout`)
    this.#connectTimer = scheduler.setTimeout(() => {
      if (this.#nsps.length === 0) this.close();
    }, server._opts.connectTimeout);
    // Socket.IO v4 protocol (socket.io-client 2.x, `allowEIO3`): the main namespace is joined implicitly
    if (conn.protocol === 3) void this.#connect("/", {});
  }

  /** socket.io's `client.sockets`, by socket id (built on demand: `#nsps` is what routing needs) */
  get sockets(): Map<string, AnySocket> {
    return new Map(this.#nsps.map((s) => [s.id, s]));
  }

  /** The connection's first HTTP request. */
  get request(): RequestLike {
    return this.conn.request;
  }

  /** @internal after polling → websocket, native fan-out can reach this connection's sockets */
  _onupgrade(): void {
    for (const socket of this.#nsps) socket._attachTopics();
  }

  /** @internal A message of the session. */
  _ondata(data: RawData): void {
    let packet: Packet | undefined;
    try {
      packet = this.#decoder.add(data);
    } catch (err) {
      return this.#onerror(err instanceof Error ? err : new ParseError(String(err)));
    }
    if (packet) this.#onpacket(packet);
  }

  /**
   * An undecodable packet, as socket.io handles it: every socket of the connection gets the `error` event,
   * then the connection closes gracefully (the sockets disconnect with "forced close"; a polling client
   * gets the close packet on its next GET instead of a 400 "Session ID unknown").
   */
  #onerror(err: Error): void {
    for (const socket of this.#nsps) socket._onerror(err);
    this.conn.close();
  }

  /** A well-formed packet in the wrong state (socket.io's "invalid state"): close the connection gracefully. */
  #violation(): void {
    this.close();
  }

  #onpacket(packet: Packet): void {
    if (packet.type === PacketType.CONNECT) {
      if (this.conn.protocol === 3) {
        // v4 protocol: `40/nsp?token=x,` carries the auth as the namespace's query string
        const url = new URL(packet.nsp, "https://socket.io");
        return void this.#connect(url.pathname, Object.fromEntries(url.searchParams));
      }
      const auth = (packet.data ?? {}) as Record<string, unknown>;
      return void this.#connect(packet.nsp, auth);
    }
    if (packet.type === PacketType.CONNECT_ERROR) return this.#violation(); // server → client only
    const socket = this.#socketOf(packet.nsp);
    if (socket) return socket._onpacket(packet);
    // Unlike socket.io, a late packet for a namespace the client just left (a DISCONNECT crossing it on
    // the wire) or one still running its middlewares is dropped, not a reason to close every namespace.
    if (this.#left?.has(packet.nsp) || this.#connecting?.has(packet.nsp)) return;
    this.#violation();
  }

  async #connect(name: string, auth: Record<string, unknown>): Promise<void> {
    // a second CONNECT for a namespace the client is in closes the connection, as socket.io does; one that
    // crosses a CONNECT still in its middlewares is ignored (the official client never sends either)
    if (this.#socketOf(name)) return this.#violation();
    if (this.#connecting?.has(name)) return;
    (this.#connecting ??= new Set()).add(name);
    try {
      const nsp = await this.server._namespaceFor(name, auth);
      // closed while the name was resolved: a child created for this CONNECT alone must not stay, or one
      // client could grow the namespace map without bound (a CONNECT per name, then a bad packet)
      if (this.conn.readyState !== "open") return nsp?._cleanupIfEmpty();
      if (!nsp) {
        this.server.logger.debug(`client ${this.id}: no namespace ${name}`);
        this._write(
          this.server._codec.encode({
            type: PacketType.CONNECT_ERROR,
            nsp: name,
            data: { message: "Invalid namespace" },
          }),
          {},
        );
        return;
      }
      await nsp._add(this, auth);
    } catch (err) {
      const where = "error while connecting to a namespace";
      logLimited(this.server.logger, errorKind(where, err), where, JSON.stringify(name), err);
    } finally {
      this.#connecting.delete(name);
      if (this.#connecting.size === 0) this.#connecting = undefined;
    }
  }

  /** @internal Adds a connected namespace socket. */
  _addSocket(socket: AnySocket): void {
    this.server.engine.opts.scheduler.clearTimeout(this.#connectTimer);
    this.#connectTimer = undefined;
    this.#nsps = this.#nsps.concat(socket);
    this.#left?.delete(socket.nsp.name);
  }

  /** @internal Removes a namespace socket. */
  _remove(socket: AnySocket): void {
    if (!this.#nsps.includes(socket)) return;
    this.#nsps = this.#nsps.filter((s) => s !== socket);
    (this.#left ??= new Set()).add(socket.nsp.name);
  }

  #socketOf(nsp: string): AnySocket | undefined {
    return this.#nsps.find((s) => s.nsp.name === nsp);
  }

  /** @internal Writes encoded packets. */
  _write(encoded: ReadonlyArray<string | Uint8Array>, flags: BroadcastFlags): void {
    const conn = this.conn;
    if (conn.readyState !== "open") return;
    // volatile: dropped when the transport cannot take it right now (socket.io semantics)
    if (flags.volatile && !conn.canSendVolatile) return;
    if (encoded.length === 1) {
      conn.send(encoded[0]!, flags.compress === undefined ? undefined : { compress: flags.compress });
    } else conn.sendMany(encoded, flags.compress);
  }

  /** @internal A broadcast's single-frame packet, shared by every recipient. */
  _writeShared(message: SharedMessage, flags: BroadcastFlags): void {
    const conn = this.conn;
    if (conn.readyState !== "open") return;
    if (flags.volatile && !conn.canSendVolatile) return;
    conn.sendShared(message, flags.compress);
  }

  /** @internal `socket.disconnect(true)`: leave every namespace, then close the connection. */
  _disconnect(): void {
    for (const socket of this.#nsps) socket.disconnect();
    this.close();
  }

  /** Closes the connection. */
  close(): void {
    if (this.conn.readyState === "open") {
      // as socket.io: a session that can close at once (a WebSocket, a polling GET waiting) reports
      // "forced close" to its sockets; one waiting for the next GET leaves them "forced server close"
      this.conn.close();
      this._onclose("forced server close");
    }
  }

  /** @internal The session closed (or the server closed it). */
  _onclose(reason: EngineCloseReason | DisconnectReason, description?: unknown): void {
    this.server.logger.debug(`client ${this.id} closed: ${reason}`);
    this.server.engine.opts.scheduler.clearTimeout(this.#connectTimer);
    for (const socket of this.#nsps) socket._onclose(reason as DisconnectReason, description);
    this.#nsps = [];
    this.#decoder.destroy();
  }
}
