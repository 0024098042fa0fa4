/** Rooms and the broadcast operators, fleet operations on one node, broadcast acks from many clients. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Socket as ClientSocket } from "socket.io-client";
import type { Section } from "../suite.ts";
import {
  client,
  connected,
  rawPolling,
  settled,
  type Target,
  TRANSPORT_MATRIX,
  type Transports,
  waitForSession,
} from "../harness.ts";

async function group(
  target: Target,
  n: number,
  room: string | null,
  transports?: Transports,
): Promise<ClientSocket[]> {
  const list: ClientSocket[] = [];
  for (let i = 0; i < n; i++) {
    const c = client(target, "/", transports ? { transports } : {});
    await (transports ? settled(c, transports) : connected(c));
    if (room) await c.timeout(2000).emitWithAck("join", room);
    list.push(c);
  }
  return list;
}

/** Which of `clients` receive `ev` (with `payload`) within a short window. */
async function receivers(
  clients: ClientSocket[],
  ev: string,
  payload: unknown,
  act: () => Promise<unknown>,
): Promise<boolean[]> {
  const got = clients.map(
    (c) =>
      new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => (c.off(ev, fn), resolve(false)), 400);
        const fn = (p: unknown) => {
          if (JSON.stringify(p) !== JSON.stringify(payload)) return;
          clearTimeout(timer);
          c.off(ev, fn);
          resolve(true);
        };
        c.on(ev, fn);
      }),
  );
  await act();
  return Promise.all(got);
}

