/**
 * Typed event maps, as in socket.io 4: `Server<ListenEvents, EmitEvents, ServerSideEvents, SocketData>`.
 * An app that declared its maps for socket.io keeps them unchanged.
 */
// deno-lint-ignore no-explicit-any -- maps hold listener types; `unknown` params would refuse typed listeners
export type EventsMap = Record<string, any>;
/** The map of an untyped `Server`: any event, any arguments (socket.io's default). */
export interface DefaultEventsMap {
  /** Any event, any arguments. */
  // deno-lint-ignore no-explicit-any -- maps hold listener types; `unknown` params would refuse typed listeners
  [event: string]: (...args: any[]) => void;
}

/** The event names of a map. */
export type EventNames<Map extends EventsMap> = keyof Map & (string | symbol);
/** The parameters of an event of a map. */
export type EventParams<Map extends EventsMap, Ev extends EventNames<Map>> = Parameters<Map[Ev]>;

/** Last parameter of an event's signature when it is the ack callback. */
// deno-lint-ignore no-explicit-any -- matches any function or tuple, as socket.io's helpers do
export type Last<T extends any[]> = T extends [...infer _H, infer L] ? L : never;
/** A tuple without its last element. */
// deno-lint-ignore no-explicit-any -- matches any function or tuple, as socket.io's helpers do
export type AllButLast<T extends any[]> = T extends [...infer H, infer _L] ? H : never;
/** The first parameter of a function type. */
// deno-lint-ignore no-explicit-any -- matches any function or tuple, as socket.io's helpers do
export type FirstArg<T> = T extends (arg: infer A, ...rest: any[]) => any ? A : any;
/** The second parameter of an error-first callback. */
// deno-lint-ignore no-explicit-any -- matches any function or tuple, as socket.io's helpers do
export type SecondArg<T> = T extends (err: Error, arg: infer A) => any ? A : any;

/** Parameters of `emitWithAck(ev, ...)`: the event's parameters without its callback. */
export type EventParamsWithoutAck<Map extends EventsMap, Ev extends EventNames<Map>> =
  // deno-lint-ignore no-explicit-any -- any tuple of parameters
  AllButLast<EventParams<Map, Ev>> extends any[] ? AllButLast<EventParams<Map, Ev>> : never;
/** What `emitWithAck` resolves with: the first argument of the event's callback. */
export type AckResult<Map extends EventsMap, Ev extends EventNames<Map>> = FirstArg<Last<EventParams<Map, Ev>>>;

/** `true` when `T` is `any`. */
export type IsAny<T> = 0 extends 1 & T ? true : false;
/** The last element of a parameter list (the ack callback of an event that takes one). */
export type LastParam<P extends readonly unknown[]> = P extends readonly [...unknown[], infer L] ? L
  : P extends readonly (infer E)[] ? E
  : never;
/** A parameter list without its last element (the arguments of `emitWithAck`). */
export type AllButLastParam<P extends readonly unknown[]> = P extends readonly [...infer H, unknown] ? H : P;
/** `true` when the last parameter of `F` is a callback (or `F` is untyped). */
export type HasAck<F> = IsAny<F> extends true ? true
  : F extends (...args: infer P) => unknown ? P extends [] ? false
    : IsAny<LastParam<P>> extends true ? true
    : LastParam<P> extends (...args: never[]) => unknown ? true
    : false
  : false;
/** The events of `Map` whose last parameter is an ack callback (every event of an untyped map). */
export type EventNamesWithAck<Map extends EventsMap, K extends EventNames<Map> = EventNames<Map>> = K extends unknown
  ? HasAck<Map[K]> extends true ? K : never
  : never;
/**
 * The value an ack callback is called with: its first argument, or the second when the first is the
 * `Error` of a `timeout()` (socket.io's `FirstNonErrorArg`). `any` for an untyped callback, as in socket.io,
 * so an app without event maps reads the answer without casts.
 */
export type AckValue<F> = IsAny<F> extends true ? Untyped
  : F extends (...args: infer P) => unknown ? P[0] extends Error ? P[1] : P[0]
  : Untyped;
/** The `any` of untyped acks. */
// deno-lint-ignore no-explicit-any -- an untyped ack answer is `any` in socket.io too; `unknown` would break apps
export type Untyped = any;
/** The arguments of `emitWithAck(ev, ...args)`: the event's parameters without the ack. */
export type EmitWithAckArgs<Map extends EventsMap, Ev extends EventNames<Map>> = AllButLastParam<Parameters<Map[Ev]>>;
/** What `socket.emitWithAck(ev)` resolves with. */
export type EmitWithAckResult<Map extends EventsMap, Ev extends EventNames<Map>> = AckValue<
  LastParam<Parameters<Map[Ev]>>
>;

/** Ack callbacks with a timeout receive an error first (socket.io's `DecorateAcknowledgements`). */
export type DecorateAcknowledgements<E> = {
  [K in keyof E]: E[K] extends (...args: infer Params) => infer Result ? (...args: DecorateParams<Params>) => Result
    : E[K];
};
/** A parameter list whose ack takes an `Error` first. */
// deno-lint-ignore no-explicit-any -- matches any function or tuple, as socket.io's helpers do
export type DecorateParams<P extends any[]> = P extends [...infer H, infer L]
  // deno-lint-ignore no-explicit-any -- matches any function or tuple, as socket.io's helpers do
  ? L extends (...args: infer A) => any ? [...H, (err: Error, ...args: A) => void] : P
  : P;

/** Broadcast acks collect one response per client. */
export type DecorateAcknowledgementsWithMultipleResponses<E> = {
  [K in keyof E]: E[K] extends (...args: infer Params) => infer Result ? (...args: MultiParams<Params>) => Result
    : E[K];
};
/** A parameter list whose ack takes an `Error` and the list of answers. */
// deno-lint-ignore no-explicit-any -- matches any function or tuple, as socket.io's helpers do
export type MultiParams<P extends any[]> = P extends [...infer H, infer L]
  // deno-lint-ignore no-explicit-any -- matches any function or tuple, as socket.io's helpers do
  ? L extends (arg: infer A) => any ? [...H, (err: Error, responses: A[]) => void] : P
  : P;

/** Events a client may not emit (reserved by socket.io). */
export const RESERVED_EVENTS: ReadonlySet<string | symbol> = new Set([
  "connect",
  "connect_error",
  "disconnect",
  "disconnecting",
  "newListener",
  "removeListener",
]);
