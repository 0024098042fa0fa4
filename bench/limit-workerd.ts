/**
 * workerd's physical limit for the shared bench (../../shared/bench/README.md, "The bench-server contract"):
 * the least a Worker must do to serve it from one Durable Object that holds every connection with the
 * WebSocket Hibernation API (`ctx.acceptWebSocket`, `webSocketMessage`), as Portio's Worker does.
 * Not a Socket.IO implementation, same shortcuts as the shared limit-bun.ts: namespace "/" only, WebSocket
 * transport only (the generator's `polling` scenario is refused: n/a for this server), no binary, no pong
 * timeouts, and no pings either (the contract allows a server not to ping; a ping timer would keep the
 * object from hibernating, and Portio's pings ride a storage alarm only every PING_INTERVAL).
 * A socket's rooms live in its attachment, so the object survives hibernation like Portio's: the
 * constructor rebuilds the room index from the attachments (bench/wake.mjs measures that wake).
 * Bundled by bench/build.mjs, run by bench/workerd-server.mjs: PORT=3999 node bench/workerd-server.mjs limit
 */
type Env = { BENCH: DurableObjectNamespace; PING_INTERVAL?: string; PING_TIMEOUT?: string };

const PATH = "/socket.io/";
const MAX_PAYLOAD = 1000000;
const bad = (message: string) => Response.json({ code: 3, message }, { status: 400 });

export class BenchObject implements DurableObject {
  readonly #ctx: DurableObjectState;
  readonly #open: string;
  readonly #sidPrefix = Math.random().toString(36).slice(2, 10);
  #sidCounter = 0;
  readonly #rooms = new Map<string, Set<WebSocket>>();
  /** what the last start rebuilt (the `start` event: bench/wake.mjs) */
  readonly #start: { sockets: number; ms: number };

  constructor(ctx: DurableObjectState, env: Env) {
    this.#ctx = ctx;
    const interval = Number(env.PING_INTERVAL ?? 25000);
    const timeout = Number(env.PING_TIMEOUT ?? 20000);
    this.#open = `","upgrades":[],"pingInterval":${interval},"pingTimeout":${timeout},"maxPayload":${MAX_PAYLOAD}}`;
    const t0 = Date.now();
    const sockets = ctx.getWebSockets();
    for (const ws of sockets) {
      for (const room of (ws.deserializeAttachment() as string[] | null) ?? []) this.#members(room).add(ws);
    }
    this.#start = { sockets: sockets.length, ms: Date.now() - t0 };
  }

  #sid(): string {
    return this.#sidPrefix + (this.#sidCounter++).toString(36);
  }

  #members(room: string): Set<WebSocket> {
    let set = this.#rooms.get(room);
    if (!set) this.#rooms.set(room, set = new Set());
    return set;
  }

  fetch(): Response {
    const pair = new WebSocketPair();
    const ws = pair[1];
    this.#ctx.acceptWebSocket(ws);
    ws.send(`0{"sid":"${this.#sid()}${this.#open}`);
    return new Response(null, { status: 101, webSocket: pair[0] });
  }

  webSocketMessage(ws: WebSocket, s: string | ArrayBuffer): void {
    if (typeof s !== "string") return;
    const c0 = s.charCodeAt(0);
    if (c0 === 52) {
      const c1 = s.charCodeAt(1);
      if (c1 === 50) return this.#event(ws, s);
      if (c1 === 48) {
        if (s.length > 2 && s.charCodeAt(2) === 47) {
          const comma = s.indexOf(",");
          return ws.send(`44${s.slice(2, comma > 0 ? comma : undefined)},{"message":"Invalid namespace"}`);
        }
        return ws.send(`40{"sid":"${this.#sid()}"}`);
      }
      if (c1 === 49) return this.#leaveAll(ws);
      return;
    }
    if (c0 === 49) ws.close(1000, "");
  }

  webSocketClose(ws: WebSocket): void {
    this.#leaveAll(ws);
  }

  webSocketError(ws: WebSocket): void {
    this.#leaveAll(ws);
  }

  #leaveAll(ws: WebSocket): void {
    for (const room of (ws.deserializeAttachment() as string[] | null) ?? []) this.#rooms.get(room)?.delete(ws);
  }

  #event(ws: WebSocket, s: string): void {
    let i = 2, id = -1;
    for (let c = s.charCodeAt(i); c >= 48 && c <= 57; c = s.charCodeAt(++i)) id = (id < 0 ? 0 : id * 10) + (c - 48);
    let args: unknown;
    try {
      args = JSON.parse(s.slice(i));
    } catch {
      return ws.close(1003, "");
    }
    if (!Array.isArray(args) || typeof args[0] !== "string") return ws.close(1003, "");
    switch (args[0]) {
      case "join": {
        const room = String(args[1]);
        const rooms = (ws.deserializeAttachment() as string[] | null) ?? [];
        if (!rooms.includes(room)) ws.serializeAttachment([...rooms, room]);
        this.#members(room).add(ws);
        if (id >= 0) ws.send(`43${id}[]`);
        return;
      }
      case "bcast": {
        const frame = `42["msg",${JSON.stringify(args[2])}]`;
        for (const m of this.#rooms.get(String(args[1])) ?? []) m.send(frame);
        return;
      }
      case "echo":
        if (id >= 0) ws.send(`43${id}[${JSON.stringify(args[1])}]`);
        return;
      case "start":
        if (id >= 0) ws.send(`43${id}[${JSON.stringify(this.#start)}]`);
        return;
    }
  }
}

export default {
  fetch(req: Request, env: Env): Response | Promise<Response> {
    const url = new URL(req.url);
    if (url.pathname !== PATH) return new Response(null, { status: 404 });
    if (url.searchParams.get("EIO") !== "4") return bad("Unsupported protocol version");
    if (url.searchParams.get("transport") !== "websocket") return bad("the limit Worker serves WebSocket only");
    if (url.searchParams.get("sid")) return bad("upgrade not supported by the limit server");
    if (req.headers.get("upgrade")?.toLowerCase() !== "websocket") return bad("WebSocket upgrade expected");
    return env.BENCH.get(env.BENCH.idFromName("default")).fetch(req);
  },
};