const section: Section = (target) => {
  describe("rooms and broadcasts", () => {
    for (const { label, transports } of TRANSPORT_MATRIX) {
      it(`to(room) reaches members only, the sender included via io (${label})`, async () => {
        const [a, b] = await group(target(), 2, `r-${label}`, transports);
        const [outsider] = await group(target(), 1, null, transports);
        const r = await receivers(
          [a!, b!, outsider!],
          "news",
          "n1",
          () => a!.timeout(2000).emitWithAck("bcast", { to: [`r-${label}`] }, "news", "n1"),
        );
        assert.deepEqual(r, [true, true, false]);
      });
    }

    it("socket.to(room) excludes the sender; socket.broadcast reaches everyone else", async () => {
      const [a, b] = await group(target(), 2, "s1");
      let r = await receivers(
        [a!, b!],
        "news",
        "n2",
        () => a!.timeout(2000).emitWithAck("bcast", { from: "socket", to: ["s1"] }, "news", "n2"),
      );
      assert.deepEqual(r, [false, true]);
      r = await receivers(
        [a!, b!],
        "news",
        "n3",
        () => a!.timeout(2000).emitWithAck("bcast", { from: "socket" }, "news", "n3"),
      );
      assert.deepEqual(r, [false, true]);
    });

    it("to several rooms delivers once; except removes members of a room; in is to", async () => {
      const [a, b, c] = await group(target(), 3, "m1");
      await a!.timeout(2000).emitWithAck("join", "m2");
      await c!.timeout(2000).emitWithAck("join", "vip");
      let count = 0;
      a!.on("multi", () => count++);
      const r = await receivers(
        [a!, b!, c!],
        "multi",
        "x",
        () => a!.timeout(2000).emitWithAck("bcast", { to: ["m1", "m2"], except: ["vip"] }, "multi", "x"),
      );
      assert.deepEqual(r, [true, true, false]);
      assert.equal(count, 1, "a member of two targeted rooms got the message twice");
    });

    it("leave stops delivery; rooms are listed", async () => {
      const [a] = await group(target(), 1, "l1");
      const rooms = (await a!.timeout(2000).emitWithAck("leave", "l1")) as string[];
      assert.deepEqual(rooms, [a!.id]);
      const r = await receivers(
        [a!],
        "news",
        "gone",
        () => a!.timeout(2000).emitWithAck("bcast", { to: ["l1"] }, "news", "gone"),
      );
      assert.deepEqual(r, [false]);
    });

    it("namespaces keep their rooms apart", async () => {
      const [a] = await group(target(), 1, "shared");
      const other = client(target(), "/custom");
      await connected(other);
      const r = await receivers(
        [a!, other],
        "news",
        "ns",
        () => a!.timeout(2000).emitWithAck("bcast", { nsp: "/custom", to: ["shared"] }, "news", "ns"),
      );
      assert.deepEqual(r, [false, false]);
    });

    it("local, compress and volatile flags still deliver to a connected websocket client", async () => {
      const [a] = await group(target(), 1, "f1", ["websocket"]);
      for (const flags of [{ local: true }, { compress: false }, { volatile: true }]) {
        const r = await receivers(
          [a!],
          "flag",
          flags,
          () => a!.timeout(2000).emitWithAck("bcast", { to: ["f1"], ...flags }, "flag", flags),
        );
        assert.deepEqual(r, [true], JSON.stringify(flags));
      }
    });

    it("broadcast with acks collects one response per client; timeout reports the missing ones", async () => {
      const members = await group(target(), 3, "acks");
      members.forEach((c, i) => c.on("poll", (_room: string, ack: (x: unknown) => void) => ack(`r${i}`)));
      const res = (await members[0]!.timeout(3000).emitWithAck("ask-room", "acks", 1000)) as {
        error: string | null;
        responses: string[];
      };
      assert.deepEqual(res, { error: null, responses: ["r0", "r1", "r2"] });
      const viaPromise = (await members[0]!.timeout(3000).emitWithAck("ask-room-with-ack", "acks", 1000)) as {
        responses: string[];
      };
      assert.deepEqual(viaPromise.responses, ["r0", "r1", "r2"]);
      const silent = await group(target(), 1, "acks");
      silent[0]!.on("poll", () => {}); // never answers
      const partial = (await members[0]!.timeout(3000).emitWithAck("ask-room", "acks", 200)) as {
        error: string | null;
        responses: string[];
      };
      assert.equal(partial.error, "operation has timed out");
      assert.deepEqual(partial.responses, ["r0", "r1", "r2"]);
    });

    it("fetchSockets, allSockets, socketsJoin, socketsLeave and disconnectSockets", async () => {
      const [a, b, c] = await group(target(), 3, "fleet");
      const list = (await a!.timeout(2000).emitWithAck("fetch", "fleet")) as Array<{ id: string; rooms: string[] }>;
      assert.deepEqual(list.map((s) => s.id), [a!.id, b!.id, c!.id].sort());
      assert.deepEqual(
        (await a!.timeout(2000).emitWithAck("all-sockets", "fleet")) as string[],
        [a!.id, b!.id, c!.id].sort(),
      );
      await a!.timeout(2000).emitWithAck("sockets-join", "fleet", "fleet-2");
      assert.equal(((await a!.timeout(2000).emitWithAck("fetch", "fleet-2")) as unknown[]).length, 3);
      await a!.timeout(2000).emitWithAck("sockets-leave", b!.id, "fleet-2");
      assert.equal(((await a!.timeout(2000).emitWithAck("fetch", "fleet-2")) as unknown[]).length, 2);
      const gone = new Promise<string>((resolve) => c!.once("disconnect", resolve));
      await a!.timeout(2000).emitWithAck("disconnect-sockets", c!.id, false);
      assert.equal(await gone, "io server disconnect");
      assert.deepEqual(
        ((await a!.timeout(2000).emitWithAck("fetch", "fleet")) as Array<{ id: string }>).map((s) => s.id),
        [a!.id, b!.id].sort(),
      );
    });

    it("room broadcasts use the runtime's native fan-out where it has one (Bun), with the same result", async () => {
      const [a, b] = await group(target(), 2, "native", ["websocket"]);
      const [p] = await group(target(), 1, "native", ["polling"]);
      const before = (await a!.timeout(2000).emitWithAck("fanout-count")) as number | null;
      const r = await receivers(
        [a!, b!, p!],
        "nat",
        "x",
        () => a!.timeout(2000).emitWithAck("bcast", { to: ["native"] }, "nat", "x"),
      );
      assert.deepEqual(r, [true, true, true]);
      const after = (await a!.timeout(2000).emitWithAck("fanout-count")) as number | null;
      if (target().name === "bun") assert.ok(after! > before!, `no native publish (${before} → ${after})`);
      else assert.equal(after, null, "this runtime has no native fan-out");
    });

    it("serverSideEmit with an ack completes with no responses on a single node", async () => {
      const [a] = await group(target(), 1, null);
      assert.deepEqual(await a!.timeout(2000).emitWithAck("server-side-emit"), { error: null, responses: [] });
    });

    it("volatile to a polling client: dropped with no GET parked, delivered to a parked GET", async () => {
      const p = await rawPolling(target());
      await p.post("40");
      let sockId = "";
      while (!sockId) {
        for (const packet of (await (await p.get()).text()).split("\x1e")) {
          if (packet.startsWith("40{")) sockId = JSON.parse(packet.slice(2)).sid;
        }
      }
      const sender = await connected(client(target(), "/", { transports: ["websocket"] }));
      const vols = (body: string) =>
        body.split("\x1e").filter((x) => x.startsWith('42["vol"')).map((x) => JSON.parse(x.slice(2))[1]);
      // no GET parked: the volatile one is dropped, the plain one after it waits in the buffer
      await sender.timeout(2000).emitWithAck("bcast", { to: [sockId], volatile: true }, "vol", "dropped");
      await sender.timeout(2000).emitWithAck("bcast", { to: [sockId] }, "vol", "kept");
      assert.deepEqual(vols(await (await p.get()).text()), ["kept"]);
      // a GET parked: the volatile one goes out on it (a ping may take the GET first: then try again)
      let delivered: string[] = [];
      for (let attempt = 0; attempt < 3 && delivered.length === 0; attempt++) {
        const pending = p.get();
        await waitForSession(target(), p.sid, (st) => st.parked === true, "the GET parked");
        await sender.timeout(2000).emitWithAck("bcast", { to: [sockId], volatile: true }, "vol", `live-${attempt}`);
        const body = await (await pending).text();
        delivered = vols(body);
        if (body.split("\x1e").includes("2")) await (await p.post("3")).text();
      }
      assert.equal(delivered.length, 1, "the volatile message was not delivered to the parked GET");
      assert.match(delivered[0]!, /^live-\d$/);
      await p.post("1");
    });
  });
};
export default section;
