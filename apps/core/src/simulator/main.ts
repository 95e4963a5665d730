// `npm run call -- --core <host:port> --agent <id> --say "text" | --wav file [--record out.wav]`
// Opens a call exactly as the generated dialplan does and prints a JSON summary.
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { decodeWav, encodeWav } from "@dsai/contracts";
import { z } from "zod";
import { callerSpeech } from "./caller-voice.ts";
import { fetchTranscript, simulateCall, type TCallerStep } from "./simulate.ts";

const USAGE = `usage: npm run call -- --core <host:port> --agent <id> (--say "text" | --wav file.wav | --dtmf D)... [options]
  --core HOST:PORT       the core's HTTP address (POST /calls)
  --audiosocket H:P      the core's AudioSocket address (default: the core's host, port 9092)
  --token T              the tenant token (default: $CORE_TENANT_TOKEN)
  --agent ID             the agent to call
  --number N             the dialled number (default 1000)
  --caller N             the caller's number (default 15550100)
  --say TEXT             a caller utterance, spoken by Flite (repeatable, in order)
  --wav FILE             a caller utterance from a mono 16-bit 8 kHz WAV (repeatable)
  --dtmf D               a DTMF digit (repeatable)
  --record FILE          write the agent's audio to this WAV file
  --api-key KEY          a tenant API key (default: $DSAI_TENANT_API_KEY): adds the call's transcript`;

const ZHostPort = z
  .string()
  .regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, "host:port")
  .transform((v) => {
    const i = v.lastIndexOf(":");
    return { host: v.slice(0, i), port: Number(v.slice(i + 1)) };
  });

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${USAGE}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      options: {
        core: { type: "string" },
        audiosocket: { type: "string" },
        token: { type: "string" },
        agent: { type: "string" },
        number: { type: "string", default: "1000" },
        caller: { type: "string", default: "15550100" },
        say: { type: "string", multiple: true },
        wav: { type: "string", multiple: true },
        dtmf: { type: "string", multiple: true },
        record: { type: "string" },
        "api-key": { type: "string" },
      },
      strict: true,
      tokens: true,
    });
  } catch (err) {
    fail((err as Error).message);
  }
  const v = parsed.values as Record<string, string | string[] | undefined>;
  const core = ZHostPort.safeParse(v.core);
  if (!core.success) fail("--core HOST:PORT is required");
  const audioSocket = v.audiosocket
    ? ZHostPort.safeParse(v.audiosocket)
    : { success: true as const, data: { host: core.data.host, port: 9092 } };
  if (!audioSocket.success) fail("--audiosocket must be HOST:PORT");
  const token = (v.token as string | undefined) ?? process.env.CORE_TENANT_TOKEN;
  if (!token) fail("--token (or CORE_TENANT_TOKEN) is required");
  if (typeof v.agent !== "string") fail("--agent is required");

  // Steps in command-line order, whatever their kind.
  const steps: TCallerStep[] = [];
  for (const t of parsed.tokens ?? []) {
    if (t.kind !== "option" || t.value === undefined) continue;
    if (t.name === "say") steps.push({ label: t.value, say: await callerSpeech(t.value) });
    if (t.name === "wav") {
      const { pcm, sampleRate } = decodeWav(readFileSync(t.value));
      if (sampleRate !== 8000) fail(`${t.value}: ${sampleRate} Hz; the simulator sends 8 kHz telephony audio (convert it first)`);
      steps.push({ label: t.value, say: pcm });
    }
    if (t.name === "dtmf") {
      if (!/^[0-9*#A-D]$/.test(t.value)) fail(`--dtmf ${t.value}: one of 0-9 * # A-D`);
      steps.push({ dtmf: t.value });
    }
  }
  if (steps.length === 0) fail("give at least one --say, --wav or --dtmf");

  const summary = await simulateCall({
    coreHttpUrl: `http://${core.data.host}:${core.data.port}`,
    audioSocket: audioSocket.data,
    token,
    agent: v.agent,
    number: String(v.number),
    caller: String(v.caller),
    steps,
  });
  if (typeof v.record === "string") writeFileSync(v.record, encodeWav(summary.agentAudio, 8000));
  const { agentAudio: _audio, ...printable } = summary;
  const apiKey = (v["api-key"] as string | undefined) ?? process.env.DSAI_TENANT_API_KEY;
  const transcript =
    apiKey && summary.uuid ? await fetchTranscript(`http://${core.data.host}:${core.data.port}`, apiKey, summary.uuid) : undefined;
  const output = { ...printable, transcript: transcript ?? (apiKey ? "not recorded yet" : "give --api-key to include the transcript") };
  process.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
  process.exit(summary.refused ? 1 : 0);
}

main().catch((err: Error) => {
  process.stderr.write(`call failed: ${err.message}\n`);
  process.exit(1);
});
