/**
 * Logging. An app hands a `logger` (any object with debug/info/warn/error, such as `console`, pino or
 * winston) in the options; without one, warnings and errors go to `console`, and debug lines are printed
 * when the `DEBUG` environment variable enables them, with the `debug` package's pattern syntax
 * (`DEBUG=portio:*`, `DEBUG=portio:engine,-portio:socket`). The socket.io names users already type work too:
 * `socket.io:*` enables Portio's socket.io layer and `engine*` its Engine.IO layer.
 *
 * The core has no environment API of its own (Web APIs only): `DEBUG` is read from `process.env` where the
 * runtime has one (Node, Bun, Deno 2 with `--allow-env`, workerd with `nodejs_compat`), by feature detection, without
 * importing anything. Where there is none (a Worker without it), pass `logger`.
 */

export interface Logger {
  /** Debug lines (shown with DEBUG=portio:* and the socket.io names). */
  debug(...args: unknown[]): void;
  /** Information. */
  info(...args: unknown[]): void;
  /** Warnings (an ignored option, …). */
  warn(...args: unknown[]): void;
  /** Errors (a listener that threw, …). */
  error(...args: unknown[]): void;
}

/** The layers that log; each answers to its Portio name and the socket.io names users look for. */
export type LogScope = "engine" | "socket";

const ALIASES: Record<LogScope, string[]> = {
  engine: ["portio:engine", "engine", "engine:socket", "engine:polling", "engine:ws"],
  socket: ["portio:socket", "socket.io:server", "socket.io:socket", "socket.io:client", "socket.io:namespace"],
};

interface EnvHost {
  process?: { env?: Record<string, string | undefined> };
  // Deno: reading `process.env` without `--allow-env` would prompt in a terminal; ask the permission state first
  Deno?: { permissions?: { querySync?(d: { name: "env"; variable: string }): { state: string } } };
}

function readDebugEnv(): string {
  const host = globalThis as EnvHost;
  try {
    const query = host.Deno?.permissions?.querySync;
    if (query && query.call(host.Deno!.permissions, { name: "env", variable: "DEBUG" }).state !== "granted") return "";
    return host.process?.env?.DEBUG ?? "";
  } catch {
    return ""; // an environment that refuses access
  }
}

function toRegExp(pattern: string): RegExp {
  return new RegExp("^" + pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*?") + "$");
}

/** Whether a `DEBUG` value enables any of `names` (the `debug` package's rules: `-name` excludes). */
export function debugEnabled(spec: string, names: readonly string[]): boolean {
  const parts = spec.split(/[\s,]+/).filter(Boolean);
  const skip = parts.filter((p) => p[0] === "-").map((p) => toRegExp(p.slice(1)));
  const take = parts.filter((p) => p[0] !== "-").map(toRegExp);
  return names.some((n) => !skip.some((r) => r.test(n)) && take.some((r) => r.test(n)));
}

const noop = () => {};

/** Warnings and errors to `console`; debug lines only when `DEBUG` asks for them. */
function consoleLogger(scope: LogScope, debug: boolean): Logger {
  const prefix = `portio:${scope}`;
  return {
    debug: debug ? (...args) => console.error(prefix, ...args) : noop,
    info: (...args) => console.info(prefix, ...args),
    warn: (...args) => console.warn(prefix, ...args),
    error: (...args) => console.error(prefix, ...args),
  };
}

/** The logger of one layer: the app's (its methods bound, missing ones filled) or the console one. */
export function createLogger(scope: LogScope, custom?: Partial<Logger>): Logger {
  const fallback = consoleLogger(scope, debugEnabled(readDebugEnv(), ALIASES[scope]));
  if (!custom) return fallback;
  const pick = (k: keyof Logger) => (typeof custom[k] === "function" ? custom[k]!.bind(custom) : fallback[k]);
  return { debug: pick("debug"), info: pick("info"), warn: pick("warn"), error: pick("error") };
}

/** For parts that are not given a server's logger (a room store created without one). */
export const defaultLogger: Logger = createLogger("socket");
