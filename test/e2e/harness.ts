/**
 * Shared e2e plumbing: start a fixture as a real process, connect official clients, speak the raw protocol
 * for the bad-input cases. Runtime-neutral: a runner only says how to start the fixture.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { io as ioc, type ManagerOptions, type Socket as ClientSocket, type SocketOptions } from "socket.io-client";
import WebSocket from "ws";
import { readFileSync } from "node:fs";
import { runInNewContext } from "node:vm";

export interface Target {
  name: string;
  /** http://127.0.0.1:<port> */
  url: string;
  /** stderr of the fixture so far (for failure messages) */
  logs(): string;
  /** behaviours this runtime cannot have, by key, with the reason (README's runtime table lists them) */
  knownDifferences: Record<string, string>;
  /** whether the process is still running (a crash is a test failure) */
  alive(): boolean;
  stop(): Promise<void>;
}

/** Starts `cmd` and waits for its `LISTENING <port>` line. */
export function startProcess(
  name: string,
  cmd: string[],
  env: Record<string, string> = {},
  knownDifferences: Record<string, string> = {},
): Promise<Target> {
  const child: ChildProcess = spawn(cmd[0]!, cmd.slice(1), {
    env: { ...process.env, PORT: "0", DENO_NO_UPDATE_CHECK: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  let exited = false;
  child.stderr!.on("data", (d) => (stderr += d));
  child.on("exit", () => (exited = true));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name}: fixture did not start in 30 s\n${stderr}`)), 30_000);
    let out = "";
    child.stdout!.on("data", (d) => {
      out += d;
      const m = /LISTENING (\d+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      resolve({
        name,
        url: `http://127.0.0.1:${m[1]}`,
        knownDifferences,
        logs: () => stderr,
        alive: () => !exited,
        stop: () =>
          new Promise<void>((done) => {
            if (exited) return done();
            child.once("exit", () => done());
            child.kill("SIGTERM");
            setTimeout(() => child.kill("SIGKILL"), 3000).unref();
          }),
      });
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${name}: fixture exited with ${code}\n${stderr}`));
    });
  });
}

export type Transports = Array<"polling" | "websocket" | "webtransport">;
export const TRANSPORT_MATRIX: Array<{ label: string; transports: Transports; upgrade?: boolean }> = [
  { label: "polling", transports: ["polling"] },
  { label: "websocket", transports: ["websocket"] },
  { label: "upgrade", transports: ["polling", "websocket"] },
];

/**
 * Transports that tests run one by one without an upgrade (recovery, socket.io parity): the WebTransport runner
 * (test/webtransport/suite.deno.ts) swaps them, as it swaps `TRANSPORT_MATRIX`.
 */
export const SINGLE_TRANSPORTS: Transports[] = [["websocket"], ["polling"]];

const open = new Set<ClientSocket>();

/**
 * Options every `client()` gets under the test's own: the WebTransport runner (test/webtransport) puts the
 * fixture certificate's hash here (`transportOptions.webtransport.serverCertificateHashes`).
 */
export const clientDefaults: Partial<ManagerOptions & SocketOptions> = {};

/** An official client, not auto-connecting until awaited with `connected()`. Closed by `closeClients()`. */
export function client(target: Target, nsp = "/", opts: Partial<ManagerOptions & SocketOptions> = {}): ClientSocket {
  const socket = ioc(target.url + nsp, {
    forceNew: true,
    reconnection: false,
    timeout: 5000,
    ...clientDefaults,
    ...opts,
  });
  open.add(socket);
  return socket;
}

export function closeClients(): void {
  for (const s of open) s.io.engine?.close(), s.close();
  open.clear();
}

export function once<T = unknown[]>(
  socket: { once(ev: string, fn: (...args: unknown[]) => void): unknown },
  ev: string,
  ms = 5000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for "${ev}"`)), ms);
    socket.once(ev, (...args: unknown[]) => {
      clearTimeout(timer);
      resolve(args as T);
    });
  });
}

export async function connected(socket: ClientSocket): Promise<ClientSocket> {
  if (socket.connected) return socket;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("client did not connect")), 5000);
    socket.once("connect", () => (clearTimeout(timer), resolve()));
    socket.once("connect_error", (err) => (clearTimeout(timer), reject(err)));
  });
  return socket;
}

/** The transport a client with `transports` ends on (after an upgrade, websocket or webtransport). */
export function finalTransport(transports: Transports): string {
  return transports.includes("websocket")
    ? "websocket"
    : transports.includes("webtransport")
    ? "webtransport"
    : "polling";
}

