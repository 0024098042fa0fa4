/**
 * The one end-to-end suite, written once. A runtime runner (node.test.ts, later deno/bun/workerd) calls
 * `runSuite(name, start)` with a function that starts the fixture (test/fixture) and returns a `Target`.
 */
import { after, afterEach, before, describe } from "node:test";
import { closeClients, type Target } from "./harness.ts";
import engine from "./suite/engine.ts";
import namespaces from "./suite/namespaces.ts";
import events from "./suite/events.ts";
import rooms from "./suite/rooms.ts";
import recovery from "./suite/recovery.ts";
import badInput from "./suite/bad-input.ts";
import socketioParity from "./suite/socketio-parity.ts";
import dropin from "./suite/dropin.ts";
import legacy from "./suite/legacy.ts";
import msgpack from "./suite/msgpack.ts";
import compression from "./suite/compression.ts";

export type Section = (target: () => Target) => void;

export function runSuite(name: string, start: () => Promise<Target>): void {
  describe(`e2e on ${name}`, () => {
    let target: Target | undefined;
    before(async () => {
      target = await start();
    });
    after(async () => {
      closeClients();
      await target?.stop();
    });
    afterEach(() => closeClients());
    const get = () => {
      if (!target) throw new Error("fixture not started");
      return target;
    };
    for (
      const section of [
        engine,
        namespaces,
        events,
        rooms,
        recovery,
        badInput,
        socketioParity,
        dropin,
        legacy,
        msgpack,
        compression,
      ]
    ) {
      section(get);
    }
  });
}
