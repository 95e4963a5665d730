// WAV (RIFF, PCM s16le mono) in and out: the simulator records calls to WAV and reads callers'
// audio from WAV; everything else moves raw PCM.

export function encodeWav(pcm: Buffer, sampleRate: number): Buffer {
  const header = Buffer.alloc(44);
  header.write("RIFF", 0, "ascii");
  header.writeUInt32LE(36 + pcm.length, 4);
  header.write("WAVE", 8, "ascii");
  header.write("fmt ", 12, "ascii");
  header.writeUInt32LE(16, 16); // fmt chunk size
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * 2, 28); // byte rate
  header.writeUInt16LE(2, 32); // block align
  header.writeUInt16LE(16, 34); // bits per sample
  header.write("data", 36, "ascii");
  header.writeUInt32LE(pcm.length, 40);
  return Buffer.concat([header, pcm]);
}

export class WavError extends Error {}

/** The PCM of a mono 16-bit WAV file; other layouts are refused with a message saying why. */
export function decodeWav(file: Buffer): { pcm: Buffer; sampleRate: number } {
  if (file.length < 12 || file.toString("ascii", 0, 4) !== "RIFF" || file.toString("ascii", 8, 12) !== "WAVE") {
    throw new WavError("not a RIFF/WAVE file");
  }
  let offset = 12;
  let format: { channels: number; sampleRate: number; bits: number; codec: number } | undefined;
  while (offset + 8 <= file.length) {
    const id = file.toString("ascii", offset, offset + 4);
    const size = file.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === "fmt " && size >= 16) {
      format = {
        codec: file.readUInt16LE(body),
        channels: file.readUInt16LE(body + 2),
        sampleRate: file.readUInt32LE(body + 4),
        bits: file.readUInt16LE(body + 14),
      };
    } else if (id === "data") {
      if (!format) throw new WavError("data chunk before fmt chunk");
      if (format.codec !== 1 || format.channels !== 1 || format.bits !== 16) {
        throw new WavError(`need PCM 16-bit mono, got codec ${format.codec}, ${format.channels} channels, ${format.bits} bits`);
      }
      // Streaming writers put 0xFFFFFFFF (unknown size) here: take what is there.
      const end = Math.min(file.length, body + size);
      return { pcm: file.subarray(body, end - ((end - body) % 2)), sampleRate: format.sampleRate };
    }
    offset = body + size + (size % 2);
  }
  throw new WavError("no data chunk");
}
