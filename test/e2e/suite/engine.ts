/** Engine.IO behaviour through the official client and raw HTTP: transports, upgrade, heartbeat, errors. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import WebSocket from "ws";
import type { Section } from "../suite.ts";
import {
  client,
  collect,
  connected,
  finalTransport,
  logOf,
  once,
  rawPolling,
  rawWs,
  settled,
  sleep,
  TRANSPORT_MATRIX,
  waitFor,
  waitForSession,
} from "../harness.ts";

/** A raw WebSocket for an upgrade (no open packet is sent on an upgrade). */
async function rawWsNoOpen(target: { url: string }, query: string): Promise<WebSocket> {
  const ws = new WebSocket(`${target.url.replace("http", "ws")}/socket.io/?${query}`);
  ws.on("error", () => {});
  await once(ws, "open");
  return ws;
}

const section: Section = (target) => {
  describe("engine", () => {
    for (const { label, transports } of TRANSPORT_MATRIX) {
      it(`connects and exchanges over ${label}`, async () => {
        const c = client(target(), "/", { transports });
        await settled(c, transports);
        assert.equal(c.io.engine.transport.name, finalTransport(transports));
        assert.equal(await c.timeout(3000).emitWithAck("echo", "hi", 42, { a: [1] }), "hi");
      });
    }

    it("the app's own routes are served next to Portio's paths", async () => {
      const res = await fetch(`${target().url}/hello`);
      assert.equal(res.status, 200);
      assert.equal(await res.text(), "app route");
      assert.equal((await fetch(`${target().url}/missing`)).status, 404);
    });

    it("handshake open packet carries sid, upgrades, pingInterval, pingTimeout, maxPayload", async () => {
      const res = await fetch(`${target().url}/socket.io/?EIO=4&transport=polling`);
      assert.equal(res.status, 200);
      const text = await res.text();
      assert.equal(text[0], "0");
      const open = JSON.parse(text.slice(1));
      assert.deepEqual(Object.keys(open).sort(), ["maxPayload", "pingInterval", "pingTimeout", "sid", "upgrades"]);
      assert.deepEqual(open.upgrades, ["websocket"]);
      assert.equal(open.pingInterval, 1000);
      assert.equal(open.pingTimeout, 2000);
      assert.equal(open.maxPayload, 1e6);
      const ws = await rawWs(target());
      ws.ws.close();
    });

    it("polling payloads batch packets with \\x1e and carry binary as b+base64", async () => {
      const p = await rawPolling(target());
      const post = await p.post('40\x1e42["echo","a"]');
      assert.equal(post.status, 200);
      assert.equal(await post.text(), "ok");
      // CONNECT reply (+ the welcome event) arrive on the next GET
      const first = (await (await p.get()).text()).split("\x1e");
      assert.match(first[0]!, /^40\{"sid":"[^"]+","pid":"[^"]+"\}$/);
      // binary echo: placeholder packet + attachment as b<base64>
      await p.post(`451-1["echo",{"_placeholder":true,"num":0}]\x1ebAQID`);
      let body = "";
      for (let i = 0; i < 5 && !body.includes("bAQID"); i++) body += await (await p.get()).text();
      // deno-lint-ignore no-control-regex -- \x1e is the polling payload separator (engine.io spec)
      assert.match(body, /461-1\[\{"_placeholder":true,"num":0\}\]\x1ebAQID/);
    });

    it("upgrade keeps packet order across the switch", async () => {
      const c = client(target(), "/", { transports: ["polling", "websocket"] });
      const got = collect(c, "seq", 200, 8000);
      let upgradedAt = -1;
      let count = 0;
      c.on("seq", () => count++);
      c.io.on("open", () => c.io.engine.once("upgrade", () => (upgradedAt = count)));
      // the burst starts on the polling transport and goes on while the client probes and upgrades
      c.once("connect", () => c.emit("burst", 200));
      const seqs = (await got).map((a) => a[0]);
      assert.deepEqual(seqs, Array.from({ length: 200 }, (_, i) => i));
      assert.equal(c.io.engine.transport.name, "websocket");
      // the burst lasts ~80 event-loop turns: the switch happened while messages were still flowing
      assert.ok(upgradedAt >= 0 && upgradedAt < 150, `upgrade did not happen mid-burst (at ${upgradedAt})`);
    });

    it("server pings and the official client answers: the connection survives several intervals", async () => {
      const c = client(target(), "/", { path: "/limits/", transports: ["websocket"] });
      await connected(c);
      let pings = 0;
      c.io.engine.on("ping", () => pings++);
      await waitFor(() => pings >= 3, 2000, "three pings"); // pingInterval is 150 ms on /limits/
      assert.ok(c.connected);
    });

    // the log is shared by every test of the fixture process: each variant reads only its own session's line
    it(`a client that never answers pings is closed with "ping timeout" (websocket)`, async () => {
      const ws = await rawWs(target(), "/limits/");
      ws.ws.removeAllListeners("message"); // stop answering pings
      const got: string[] = [];
      ws.ws.on("message", (d) => got.push(String(d)));
      ws.ws.send("40");
      const closed = await Promise.race([ws.closed.then(() => true), sleep(2000).then(() => false)]);
      assert.ok(closed, "not closed after pingInterval + pingTimeout");
      assert.ok(got.includes("2"), `the server never pinged: ${JSON.stringify(got)}`);
      const mine = await logOf(target(), { engine: ws.sid });
      assert.deepEqual(mine.map((e) => e.reason), ["ping timeout"]);
    });

    it(`a client that never answers pings is closed with "ping timeout" (polling)`, async () => {
      const p = await rawPolling(target(), "/limits/");
      await p.post("40");
      // GET until the ping arrives (pingInterval is 150 ms on /limits/); never POST the pong
      const seen: string[] = [];
      while (!seen.includes("2")) {
        const res = await p.get();
        assert.equal(res.status, 200, `session ended before any ping: ${JSON.stringify(seen)}`);
        seen.push(...(await res.text()).split("\x1e"));
      }
      // the next GET parks; pingTimeout (150 ms) later the server ends the session: the parked GET delivers
      // a close packet, or, when the GET came too late, the sid is already unknown
      const res = await p.get();
      const body = await res.text();
      assert.ok(
        (res.status === 200 && body.split("\x1e").includes("1")) || res.status === 400,
        `session ${p.sid} not closed: ${res.status} ${body}`,
      );
      assert.equal((await p.get()).status, 400, "the session is gone after the close");
      const mine = await logOf(target(), { engine: p.sid });
      assert.deepEqual(mine.map((e) => e.reason), ["ping timeout"]);
    });

    it("a close packet over polling ends the session", async () => {
      const p = await rawPolling(target());
      const parked = p.get();
      await waitForSession(target(), p.sid, (s) => s.parked === true, "the GET parked");
      await p.post("1");
      // the parked GET is released with a noop (engine.io's behaviour, checked by the compliance suite)
      assert.equal(await (await parked).text(), "6");
      const res = await p.get();
      assert.equal(res.status, 400);
      assert.deepEqual(await res.json(), { code: 1, message: "Session ID unknown" });
    });

    it("errors follow the spec table", async () => {
      const base = `${target().url}/socket.io/`;
      const cases: Array<[string, RequestInit, number, number]> = [
        ["?EIO=4&transport=carrier-pigeon", {}, 400, 0],
        ["?EIO=4&transport=polling&sid=nope", {}, 400, 1],
        ["?EIO=4&transport=polling", { method: "POST", body: "x" }, 400, 2],
        ["?EIO=3&transport=polling", {}, 400, 5],
        ["?transport=polling", {}, 400, 5],
        ["?EIO=4&transport=websocket", {}, 400, 3],
      ];
      for (const [q, init, status, code] of cases) {
        const res = await fetch(base + q, init);
        assert.equal(res.status, status, q);
        const body = await res.json();
        assert.equal(body.code, code, q);
        assert.equal(typeof body.message, "string");
      }
      const denied = await fetch(`${target().url}/guarded/?EIO=4&transport=polling&deny=1`);
      assert.equal(denied.status, 403);
      assert.deepEqual(await denied.json(), { code: 4, message: "denied by allowRequest" });
    });

    it("a second WebSocket for an upgraded session is accepted, then closed; the session goes on", async () => {
      const p = await rawPolling(target());
      const q = `EIO=4&transport=websocket&sid=${encodeURIComponent(p.sid)}`;
      const first = await rawWsNoOpen(target(), q);
      first.send("2probe");
      await once(first, "message");
      first.send("5");
      const second = await rawWsNoOpen(target(), q);
      const [code] = await once<[number]>(second, "close");
      assert.equal(code, 1000);
      first.send("40");
      const [reply] = await once<[Buffer]>(first, "message");
      assert.match(String(reply), /^40\{"sid"/);
      first.close();
    });

    it("an upgrade that never completes is dropped after upgradeTimeout; polling goes on", async () => {
      const p = await rawPolling(target(), "/limits/"); // upgradeTimeout 300 ms there
      await p.post("40");
      // keep the polling session alive meanwhile (pingInterval is 150 ms on /limits/)
      let stop = false;
      let lastStatus = 0;
      let polls = 0;
      const keepAlive = (async () => {
        while (!stop) {
          const res = await p.get();
          lastStatus = res.status;
          if (res.status === 200) polls++;
          const body = await res.text();
          if (res.status !== 200) return;
          if (body.split("\x1e").includes("2")) await (await p.post("3")).text();
        }
      })();
      const ws = new WebSocket(
        `${target().url.replace("http", "ws")}/limits/?EIO=4&transport=websocket&sid=${encodeURIComponent(p.sid)}`,
      );
      ws.on("error", () => {});
      await once(ws, "open");
      if (target().knownDifferences["server-close-needs-client-frame"]) {
        // the server's close frame arrives and is answered (CLOSING), but this runtime ends the connection of
        // a hibernatable WebSocket only once its client has sent a frame, which this probe never does
        const deadline = Date.now() + 2000;
        while (ws.readyState === WebSocket.OPEN && Date.now() < deadline) await sleep(20);
        assert.equal(ws.readyState, WebSocket.CLOSING, "the server did not close the probe");
        ws.terminate();
      } else {
        const [code] = await once<[number]>(ws, "close", 2000); // no 2probe sent: the server gives up
        assert.equal(code, 1000);
      }
      // two more poll cycles (each ends with a ping, every 150 ms) after the probe was dropped
      const after = polls;
      await waitFor(() => polls >= after + 2 || lastStatus !== 200, 3000, "two more polls");
      stop = true;
      await keepAlive;
      assert.equal(lastStatus, 200, "the polling session did not survive the failed upgrade");
    });

    it("websocket-only server refuses polling and serves websocket", async () => {
      const res = await fetch(`${target().url}/wsonly/?EIO=4&transport=polling`);
      assert.equal(res.status, 400);
      assert.equal((await res.json()).code, 0);
      const c = await connected(client(target(), "/", { path: "/wsonly/", transports: ["websocket"] }));
      assert.equal(await c.timeout(2000).emitWithAck("echo", 1), 1);
    });

    it("CORS is opt-in and follows the cors option; cookie and header hooks apply", async () => {
      const plain = await fetch(`${target().url}/socket.io/?EIO=4&transport=polling`, {
        headers: { origin: "http://evil.test" },
      });
      assert.equal(plain.headers.get("access-control-allow-origin"), null, "CORS must be off by default");
      const base = `${target().url}/guarded/?EIO=4&transport=polling`;
      const ok = await fetch(base, { headers: { origin: "http://allowed.test" } });
      assert.equal(ok.headers.get("access-control-allow-origin"), "http://allowed.test");
      assert.equal(ok.headers.get("access-control-allow-credentials"), "true");
      assert.equal(ok.headers.get("access-control-expose-headers"), "x-portio");
      assert.match(ok.headers.get("set-cookie") ?? "", /^portio=[^;]+; Path=\/; HttpOnly; SameSite=Strict$/);
      assert.equal(ok.headers.get("x-portio"), "initial");
      assert.equal(ok.headers.get("x-portio-all"), "yes");
      const sub = await fetch(base, { headers: { origin: "http://a.allowed.test" } });
      assert.equal(sub.headers.get("access-control-allow-origin"), "http://a.allowed.test");
      const bad = await fetch(base, { headers: { origin: "http://evil.test" } });
      assert.equal(bad.headers.get("access-control-allow-origin"), null);
      const pre = await fetch(base, {
        method: "OPTIONS",
        headers: { origin: "http://allowed.test", "access-control-request-headers": "x-custom" },
      });
      assert.equal(pre.status, 204);
      assert.equal(pre.headers.get("access-control-allow-headers"), "x-custom");
      assert.match(pre.headers.get("access-control-allow-methods") ?? "", /POST/);
    });

    it("extraHeaders reach the handshake; a websocket handshake carries the header hooks too", async () => {
      const c = client(target(), "/", { transports: ["polling"], extraHeaders: { "x-custom": "abc" } });
      const [welcome] = await once<[{ handshake: { custom: string } }]>(c, "welcome");
      assert.equal(welcome.handshake.custom, "abc");
      const ws = await rawWs(target(), "/guarded/");
      assert.equal(ws.upgradeHeaders["x-portio"], "initial");
      assert.match(String(ws.upgradeHeaders["set-cookie"]), /^portio=/);
      ws.ws.close();
    });

    it("a connection that joins no namespace is closed after connectTimeout", async () => {
      const ws = await rawWs(target(), "/limits/"); // connectTimeout 400 ms there
      const closed = await Promise.race([ws.closed.then(() => true), sleep(2000).then(() => false)]);
      assert.ok(closed);
    });
  });
};
export default section;
