import { HeaderList, type Reply, reply } from "./http.ts";

/** Engine.IO HTTP error table (engine.io-protocol.md, and engine.io's `Server.errors`). */
export const ERROR_CODES = {
  UNKNOWN_TRANSPORT: 0,
  UNKNOWN_SID: 1,
  BAD_HANDSHAKE_METHOD: 2,
  BAD_REQUEST: 3,
  FORBIDDEN: 4,
  UNSUPPORTED_PROTOCOL_VERSION: 5,
} as const;
/** An Engine.IO error code (the spec's table). */
export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

/** The message of each Engine.IO error code (the spec's table). */
export const ERROR_MESSAGES: Record<ErrorCode, string> = {
  0: "Transport unknown",
  1: "Session ID unknown",
  2: "Bad handshake method",
  3: "Bad request",
  4: "Forbidden",
  5: "Unsupported protocol version",
};

/** A refused request, answered as a `Reply` (`toReply`). */
export class EngineRequestError extends Error {
  /** The error's name. */
  override name = "EngineRequestError";
  /** An error with its Engine.IO code and the context reported to `connection_error`. */
  constructor(
    readonly code: ErrorCode,
    readonly context: Record<string, unknown> = {},
    message: string = ERROR_MESSAGES[code],
  ) {
    super(message);
  }

  /** The HTTP status of this error (400, or 403 for code 4). */
  get status(): number {
    return this.code === ERROR_CODES.FORBIDDEN ? 403 : 400;
  }

  /** The JSON `{code, message}` answer of this error. */
  toReply(headers: HeaderList = new HeaderList()): Reply {
    headers.set("Content-Type", "application/json");
    return reply(this.status, headers, JSON.stringify({ code: this.code, message: this.message }));
  }
}
