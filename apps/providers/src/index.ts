export * from "./asr-pocketsphinx.ts";
export type { TService } from "./http.ts";
export * from "./llm-openai.ts";
export * from "./llm-scripted.ts";
export * from "./sts-peer.ts";
export * from "./tts-espeak.ts";
