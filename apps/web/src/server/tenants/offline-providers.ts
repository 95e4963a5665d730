// The platform's offline providers as a tenant's first profiles: speech recognition
// (PocketSphinx, listening for the demo's phrases), a scripted LLM and speech synthesis (eSpeak
// NG), each a container of the platform's providers image on the tenant's network. They answer a
// call without any external service or key: what a new tenant tries first, and what the
// sign-up-to-call test calls.
import type { TTenantApiRouter } from "@dsai/core";
import type { inferRouterInputs } from "@trpc/server";

type TProfileInput = inferRouterInputs<TTenantApiRouter>["providerProfiles"]["create"];

/** What the demo agent understands and says: opening hours, and goodbye (it hangs up). */
export const OFFLINE_DEMO_SCRIPT = {
  default: {
    intents: [
      { name: "hours", keywords: ["opening hours"], reply: "We are open from nine to five, Monday to Friday. Anything else?" },
      { name: "bye", keywords: ["goodbye"], reply: "Thank you for calling. Goodbye!", tool: "hangup" },
    ],
    fallback: "Sorry, I did not understand. You can ask for our opening hours, or say goodbye.",
  },
};
const PHRASES = ["what are your opening hours", "opening hours", "goodbye"];

export function offlineProviderProfiles(image: string): TProfileInput[] {
  const runtime = (service: string, env: Record<string, string> = {}) => ({
    type: "image" as const,
    image,
    port: 8080,
    args: [service],
    env,
  });
  return [
    { name: "Offline ASR (PocketSphinx)", kind: "asr", runtime: runtime("asr", { ASR_PHRASES: PHRASES.join(",") }) },
    { name: "Offline LLM (scripted)", kind: "llm", runtime: runtime("llm-scripted", { LLM_SCRIPT: JSON.stringify(OFFLINE_DEMO_SCRIPT) }) },
    { name: "Offline TTS (eSpeak NG)", kind: "tts", runtime: runtime("tts") },
  ];
}
