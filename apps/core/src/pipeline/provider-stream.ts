// One provider request read as a stream of what its response decodes to (the LLM's events, the
// TTS's audio): the llm and tts stages return one of these per request.
//
// It is one object per request rather than a chain of async generators (request -> response
// chunks -> decoded items), because a reply holds its requests open for its whole life and every
// generator layer keeps its own closures, contexts and a promise per item alive meanwhile (with
// the reply's own layers, a quarter of what the core kept alive at 200 calls: bench/README.md,
// 2026-12-07). The response is read with 'data' events and one stall timer, re-armed each time
// the reader waits, instead of a timer per chunk; the reply's signal is watched by one listener.
import type { IncomingMessage } from "node:http";
import { endWaiting, type TWaitingReader } from "./channel.ts";
import { ProviderError, stoppedBy, type TProviderKind, type TProviderRequest } from "./provider-clients.ts";

/** Turns the response's chunks into items; throws (any error) on what the contract forbids. */
export type TDecoder<T> = {
  push(chunk: Buffer, emit: (item: T) => void): void;
  /** The response ended: throws when it ended mid-item. */
  end(): void;
};

const DONE: IteratorResult<never> = Object.freeze({ value: undefined, done: true });

/**
 * Opens the request on the first `next()`, so an iterator nobody reads makes no request.
 * Bounds: the response headers within the request's own timeout; the provider silent for
 * `idleMs` while the reader waits fails the stream (not while the reader does not pull: a reply
 * waiting for room in the call's outbound queue is not a stalled provider); what waits for the
 * reader is at most one chunk's items, since the response is paused until they are taken (TCP
 * then pushes back on the provider).
 *
 * Stopping: aborting `signal` closes the request and ends the stream quietly, unless the abort's
 * reason is a ProviderError, which the stream then fails with; `return()` (a reader that stops
 * early) closes the request too. A response read to its end leaves its connection to the
 * keep-alive pool.
 */
export class ProviderStream<T> implements AsyncIterableIterator<T> {
  private request: TProviderRequest | undefined;
  private response: IncomingMessage | undefined;
  private readonly items: T[] = [];
  private reader: TWaitingReader<T> | undefined;
  /** No more items: ended, failed, stopped or given up by the reader. */
  private over = false;
  /** A failure the reader has not been handed yet (it is thrown once). */
  private failure: { error: unknown } | undefined;
  private stall: NodeJS.Timeout | undefined;
  private readonly emit = (item: T) => this.push(item);

  constructor(
    private readonly provider: TProviderKind,
    /** Opens the request (without the signal: this stream closes it). */
    private readonly open: () => TProviderRequest,
    private readonly decoder: TDecoder<T>,
    private readonly signal: AbortSignal,
    private readonly idleMs: number,
  ) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<T>> {
    if (!this.request && !this.over) {
      try {
        if (stoppedBy(this.signal)) this.over = true;
        else this.start();
      } catch (err) {
        this.over = true;
        return Promise.reject(err);
      }
    }
    if (this.items.length > 0) {
      const item = this.items.shift() as T;
      if (this.items.length === 0 && !this.over) this.response?.resume();
      return Promise.resolve({ value: item, done: false });
    }
    if (this.failure) {
      const { error } = this.failure;
      this.failure = undefined;
      return Promise.reject(error);
    }
    if (this.over) return Promise.resolve(DONE);
    return new Promise((resolve, reject) => {
      this.reader = { resolve, reject };
      this.armStall();
    });
  }

  /** The reader stopped early (`break`, a failure further down): the request is given up. */
  return(): Promise<IteratorResult<T>> {
    this.over = true;
    this.items.length = 0;
    this.failure = undefined;
    this.close();
    return Promise.resolve(DONE);
  }

  private start(): void {
    const request = this.open();
    this.request = request;
    this.signal.addEventListener("abort", this.onAbort, { once: true });
    request.response.then(
      (res) => {
        if (this.over) {
          res.destroy();
          return;
        }
        this.response = res;
        res.on("data", this.onData);
        res.on("end", this.onEnd);
        res.on("error", this.onError);
        // Without 'end' or 'error' first (a connection cut mid-stream): a failure, not an end.
        res.on("close", this.onClose);
        if (this.reader) this.armStall();
      },
      (err: unknown) => this.fail(err),
    );
  }

  private readonly onData = (chunk: Buffer) => {
    try {
      this.decoder.push(chunk, this.emit);
    } catch (err) {
      this.fail(err);
      return;
    }
    if (this.items.length > 0) this.response?.pause();
  };

  private readonly onEnd = () => {
    try {
      this.decoder.end();
    } catch (err) {
      this.fail(err);
      return;
    }
    if (this.over) return;
    this.over = true;
    this.close(); // read whole: its connection goes back to the pool
    this.wake();
  };

  private readonly onError = (err: Error) => this.fail(new ProviderError(this.provider, `stream broke: ${err.message}`));

  private readonly onClose = () => this.fail(new ProviderError(this.provider, "stream closed"));

  /** Barge-in, a newer reply, the hang-up: quietly over. A reply's deadline: a failure. */
  private readonly onAbort = () => {
    const { reason } = this.signal;
    if (reason instanceof ProviderError) {
      this.fail(reason);
      return;
    }
    if (this.over) return;
    this.over = true;
    this.items.length = 0;
    this.close();
    this.wake();
  };

  private push(item: T): void {
    if (this.over) return;
    const reader = this.reader;
    if (reader) {
      this.reader = undefined;
      reader.resolve({ value: item, done: false });
    } else {
      this.items.push(item);
    }
  }

  private fail(error: unknown): void {
    if (this.over) return;
    this.over = true;
    this.items.length = 0;
    this.failure = { error: error instanceof ProviderError ? error : new ProviderError(this.provider, String(error)) };
    this.close();
    this.wake();
  }

  /** Hands the end or the failure to a reader that waits. */
  private wake(): void {
    if (!this.reader) return;
    endWaiting(this.reader, this.failure); // settles on a later microtask: clearing after is safe
    this.reader = undefined;
    this.failure = undefined; // thrown once
  }

  /** One timer for the whole response, re-armed each time the reader starts to wait for it. */
  private armStall(): void {
    if (!this.response || this.over) return;
    if (this.stall) this.stall.refresh();
    else {
      this.stall = setTimeout(() => {
        if (this.reader) this.fail(new ProviderError(this.provider, `stream stalled for ${this.idleMs} ms`));
      }, this.idleMs);
    }
  }

  /**
   * Closes the request, unless its response was read whole (its connection is then reused), and
   * lets go of both. The response's listeners stay: once over, this stream ignores them, and
   * removing one turns the response's listener table into a dictionary, an allocation that
   * lives as long as the response (the profiler's largest survivor when this stream did so).
   * Called once the stream is over; calling it again does nothing, since it let go of both.
   */
  private close(): void {
    clearTimeout(this.stall);
    this.signal.removeEventListener("abort", this.onAbort);
    if (!this.response?.complete) this.request?.req.destroy();
    this.request = undefined;
    this.response = undefined;
  }
}
