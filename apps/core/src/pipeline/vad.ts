// Energy voice-activity detection over 20 ms frames of the caller's audio. It drives barge-in
// (the caller speaks while the agent talks) and marks when the caller stopped speaking, which is
// where the core's reply latency is measured from. Deliberately simple: phone audio arrives
// after Asterisk's own processing, and what matters is speech onset within ~60 ms.

export type TVadOptions = {
  /** RMS (of 16-bit samples) above which a frame counts as voiced. */
  threshold: number;
  /** Consecutive voiced frames that start speech (60 ms by default: clicks do not count). */
  onsetFrames: number;
  /** Consecutive quiet frames that end speech. */
  hangoverFrames: number;
};

export const DEFAULT_VAD: TVadOptions = { threshold: 500, onsetFrames: 3, hangoverFrames: 25 };

export function frameRms(pcm: Buffer): number {
  const samples = pcm.length >> 1;
  if (samples === 0) return 0;
  let sum = 0;
  // A typed view when aligned; otherwise the bytes themselves (frames are views into the socket's
  // read, at odd offsets after the 3-byte header): no per-sample bounds-checked reads either way.
  if (pcm.byteOffset % 2 === 0) {
    const view = new Int16Array(pcm.buffer, pcm.byteOffset, samples);
    for (let i = 0; i < samples; i++) sum += (view[i] as number) * (view[i] as number);
  } else {
    for (let i = 0; i < samples * 2; i += 2) {
      const s = (((pcm[i + 1] as number) << 24) >> 16) | (pcm[i] as number);
      sum += s * s;
    }
  }
  return Math.sqrt(sum / samples);
}

export class VoiceActivity {
  private voiced = 0;
  private quiet = 0;
  speaking = false;
  /** performance.now() of the last voiced frame. */
  lastVoiceAt = 0;
  /** Whether the last frame pushed was voiced. */
  lastFrameVoiced = false;

  constructor(
    private readonly options: TVadOptions,
    private readonly events: { onSpeechStart?: () => void; onSpeechEnd?: (lastVoiceAt: number) => void },
  ) {}

  push(frame: Buffer, now = performance.now()): void {
    this.lastFrameVoiced = frameRms(frame) >= this.options.threshold;
    if (this.lastFrameVoiced) {
      this.voiced++;
      this.quiet = 0;
      this.lastVoiceAt = now;
      if (!this.speaking && this.voiced >= this.options.onsetFrames) {
        this.speaking = true;
        this.events.onSpeechStart?.();
      }
    } else {
      this.quiet++;
      this.voiced = 0;
      if (this.speaking && this.quiet >= this.options.hangoverFrames) {
        this.speaking = false;
        this.events.onSpeechEnd?.(this.lastVoiceAt);
      }
    }
  }
}