/** Resolves once the engine transport is the one wanted (see `finalTransport`). */
export async function settled(socket: ClientSocket, transports: Transports): Promise<void> {
  await connected(socket);
  const want = finalTransport(transports);
  if (socket.io.engine.transport.name === want) return;
  await once(socket.io.engine, "upgrade");
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Resolves with the first truthy value of `condition` (polled every 20 ms), or fails after `ms` naming `what`.
 * For outcomes that take a while: waiting for the condition itself, never for a guessed delay, keeps a test
 * both fast and stable on a busy machine.
 */
export async function waitFor<T>(
  condition: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  ms = 3000,
  what = "condition",
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await condition();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not met within ${ms} ms (last: ${JSON.stringify(value)})`);
    await sleep(20);
  }
}

/** One line of the fixture's server-side log (test/fixture/app.ts): a socket's disconnect and its reason. */
export interface LogEntry {
  nsp: string;
  /** the socket.io socket id */
  id: string;
  /** the Engine.IO session id (the `sid` of the open packet) */
  engine: string;
  event: string;
  reason?: string;
}

/** The fixture's log lines of one socket (by socket id or Engine.IO sid), once `until` holds (a first line). */
export async function logOf(
  target: Target,
  key: { id?: string; engine?: string },
  until: (mine: LogEntry[]) => boolean = (mine) => mine.length > 0,
  ms = 3000,
): Promise<LogEntry[]> {
  const observer = await connected(client(target, "/", { transports: ["websocket"] }));
  try {
    return await waitFor(
      async () => {
        const log = (await observer.timeout(2000).emitWithAck("log")) as LogEntry[];
        const mine = log.filter((e) =>
          (key.id === undefined || e.id === key.id) &&
          (key.engine === undefined || e.engine === key.engine)
        );
        return until(mine) ? mine : undefined;
      },
      ms,
      `a log line for ${JSON.stringify(key)}`,
    );
  } finally {
    observer.close();
  }
}

/** What the main server knows of one Engine.IO session (fixture event `engine-session`). */
export interface SessionState {
  found: boolean;
  transport?: string;
  /** a polling GET is parked, waiting for packets */
  parked?: boolean;
  /** a polling POST body is being read */
  posting?: boolean;
}

/** Waits until the main server sees `sid` in the state `want` (e.g. a parked GET), via an observer client. */
export async function waitForSession(
  target: Target,
  sid: string,
  want: (s: SessionState) => boolean,
  what: string,
  ms = 3000,
): Promise<SessionState> {
  const observer = await connected(client(target, "/", { transports: ["websocket"] }));
  try {
    return await waitFor(
      async () => {
        const s = (await observer.timeout(2000).emitWithAck("engine-session", sid)) as SessionState;
        return want(s) ? s : undefined;
      },
      ms,
      what,
    );
  } finally {
    observer.close();
  }
}

/** Collects `count` occurrences of `ev` on the client, or fails after `ms`. */
export function collect(socket: ClientSocket, ev: string, count: number, ms = 5000): Promise<unknown[][]> {
  return new Promise((resolve, reject) => {
    const got: unknown[][] = [];
    const timer = setTimeout(() => reject(new Error(`got ${got.length}/${count} "${ev}"`)), ms);
    const fn = (...args: unknown[]) => {
      got.push(args);
      if (got.length === count) {
        clearTimeout(timer);
        socket.off(ev, fn);
        resolve(got);
      }
    };
    socket.on(ev, fn);
  });
}

/** Whether `ev` arrives within `ms` (to prove something did NOT arrive). */
export function arrives(socket: ClientSocket, ev: string, ms = 300): Promise<boolean> {
  return new Promise((resolve) => {
    const fn = () => (clearTimeout(timer), resolve(true));
    const timer = setTimeout(() => (socket.off(ev, fn), resolve(false)), ms);
    socket.once(ev, fn);
  });
}

// ---- raw protocol clients (bad input) -------------------------------------------------------------------

export interface RawWs {
  ws: WebSocket;
  /** the Engine.IO session id, from the open packet */
  sid: string;
  /** headers of the 101 response */
  upgradeHeaders: Record<string, string | string[] | undefined>;
  messages: Array<string | Buffer>;
  closed: Promise<{ code: number; reason: string }>;
  isClosed(): boolean;
  next(): Promise<string | Buffer>;
}

/** A raw WebSocket with the Engine.IO handshake done (open packet received); answers pings. */
export async function rawWs(target: Target, path = "/socket.io/", query = "EIO=4&transport=websocket"): Promise<RawWs> {
  const ws = new WebSocket(`${target.url.replace("http", "ws")}${path}?${query}`);
  const messages: Array<string | Buffer> = [];
  const waiters: Array<(m: string | Buffer) => void> = [];
  let isClosed = false;
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.on("close", (code, reason) => {
      isClosed = true;
      resolve({ code, reason: reason.toString() });
    });
  });
  ws.on("error", () => {});
  ws.on("message", (data, isBinary) => {
    const m = isBinary ? (data as Buffer) : data.toString();
    if (m === "2") ws.send("3");
    const w = waiters.shift();
    if (w) w(m);
    else messages.push(m);
  });
  const r: RawWs = {
    ws,
    sid: "",
    upgradeHeaders: {},
    messages,
    closed,
    isClosed: () => isClosed,
    next: () => {
      const m = messages.shift();
      if (m !== undefined) return Promise.resolve(m);
      return new Promise((resolve, reject) => {
        const waiter = (x: string | Buffer) => (clearTimeout(t), resolve(x));
        const t = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1); // a late message must not go to a dead waiter
          reject(new Error("no message"));
        }, 5000);
        waiters.push(waiter);
      });
    },
  };
  await new Promise<void>((resolve, reject) => {
    ws.once("upgrade", (res) => (r.upgradeHeaders = res.headers));
    ws.once("open", () => resolve());
    ws.once("unexpected-response", (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    ws.once("error", reject);
  });
  const open = await r.next();
  if (typeof open !== "string" || open[0] !== "0") throw new Error(`expected open packet, got ${String(open)}`);
  r.sid = JSON.parse(open.slice(1)).sid;
  return r;
}

/** Resolves true when the socket closes within `ms`. */
export function closesWithin(r: RawWs, ms = 3000): Promise<boolean> {
  return Promise.race([r.closed.then(() => true), sleep(ms).then(() => false)]);
}

export interface RawPolling {
  sid: string;
  url: string;
  get(): Promise<Response>;
  post(body: BodyInit, headers?: Record<string, string>): Promise<Response>;
}

/** A raw polling session: handshake done. */
export async function rawPolling(target: Target, path = "/socket.io/"): Promise<RawPolling> {
  const res = await fetch(`${target.url}${path}?EIO=4&transport=polling`);
  const text = await res.text();
  if (text[0] !== "0") throw new Error(`bad handshake: ${res.status} ${text}`);
  const sid = JSON.parse(text.slice(1)).sid as string;
  const url = `${target.url}${path}?EIO=4&transport=polling&sid=${encodeURIComponent(sid)}`;
  return {
    sid,
    url,
    get: () => fetch(url, { signal: AbortSignal.timeout(5000) }),
    post: (body, headers = {}) =>
      fetch(
        url,
        {
          method: "POST",
          body,
          headers: { "content-type": "text/plain;charset=UTF-8", ...headers },
          duplex: "half",
        } as RequestInit,
      ),
  };
}

/**
 * True when the polling session is gone within `ms`: a GET answers 400 (unknown sid) or delivers a close
 * packet. Pings are answered meanwhile, so a live session cannot pass by dying of "ping timeout".
 */
export async function pollingClosed(p: RawPolling, ms = 3000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    let res: Response;
    try {
      res = await fetch(p.url, { signal: AbortSignal.timeout(Math.max(1, deadline - Date.now())) });
    } catch (err) {
      // the GET stayed parked until the deadline: the session is alive
      if ((err as Error).name === "TimeoutError" || Date.now() >= deadline) return false;
      // a pooled connection the server closed after its previous answer (workerd does after a 413 on a
      // chunked body): a network error says nothing about the session, so ask again on a new connection
      await new Promise((r) => setTimeout(r, 20));
      continue;
    }
    const body = await res.text();
    if (res.status === 400) return true;
    if (res.status !== 200) throw new Error(`unexpected GET status ${res.status}: ${body}`);
    const packets = body.split("\x1e");
    if (packets.includes("1")) return true;
    if (packets.includes("2")) await p.post("3").then((r) => r.text(), () => "");
  }
  return false;
}

/** The post-condition of every bad-input test: a fresh official client still connects and gets an ack. */
export async function freshClientWorks(
  target: Target,
  nsp = "/",
  opts: Partial<ManagerOptions & SocketOptions> = {},
): Promise<void> {
  if (!target.alive()) throw new Error(`fixture died:\n${target.logs()}`);
  const c = await connected(client(target, nsp, opts));
  const echo = await c.timeout(3000).emitWithAck("echo", "still here");
  c.close();
  if (echo !== "still here") throw new Error(`bad echo ${String(echo)}`);
}

/**
 * What an example serves as the Socket.IO client bundle must be the real thing: 200, a JavaScript content
 * type, the banner of the socket.io-client version installed here, and a script that, run on its own in an
 * empty context, defines the browser global `io` with `Manager` and `Socket` (what `<script src>` gives a page).
 */
export async function assertClientBundle(res: Response): Promise<void> {
  const body = await res.text();
  if (res.status !== 200) throw new Error(`client bundle: status ${res.status}`);
  const type = res.headers.get("content-type") ?? "";
  if (!/^(text|application)\/javascript\b/.test(type)) throw new Error(`client bundle: content-type "${type}"`);
  const { version } = JSON.parse(readFileSync("node_modules/socket.io-client/package.json", "utf8"));
  if (!body.startsWith(`/*!\n * Socket.IO v${version}\n`)) {
    throw new Error(`client bundle: no socket.io-client v${version} banner: ${JSON.stringify(body.slice(0, 60))}`);
  }
  const context: { io?: { (): unknown; Manager?: unknown; Socket?: unknown } } = {};
  runInNewContext(body, context);
  if (typeof context.io !== "function" || typeof context.io.Manager !== "function") {
    throw new Error("client bundle: running it does not define io() with io.Manager");
  }
}
