/**
 * Runs one case against a server and checks it against the model (model.ts): the session is closed where
 * the model says it must be, otherwise every CONNECT answer and every ack arrives as predicted (exact
 * arguments, binary included), no other ack, and a final echo on the same connection still answers.
 * Resolves with the outcome, or throws an Error saying what was wrong.
 */
import assert from "node:assert/strict";
import { type Case, JSON_KEYS } from "./case.ts";
import { type Conn, openWs, PollingConn, WsConn } from "./conn.ts";
import { type Ack, expect, type Expectation } from "./model.ts";
import type { Receiver } from "./receiver.ts";
import { runRawFrames } from "./framing.ts";
import { messageOf } from "./http.ts";

/** generous: a loaded 2-core machine runs three runtimes and other helpers' tests */
const WAIT_MS = Number(process.env.FUZZ_WAIT_MS ?? 8000);

export type Outcome = "closed" | "answered" | "indeterminate";

const nspPart = (nsp: string) => (nsp === "/" ? "" : `${nsp},`);

/** The handshake and CONNECT to "/" (not mutated: the mutations start once the session is usable). */
async function start(base: string, c: Case): Promise<{ conn: Conn; polling?: PollingConn }> {
  if (c.transport === "websocket") {
    const conn = await openWs(base, c.path, "EIO=4&transport=websocket");
    conn.sendFrame("40");
    assert.ok(await conn.rx.until(() => conn.rx.replies.length > 0, WAIT_MS), "no answer to the CONNECT to /");
    conn.rx.replies.length = 0;
    return { conn };
  }
  const conn = await PollingConn.open(base, c.path);
  const res = await conn.post("40");
  assert.equal(res.status, 200, `CONNECT POST: ${res.status} ${res.body}`);
  assert.ok(await conn.rx.until(() => conn.rx.replies.length > 0, WAIT_MS), "no answer to the CONNECT to /");
  conn.rx.replies.length = 0;
  return { conn, polling: conn };
}

