/**
 * Valid Socket.IO traffic for one session, as logical steps (a packet and its attachments): events with and
 * without acks, binary events with placeholders, CONNECT and DISCONNECT of other namespaces, acks the server
 * never asked for, pongs, numeric and "error" event names. The mutators (mutate.ts) then damage it.
 */
import type { Rng } from "./prng.ts";
import { deepArray, randomJson } from "./json.ts";

/** One logical step: the text packet (engine type "4" included) then its binary attachments. */
export type Logical = Array<string | Uint8Array>;

const ph = (num: number) => ({ _placeholder: true, num });

/** `prefix` for a namespace in a Socket.IO packet ("" for the main namespace). */
const nspPart = (nsp: string) => (nsp === "/" ? "" : `${nsp},`);

export function validTraffic(rng: Rng, main: boolean): Logical[] {
  const joined = ["/"];
  const steps: Logical[] = [];
  let nextId = rng.range(0, 5);
  const id = () => (rng.chance(0.8) ? String(nextId++) : "");
  for (let n = rng.range(1, 4); n > 0; n--) {
    const nsp = rng.pick(joined);
    const kind = rng.weighted<string>([
      [6, "echo"],
      [3, "binary"],
      [main ? 2 : 0, "connect"],
      [1, "disconnect"],
      [1, "client-ack"],
      [1, "pong"],
      [1, "numeric"],
      [1, "error"],
      [1, "unhandled"],
      [0.3, "deep"],
    ]);
    switch (kind) {
      case "echo": {
        const args = Array.from({ length: rng.int(4) }, () => randomJson(rng));
        steps.push([`42${nspPart(nsp)}${id()}${JSON.stringify(["echo", ...args])}`]);
        break;
      }
      case "binary": {
        const count = rng.range(1, 3);
        const bins = Array.from({ length: count }, () => rng.bytes(rng.int(40)));
        // placeholders in order, some nested, plus plain JSON around them
        const args: unknown[] = bins.map((
          _,
          i,
        ) => (rng.chance(0.5) ? ph(i) : { nested: [ph(i)], j: randomJson(rng, 1) }));
        if (rng.chance(0.5)) args.push(randomJson(rng));
        const type = rng.chance(0.9) ? "5" : "6";
        const payload = type === "5" ? ["echo", ...args] : args;
        const ackId = type === "6" ? String(nextId++) : id();
        steps.push([`4${type}${count}-${nspPart(nsp)}${ackId}${JSON.stringify(payload)}`, ...bins]);
        break;
      }
      case "connect": {
        const target = rng.pick(["/custom", `/dyn-${rng.int(50)}`, "/fn-ok", "/nope", "/custom"]);
        if (joined.includes(target)) break;
        const auth = rng.chance(0.3)
          ? JSON.stringify(rng.chance(0.3) ? { deny: true } : { x: randomJson(rng, 1) })
          : "";
        steps.push([`40${target},${auth}`]);
        if (target !== "/nope" && !auth.includes("deny")) joined.push(target);
        break;
      }
      case "disconnect":
        if (nsp !== "/" || rng.chance(0.2)) {
          steps.push([`41${nspPart(nsp)}`]);
          joined.splice(joined.indexOf(nsp), 1);
          if (joined.length === 0) return steps;
        }
        break;
      case "client-ack":
        steps.push([`43${nspPart(nsp)}${nextId++}${JSON.stringify([randomJson(rng)])}`]);
        break;
      case "pong":
        steps.push(["3"]);
        break;
      case "numeric":
        steps.push([`42${nspPart(nsp)}${nextId++}[123]`]);
        break;
      case "error":
        steps.push([`42${nspPart(nsp)}${JSON.stringify(["error", randomJson(rng, 1)])}`]);
        break;
      case "unhandled":
        steps.push([`42${nspPart(nsp)}${id()}${JSON.stringify(["fz-" + rng.int(100), randomJson(rng)])}`]);
        break;
      case "deep":
        steps.push([`42${nspPart(nsp)}${nextId++}["echo",${deepArray(rng.range(100, 1000))}]`]);
        break;
    }
  }
  if (steps.length === 0) steps.push([`42${nextId}["echo"]`]);
  return steps;
}
