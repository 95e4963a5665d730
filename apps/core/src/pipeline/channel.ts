// A queue from a producer that pushes synchronously (socket 'data' events, AudioSocket frames) to
// one reader that pulls with `for await`. push() never blocks and makes no promise when the
// reader is not waiting, so it can sit on a hot path. The channel itself has no cap: its owner
// bounds what may wait (AudioFeed by bytes, the stt stage by pausing its response) and says how.

export class Channel<T> implements AsyncIterableIterator<T> {
  private readonly items: T[] = [];
  private reader: { resolve(result: IteratorResult<T>): void; reject(err: unknown): void } | undefined;
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

  private wakeReader(): void {
    const reader = this.reader;
    if (!reader) return;
    this.reader = undefined;
    if (this.failure) {
      const { error } = this.failure;
      this.failure = undefined;
      reader.reject(error);
    } else {
      reader.resolve({ value: undefined, done: true });
    }
  }
}

/**
 * Reads `source` to its end as fast as it yields, whatever its reader is doing, keeping the items
 * for the reader in order. A reply uses it so that the LLM goes on streaming while earlier
 * sentences are being synthesized (an LLM left unread would hit its idle timeout during a long
 * sentence). What it holds is bounded by the source (a reply's text is capped). A failure of
 * the source goes to `onError` at once and to the reader on its next pull (items still waiting
 * are dropped: the reply is failing anyway).
 */
export function readAhead<T>(source: AsyncIterable<T>, onError?: (err: unknown) => void): AsyncIterableIterator<T> {
  const channel = new Channel<T>();
  void (async () => {
    try {
      for await (const item of source) {
        if (channel.done) return; // the reader gave up
        channel.push(item);
      }
      channel.end();
    } catch (err) {
      onError?.(err);
      channel.fail(err);
    }
  })();
  return channel;
}
