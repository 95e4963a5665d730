// A queue from a producer that pushes synchronously (socket 'data' events, AudioSocket frames) to
// one reader that pulls with `for await` — or, on a hot path, takes each item synchronously as it
// is pushed (`flow`), pausing while it is full. The channel itself has no cap: its owner bounds
// what may wait (AudioFeed by bytes, the stt stage by pausing its response) and says how.

/** A reader that takes items synchronously: `take` returns false when it can take no more for now. */
export type TFlowReader<T> = { take(item: T): boolean; end(error?: unknown): void };

/** A stream that can also be read without a promise per item (a Channel, an AudioFeed). */
export type TFlowable<T> = AsyncIterable<T> & { flow?(reader: TFlowReader<T>): TFlow };

/** A flowing reader's hold on the channel. */
export type TFlow = {
  /** The reader can take items again: what waits is handed over first. */
  resume(): void;
  /** The reader is done: the channel closes and what waits is dropped. */
  stop(): void;
};

export class Channel<T> implements AsyncIterableIterator<T> {
  private readonly items: T[] = [];
  private reader: TWaitingReader<T> | undefined;
  private flowing: { reader: TFlowReader<T>; paused: boolean } | undefined;
  private closed = false;
  private failure: { error: unknown } | undefined;
  /** Called with each item as the reader takes it (owners count what still waits). */
  onTake: ((item: T) => void) | undefined;

  /** Items waiting for the reader. */
  get size(): number {
    return this.items.length;
  }

  /** True once ended, failed or given up by the reader: pushes are dropped from then on. */
  get done(): boolean {
    return this.closed;
  }

  push(item: T): void {
    if (this.closed) return;
    const flowing = this.flowing;
    if (flowing) {
      if (flowing.paused || this.items.length > 0) this.items.push(item);
      else {
        this.onTake?.(item);
        flowing.paused = !flowing.reader.take(item);
      }
      return;
    }
    const reader = this.reader;
    if (reader) {
      this.reader = undefined;
      this.onTake?.(item);
      reader.resolve({ value: item, done: false });
      return;
    }
    this.items.push(item);
  }

  /** No more items: the reader gets what waits, then the end. */
  end(): void {
    if (this.closed) return;
    this.closed = true;
    this.wakeReader();
  }

  /** The producer failed: what waits is dropped and the reader gets `error` at once. */
  fail(error: unknown): void {
    if (this.closed) return;
    this.closed = true;
    this.items.length = 0;
    this.failure = { error };
    this.wakeReader();
  }

  next(): Promise<IteratorResult<T>> {
    if (this.items.length > 0) {
      const item = this.items.shift() as T;
      this.onTake?.(item);
      return Promise.resolve({ value: item, done: false });
    }
    if (this.failure) {
      const { error } = this.failure;
      this.failure = undefined; // thrown once; the channel reads as ended afterwards
      return Promise.reject(error);
    }
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.reader = { resolve, reject };
    });
  }

  /** The reader stops early (`break` in a `for await`): what waits is dropped. */
  return(): Promise<IteratorResult<T>> {
    this.closed = true;
    this.items.length = 0;
    this.failure = undefined;
    this.wakeReader();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /**
   * Reads the channel without a promise per item: each item goes to `reader.take` as it is pushed
   * (after what already waits). A promise per item is what a reader on a hot path cannot afford:
   * each one lives until the next item, long enough to be promoted and collected by a full GC.
   * Instead of `for await`, not besides it.
   */
  flow(reader: TFlowReader<T>): TFlow {
    const flowing = { reader, paused: false };
    this.flowing = flowing;
    this.deliver();
    return {
      resume: () => {
        if (this.flowing !== flowing) return;
        flowing.paused = false;
        this.deliver();
      },
      stop: () => {
        if (this.flowing !== flowing) return;
        this.flowing = undefined;
        this.closed = true;
        this.items.length = 0;
        this.failure = undefined;
      },
    };
  }

  /** Hands what waits to a flowing reader while it takes it; ends the flow once the channel has. */
  private deliver(): void {
    const flowing = this.flowing;
    if (!flowing) return;
    while (!this.failure && !flowing.paused && this.items.length > 0) {
      const item = this.items.shift() as T;
      this.onTake?.(item);
      flowing.paused = !flowing.reader.take(item);
    }
    if (!this.closed || (this.items.length > 0 && !this.failure)) return;
    this.flowing = undefined;
    const failure = this.failure;
    this.failure = undefined;
    flowing.reader.end(failure?.error);
  }

  private wakeReader(): void {
    if (this.flowing) {
      this.deliver();
      return;
    }
    const reader = this.reader;
    if (!reader) return;
    const failure = this.failure;
    this.reader = undefined;
    this.failure = undefined; // thrown once
    endWaiting(reader, failure);
  }
}

/** A reader waiting in `next()`. */
export type TWaitingReader<T> = { resolve(result: IteratorResult<T>): void; reject(err: unknown): void };

/** Ends a waiting reader's `next()`: with the failure when there is one, else with the end. */
export function endWaiting<T>(reader: TWaitingReader<T>, failure: { error: unknown } | undefined): void {
  if (failure) reader.reject(failure.error);
  else reader.resolve({ value: undefined, done: true });
}
