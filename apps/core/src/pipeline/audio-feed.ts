// The caller's audio on its way to the ASR. The AudioSocket side pushes batches in as they
// arrive — synchronously, on the hot path (50 frames/s per call) — and the stt stage takes them
// as fast as the ASR reads (flowing: no promise per batch). Caller audio is real time and cannot wait for a slow
// reader, so what the ASR leaves unread is capped: past the cap the feed fails, the stt stage
// fails with it and the session reopens the ASR. A stalled ASR never grows the core's memory.
import { Channel, type TFlow, type TFlowable, type TFlowReader } from "./channel.ts";
import { ProviderError } from "./provider-clients.ts";

/** 64 KiB is 4 s of 8 kHz PCM16 waiting in the core, beyond what the kernel's socket buffers hold. */
export const MAX_UNREAD_AUDIO_BYTES = 64 * 1024;

export class AudioFeed implements TFlowable<Buffer> {
  private readonly channel = new Channel<Buffer>();
  private bytes = 0;

  constructor(
    private readonly options: {
      maxUnreadBytes?: number;
      /** The cap was exceeded (the reader is told too: at once when flowing, else on its next pull). */
      onOverflow?: (err: ProviderError) => void;
    } = {},
  ) {
    this.channel.onTake = (pcm) => {
      this.bytes -= pcm.length;
    };
  }

  /** Audio pushed and not yet pulled. */
  get unreadBytes(): number {
    return this.bytes;
  }

  /** Never blocks. Dropped once the feed is closed or has failed. */
  push(pcm: Buffer): void {
    if (this.channel.done) return;
    const max = this.options.maxUnreadBytes ?? MAX_UNREAD_AUDIO_BYTES;
    if (this.bytes + pcm.length > max) {
      this.bytes = 0;
      const err = new ProviderError("asr", `stopped reading the caller's audio (over ${max / 1024} KiB unread)`);
      this.channel.fail(err);
      this.options.onOverflow?.(err);
      return;
    }
    this.bytes += pcm.length;
    this.channel.push(pcm);
  }

  /** No more audio (the call ended): the reader gets what waits, then the end. */
  close(): void {
    this.channel.end();
  }

  /** One reader: the stt stage, which takes each batch as it is pushed (`flow`)... */
  flow(reader: TFlowReader<Buffer>): TFlow {
    return this.channel.flow(reader);
  }

  /** ... or with `for await` (tests, tools). */
  [Symbol.asyncIterator](): AsyncIterator<Buffer> {
    return this.channel;
  }
}
