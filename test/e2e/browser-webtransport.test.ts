// End-to-end: the WebTransport chat example (examples/webtransport, Deno with --unstable-net) in a real
// Chromium. One page chats over WebTransport (the certificate pinned by `serverCertificateHashes`), one
// upgrades from polling to WebTransport, one uses WebSocket; all in one room.
//
// Needs Chromium at /usr/bin/chromium (or $CHROMIUM_PATH); a missing browser is a failure. Unlike the other
// browser test, Chromium runs without --disable-quic: WebTransport is HTTP/3, over QUIC.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { type Browser, chromium, type Page } from "playwright-core";
import { startProcess, type Target } from "./harness.ts";

type ChatWindow = Window & { socket?: { connected: boolean; io: { engine?: { transport?: { name?: string } } } } };

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const TIMEOUT = 10_000;

describe("WebTransport chat example in Chromium", () => {
  let server: Target | undefined;
  let browser: Browser | undefined;
  const errors: string[] = [];
  const pages: Record<string, Page> = {};

  async function open(who: string, transports: string): Promise<Page> {
    assert.ok(browser && server);
    const context = await browser.newContext();
    const p = await context.newPage();
    p.setDefaultTimeout(TIMEOUT);
    p.on("pageerror", (err) => errors.push(`${who}: ${err.message}`));
    await p.goto(`${server.url}/?transports=${transports}`);
    pages[who] = p;
    return p;
  }

  async function transportOf(p: Page, want: string): Promise<string | null> {
    const name = () => (window as ChatWindow).socket?.io.engine?.transport?.name ?? null;
    await p.waitForFunction((w) => (window as ChatWindow).socket?.io.engine?.transport?.name === w, want, {
      timeout: TIMEOUT,
    }).catch(() => {}); // reported by the caller's assertion, with the actual transport
    return p.evaluate(name);
  }

  async function join(p: Page, name: string): Promise<void> {
    await p.fill("#name", name);
    await p.fill("#room", "lobby");
    await p.click("#join");
    await p.locator("#text:enabled").waitFor();
  }

  before(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install -y chromium)`);
    server = await startProcess(
      "webtransport-example",
      ["node_modules/.bin/deno", "run", "-A", "--unstable-net", "--no-check", "examples/webtransport/server.ts"],
      { HOST: "127.0.0.1" },
    );
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-sync"],
    });
    await open("alice", "webtransport");
    await open("bob", "websocket");
    await open("carol", "polling,webtransport");
  }, { timeout: 60_000 });

  after(async () => {
    await browser?.close().catch(() => {});
    await server?.stop();
  }, { timeout: 30_000 });

  it("connects over WebTransport, over WebSocket, and upgrades polling to WebTransport", async () => {
    assert.equal(await transportOf(pages.alice!, "webtransport"), "webtransport");
    assert.equal(await transportOf(pages.bob!, "websocket"), "websocket");
    assert.equal(await transportOf(pages.carol!, "webtransport"), "webtransport");
  });

  it("chats in one room across the transports", async () => {
    await join(pages.alice!, "alice");
    await join(pages.bob!, "bob");
    await join(pages.carol!, "carol");
    await pages.alice!.fill("#text", "hello over webtransport");
    await pages.alice!.click("#send");
    await pages.bob!.locator("#messages li.msg", { hasText: "hello over webtransport" }).waitFor();
    await pages.carol!.locator("#messages li.msg", { hasText: "hello over webtransport" }).waitFor();
    await pages.bob!.fill("#text", "hi from websocket");
    await pages.bob!.press("#text", "Enter");
    await pages.alice!.locator("#messages li.msg", { hasText: "hi from websocket" }).waitFor();
    await pages.carol!.locator("#messages li.msg", { hasText: "hi from websocket" }).waitFor();
    const members = await pages.alice!.locator("#members li").allTextContents();
    assert.deepEqual(members.sort(), ["alice", "bob", "carol"]);
    assert.equal(await transportOf(pages.alice!, "webtransport"), "webtransport", "alice stayed on WebTransport");
    assert.deepEqual(errors, []);
  });
});