/** The probe sequence of an upgrade case; returns the connection the session then lives on. */
async function upgrade(base: string, c: Case, polling: PollingConn, want: NonNullable<Expectation["upgrade"]>) {
  const rx = polling.rx;
  const ws = await openWs(base, c.path, `EIO=4&transport=websocket&sid=${encodeURIComponent(polling.sid)}`, rx);
  let wsClosed = false;
  ws.ws.removeAllListeners("close");
  ws.ws.on("close", () => (wsClosed = true));
  let pongs = 0;
  for (const f of c.probe!) {
    if (f === "5" && want.upgraded) {
      // as the official client: once probing, no new GET (the server answers a parked one with a noop at
      // once), then "5"; a GET reaching the server after the upgrade would be refused. With no probe, no noop
      // comes: "5" first, and the upgrade releases the parked GET
      if (pongs > 0) await polling.stopPolling(WAIT_MS);
      const stopped = polling.stopPolling(WAIT_MS); // no new GET from here; one in flight may now get a 400
      ws.sendFrame(f);
      await stopped;
      assert.ok(!rx.closed, "the session closed during the upgrade");
      rx.pong = () => ws.sendFrame("3");
      ws.ws.on("close", () => rx.setClosed());
      return ws;
    }
    ws.sendFrame(f);
    if (f === "2probe" && (want.pongs > pongs)) {
      pongs++;
      assert.ok(await rx.until(() => rx.probePongs >= pongs, WAIT_MS), `no 3probe for probe ${pongs}`);
    }
  }
  if (want.wsClosed) {
    const deadline = Date.now() + WAIT_MS;
    while (!wsClosed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.ok(wsClosed, "the probing WebSocket should be closed after a bad probe frame");
  } else {
    void ws.close();
  }
  return polling;
}

/** JSON with bytes as hex: compares arguments of any depth without recursion of our own */
const show = (v: unknown) =>
  JSON.stringify(v, (_k, x) => (x instanceof Uint8Array ? { $bytes: Buffer.from(x).toString("hex") } : x));
/** the same values in the same places, object keys left out */
const shape = (v: unknown) =>
  JSON.stringify(
    v,
    (_k, x) =>
      x instanceof Uint8Array
        ? { $bytes: Buffer.from(x).toString("hex") }
        : x && typeof x === "object" && !Array.isArray(x)
        ? Object.values(x)
        : x,
  );
const sameShape = (a: Ack, b: Ack) => a.nsp === b.nsp && a.id === b.id && shape(a.args) === shape(b.args);
const sameAck = (a: Ack, b: Ack) => a.nsp === b.nsp && a.id === b.id && show(a.args) === show(b.args);

/** A bad request next to a live polling session: its 400, then the session closed or still answering. */
async function httpRequest(base: string, c: Case): Promise<Outcome> {
  const h = c.http!;
  const session = await PollingConn.open(base, c.path);
  try {
    assert.equal((await session.post("40")).status, 200);
    assert.ok(await session.rx.until(() => session.rx.replies.length > 0, WAIT_MS), "no answer to the CONNECT to /");
    const query = h.query.replace("{sid-1}", session.sid.slice(0, -1)).replace("{sid}", session.sid);
    const res = await fetch(`${base}${c.path}?${query}`, {
      method: h.method,
      body: h.method === "GET" ? undefined : "40",
      signal: AbortSignal.timeout(WAIT_MS),
    });
    const body = await res.text();
    assert.equal(res.status, 400, `${h.method} ?${query}: ${res.status} ${body.slice(0, 200)}`);
    assert.deepEqual(JSON.parse(body), { code: h.code, message: messageOf(h.code) }, `${h.method} ?${query}`);
    await session.post('42777["echo","after"]');
    const ok = await session.rx.until(() => session.rx.acks.some((a) => a.id === 777), WAIT_MS);
    assert.ok(ok, `the live session ${session.rx.closed ? "was closed" : "stopped answering"} after the bad request`);
    return "answered";
  } finally {
    await session.close();
  }
}

/** `tolerated`: framing rules the runtime's WebSocket server does not enforce (runtimes.ts) */
export async function drive(base: string, c: Case, tolerated: Record<string, string> = {}): Promise<Outcome> {
  if (c.raw) {
    const wrong = await runRawFrames(base, c.path, c.raw, WAIT_MS);
    if (wrong && tolerated[c.raw.rule]) return "indeterminate";
    if (wrong) assert.fail(wrong);
    return c.raw.expect === "closed" ? "closed" : "answered";
  }
  if (c.http) return await httpRequest(base, c);
  const want = expect(c);
  const { conn: first, polling } = await start(base, c);
  let conn: Conn = first;
  try {
    if (c.probe) conn = await upgrade(base, c, polling!, want.upgrade!);
    const rx: Receiver = conn.rx;
    const last = want.closeAt ?? c.steps.length - 1;
    for (let i = 0; i <= last && i < c.steps.length; i++) {
      const res = await conn.send(c.steps[i]!);
      if (res && want.closeAt !== i && !want.indeterminate) {
        assert.deepEqual(res, { status: 200, body: "ok" }, `POST of step ${i}`);
      }
      if (res && ![200, 400, 413].includes(res.status)) {
        assert.fail(`POST of step ${i} answered ${res.status}: ${res.body}`);
      }
      if (want.closeAt === i || want.indeterminate) continue;
      for (const reply of want.replies[i] ?? []) {
        const got = await rx.until(() => rx.replies.length > 0, WAIT_MS);
        assert.ok(
          got,
          `${rx.closed ? "closed" : "no answer"} instead of the ${reply.kind} for ${reply.nsp} (step ${i})`,
        );
        assert.deepEqual(rx.replies.shift(), reply, `answer to the CONNECT in step ${i}`);
      }
    }
    if (want.indeterminate) return "indeterminate";
    if (want.closeAt !== undefined) {
      assert.ok(
        await rx.until(() => rx.closed, WAIT_MS),
        `the server should close the session after step ${want.closeAt} (${want.why})`,
      );
      return "closed";
    }
    // the final probe: an echo on the same connection, after everything the case sent
    const probe = want.probe!;
    const send = (packet: string) => conn instanceof WsConn ? conn.sendFrame(packet) : conn.send({ body: packet });
    if (probe.reconnect) {
      await send("40");
      assert.ok(
        await rx.until(() => rx.replies.length > 0, WAIT_MS),
        `${rx.closed ? "closed" : "no answer"} (CONNECT again)`,
      );
    }
    const probeId = 987654321;
    await send(`42${nspPart(probe.nsp)}${probeId}["echo","probe ${c.index}"]`);
    const answered = await rx.until(() => rx.acks.some((a) => a.id === probeId && a.nsp === probe.nsp), WAIT_MS);
    assert.ok(
      answered,
      rx.closed
        ? `closed unexpectedly${rx.bad.length ? ": " + rx.bad.join(", ") : ""}`
        : "the final echo was not answered",
    );
    assert.deepEqual(rx.bad, [], "the server sent something no client can decode");
    const acks = rx.acks.filter((a) => !(a.id === probeId && a.nsp === probe.nsp));
    const missing = want.acks.filter((w) => !w.optional && !acks.some((a) => sameAck(a, w)));
    const extra = acks.filter((a) => !want.acks.some((w) => sameAck(a, w)));
    if (missing.length && tolerated[JSON_KEYS] && missing.every((m) => extra.some((e) => sameShape(m, e)))) {
      return "indeterminate"; // the runtime's JSON.parse renamed a key (runtimes.ts)
    }
    if (missing.length || extra.length) {
      assert.fail(`acks differ from the model: missing ${show(missing)}; unexpected ${show(extra)}`);
    }
    return "answered";
  } finally {
    await conn.close();
    if (polling && conn !== polling) await polling.close();
  }
}
