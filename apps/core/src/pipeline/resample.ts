// Caller audio at the higher AudioSocket rates (Asterisk 22's 0x11-0x18 frames) brought down to
// the 8 kHz every provider contract uses: each output sample averages the input samples it
// covers (a box filter — enough against aliasing for speech recognition and voice detection).

export function toTelephonyRate(pcm: Buffer, sampleRate: number): Buffer {
  if (sampleRate === 8_000) return pcm;
  const inSamples = pcm.length >> 1;
  const ratio = sampleRate / 8_000;
  const outSamples = Math.floor(inSamples / ratio);
  const out = Buffer.alloc(outSamples * 2);
  for (let i = 0; i < outSamples; i++) {
    const from = Math.floor(i * ratio);
    const to = Math.max(from + 1, Math.min(inSamples, Math.floor((i + 1) * ratio)));
    let sum = 0;
    for (let j = from; j < to; j++) sum += pcm.readInt16LE(j * 2);
    out.writeInt16LE(Math.round(sum / (to - from)), i * 2);
  }
  return out;
}
