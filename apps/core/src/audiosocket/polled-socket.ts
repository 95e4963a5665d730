// A connection read and written on the pacer's clock instead of libuv's: each 20 ms turn of a
// call does one non-blocking read of whatever Asterisk sent since the last turn and one
// non-blocking write of the call's next frame, straight on the socket's file descriptor.
//
// Why: an AudioSocket call is 50 frames a second each way. Read by the event loop, every inbound
// frame of every call is a wake-up of its own (callers are not in step), a buffer, a stream push
// and an event; written through the socket, every outbound frame is a write request and its
// callback. On this machine's virtual CPUs a wake-up costs 50-250 µs before any work: a bare Node
// echo of 10 calls spends 6.7 ms of CPU per call-second doing nothing else, the same echo polled
// 3.2. Polled on the pacer's slot ticks, the process wakes once per slot for every call in it,
// reads into one reused buffer and writes from one reused frame (bench/README.md has the figures).
//
// The price: caller audio waits in the kernel for the call's read. The pacer keeps each call's
// read in the first awake slot after its caller's frames arrive: among many calls up to 2 ms,
// among 10 calls or fewer (one slot awake) up to 20.
//
// Ownership: the socket must come from a server with `pauseOnConnect` (libuv never reads it) and
// must not be written through while polled. `release()` comes before the socket is closed or
// handed back to the event loop: a closed descriptor's number is reused by the next connection,
// and a poll after the close would read another call's audio.
import { readSync, writeSync } from "node:fs";
import type { Socket } from "node:net";

/** `read` found nothing waiting (the peer has not sent since the last turn). */
export const NOTHING_YET = -1;

/** The peer closed its side (end of stream): `read` returns 0. */
export const END_OF_STREAM = 0;

const isWouldBlock = (err: unknown) => {
  const code = (err as NodeJS.ErrnoException).code;
  return code === "EAGAIN" || code === "EWOULDBLOCK" || code === "EINTR";
};

export class PolledSocket {
  private fd: number;
  /** Bytes a full kernel buffer did not take yet, sent before anything new (rare: a slow peer). */
  private unsent: Buffer | undefined;

  constructor(socket: Socket) {
    // The descriptor of a TCP handle; net.Socket exposes no public accessor for it.
    const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
    if (typeof fd !== "number" || fd < 0) throw new Error("a polled AudioSocket connection needs a TCP socket with a file descriptor");
    this.fd = fd;
  }

  /** The socket's file descriptor (-1 once released). */
  get descriptor(): number {
    return this.fd;
  }

  /** Outbound bytes waiting in the core because the peer's kernel buffer is full. */
  get backlogBytes(): number {
    return this.unsent?.length ?? 0;
  }

  /**
   * Reads what waits into `into`: the byte count, END_OF_STREAM, or NOTHING_YET. Throws the
   * socket's error (a reset) as it is.
   */
  read(into: Buffer): number {
    if (this.fd < 0) return END_OF_STREAM;
    // A socket with nothing to read answers EAGAIN, which Node throws: without a stack trace
    // that costs a couple of microseconds, with one ten times that.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      return readSync(this.fd, into, 0, into.length, null);
    } catch (err) {
      if (isWouldBlock(err)) return NOTHING_YET;
      throw err;
    } finally {
      Error.stackTraceLimit = limit;
    }
  }

  /**
   * Writes `bytes` now, or what the kernel does not take into the backlog (copied: the caller
   * may reuse `bytes` at once). Throws the socket's error (the peer is gone).
   */
  write(bytes: Buffer): void {
    if (this.fd < 0) return;
    if (this.unsent) {
      this.unsent = Buffer.concat([this.unsent, bytes]);
      this.flush();
      return;
    }
    const written = this.writeSome(bytes);
    if (written < bytes.length) this.unsent = Buffer.from(bytes.subarray(written));
  }

  /** Stops every read and write: call it before the socket is closed or handed back. */
  release(): void {
    this.fd = -1;
    this.unsent = undefined;
  }

  /** Sends what the kernel refused before, as much as it takes now. */
  flush(): void {
    const unsent = this.unsent;
    if (!unsent || this.fd < 0) return;
    const written = this.writeSome(unsent);
    this.unsent = written === unsent.length ? undefined : unsent.subarray(written);
  }

  private writeSome(bytes: Buffer): number {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      return writeSync(this.fd, bytes, 0, bytes.length);
    } catch (err) {
      if (isWouldBlock(err)) return 0;
      throw err;
    } finally {
      Error.stackTraceLimit = limit;
    }
  }
}
