/**
 * The sizes of a recovery buffer's stored broadcasts, oldest first, and their total: what a buffer bounded by
 * bytes (`connectionStateRecovery.maxBufferBytes`) evicts, for a store whose entries live elsewhere (Durable
 * Object storage, rooms/storage.ts). Keys order as the broadcasts were emitted.
 */
export class ByteLedger {
  #entries: Array<[key: string, bytes: number]> = [];
  #head = 0;
  /** Bytes of the entries held. */
  total = 0;

  /** Entries held. */
  get size(): number {
    return this.#entries.length - this.#head;
  }

  /** The newest broadcast. */
  add(key: string, bytes: number): void {
    this.#entries.push([key, bytes]);
    this.total += bytes;
  }

  /**
   * Older entries learnt later (a woken object reads what earlier instances stored): those older than every
   * entry held go in front, in key order; keys already held are skipped.
   */
  prepend(older: Iterable<[key: string, bytes: number]>): void {
    const first = this.#entries[this.#head]?.[0];
    const front: Array<[string, number]> = [];
    for (const [k, b] of older) {
      if (first !== undefined && k >= first) continue;
      front.push([k, b]);
      this.total += b;
    }
    front.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
    this.#entries = [...front, ...this.#entries.slice(this.#head)];
    this.#head = 0;
  }

  /** Forgets the entries with keys before `key` (swept by age). */
  dropBefore(key: string): void {
    while (this.#head < this.#entries.length && this.#entries[this.#head]![0] < key) this.#take();
    this.#compact();
  }

  /** Removes the oldest entries until the total fits `max` (the newest always stays); returns their keys. */
  evict(max: number): string[] {
    const out: string[] = [];
    while (this.total > max && this.size > 1) out.push(this.#take());
    this.#compact();
    return out;
  }

  #take(): string {
    const [key, bytes] = this.#entries[this.#head++]!;
    this.total -= bytes;
    return key;
  }

  #compact(): void {
    if (this.#head > 1024 && this.#head * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head);
      this.#head = 0;
    }
  }
}
