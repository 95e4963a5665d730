// What a call leaves behind: its events (written as they happen) and its outcome (written with
// the usage row in one transaction when it ends).
import type { THangupCause } from "../audiosocket/server.ts";

export type TCallEventKind = "transcript" | "dtmf" | "interruption" | "error" | "latency" | "tool";

export type TCallEventInput = {
  kind: TCallEventKind;
  role?: "user" | "agent";
  text?: string;
  data?: Record<string, unknown>;
};

export type TCallOutcome = {
  cause: THangupCause | "transfer" | "never_connected" | "core_restart";
  answeredAt: Date | undefined;
  endedAt: Date;
  transferTarget: string | undefined;
};
