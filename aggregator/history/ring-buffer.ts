/** A fixed-capacity buffer that drops its oldest item when full (STYLE.md principle 9). */
export class RingBuffer<T> {
  private readonly items: (T | undefined)[];
  private start = 0;
  private count = 0;
  private droppedCount = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`capacity must be ≥ 1, got ${capacity}`);
    this.items = new Array<T | undefined>(capacity);
  }

  /** Appends; when full, the oldest item is dropped and counted. */
  push(item: T): void {
    if (this.count < this.capacity) {
      this.items[(this.start + this.count) % this.capacity] = item;
      this.count++;
      return;
    }
    this.items[this.start] = item;
    this.start = (this.start + 1) % this.capacity;
    this.droppedCount++;
  }

  get size(): number {
    return this.count;
  }

  /** Items dropped to make room so far. */
  get dropped(): number {
    return this.droppedCount;
  }

  /** Newest first, lazily: a reader that stops early touches only what it read. */
  *newestFirst(): IterableIterator<T> {
    for (let i = this.count - 1; i >= 0; i--) {
      yield this.items[(this.start + i) % this.capacity] as T;
    }
  }
}
