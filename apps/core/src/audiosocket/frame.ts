// AudioSocket framing (Asterisk <-> core over TCP): type (1 byte) + payload length (uint16,
// big-endian) + payload. TCP delivers frames split across reads or several in one read; the
// decoder handles both, and rejects what no Asterisk sends (unknown types, oversized payloads)
// so a broken or hostile peer ends only its own call.

export const FrameType = {
  hangup: 0x00,
  uuid: 0x01,
  dtmf: 0x03,
  /** signed linear 16-bit little-endian, 8 kHz mono */
  audio: 0x10,
  error: 0xff,
} as const;

/** Asterisk 22+ audio at higher rates: type -> sample rate (Hz). */
export const HIGH_RATE_AUDIO: ReadonlyMap<number, number> = new Map([
  [0x11, 12_000],
  [0x12, 16_000],
  [0x13, 24_000],
  [0x14, 32_000],
  [0x15, 44_100],
  [0x16, 48_000],
  [0x17, 96_000],
  [0x18, 192_000],
]);

export const HEADER_BYTES = 3;
/** 20 ms of 8 kHz slin. */
export const SLIN8_FRAME_BYTES = 320;
/**
 * Largest payload accepted: 20 ms at 192 kHz is 7,680 bytes; anything above is not audio from
 * Asterisk (a 64 KiB length header is an attack or garbage) and closes the call.
 */
export const MAX_PAYLOAD_BYTES = 8_192;

export type TFrame =
  | { kind: "uuid"; uuid: string }
  | { kind: "audio"; sampleRate: number; pcm: Buffer }
  | { kind: "dtmf"; digit: string }
  | { kind: "hangup" }
  | { kind: "error"; code: number | undefined };

export class FrameError extends Error {
  /** Frames decoded from the same chunk before the bad one: they were valid and must be handled. */
  framesBefore: TFrame[] = [];
}

const DTMF_DIGITS = /^[0-9A-D*#]$/;

function formatUuid(b: Buffer): string {
  const h = b.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function uuidToBytes(uuid: string): Buffer {
  const hex = uuid.replace(/-/g, "");
  if (!/^[0-9a-f]{32}$/i.test(hex)) throw new FrameError(`not a UUID: ${uuid}`);
  return Buffer.from(hex, "hex");
}

function decodeControl(type: number, payload: Buffer): Exclude<TFrame, { kind: "audio" }> {
  switch (type) {
    case FrameType.uuid:
      if (payload.length !== 16) throw new FrameError(`UUID frame of ${payload.length} bytes (expected 16)`);
      return { kind: "uuid", uuid: formatUuid(payload) };
    case FrameType.dtmf: {
      const digit = payload.toString("latin1");
      if (!DTMF_DIGITS.test(digit)) throw new FrameError(`invalid DTMF payload ${JSON.stringify(digit)}`);
      return { kind: "dtmf", digit };
    }
    case FrameType.hangup:
      return { kind: "hangup" };
    case FrameType.error:
      return { kind: "error", code: payload.length >= 1 ? payload[0] : undefined };
    default:
      throw new FrameError(`unknown frame type 0x${type.toString(16).padStart(2, "0")}`);
  }
}

/**
 * Where decoded frames go. Audio — 50 frames a second per call — goes straight to `audio`, with
 * no object per frame; the few other frames (one UUID, DTMF, one hang-up) go to `control`.
 */
export type TFrameSink = {
  /**
   * `pcm` is a view of the bytes passed to `decode`, not a copy, and the server reads every call
   * into one reused buffer: it is valid only during this call. A consumer that keeps audio
   * copies it.
   */
  audio(pcm: Buffer, sampleRate: number): void;
  control(frame: Exclude<TFrame, { kind: "audio" }>): void;
};

/**
 * Incremental decoder for one connection. A partial frame waits for the next chunk. After an
 * error the decoder is unusable (the connection must be closed: its byte stream has no
 * resynchronisation point).
 */
export class FrameDecoder {
  private pending: Buffer = Buffer.alloc(0);

  /**
   * Hands every complete frame of `chunk` to `sink`, in order. A bad frame throws FrameError
   * after the frames before it were delivered (they were valid and must be handled).
   */
  decode(chunk: Buffer, sink: TFrameSink): void {
    const bytes = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    let offset = 0;
    try {
      while (bytes.length - offset >= HEADER_BYTES) {
        const type = bytes[offset] as number;
        const length = bytes.readUInt16BE(offset + 1);
        if (length > MAX_PAYLOAD_BYTES) throw new FrameError(`frame of ${length} bytes exceeds the ${MAX_PAYLOAD_BYTES}-byte cap`);
        // Reject unknown types from the header alone, before buffering their payload.
        if (!isKnownType(type)) throw new FrameError(`unknown frame type 0x${type.toString(16).padStart(2, "0")}`);
        if (bytes.length - offset - HEADER_BYTES < length) break;
        const start = offset + HEADER_BYTES;
        offset = start + length;
        const payload = bytes.subarray(start, offset);
        if (type === FrameType.audio) sink.audio(payload, 8_000);
        else {
          const rate = HIGH_RATE_AUDIO.get(type);
          if (rate !== undefined) sink.audio(payload, rate);
          else sink.control(decodeControl(type, payload));
        }
      }
    } finally {
      // What is left is an incomplete frame: copied, so it does not pin the rest of the read.
      this.pending = offset === bytes.length ? EMPTY : Buffer.from(bytes.subarray(offset));
    }
  }

  /** Every complete frame so far, as objects (for tests and tools; the server uses decode). */
  push(chunk: Buffer): TFrame[] {
    const frames: TFrame[] = [];
    try {
      this.decode(chunk, {
        audio: (pcm, sampleRate) => frames.push({ kind: "audio", sampleRate, pcm }),
        control: (frame) => frames.push(frame),
      });
    } catch (err) {
      if (err instanceof FrameError) err.framesBefore = frames;
      throw err;
    }
    return frames;
  }

  /** Bytes of an incomplete frame still waiting (a truncated stream at close). */
  get buffered(): number {
    return this.pending.length;
  }
}

const EMPTY = Buffer.alloc(0);

function isKnownType(type: number): boolean {
  return (
    type === FrameType.hangup ||
    type === FrameType.uuid ||
    type === FrameType.dtmf ||
    type === FrameType.audio ||
    type === FrameType.error ||
    HIGH_RATE_AUDIO.has(type)
  );
}

export function encodeFrame(type: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  if (payload.length > 0xffff) throw new FrameError(`payload of ${payload.length} bytes does not fit a frame`);
  const frame = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  frame.writeUInt8(type, 0);
  frame.writeUInt16BE(payload.length, 1);
  payload.copy(frame, HEADER_BYTES);
  return frame;
}

export const encodeAudio = (pcm: Buffer): Buffer => encodeFrame(FrameType.audio, pcm);
/** A 20 ms 8 kHz audio frame with its header written and its payload still to fill. */
export function newAudioFrame(): Buffer {
  const frame = Buffer.allocUnsafe(HEADER_BYTES + SLIN8_FRAME_BYTES);
  frame[0] = FrameType.audio;
  frame.writeUInt16BE(SLIN8_FRAME_BYTES, 1);
  return frame;
}
export const encodeUuid = (uuid: string): Buffer => encodeFrame(FrameType.uuid, uuidToBytes(uuid));
export const encodeDtmf = (digit: string): Buffer => encodeFrame(FrameType.dtmf, Buffer.from(digit, "latin1"));
export const encodeHangup = (): Buffer => encodeFrame(FrameType.hangup);
