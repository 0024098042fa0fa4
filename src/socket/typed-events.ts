/**
 * Typed event maps, as in socket.io 4: `Server<ListenEvents, EmitEvents, ServerSideEvents, SocketData>`.
 * An app that declared its maps for socket.io keeps them unchanged.
 */
// deno-lint-ignore no-explicit-any
export type EventsMap = Record<string, any>;
// deno-lint-ignore no-explicit-any
export interface DefaultEventsMap {
  [event: string]: (...args: any[]) => void;
}

export type EventNames<Map extends EventsMap> = keyof Map & (string | symbol);
export type EventParams<Map extends EventsMap, Ev extends EventNames<Map>> = Parameters<Map[Ev]>;

/** Last parameter of an event's signature when it is the ack callback. */
// deno-lint-ignore no-explicit-any
type Last<T extends any[]> = T extends [...infer _H, infer L] ? L : never;
// deno-lint-ignore no-explicit-any
type AllButLast<T extends any[]> = T extends [...infer H, infer _L] ? H : never;
// deno-lint-ignore no-explicit-any
export type FirstArg<T> = T extends (arg: infer A, ...rest: any[]) => any ? A : any;
// deno-lint-ignore no-explicit-any
export type SecondArg<T> = T extends (err: Error, arg: infer A) => any ? A : any;

/** Parameters of `emitWithAck(ev, ...)`: the event's parameters without its callback. */
// deno-lint-ignore no-explicit-any
export type EventParamsWithoutAck<Map extends EventsMap, Ev extends EventNames<Map>> =
  AllButLast<EventParams<Map, Ev>> extends any[] ? AllButLast<EventParams<Map, Ev>> : never;
/** What `emitWithAck` resolves with: the first argument of the event's callback. */
export type AckResult<Map extends EventsMap, Ev extends EventNames<Map>> = FirstArg<Last<EventParams<Map, Ev>>>;

/** Ack callbacks with a timeout receive an error first (socket.io's `DecorateAcknowledgements`). */
export type DecorateAcknowledgements<E> = {
  // deno-lint-ignore no-explicit-any
  [K in keyof E]: E[K] extends (...args: infer Params) => infer Result ? (...args: DecorateParams<Params>) => Result
    : E[K];
};
// deno-lint-ignore no-explicit-any
type DecorateParams<P extends any[]> = P extends [...infer H, infer L]
  // deno-lint-ignore no-explicit-any
  ? L extends (...args: infer A) => any ? [...H, (err: Error, ...args: A) => void] : P
  : P;

/** Broadcast acks collect one response per client. */
export type DecorateAcknowledgementsWithMultipleResponses<E> = {
  // deno-lint-ignore no-explicit-any
  [K in keyof E]: E[K] extends (...args: infer Params) => infer Result ? (...args: MultiParams<Params>) => Result
    : E[K];
};
// deno-lint-ignore no-explicit-any
type MultiParams<P extends any[]> = P extends [...infer H, infer L]
  // deno-lint-ignore no-explicit-any
  ? L extends (arg: infer A) => any ? [...H, (err: Error, responses: A[]) => void] : P
  : P;

export const RESERVED_EVENTS: ReadonlySet<string | symbol> = new Set([
  "connect",
  "connect_error",
  "disconnect",
  "disconnecting",
  "newListener",
  "removeListener",
]);
