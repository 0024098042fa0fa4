/**
 * Browser clients in Chromium against the Node entry (`new Server(httpServer, { allowEIO3 })`):
 * - the page loads socket.io's client from Portio itself (`/socket.io/socket.io.min.js`, `serveClient`);
 * - socket.io-client 2.x (Engine.IO v3) in the browser, where XHR2 makes it send binary polling payloads
 *   as `application/octet-stream` (Node's v2 client sends base64 text instead).
 * Needs Chromium at /usr/bin/chromium or $CHROMIUM_PATH, as browser.test.ts.
 */
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { existsSync, readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { type Browser, chromium } from "playwright-core";
import { Server } from "portio";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const V2_CLIENT = readFileSync("node_modules/socket.io-client-v2/dist/socket.io.js");

const page = (script: string) =>
  `<!doctype html><meta charset="utf-8"><script src="${script}"></script><p id="out">…</p>`;

describe("browser clients (Chromium)", () => {
  let browser: Browser | undefined;
  let io: Server | undefined;
  let base = "";
  const contentTypes: string[] = [];

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM} (see browser.test.ts)`);
    const http = createServer((req, res) => {
      if (req.url === "/v4.html") return res.end(page("/socket.io/socket.io.min.js"));
      if (req.url === "/v2.html") return res.end(page("/client-v2.js"));
      if (req.url === "/client-v2.js") return res.end(V2_CLIENT);
      res.statusCode = 404;
      res.end();
    });
    io = new Server(http, { allowEIO3: true });
    // what the browser posts: a v2 client with binary in its packets sends a binary payload
    io.engine.use((req: { method: string; headers: Record<string, string> }, _res: unknown, next: () => void) => {
      if (req.method === "POST") contentTypes.push(req.headers["content-type"] ?? "");
      next();
    });
    io.on("connection", (socket) => {
      socket.on("echo", (...args: unknown[]) => (args.pop() as (...a: unknown[]) => void)(...args));
    });
    await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu"] });
  }, { timeout: 60_000 });

  after(async () => {
    await browser?.close();
    await io?.close();
  });

  /** Connects `io(base, opts)` in the page, echoes text + bytes, reports what came back and the transport. */
  async function roundTrip(path: string, opts: Record<string, unknown>) {
    const p = await browser!.newPage();
    const errors: string[] = [];
    p.on("pageerror", (e) => errors.push(e.message));
    await p.goto(base + path);
    const result = await p.evaluate(
      (opts) =>
        new Promise<{ text: string; bytes: number[]; transport: string }>((resolve, reject) => {
          // deno-lint-ignore no-explicit-any -- the page-side client object of either client version
          const w = window as unknown as { io: (opts: unknown) => any };
          const socket = w.io({ ...opts, reconnection: false });
          socket.on("connect_error", (e: Error) => reject(new Error("connect_error " + e.message)));
          socket.on("error", (e: unknown) => reject(new Error("error " + String(e))));
          socket.on("connect", async () => {
            // with both transports, the echo is sent after the upgrade, so the answer names the final transport
            const want = (opts.transports as string[]).at(-1);
            while (socket.io.engine.transport.name !== want) await new Promise((r) => setTimeout(r, 20));
            // an ArrayBuffer: socket.io-client 2.x does not detect typed arrays as binary
            socket.emit(
              "echo",
              "hé",
              new Uint8Array([1, 2, 255]).buffer,
              async (text: string, bytes: ArrayBuffer | Blob) => {
                // the v2 client hands binary over as a Blob or an ArrayBuffer, depending on its binaryType
                const buf = bytes instanceof Blob ? await bytes.arrayBuffer() : bytes;
                resolve({ text, bytes: [...new Uint8Array(buf)], transport: socket.io.engine.transport.name });
                socket.close();
              },
            );
          });
          setTimeout(() => reject(new Error("timed out")), 8000);
        }),
      opts,
    );
    await p.close();
    assert.deepEqual(errors, []);
    return result;
  }

  it("the page loads socket.io-client from Portio (serveClient) and connects over polling and WebSocket", async () => {
    for (const transports of [["polling"], ["websocket"], ["polling", "websocket"]]) {
      const r = await roundTrip("/v4.html", { transports });
      assert.deepEqual(r, { text: "hé", bytes: [1, 2, 255], transport: transports.at(-1) }, String(transports));
    }
  });

  it("socket.io-client 2.x in the browser: binary polling payloads, WebSocket, upgrade (allowEIO3)", async () => {
    contentTypes.length = 0;
    const polling = await roundTrip("/v2.html", { transports: ["polling"] });
    assert.deepEqual(polling, { text: "hé", bytes: [1, 2, 255], transport: "polling" });
    assert.ok(
      contentTypes.some((t) => t.startsWith("application/octet-stream")),
      `a binary payload was posted: ${contentTypes}`,
    );
    for (const transports of [["websocket"], ["polling", "websocket"]]) {
      const r = await roundTrip("/v2.html", { transports });
      assert.deepEqual(r, { text: "hé", bytes: [1, 2, 255], transport: "websocket" }, String(transports));
    }
  });
});
