/**
 * Checks `new Server(options)` the way a typed language would: every socket.io / engine.io option name is
 * known with its type, so a typo (`pingIntervall`) or a wrong type (`pingInterval: "abc"`, which would go to
 * clients as a string) is a `TypeError` naming the option, with the closest valid name. Options socket.io has
 * and Portio does not implement are accepted with socket.io's type (an app that passes `serveClient: false`
 * or `perMessageDeflate: false` keeps working) and, when set to something that would change behaviour, a
 * warning says they are ignored (README "Options").
 */
import type { Logger } from "../util/logger.ts";
import { isCustomParser } from "./codec.ts";

type Check = (v: unknown) => boolean;

const isNumber: Check = (v) => typeof v === "number" && !Number.isNaN(v);
const isNonNegative: Check = (v) => isNumber(v) && (v as number) >= 0;
const isBoolean: Check = (v) => typeof v === "boolean";
const isString: Check = (v) => typeof v === "string";
const isFunction: Check = (v) => typeof v === "function";
const isObject: Check = (v) => typeof v === "object" && v !== null && !Array.isArray(v);
const either = (...checks: Check[]): Check => (v) => checks.some((c) => c(v));
const TRANSPORTS = ["polling", "websocket", "webtransport"];
const isTransports: Check = (v) =>
  Array.isArray(v) && v.length > 0 && v.every((t) => typeof t === "string" && TRANSPORTS.includes(t));

interface Spec {
  check: Check;
  /** what the TypeError says the option must be */
  type: string;
  /** accepted for compatibility; `ignoredUnless` returns true for values that behave as Portio does */
  ignored?: { unlessValue: (v: unknown) => boolean; why: string };
}

const ms = { check: isNonNegative, type: "a number of milliseconds (>= 0)" };
/** `perMessageDeflate` and `httpCompression` */
const compression: Spec = {
  check: (v) =>
    isBoolean(v) ||
    (isObject(v) && ((v as { threshold?: unknown }).threshold === undefined ||
      isNonNegative((v as { threshold?: unknown }).threshold))),
  type: "a boolean or an object { threshold: bytes (>= 0) }",
};

/** socket.io 4.8 `ServerOptions`, engine.io 6.6 `ServerOptions` + `AttachOptions`, and Portio's own. */
const SPECS: Record<string, Spec> = {
  // engine.io
  pingInterval: ms,
  pingTimeout: ms,
  upgradeTimeout: ms,
  maxHttpBufferSize: { check: isNonNegative, type: "a number of bytes (>= 0)" },
  allowRequest: { check: isFunction, type: "a function (req, callback)" },
  transports: { check: isTransports, type: 'a non-empty array of "polling" | "websocket" | "webtransport"' },
  allowUpgrades: { check: isBoolean, type: "a boolean" },
  cookie: { check: either(isBoolean, isObject), type: "a boolean or cookie options" },
  cors: { check: either(isObject, isFunction), type: "cors options (an object)" },
  allowEIO3: { check: isBoolean, type: "a boolean" },
  perMessageDeflate: compression,
  httpCompression: compression,
  wsEngine: {
    check: isFunction,
    type: "a WebSocket server class",
    ignored: { unlessValue: () => false, why: "each runtime adapter brings its own WebSocket server" },
  },
  initialPacket: {
    check: (v) => isString(v) || v instanceof Uint8Array || v instanceof ArrayBuffer,
    type: "a string or binary (Uint8Array, ArrayBuffer): an Engine.IO message",
  },
  path: { check: (v) => isString(v) && (v as string)[0] === "/", type: 'a string starting with "/"' },
  destroyUpgrade: { check: isBoolean, type: "a boolean" },
  destroyUpgradeTimeout: ms,
  addTrailingSlash: { check: isBoolean, type: "a boolean" },
  // socket.io
  serveClient: { check: isBoolean, type: "a boolean" },
  adapter: { check: isFunction, type: "a room store factory (see portio/redis)" },
  parser: { check: isCustomParser, type: "a parser with socket.io-parser's shape ({ Encoder, Decoder })" },
  connectTimeout: ms,
  connectionStateRecovery: {
    check: isObject,
    type: "an object { maxDisconnectionDuration, skipMiddlewares, maxBufferBytes }",
  },
  cleanupEmptyChildNamespaces: { check: isBoolean, type: "a boolean" },
  // Portio
  maxBufferedAmount: { check: isNonNegative, type: "a number of bytes (>= 0)" },
  bodyTimeout: ms,
  maxAttachments: { check: isNonNegative, type: "a number (>= 0)" },
  generateId: { check: isFunction, type: "a function (req) => string" },
  scheduler: { check: isObject, type: "a Scheduler { setTimeout, clearTimeout }" },
  logger: { check: isObject, type: "a logger { debug, info, warn, error } (console works)" },
};

