/**
 * The socket.io half of a connection that outlives the server object holding it (a Durable Object waking
 * from hibernation; the engine half is engine-restore.ts). A socket is rebuilt as it was: same id and pid,
 * rooms, data, handshake, `connected`; no CONNECT packet is sent and no middleware runs, because the client
 * never left. The app's connection listeners then run again, since the handlers they registered were lost
 * with the old objects; `socket.restored` tells them so.
 */
import type { EngineSocket } from "../engine/socket.ts";
import type { Room } from "../rooms/types.ts";
import { Client } from "../socket/client.ts";
import type { AnyServer } from "../socket/server.ts";
import { type AnySocket, Socket } from "../socket/socket.ts";

/** One namespace socket of a connection, as storage keeps it. */
export interface SocketRecord {
  /** The namespace. */
  nsp: string;
  /** The socket id. */
  id: string;
  /** The private session id. */
  pid?: string;
  /** rooms besides the socket's own */
  rooms: Room[];
  /** The socket's data. */
  data: unknown;
  /** The CONNECT auth. */
  auth: Record<string, unknown>;
  /** handshake time (ms) */
  issued: number;
  /** Whether the socket was recovered. */
  recovered: boolean;
}

/** The record of a namespace socket, for storage. */
export function socketRecordOf(socket: AnySocket): SocketRecord {
  const rooms: Room[] = [];
  for (const room of socket.rooms) if (room !== socket.id) rooms.push(room);
  const { auth, issued } = socket._connectInfo;
  const record: SocketRecord = {
    nsp: socket.nsp.name,
    id: socket.id,
    rooms,
    data: socket.data,
    auth,
    issued,
    recovered: socket.recovered,
  };
  if (socket.pid !== undefined) record.pid = socket.pid;
  return record;
}

/**
 * Rebuilds the Client of a restored engine session and its sockets, in their rooms, without running any
 * app code: call `announceRestored` once every connection is back, so listeners see the whole object.
 * A record for a namespace that no longer exists (a dynamic one its matcher now refuses) is dropped.
 */
export async function restoreClient(
  server: AnyServer,
  conn: EngineSocket,
  records: readonly SocketRecord[],
): Promise<{ client: Client; sockets: AnySocket[] }> {
  const client = new Client(server, conn);
  const sockets: AnySocket[] = [];
  for (const record of records) {
    const nsp = await server._namespaceFor(record.nsp, record.auth);
    if (!nsp || conn.readyState !== "open") continue;
    // the constructor's "previous session" path sets id, pid and data; the flags are then set as they were
    const socket: AnySocket = new Socket(nsp, client, record.auth, {
      sid: record.id,
      pid: record.pid as string,
      rooms: record.rooms,
      data: record.data,
      missedPackets: [],
    }, record.issued);
    socket.recovered = record.recovered;
    socket.restored = true;
    socket.connected = true;
    nsp.sockets.set(socket.id, socket);
    client._addSocket(socket);
    await socket.join([socket.id, ...record.rooms]);
    socket._attachTopics();
    sockets.push(socket);
  }
  return { client, sockets };
}

/** Runs the namespaces' connection listeners for restored sockets; one that throws does not stop the rest. */
export function announceRestored(sockets: readonly AnySocket[]): void {
  for (const socket of sockets) {
    if (!socket.connected) continue;
    try {
      socket.nsp._emit("connect", socket);
      socket.nsp._emit("connection", socket);
    } catch (err) {
      socket.nsp.server.logger.error("uncaught error in a connection listener of a restored socket", err);
    }
  }
}
