/**
 * A small typed event emitter: the core cannot use `node:events`, and unlike Node's
 * EventEmitter an "error" event has no special meaning here, so a client that emits "error" can never
 * turn into a thrown exception (socket.io's reserved-event hazard).
 */
/** A listener of any event. */
// deno-lint-ignore no-explicit-any -- a listener list holds listeners of every event's own signature
export type Listener = (...args: any[]) => unknown;
/** A map of event names to listener types. */
// deno-lint-ignore no-explicit-any -- listener types of any signature (see socket/typed-events.ts)
export type EventsMap = Record<string, any>;
/** The event names of a map. */
export type EventNames<M extends EventsMap> = keyof M & (string | symbol);
/** The parameters of an event. */
export type EventParams<M extends EventsMap, E extends keyof M> = Parameters<M[E]>;

/** The map of an untyped emitter. */
// deno-lint-ignore no-explicit-any -- the untyped default: any event, any arguments
export type DefaultEvents = Record<string, (...args: any[]) => void>;

/** A typed event emitter (no special "error" event). */
export class Emitter<L extends EventsMap = DefaultEvents> {
  /**
   * Listener lists in a flat [event, list, …] array, created with the first listener: every connection has
   * emitters with a handful of events, and a Map costs ~200 bytes where this costs ~50. An event can only
   * match an event slot (lists are arrays), so `indexOf` finds it.
   */
  #pairs: Array<string | symbol | Listener[]> | undefined;

  #get(event: string | symbol): Listener[] | undefined {
    const p = this.#pairs;
    const i = p ? p.indexOf(event) : -1;
    return i < 0 ? undefined : p![i + 1] as Listener[];
  }

  #add(event: string | symbol, listener: Listener, first?: boolean): this {
    const list = this.#get(event);
    if (!list) (this.#pairs ??= []).push(event, [listener]);
    else if (first) list.unshift(listener);
    else list.push(listener);
    return this;
  }

  #drop(event: string | symbol): void {
    const i = this.#pairs ? this.#pairs.indexOf(event) : -1;
    if (i >= 0) this.#pairs!.splice(i, 2);
  }

  /** Adds a listener. */
  on<E extends EventNames<L>>(event: E, listener: L[E]): this {
    return this.#add(event, listener);
  }

  /** Same as `on`. */
  addListener<E extends EventNames<L>>(event: E, listener: L[E]): this {
    return this.on(event, listener);
  }

  /** Adds a listener before the others. */
  prependListener<E extends EventNames<L>>(event: E, listener: L[E]): this {
    return this.#add(event, listener, true);
  }

  /** Adds a listener that runs once. */
  once<E extends EventNames<L>>(event: E, listener: L[E]): this {
    const wrapper = (...args: unknown[]) => {
      this.off(event, wrapper as L[E]);
      return (listener as Listener).apply(this, args);
    };
    (wrapper as { listener?: Listener }).listener = listener;
    return this.on(event, wrapper as L[E]);
  }

  /** Removes a listener (all of an event without `listener`, all events without `event`). */
  off<E extends EventNames<L>>(event?: E, listener?: L[E]): this {
    if (event === undefined) {
      this.#pairs = undefined;
      return this;
    }
    if (listener === undefined) {
      this.#drop(event);
      return this;
    }
    const list = this.#get(event);
    if (!list) return this;
    const i = list.findIndex((l) => l === listener || (l as { listener?: Listener }).listener === listener);
    if (i !== -1) list.splice(i, 1);
    if (list.length === 0) this.#drop(event);
    return this;
  }

  /** Removes a listener. */
  removeListener<E extends EventNames<L>>(event: E, listener: L[E]): this {
    return this.off(event, listener);
  }

  /** Removes every listener of an event (of all events without `event`). */
  removeAllListeners<E extends EventNames<L>>(event?: E): this {
    return this.off(event);
  }

  /** The listeners of an event. */
  listeners<E extends EventNames<L>>(event: E): L[E][] {
    return [...(this.#get(event) ?? [])] as L[E][];
  }

  /** How many listeners an event has. */
  listenerCount<E extends EventNames<L>>(event: E): number {
    return this.#get(event)?.length ?? 0;
  }

  /** Whether an event has listeners. */
  hasListeners<E extends EventNames<L>>(event: E): boolean {
    return this.listenerCount(event) > 0;
  }

  /** The events that have listeners. */
  eventNames(): (string | symbol)[] {
    return (this.#pairs ?? []).filter((_, i) => i % 2 === 0) as (string | symbol)[];
  }

  /** Calls the listeners registered for `event`, in order, on a snapshot (a listener may remove itself). */
  emitReserved<E extends EventNames<L>>(event: E, ...args: EventParams<L, E>): boolean {
    const list = this.#get(event);
    if (!list) return false;
    if (list.length === 1) {
      list[0]!.apply(this, args);
      return true;
    }
    for (const l of [...list]) l.apply(this, args);
    return true;
  }

  /** @internal Untyped forms for the library's own code, where the app's event maps are generic parameters. */
  _emit(event: string | symbol, ...args: unknown[]): boolean {
    return (this.emitReserved as (e: string | symbol, ...a: unknown[]) => boolean)(event, ...args);
  }

  /** @internal Untyped `on` for the library's own code. */
  _on(event: string | symbol, listener: Listener): this {
    return (this.on as (e: string | symbol, l: Listener) => this)(event, listener);
  }
}
