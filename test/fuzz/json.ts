/**
 * Random JSON values for event arguments: the awkward ones a parser must carry through unchanged (keys that
 * name Object.prototype members, lone surrogates, control characters, the record separator, -0, huge and
 * tiny numbers, deep nesting, objects that look like binary placeholders).
 */
import type { Rng } from "./prng.ts";

const STRINGS = [
  "",
  "x",
  "still here",
  "\u0000",
  "\x1e",
  "a\x1eb",
  "\n\r\t",
  '"quoted"',
  "\\",
  "é漢字🙂",
  "\ud800", // a lone surrogate: sent as U+FFFD over UTF-8
  "</script>",
  '42["echo"]',
  "b",
];
const KEYS = ["a", "__proto__", "constructor", "prototype", "toString", "_placeholder", "num", "", "0", "sid"];
const NUMBERS = [0, -0, 1, -1, 0.5, 1e21, -1e-7, 2 ** 53, 2 ** 53 + 2, Number.MAX_VALUE, Number.MIN_VALUE, 123];

export function randomString(rng: Rng): string {
  if (rng.chance(0.6)) return rng.pick(STRINGS);
  let s = "";
  for (let i = rng.int(12); i > 0; i--) {
    s += String.fromCharCode(rng.chance(0.8) ? rng.range(32, 126) : rng.int(0x3000));
  }
  return s;
}

/** A random JSON value; `depth` bounds nesting (a deep chain of arrays is generated separately). */
export function randomJson(rng: Rng, depth = 3): unknown {
  const kind = rng.int(depth > 0 ? 8 : 5);
  switch (kind) {
    case 0:
      return null;
    case 1:
      return rng.chance(0.5);
    case 2:
      return rng.chance(0.5) ? rng.pick(NUMBERS) : rng.range(-1000, 1000);
    case 3:
    case 4:
      return randomString(rng);
    case 5:
    case 6: {
      const obj: Record<string, unknown> = {};
      for (let i = rng.int(4); i > 0; i--) {
        // defineProperty: an own "__proto__" key, as JSON.parse makes it
        Object.defineProperty(obj, rng.chance(0.7) ? rng.pick(KEYS) : randomString(rng), {
          value: randomJson(rng, depth - 1),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return obj;
    }
    default:
      return Array.from({ length: rng.int(4) }, () => randomJson(rng, depth - 1));
  }
}

/** `[[[…]]]` nested `n` deep, as text (no recursion on either side). */
export function deepArray(n: number): string {
  return "[".repeat(n) + "]".repeat(n);
}
