// End-to-end: the chat example (examples/chat) in a real Chromium, talking to
// Portio through the official socket.io browser client.
//
// Needs Chromium at /usr/bin/chromium (Debian package `chromium`), or at
// $CHROMIUM_PATH. A missing browser is a failure, not a skip: CI installs it.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { type Browser, chromium, type Page } from "playwright-core";
import { type ChatServer, startChat } from "../../examples/chat/start.ts";

/** The page exposes its socket.io client as `window.socket`. */
type ChatWindow = Window & {
  socket?: {
    emit(...args: unknown[]): void;
    io: { engine?: { close(): void; transport?: { name?: string } } };
  };
};

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const TIMEOUT = 10_000;

/** Waits until `selector`'s textContent equals `expected`; fails with the actual text. */
async function expectText(page: Page, selector: string, expected: string): Promise<void> {
  try {
    await page.waitForFunction(
      ({ selector, expected }) => document.querySelector(selector)?.textContent === expected,
      { selector, expected },
      { timeout: TIMEOUT },
    );
  } catch {
    const actual = await page.evaluate((s) => document.querySelector(s)?.textContent ?? null, selector);
    assert.fail(`${selector}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
}

/** Waits until the list items under `selector` have exactly these texts. */
async function expectItems(page: Page, selector: string, expected: string[]): Promise<void> {
  try {
    await page.waitForFunction(
      ({ selector, expected }) =>
        JSON.stringify(Array.from(document.querySelectorAll(selector), (n) => n.textContent)) ===
          JSON.stringify(expected),
      { selector, expected },
      { timeout: TIMEOUT },
    );
  } catch {
    const actual = await page.locator(selector).allTextContents();
    assert.fail(`${selector}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
}

/** Texts of the chat messages (not system notes) shown on the page. */
function messages(page: Page): Promise<string[]> {
  return page.locator("#messages li.msg .bubble").allTextContents();
}

describe("chat example in Chromium", () => {
  let chat: ChatServer | undefined;
  let browser: Browser | undefined;
  const pageErrors: string[] = [];
  const pages: Record<"alice" | "bob" | "carol", Page | undefined> = {
    alice: undefined,
    bob: undefined,
    carol: undefined,
  };

  function page(who: keyof typeof pages): Page {
    const p = pages[who];
    if (p === undefined) throw new Error(`page ${who} was not opened (see the before hook error)`);
    return p;
  }

  async function open(who: keyof typeof pages): Promise<Page> {
    assert.ok(browser && chat);
    // One context per user: separate cookies/storage, like separate browsers.
    const context = await browser.newContext({ viewport: { width: 900, height: 640 } });
    const p = await context.newPage();
    p.setDefaultTimeout(TIMEOUT);
    p.on("pageerror", (err) => pageErrors.push(`${who}: ${err.message}`));
    p.on("console", (msg) => {
      if (msg.type() === "error") pageErrors.push(`${who} console: ${msg.text()}`);
    });
    await p.goto(chat.url);
    pages[who] = p;
    return p;
  }

  async function join(p: Page, name: string, room: string): Promise<void> {
    await p.fill("#name", name);
    await p.fill("#room", room);
    await p.click("#join");
    await p.locator("#text:enabled").waitFor();
  }

  before(
    async () => {
      if (!existsSync(CHROMIUM)) {
        throw new Error(
          `Chromium not found at ${CHROMIUM}. Install it (Debian: apt-get install -y chromium) ` +
            `or set CHROMIUM_PATH. This test fails instead of skipping on purpose.`,
        );
      }
      chat = await startChat({ port: 0, hostname: "127.0.0.1" });
      assert.ok(chat.port > 0, `bound port should be a real port, got ${chat.port}`);
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [
          "--no-sandbox",
          "--disable-gpu",
          "--disable-quic",
          "--no-first-run",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
        ],
      });
      await Promise.all([open("alice"), open("bob"), open("carol")]);
    },
    { timeout: 60_000 },
  );

  after(
    async () => {
      // Close the browser first so the server has no live connections left.
      await browser?.close().catch((err: unknown) => console.error("browser.close failed:", err));
      await chat?.close();
    },
    { timeout: 30_000 },
  );

  it("serves the page and the client bundle, and connects", async () => {
    for (const who of ["alice", "bob", "carol"] as const) {
      await expectText(page(who), "#status", "connected");
    }
    assert.ok(chat);
    const res = await fetch(`${chat.url}/socket.io.min.js`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /javascript/);
    assert.match(await res.text(), /Manager/);
  });

  it("upgrades the browser connection to WebSocket", async () => {
    const p = page("alice");
    const transport = () => (window as ChatWindow).socket?.io.engine?.transport?.name ?? null;
    await p
      .waitForFunction(() => (window as ChatWindow).socket?.io.engine?.transport?.name === "websocket", undefined, {
        timeout: TIMEOUT,
      })
      .catch(() => {}); // reported by the assertion below, with the actual transport
    assert.equal(await p.evaluate(transport), "websocket");
  });

  it("joins rooms and lists members", async () => {
    await join(page("alice"), "alice", "lobby");
    await join(page("bob"), "bob", "lobby");
    await join(page("carol"), "carol", "other");

    await expectItems(page("alice"), "#members li", ["alice", "bob"]);
    await expectItems(page("bob"), "#members li", ["alice", "bob"]);
    await expectItems(page("carol"), "#members li", ["carol"]);
    await page("alice").locator("#messages li.system", { hasText: "bob joined" }).waitFor();
  });

  it("shows the typing indicator to the other member while typing", async () => {
    await page("alice").locator("#text").pressSequentially("hello from", { delay: 20 });
    await expectText(page("bob"), "#typing", "alice is typing…");
    await expectText(page("alice"), "#typing", "");
    await expectText(page("carol"), "#typing", "");
  });

  it("delivers a message to everybody in the room", async () => {
    await page("alice").locator("#text").pressSequentially(" alice");
    await page("alice").click("#send");

    await page("bob").locator("#messages li.msg", { hasText: "hello from alice" }).waitFor();
    await page("alice").locator("#messages li.msg.mine", { hasText: "hello from alice" }).waitFor();
    assert.equal(await page("alice").inputValue("#text"), "");
    // Sending ends the typing indicator.
    await expectText(page("bob"), "#typing", "");

    await page("bob").fill("#text", "hi alice, bob here");
    await page("bob").press("#text", "Enter");
    await page("alice").locator("#messages li.msg", { hasText: "hi alice, bob here" }).waitFor();
    assert.deepEqual(await messages(page("alice")), ["hello from alice", "hi alice, bob here"]);
    assert.deepEqual(await messages(page("bob")), ["hello from alice", "hi alice, bob here"]);
  });

  it("does not leak messages to other rooms", async () => {
    // Carol's own message comes back after anything the server sent her
    // earlier, so once she sees it, a leaked lobby message would be there too.
    await page("carol").fill("#text", "anyone in other?");
    await page("carol").click("#send");
    await page("carol").locator("#messages li.msg", { hasText: "anyone in other?" }).waitFor();
    assert.deepEqual(await messages(page("carol")), ["anyone in other?"]);

    await page("bob").fill("#text", "ping lobby");
    await page("bob").click("#send");
    await page("alice").locator("#messages li.msg", { hasText: "ping lobby" }).waitFor();
    await page("bob").locator("#messages li.msg", { hasText: "ping lobby" }).waitFor();
    assert.deepEqual(await messages(page("alice")), ["hello from alice", "hi alice, bob here", "ping lobby"]);
    assert.deepEqual(await messages(page("carol")), ["anyone in other?"]);
  });

  it("rejects an over-long message with an error", async () => {
    // Bypass the input's maxlength: the server must validate on its own.
    const reply = await page("carol").evaluate(
      () =>
        new Promise((resolve) => {
          (window as ChatWindow).socket?.emit("message", "x".repeat(1001), resolve);
        }),
    );
    assert.ok(reply && typeof reply === "object" && "error" in reply, `expected {error}, got ${JSON.stringify(reply)}`);
  });

  it("is usable at phone width (390 px): no horizontal scroll, every control on screen", async () => {
    assert.ok(browser && chat);
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    try {
      const p = await context.newPage();
      p.setDefaultTimeout(TIMEOUT);
      await p.goto(chat.url);
      const fits = async (when: string) => {
        const { scroll, width } = await p.evaluate(() => ({
          scroll: document.documentElement.scrollWidth,
          width: document.documentElement.clientWidth,
        }));
        assert.ok(scroll <= width, `${when}: the page is ${scroll} px wide in a ${width} px viewport`);
        for (const id of ["#name", "#room", "#join", "#text", "#send"]) {
          const box = await p.locator(id).boundingBox();
          assert.ok(box, `${when}: ${id} is not displayed`);
          assert.ok(
            box.x >= 0 && box.x + box.width <= width && box.width >= 24,
            `${when}: ${id} at ${JSON.stringify(box)}`,
          );
        }
      };
      await fits("before joining");
      await join(p, "dana-with-a-rather-long-name", "a-room-with-a-long-name-too");
      await p.fill("#text", "a-very-long-word-without-any-spaces-".repeat(6));
      await p.click("#send");
      await p.locator("#messages li.msg.mine").waitFor();
      await fits("after joining and a long message");
    } finally {
      await context.close();
    }
  });

  it("stays connected without page errors", async () => {
    for (const who of ["alice", "bob", "carol"] as const) {
      await expectText(page(who), "#status", "connected");
    }
    assert.deepEqual(pageErrors, []);
  });

  it("recovers the session after the connection drops (connectionStateRecovery)", async () => {
    const alice = page("alice");
    // Kill alice's transport, as a network blip would; the client reconnects by itself.
    await alice.evaluate(() => (window as ChatWindow).socket?.io.engine?.close());
    // While alice is away, bob talks; the recovered session must replay it.
    await page("bob").fill("#text", "did you miss me?");
    await page("bob").click("#send");
    await page("bob").locator("#messages li.msg", { hasText: "did you miss me?" }).waitFor();

    await expectText(alice, "#status", "recovered");
    await alice.locator("#messages li.msg", { hasText: "did you miss me?" }).waitFor();
    // Still in the room (rooms and socket.data came back): she can talk without joining again.
    await alice.fill("#text", "back again");
    await alice.click("#send");
    await page("bob").locator("#messages li.msg", { hasText: "back again" }).waitFor();
    await expectItems(page("bob"), "#members li", ["alice", "bob"]);
    assert.deepEqual(pageErrors, []);
  });
});
