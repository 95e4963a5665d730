// A call's outbound audio: PCM of any chunk size in, exact 20 ms frames out. Silence fills the
// gaps (Asterisk drops an AudioSocket call after ~2 s without audio), and clear() drops every
// queued frame at once, which is what barge-in needs.
import { SLIN8_FRAME_BYTES } from "./frame.ts";

const SILENCE = Buffer.alloc(SLIN8_FRAME_BYTES);

export class OutboundAudio {
  private readonly chunks: Buffer[] = [];
  private queuedBytes = 0;
  /** Called once when the queue runs dry after having held audio (end of an utterance). */
  onDrained: (() => void) | undefined;
  /** One-shot: called when the next non-silent frame goes out (reply latency is measured there). */
  onAudibleFrame: (() => void) | undefined;
  /** Called when audio arrives in an empty queue (the sender may start it off the 20 ms grid). */
  onWake: (() => void) | undefined;

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

  clear(): void {
    this.chunks.length = 0;
    this.queuedBytes = 0;
  }

  /** The next 20 ms frame: queued audio (padded with silence at the very end) or silence. */
  nextFrame(): { frame: Buffer; silent: boolean } {
    if (this.queuedBytes === 0) return { frame: SILENCE, silent: true };
    const head = this.chunks[0] as Buffer;
    if (head.length >= SLIN8_FRAME_BYTES) return this.take(head);
    const frame = Buffer.alloc(SLIN8_FRAME_BYTES);
    let filled = 0;
    while (filled < SLIN8_FRAME_BYTES && this.chunks.length > 0) {
      const head = this.chunks[0] as Buffer;
      const take = Math.min(head.length, SLIN8_FRAME_BYTES - filled);
      head.copy(frame, filled, 0, take);
      filled += take;
      if (take === head.length) this.chunks.shift();
      else this.chunks[0] = head.subarray(take);
    }
    this.queuedBytes -= filled;
    return this.sent(frame);
  }

  /** A whole frame from the head chunk, without a copy (queued chunks are never written to). */
  private take(head: Buffer): { frame: Buffer; silent: boolean } {
    const frame = head.subarray(0, SLIN8_FRAME_BYTES);
    if (head.length === SLIN8_FRAME_BYTES) this.chunks.shift();
    else this.chunks[0] = head.subarray(SLIN8_FRAME_BYTES);
    this.queuedBytes -= SLIN8_FRAME_BYTES;
    return this.sent(frame);
  }

  private sent(frame: Buffer): { frame: Buffer; silent: boolean } {
    if (this.onAudibleFrame) {
      const notify = this.onAudibleFrame;
      this.onAudibleFrame = undefined;
      notify();
    }
    if (this.queuedBytes === 0) this.onDrained?.();
    return { frame, silent: false };
  }
}
