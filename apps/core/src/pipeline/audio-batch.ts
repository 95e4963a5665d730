// Caller audio gathered into one batch for the ASR. Frames are copied in as they arrive — the
// AudioSocket side reads every call into one reused buffer, so a frame is only valid while it is
// handed over — and each batch leaves as one buffer of its own (one HTTP chunk upstream).
import { SLIN8_FRAME_BYTES } from "../audiosocket/frame.ts";

export class AudioBatch {
  private buffer: Buffer;
  private bytes = 0;
  /** Frames added since the last take. */
  frames = 0;

  constructor(capacityFrames: number) {
    this.buffer = Buffer.allocUnsafe(capacityFrames * SLIN8_FRAME_BYTES);
  }

  add(pcm: Buffer): void {
    if (this.bytes + pcm.length > this.buffer.length) {
      // Only a frame longer than 20 ms (a resampled odd size) gets here: grow, keep what waits.
      const grown = Buffer.allocUnsafe(Math.max(2 * this.buffer.length, this.bytes + pcm.length));
      this.buffer.copy(grown, 0, 0, this.bytes);
      this.buffer = grown;
    }
    pcm.copy(this.buffer, this.bytes);
    this.bytes += pcm.length;
    this.frames++;
  }

  /** The batch as a buffer of its own (the gathering buffer is reused). */
  take(): Buffer {
    const out = Buffer.allocUnsafe(this.bytes);
    this.buffer.copy(out, 0, 0, this.bytes);
    this.bytes = 0;
    this.frames = 0;
    return out;
  }
}
