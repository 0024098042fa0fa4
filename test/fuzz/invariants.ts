/**
 * The checks between cases: the server process is alive, a long-lived official client connected before the
 * run still gets its acks, a fresh official client connects and gets an ack, and at the end every session,
 * socket, namespace and room the cases made is gone and the heap is back near its baseline.
 */
import { io as ioc, type Socket } from "socket.io-client";

export interface Census {
  sessions: number;
  sockets: number;
  nsps: number;
  rooms: number;
  heap: number | null;
  rss: number | null;
  /** the namespaces, as `<server path><namespace>` */
  names: string[];
}

/** An official client (websocket or polling) that must connect and echo within `ms`. */
export async function officialClient(url: string, polling = false, ms = 8000): Promise<Socket> {
  const socket = ioc(url, {
    forceNew: true,
    reconnection: false,
    timeout: ms,
    transports: polling ? ["polling"] : ["websocket"],
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("official client did not connect")), ms);
    socket.once("connect", () => (clearTimeout(timer), resolve()));
    socket.once("connect_error", (err) => (clearTimeout(timer), reject(err)));
  }).catch((err) => {
    socket.close();
    throw err;
  });
  return socket;
}

export async function echoes(socket: Socket, what: string, ms = 8000): Promise<void> {
  const got = await socket.timeout(ms).emitWithAck("echo", what);
  if (got !== what) throw new Error(`${what}: bad echo ${JSON.stringify(got)}`);
}

/** A fresh official client (alternating transports) connects and gets its ack, then leaves. */
export async function freshClient(url: string, polling: boolean): Promise<void> {
  const socket = await officialClient(url, polling);
  try {
    await echoes(socket, `fresh ${polling ? "polling" : "websocket"} client`);
  } finally {
    socket.close();
  }
}

export function census(observer: Socket): Promise<Census> {
  return observer.timeout(8000).emitWithAck("census") as Promise<Census>;
}

/** Waits until what the server holds is back to `base` (sessions, sockets, namespaces, rooms). */
export async function settle(observer: Socket, base: Census, ms: number): Promise<Census> {
  const deadline = Date.now() + ms;
  for (;;) {
    const now = await census(observer);
    const back = now.sessions <= base.sessions && now.sockets <= base.sockets && now.nsps <= base.nsps &&
      now.rooms <= base.rooms;
    if (back || Date.now() > deadline) return now;
    await new Promise((r) => setTimeout(r, 200));
  }
}
