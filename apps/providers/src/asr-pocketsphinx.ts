// ASR with PocketSphinx: POST /speech-to-text-stream with chunked PCM s16le 8 kHz; the response
// streams one plain-text chunk per utterance as soon as PocketSphinx's voice activity detector
// closes it. One decoder process per call: the audio is upsampled here to the 16 kHz the en-us
// model expects (sox's resampler held back real-time audio long enough to lose utterances), and
// pocketsphinx_continuous decodes the stream as it arrives.
//
// The open-vocabulary language model does poorly on 8 kHz telephony audio, so a service may be
// given the phrases its agents expect (an IVR-style grammar): recognition is then restricted to
// those phrases, which is what makes scripted offline agents dependable.
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ASR_PATH } from "@dsai/contracts";
import { z } from "zod";
import { callUuid, HttpError, log, serve, type TService } from "./http.ts";

const ZPhraseSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z']+( [a-z']+)*$/, "words of letters and apostrophes, separated by single spaces");

export const ZAsrConfigSchema = z.object({
  /** Acoustic model directory (PocketSphinx's US English by default). */
  modelDir: z.string().default("/usr/share/pocketsphinx/model/en-us/en-us"),
  /** Restrict recognition to these phrases; empty = open vocabulary. */
  phrases: z.array(ZPhraseSchema).max(2_000).default([]),
  /** Silence that ends an utterance, in 10 ms frames (PocketSphinx's -vad_postspeech). */
  endSilenceFrames: z.number().int().min(10).max(200).default(40),
});
export type TAsrConfig = z.infer<typeof ZAsrConfigSchema>;

/** A JSGF grammar accepting exactly one of `phrases`. */
export function phraseGrammar(phrases: string[]): string {
  const unique = [...new Set(phrases)];
  return `#JSGF V1.0;\ngrammar dsai;\npublic <utterance> = ${unique.join(" | ")};\n`;
}

// The pipeline runs in sh only so that pocketsphinx reads a real pipe (it cannot read Node's
// socket pairs); the script is constant and every variable part arrives as an argument.
const PIPELINE = 'cat | exec stdbuf -oL pocketsphinx_continuous -infile /dev/stdin -logfn /dev/null "$@"';

/** 8 kHz -> 16 kHz by linear interpolation, carrying the last sample across chunks. */
export class Upsampler {
  private last: number | undefined;
  private odd: number | undefined;

  push(pcm8k: Buffer): Buffer {
    let bytes = pcm8k;
    if (this.odd !== undefined) {
      bytes = Buffer.concat([Buffer.from([this.odd]), pcm8k]);
      this.odd = undefined;
    }
    if (bytes.length % 2 === 1) {
      this.odd = bytes[bytes.length - 1];
      bytes = bytes.subarray(0, bytes.length - 1);
    }
    const n = bytes.length / 2;
    const out = Buffer.alloc(n * 4);
    for (let i = 0; i < n; i++) {
      const s = bytes.readInt16LE(i * 2);
      const prev = this.last ?? s;
      out.writeInt16LE((prev + s) >> 1, i * 4);
      out.writeInt16LE(s, i * 4 + 2);
      this.last = s;
    }
    return out;
  }
}

export async function startAsrService(config: TAsrConfig, listen: { host: string; port: number }): Promise<TService> {
  const args = ["-hmm", config.modelDir, "-vad_postspeech", String(config.endSilenceFrames)];
  if (config.phrases.length > 0) {
    const dir = mkdtempSync(join(tmpdir(), "dsai-asr-"));
    const grammar = join(dir, "phrases.jsgf");
    writeFileSync(grammar, phraseGrammar(config.phrases));
    args.push("-jsgf", grammar);
  }
  return serve(
    {
      [`POST ${ASR_PATH}`]: async (req, res) => {
        const uuid = callUuid(req);
        // Its own process group, so ending the call ends cat and pocketsphinx too.
        const decoder = spawn("sh", ["-c", PIPELINE, "sh", ...args], { stdio: ["pipe", "pipe", "pipe"], detached: true });
        const errors: string[] = [];
        decoder.stderr.on("data", (d: Buffer) => errors.push(d.toString()));
        decoder.stdin.on("error", () => {}); // the decoder died: reported by its exit below
        res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
        res.flushHeaders(); // the caller may be silent for a long time: answer the headers now
        let pending = "";
        decoder.stdout.on("data", (d: Buffer) => {
          pending += d.toString("utf8");
          const lines = pending.split("\n");
          pending = lines.pop() ?? "";
          for (const line of lines.map((l) => l.trim()).filter(Boolean)) res.write(`${line}\n`);
        });
        // Caller audio flows in for as long as the call lasts; the end of the request body
        // flushes the last utterance.
        const upsampler = new Upsampler();
        req.on("data", (pcm: Buffer) => decoder.stdin.write(upsampler.push(pcm)));
        req.on("end", () => decoder.stdin.end());
        res.on("close", () => {
          try {
            if (decoder.pid && decoder.exitCode === null) process.kill(-decoder.pid, "SIGKILL");
          } catch {
            // already gone
          }
        });
        const exitCode = await new Promise<number | null>((resolve) => decoder.on("close", resolve));
        if (pending.trim()) res.write(`${pending.trim()}\n`);
        if (exitCode !== 0 && !res.destroyed) {
          log("asr", uuid, `decoder failed (exit ${exitCode}): ${errors.join("").trim().slice(0, 300)}`);
          throw new HttpError(500, "asr_failed", "the recognizer failed");
        }
        res.end();
      },
    },
    listen,
  );
}
