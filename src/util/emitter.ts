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

/**
 * Listener lists by event: a flat [event, list, …] array while there are few events, a Map past that. Every
 * connection has two emitters (its engine session, its socket) with a handful of events each, and a Map
 * costs ~200 bytes where the array costs ~50; looking up a few names in order is as fast as hashing.
 */
class ListenerTable {
  #pairs: Array<string | symbol | Listener[]> = [];
  #map: Map<string | symbol, Listener[]> | undefined;

  get(event: string | symbol): Listener[] | undefined {
    if (this.#map) return this.#map.get(event);
    const p = this.#pairs;
    for (let i = 0; i < p.length; i += 2) if (p[i] === event) return p[i + 1] as Listener[];
    return undefined;
  }

  /** `event` has no list yet */
  set(event: string | symbol, list: Listener[]): void {
    if (this.#map) {
      this.#map.set(event, list);
    } else if (this.#pairs.length < 16) {
      this.#pairs.push(event, list);
    } else {
      this.#map = new Map();
      for (let i = 0; i < this.#pairs.length; i += 2) {
        this.#map.set(this.#pairs[i] as string | symbol, this.#pairs[i + 1] as Listener[]);
      }
      this.#map.set(event, list);
      this.#pairs = [];
    }
  }

  delete(event: string | symbol): void {
    if (this.#map) return void this.#map.delete(event);
    const p = this.#pairs;
    for (let i = 0; i < p.length; i += 2) if (p[i] === event) return void p.splice(i, 2);
  }

  keys(): (string | symbol)[] {
    if (this.#map) return [...this.#map.keys()];
    return this.#pairs.filter((_, i) => i % 2 === 0) as (string | symbol)[];
  }
}

/** A typed event emitter (no special "error" event). */
export class Emitter<L extends EventsMap = DefaultEvents> {
  /** created with the first listener */
  #table: ListenerTable | undefined;

  get #listeners(): ListenerTable {
    return (this.#table ??= new ListenerTable());
  }

  /** Adds a listener. */
  on<E extends EventNames<L>>(event: E, listener: L[E]): this {
    const list = this.#listeners.get(event);
    if (list) list.push(listener);
    else this.#listeners.set(event, [listener]);
    return this;
  }

  /** Same as `on`. */
  addListener<E extends EventNames<L>>(event: E, listener: L[E]): this {
    return this.on(event, listener);
  }

  /** Adds a listener before the others. */
  prependListener<E extends EventNames<L>>(event: E, listener: L[E]): this {
    const list = this.#listeners.get(event);
    if (list) list.unshift(listener);
    else this.#listeners.set(event, [listener]);
    return this;
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
      this.#table = undefined;
      return this;
    }
    if (listener === undefined) {
      this.#table?.delete(event);
      return this;
    }
    const list = this.#table?.get(event);
    if (!list) return this;
    const i = list.findIndex((l) => l === listener || (l as { listener?: Listener }).listener === listener);
    if (i !== -1) list.splice(i, 1);
    if (list.length === 0) this.#table!.delete(event);
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
    return [...(this.#table?.get(event) ?? [])] as L[E][];
  }

  /** How many listeners an event has. */
  listenerCount<E extends EventNames<L>>(event: E): number {
    return this.#table?.get(event)?.length ?? 0;
  }

  /** Whether an event has listeners. */
  hasListeners<E extends EventNames<L>>(event: E): boolean {
    return this.listenerCount(event) > 0;
  }

  /** The events that have listeners. */
  eventNames(): (string | symbol)[] {
    return this.#table ? this.#table.keys() : [];
  }

  /** Calls the listeners registered for `event`, in order, on a snapshot (a listener may remove itself). */
  emitReserved<E extends EventNames<L>>(event: E, ...args: EventParams<L, E>): boolean {
    const list = this.#table?.get(event);
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