/** Option names socket.io accepts that Portio takes and ignores (README lists them). */
export const IGNORED_OPTIONS: readonly string[] = Object.keys(SPECS).filter((k) => SPECS[k]!.ignored);

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  a = a.toLowerCase();
  b = b.toLowerCase();
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

export function closestOption(name: string): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of Object.keys(SPECS)) {
    const d = distance(name, k);
    if (d < bestD) (best = k), (bestD = d);
  }
  return bestD <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

/** A first argument that is a port or a Node http server, on the runtime-free core `Server`. */
function checkFirstArgument(opts: unknown): void {
  const hint = 'On Node, `import { Server } from "portio"` resolves to the Node entry, which takes an http server or ' +
    'a port (or use `serve(io, { port })` from "portio/node"); on Deno, Bun and Hono use `serve(io, { port })` ' +
    'from "portio/deno", "portio/bun" or the `portio(io)` middleware of "portio/hono"; on Cloudflare, "portio/cloudflare".';
  if (typeof opts === "number" || (typeof opts === "string" && /^\d+$/.test(opts))) {
    throw new TypeError(`portio: new Server(${opts}) needs an HTTP server this runtime does not have. ${hint}`);
  }
  if (isObject(opts) && isFunction((opts as { listen?: unknown }).listen)) {
    throw new TypeError(`portio: new Server(httpServer) is Node-only and this is the runtime-free Server. ${hint}`);
  }
}

/** Throws a `TypeError` naming the first unknown or mistyped option; warns about ignored ones. */
export function checkServerOptions(opts: unknown, logger: Logger): void {
  checkFirstArgument(opts);
  if (opts === undefined) return;
  if (!isObject(opts)) throw new TypeError(`portio: Server options must be an object, got ${describe(opts)}`);
  for (const [name, value] of Object.entries(opts as Record<string, unknown>)) {
    const spec = Object.hasOwn(SPECS, name) ? SPECS[name] : undefined;
    if (!spec) {
      const near = closestOption(name);
      throw new TypeError(`portio: unknown option "${name}"${near ? ` (did you mean "${near}"?)` : ""}`);
    }
    if (value === undefined) continue; // as if absent (socket.io reads `opts.x ?? default`)
    if (!spec.check(value)) {
      throw new TypeError(`portio: option "${name}" must be ${spec.type}, got ${describe(value)}`);
    }
    if (spec.ignored && !spec.ignored.unlessValue(value)) {
      logger.warn(`option "${name}" is accepted for compatibility and ignored: ${spec.ignored.why}`);
    }
  }
  const recovery = (opts as { connectionStateRecovery?: Record<string, unknown> }).connectionStateRecovery;
  if (recovery) {
    for (const [k, v] of Object.entries(recovery)) {
      if (k === "maxBufferBytes" && v !== undefined && !isNonNegative(v)) {
        throw new TypeError(
          `portio: option "connectionStateRecovery.${k}" must be a number of bytes (>= 0), got ${describe(v)}`,
        );
      }
      if (k === "maxDisconnectionDuration" && v !== undefined && !isNonNegative(v)) {
        throw new TypeError(`portio: option "connectionStateRecovery.${k}" must be ${ms.type}, got ${describe(v)}`);
      }
      if (k === "skipMiddlewares" && v !== undefined && !isBoolean(v)) {
        throw new TypeError(`portio: option "connectionStateRecovery.${k}" must be a boolean, got ${describe(v)}`);
      }
    }
  }
}

function describe(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v.length > 40 ? v.slice(0, 40) + "…" : v);
  if (Array.isArray(v)) return "an array";
  if (v === null) return "null";
  return typeof v === "object" || typeof v === "function" ? `a ${typeof v}` : `${typeof v} ${String(v)}`;
}

/**
 * socket.io room-store adapters (socket.io-redis, @socket.io/redis-adapter, @socket.io/redis-streams-adapter,
 * the cluster and mongo adapters…) extend socket.io-adapter's class, whose contract differs from Portio's
 * store: they would be accepted and then fail on the first broadcast. This names the replacement instead.
 */
export function notAPortioStore(what: string): TypeError {
  return new TypeError(
    `portio: the "adapter" option got ${what}, which is not a Portio room store. socket.io adapters ` +
      "(socket.io-redis, @socket.io/redis-adapter, @socket.io/redis-streams-adapter, …) are written for socket.io's " +
      'internals; use `createAdapter(redisUrl | client)` from "portio/redis" (it speaks the redis-streams-adapter ' +
      "protocol, so Portio and socket.io nodes share one fleet), or a factory returning a Portio InMemoryAdapter " +
      "subclass.",
  );
}
