// TTS with eSpeak NG: POST /text-to-speech-stream { text } -> raw PCM s16le 8 kHz mono, streamed
// as it is synthesized. The text goes to espeak-ng on stdin (never on a command line or through
// a shell) and sox resamples espeak's 22.05 kHz WAV to telephony 8 kHz.
import { spawn } from "node:child_process";
import { PCM_CONTENT_TYPE, TTS_PATH, ZTtsRequestSchema } from "@dsai/contracts";
import { z } from "zod";
import { callUuid, HttpError, log, readJson, serve, type TService } from "./http.ts";

export const ZTtsConfigSchema = z.object({
  /** An espeak-ng voice name such as `en-us` or `en-us+m3`. */
  voice: z
    .string()
    .regex(/^[a-z]{2,3}(-[a-z0-9]{2,8})*(\+[a-z0-9]{1,10})?$/i, "an espeak-ng voice such as en-us or en-us+m3")
    .default("en-us"),
  /** Words per minute. */
  wordsPerMinute: z.number().int().min(80).max(450).default(160),
});
export type TTtsConfig = z.infer<typeof ZTtsConfigSchema>;

export async function startTtsService(config: TTtsConfig, listen: { host: string; port: number }): Promise<TService> {
  return serve(
    {
      [`POST ${TTS_PATH}`]: async (req, res) => {
        const uuid = callUuid(req);
        const { text } = await readJson(req, ZTtsRequestSchema);
        const espeak = spawn("espeak-ng", ["-v", config.voice, "-s", String(config.wordsPerMinute), "--stdin", "--stdout"], {
          stdio: ["pipe", "pipe", "pipe"],
        });
        const sox = spawn("sox", ["-q", "-t", "wav", "-", "-t", "raw", "-r", "8000", "-e", "signed-integer", "-b", "16", "-c", "1", "-"], {
          stdio: ["pipe", "pipe", "pipe"],
        });
        const errors: string[] = [];
        espeak.stderr.on("data", (d: Buffer) => errors.push(d.toString()));
        sox.stderr.on("data", (d: Buffer) => errors.push(d.toString()));
        espeak.stdout.pipe(sox.stdin);
        espeak.stdin.end(text);
        // A client that goes away (barge-in) stops synthesis at once.
        res.on("close", () => {
          espeak.kill();
          sox.kill();
        });
        let started = false;
        sox.stdout.on("data", (pcm: Buffer) => {
          if (!started) {
            started = true;
            res.writeHead(200, { "content-type": PCM_CONTENT_TYPE });
          }
          res.write(pcm);
        });
        const exitCode = await new Promise<number | null>((resolve, reject) => {
          sox.on("error", reject);
          espeak.on("error", reject);
          sox.on("close", resolve);
        }).catch((err: Error) => {
          throw new HttpError(500, "tts_unavailable", `cannot run the synthesizer: ${err.message}`);
        });
        if (exitCode !== 0 && !res.destroyed) {
          log("tts", uuid, `synthesis failed (exit ${exitCode}): ${errors.join("").trim().slice(0, 300)}`);
          throw new HttpError(500, "tts_failed", "synthesis failed");
        }
        if (!started) res.writeHead(200, { "content-type": PCM_CONTENT_TYPE });
        res.end();
      },
    },
    listen,
  );
}
