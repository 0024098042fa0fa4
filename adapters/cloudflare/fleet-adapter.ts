/**
 * The room store of one namespace on one fleet shard: socket.io's cluster protocol (`ClusterAdapter`) over
 * requests between the Durable Objects of one binding (fleet.ts carries them). The hooks it supplies:
 * `doPublish` (a message for every other shard; a storable broadcast gets this shard's offset at once),
 * `doPublishResponse` (an answer streamed back on the request that asked), `serverCount` (the shard names
 * the app gave, this one included); it calls `onMessage` for whatever the other shards send.
 */
import {
  type AnyClusterMessage,
  ClusterAdapter,
  type ClusterMessage,
  type ClusterResponse,
  decodeOptions,
  MessageType,
  type Session,
  type SessionToPersist,
  type StoreContext,
} from "../../src/room-store.ts";
import { FleetLog, parseOffset } from "./fleet-log.ts";

/** What an adapter needs of its fleet (fleet.ts). */
export interface FleetHost {
  /** How long (ms) a request waits for the other shards. */
  readonly requestTimeout: number;
  /** The other shards' names, as `serverCount` counts them. */
  others(): readonly string[];
  /** ".<encoded name of this shard>" for offsets, "" while the name is unknown */
  offsetSuffix(): string;
  /** Sends a message to every other shard; resolves once each took it when `answered`. */
  publish(nsp: string, message: ClusterMessage, wait: number, answered: boolean): Promise<void>;
  /** Streams an answer back on the request that asked. */
  respond(response: ClusterResponse): void;
  /** Asks shard `encoded` (an offset's suffix) for a session it keeps. */
  restoreFrom(encoded: string, nsp: string, pid: string, offset: string): Promise<Session | null>;
  /** Stores recovery data. */
  readonly storage: ConstructorParameters<typeof FleetLog>[0];
  /** The server's Engine.IO path (its recovery keys are kept under it). */
  readonly path: string;
}

/** Whether the sender waits for answers to this message. */
export function expectsAnswers(message: ClusterMessage): boolean {
  if (message.type === MessageType.BROADCAST) return message.data.requestId !== undefined;
  if (message.type === MessageType.SERVER_SIDE_EMIT) return message.data.requestId !== undefined;
  return message.type === MessageType.FETCH_SOCKETS;
}

/** The room store of a namespace on a shard of a Durable Object fleet. */
export class DurableObjectFleetAdapter extends ClusterAdapter {
  #host: FleetHost;
  #log: FleetLog | undefined;

  /** @ignore Created by the factory of `createFleetAdapter` for each namespace. */
  constructor(ctx: StoreContext, host: FleetHost) {
    super(ctx, { requestTimeout: host.requestTimeout });
    this.#host = host;
    const recovery = this.recovery;
    if (recovery) {
      this.#log = new FleetLog(
        host.storage,
        `pio:fleet:${host.path}:${encodeURIComponent(ctx.name)}:`,
        recovery.maxDisconnectionDuration,
        ctx.logger ?? console,
      );
    }
  }

  /** The message to every other shard; a storable broadcast is stored here and gets its offset now. */
  protected doPublish(message: ClusterMessage): Promise<string> {
    let offset = "";
    if (message.type === MessageType.BROADCAST && message.data.requestId === undefined && this.#log) {
      const opts = decodeOptions(message.data.opts);
      const packet = message.data.packet;
      if (opts && this.storable(packet, opts)) {
        offset = this.#log.append(
          [...opts.rooms],
          [...(opts.except ?? [])],
          packet.data as unknown[],
          this.#host.offsetSuffix(),
        ).offset;
      }
    }
    const answered = expectsAnswers(message);
    const timeout = message.type === MessageType.BROADCAST ? message.data.opts.flags?.timeout : undefined;
    const wait = answered ? Math.max(timeout ?? 0, this.requestTimeout) : 0;
    const sent = this.#host.publish(this.ctx.name, message, wait, answered);
    // a broadcast is delivered here without waiting for the other shards: only requests wait (to fail early)
    return answered ? sent.then(() => offset) : (sent.catch(() => {}), Promise.resolve(offset));
  }

  /** The answer goes back on the stream of the request that asked. */
  protected doPublishResponse(_requesterUid: string, response: ClusterResponse): Promise<void> {
    this.#host.respond(response);
    return Promise.resolve();
  }

  /** The shards the app named (this one included, even when it is not among them). */
  override serverCount(): Promise<number> {
    return Promise.resolve(this.#host.others().length + 1);
  }

  /** A message from another shard (or the emitter): a storable broadcast is stored under a local offset. */
  receive(message: AnyClusterMessage): void {
    if (message?.type === MessageType.BROADCAST && message.data?.requestId === undefined && this.#log) {
      const opts = decodeOptions(message.data.opts);
      const packet = message.data.packet;
      if (opts && packet && Array.isArray(packet.data) && this.storable(packet, opts)) {
        const { offset } = this.#log.append(
          [...opts.rooms],
          [...(opts.except ?? [])],
          packet.data,
          this.#host.offsetSuffix(),
        );
        return this.onMessage(message, offset);
      }
    }
    this.onMessage(message);
  }

  // ---- connection state recovery ---------------------------------------------------------------------------

  /** Stores a dropped session in this shard's storage. */
  override persistSession(session: SessionToPersist): void {
    this.#log?.persist(session);
  }

  /**
   * The session from the shard named in the client's offset: this one, or the one that held the client
   * before routing sent it here (asked once, within `requestTimeout`).
   */
  override restoreSession(pid: string, offset: string): Promise<Session | null> {
    const parsed = parseOffset(offset);
    if (!this.#log || !parsed) return Promise.resolve(null);
    const here = this.#host.offsetSuffix().slice(1);
    if (parsed.shard === undefined || parsed.shard === here) return this.#log.restore(pid, parsed.local);
    return this.#host.restoreFrom(parsed.shard, this.ctx.name, pid, offset);
  }

  /** A session asked for by another shard: only this shard's own offsets count. */
  restoreLocal(pid: string, offset: string): Promise<Session | null> {
    const parsed = parseOffset(offset);
    if (!this.#log || !parsed || parsed.shard !== this.#host.offsetSuffix().slice(1)) return Promise.resolve(null);
    return this.#log.restore(pid, parsed.local);
  }
}
