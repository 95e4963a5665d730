// A caller's voice for the simulator and tests: Flite (a voice different from the agent's
// espeak-ng, so recordings tell the two apart), resampled by sox to 8 kHz PCM s16le.
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

function run(command: string, args: string[], input?: Buffer | string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => err.push(d));
    child.on("error", (e) => reject(new Error(`cannot run ${command}: ${e.message}`)));
    child.on("close", (code) =>
      code === 0
        ? resolve(Buffer.concat(out))
        : reject(new Error(`${command} failed (exit ${code}): ${Buffer.concat(err).toString().trim()}`)),
    );
    child.stdin.end(input);
  });
}

/** `text` spoken by Flite's `voice`, as 8 kHz PCM s16le mono. */
export async function callerSpeech(text: string, voice = "rms"): Promise<Buffer> {
  if (!/^[a-z]{2,8}$/.test(voice)) throw new Error(`unknown Flite voice ${voice}`);
  // The text is one argv entry (no shell, nothing in it is interpreted); flite writes its WAV
  // to a file because it cannot write to Node's stdio sockets.
  const dir = await mkdtemp(join(tmpdir(), "dsai-caller-"));
  let wav: Buffer;
  try {
    await run("flite", ["-voice", voice, "-t", text, "-o", join(dir, "speech.wav")]);
    wav = await readFile(join(dir, "speech.wav"));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return run("sox", ["-q", "-t", "wav", "-", "-t", "raw", "-r", "8000", "-e", "signed-integer", "-b", "16", "-c", "1", "-"], wav);
}
