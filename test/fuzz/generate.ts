/**
 * Case `index` of run `seed`: valid traffic (traffic.ts), encoded for a transport, then 0–3 mutations
 * (mutate.ts). Deterministic: the same (seed, index) always gives the same case, on any machine.
 */
import { type Case, LIMITS, MAIN, type Step, type Transport, type WsFrame } from "./case.ts";
import { Rng } from "./prng.ts";
import { type Logical, validTraffic } from "./traffic.ts";
import { rawFrames } from "./framing.ts";
import { httpCase } from "./http.ts";
import { invalidUtf8, mutateBody, mutateFrames, mutateText, oversize } from "./mutate.ts";

const toPolling = (f: string | Uint8Array) => (typeof f === "string" ? f : "b" + Buffer.from(f).toString("base64"));

const PROBES: WsFrame[][] = [
  ["2probe", "5"],
  ["5"],
  ["2probe", "2probe", "5"],
  ["2probe"],
  ["2prob", "5"],
  ["2probe", "4x"],
  ["2probe", "6"],
  ["3probe", "5"],
  ["2probe", new Uint8Array([5])],
  ["2probe", "b@@"],
  ["", "5"],
];

export function generate(seed: number, index: number): Case {
  const rng = Rng.forCase(seed, index);
  const transport = rng.weighted<Transport>([[10, "websocket"], [10, "polling"], [1, "upgrade"], [1, "frames"], [
    1,
    "http",
  ]]);
  const mutations: string[] = [];
  if (transport === "http") {
    const http = httpCase(rng);
    return { seed, index, transport, path: MAIN, steps: [], http, mutations: [http.rule] };
  }
  if (transport === "frames") {
    const small = rng.chance(0.15);
    const raw = rawFrames(rng, small);
    return { seed, index, transport, path: small ? LIMITS : MAIN, steps: [], raw, mutations: [raw.rule] };
  }
  if (transport === "upgrade") {
    const probe = rng.pick(PROBES).slice();
    return { seed, index, transport, path: MAIN, probe, steps: [], mutations: [`probe sequence`] };
  }
  const limits = rng.chance(0.08);
  const path = limits ? LIMITS : MAIN;
  const logical: Logical[] = validTraffic(rng, !limits);
  if (limits) {
    const [big, label] = oversize(rng);
    logical.splice(rng.int(logical.length + 1), 0, [big]);
    mutations.push(label);
  }
  const count = rng.weighted([[1, 0], [5, 1], [2, 2], [1, 3]]);
  for (let k = 0; k < count; k++) {
    if (rng.chance(0.7)) {
      const step = rng.pick(logical);
      const texts = step.map((f, i) => [f, i] as const).filter(([f]) => typeof f === "string");
      if (texts.length === 0) continue;
      const [text, i] = rng.pick(texts);
      const [out, label] = mutateText(rng, text as string);
      step[i] = out;
      mutations.push(label);
    } else mutations.push(mutateFrames(rng, logical));
  }
  let steps: Step[];
  if (transport === "websocket") {
    steps = logical.map((frames) => ({ frames: frames.slice() as WsFrame[] }));
    if (rng.chance(0.05)) {
      const step = rng.pick(steps) as { frames: WsFrame[] };
      const i = step.frames.findIndex((f) => typeof f === "string");
      if (i >= 0) {
        step.frames[i] = { textBytes: invalidUtf8(rng, step.frames[i] as string) };
        mutations.push("invalid UTF-8 in a text frame");
      }
    }
    if (rng.chance(0.05)) {
      const step = rng.pick(steps) as { frames: WsFrame[] };
      const i = step.frames.findIndex((f) => f instanceof Uint8Array);
      if (i >= 0) {
        step.frames[i] = "b" + Buffer.from(step.frames[i] as Uint8Array).toString("base64");
        mutations.push("attachment sent as a b+base64 text frame");
      }
    }
  } else {
    // over polling, consecutive steps often share one POST body (the "\x1e" framing under test)
    const bodies: string[][] = [];
    for (const frames of logical) {
      const packets = frames.map(toPolling);
      // never after a CONNECT: what follows waits for its answer (the model cannot know when it comes)
      const last = bodies[bodies.length - 1];
      if (last && !last.some((p) => p.startsWith("40")) && rng.chance(0.4)) last.push(...packets);
      else bodies.push(packets);
    }
    steps = bodies.map((p) => ({ body: p.join("\x1e") }));
    if (rng.chance(0.25)) {
      const k = rng.int(steps.length);
      const [body, label] = mutateBody(rng, (steps[k] as { body: string }).body);
      steps[k] = { body };
      mutations.push(label);
    }
  }
  return { seed, index, transport, path, steps: steps.map(wellFormed), mutations };
}

/** UTF-8 has no lone surrogates: what goes on the wire (and what the model must see) has U+FFFD instead */
const utf8 = (s: string) => Buffer.from(s, "utf8").toString("utf8");
function wellFormed(step: Step): Step {
  if ("body" in step) return { body: utf8(step.body) };
  return { frames: step.frames.map((f) => (typeof f === "string" ? utf8(f) : f)) };
}
