// A call's outbound audio: PCM of any chunk size in, exact 20 ms frames out. Silence fills the
// gaps (Asterisk drops an AudioSocket call after ~2 s without audio), and clear() drops every
// queued frame at once, which is what barge-in needs.
import { SLIN8_FRAME_BYTES } from "./frame.ts";

/**
 * Audio a call may queue ahead of what it plays: 20 s (320 KiB). A TTS streams faster than real
 * time, and a long reply would otherwise queue all of its minutes; past this the reply waits for
 * room (`room()`) and the TTS's stream waits with it (TCP pushes back on the provider).
 */
export const MAX_QUEUED_MS = 20_000;

export class OutboundAudio {
  private readonly chunks: Buffer[] = [];
  /** Bytes of chunks[0] already sent: a frame is copied out of the chunk, never sliced off it. */
  private headOffset = 0;
  private queuedBytes = 0;
  /** Called once when the queue runs dry after having held audio (end of an utterance). */
  onDrained: (() => void) | undefined;
  /** One-shot: called when the next non-silent frame goes out (reply latency is measured there). */
  onAudibleFrame: (() => void) | undefined;
  /** Called when audio arrives in an empty queue (the sender may start it off the 20 ms grid). */
  onWake: (() => void) | undefined;
  /** Called on clear(): frames already handed to the sender but not sent are dropped too. */
  onClear: (() => void) | undefined;
  private roomWaiters: (() => void)[] = [];

  enqueue(pcm: Buffer): void {
    if (pcm.length === 0) return;
    const wasIdle = this.queuedBytes === 0;
    this.chunks.push(pcm);
    this.queuedBytes += pcm.length;
    if (wasIdle) this.onWake?.();
  }

  /** Queued audio in milliseconds (8 kHz, 16-bit). */
  get queuedMs(): number {
    return this.queuedBytes / 16;
  }

  get idle(): boolean {
    return this.queuedBytes === 0;
  }

  /** Resolves once less than MAX_QUEUED_MS is queued (at once if so already). */
  room(): Promise<void> {
    if (this.queuedMs < MAX_QUEUED_MS) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  clear(): void {
    this.chunks.length = 0;
    this.headOffset = 0;
    this.queuedBytes = 0;
    this.onClear?.();
    this.wakeRoomWaiters();
  }

  private wakeRoomWaiters(): void {
    if (this.roomWaiters.length === 0 || this.queuedMs >= MAX_QUEUED_MS) return;
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const w of waiters) w();
  }

  /**
   * Copies the next 20 ms of queued audio into `target` at `offset` — straight into the frame
   * that goes on the wire, so a frame costs one buffer — padding the very end of the audio with
   * silence. False when nothing is queued (the sender sends its own silent frame).
   */
  readFrameInto(target: Buffer, offset: number): boolean {
    if (this.queuedBytes === 0) return false;
    let filled = 0;
    while (filled < SLIN8_FRAME_BYTES && this.chunks.length > 0) {
      const head = this.chunks[0] as Buffer;
      const take = Math.min(head.length - this.headOffset, SLIN8_FRAME_BYTES - filled);
      head.copy(target, offset + filled, this.headOffset, this.headOffset + take);
      filled += take;
      this.headOffset += take;
      if (this.headOffset === head.length) {
        this.chunks.shift();
        this.headOffset = 0;
      }
    }
    if (filled < SLIN8_FRAME_BYTES) target.fill(0, offset + filled, offset + SLIN8_FRAME_BYTES);
    this.queuedBytes -= filled;
    this.wakeRoomWaiters();
    if (this.onAudibleFrame) {
      const notify = this.onAudibleFrame;
      this.onAudibleFrame = undefined;
      notify();
    }
    if (this.queuedBytes === 0) this.onDrained?.();
    return true;
  }
}
