// Calls from opening to record: POST /calls opens one (tenant active, agent known, credit
// reserved at the License Service), the AudioSocket connection runs it, and its end writes the
// call and its usage row together. A call that never connects is closed after a grace period.
import { randomUUID } from "node:crypto";
import type { TOpenCall, TRefusal } from "@dsai/contracts";
import { LicenseApiError, type TLicenseClient } from "@dsai/license-client";
import type { TAddressGuard } from "../address-guard.ts";
import type { TCallSession } from "../audiosocket/server.ts";
import type { TMetrics } from "../metrics.ts";
import type { TTimeouts } from "../pipeline/provider-clients.ts";
import type { TStore } from "../store.ts";
import { createEventWriter } from "./event-writer.ts";
import { createPipelineSession, type TPipelineAgent } from "./pipeline-session.ts";
import { createStsSession } from "./sts-session.ts";
import type { TCallEventInput, TCallOutcome } from "./types.ts";

export type TOpenResult = { ok: true; uuid: string } | { ok: false; refusal: TRefusal };

export type TCallManagerOptions = {
  store: TStore;
  metrics: TMetrics;
  license: { client: TLicenseClient; licenseId: string; reserveSeconds: number };
  timeouts: TTimeouts;
  turnTimeoutMs: number;
  /**
   * What a tenant-given (URL-type) provider's connections must pass; undefined when the core
   * allows internal addresses (development, tests). The platform's own providers are not guarded.
   */
  providerGuard: TAddressGuard | undefined;
  /** An opened call whose AudioSocket never arrives is closed after this. */
  connectGraceMs: number;
  log(uuid: string, message: string): void;
  /** Called when outbox rows were written (wakes the outbox worker). */
  onOutboxWritten(): void;
};

type TOpenedCall = {
  uuid: string;
  agentId: string;
  agent: ({ mode: "pipeline" } & TPipelineAgent) | { mode: "sts"; id: string; url: string; guard: TAddressGuard | undefined };
  openedAt: Date;
  connected: boolean;
  answeredAt: Date | undefined;
  graceTimer: NodeJS.Timeout;
};

export function createCallManager(o: TCallManagerOptions) {
  const calls = new Map<string, TOpenedCall>();
  /** Transfer targets of ended calls, for the dialplan's GET /calls/<uuid>/next (kept briefly). */
  const nextHops = new Map<string, string>();

  const events = createEventWriter({ store: o.store, log: o.log, onOutboxWritten: o.onOutboxWritten });

  const finishing = new Set<Promise<void>>();

  /** Records a call's end; tracked so that stopping the core waits for every record. */
  function finish(call: TOpenedCall, outcome: TCallOutcome): Promise<void> {
    const done = record(call, outcome).finally(() => finishing.delete(done));
    finishing.add(done);
    return done;
  }

  async function record(call: TOpenedCall, outcome: TCallOutcome): Promise<void> {
    calls.delete(call.uuid);
    clearTimeout(call.graceTimer);
    o.metrics.callsEnded.inc({ cause: outcome.cause });
    if (outcome.transferTarget !== undefined) {
      nextHops.set(call.uuid, outcome.transferTarget);
      setTimeout(() => nextHops.delete(call.uuid), 60_000).unref();
    }
    const billedSeconds = outcome.answeredAt
      ? Math.max(0, Math.ceil((outcome.endedAt.getTime() - outcome.answeredAt.getTime()) / 1000))
      : 0;
    const usage = {
      callId: call.uuid,
      seconds: billedSeconds,
      startedAt: (outcome.answeredAt ?? call.openedAt).toISOString(),
      endedAt: outcome.endedAt.toISOString(),
      agentId: call.agentId,
    };
    await events.flush(); // this call's events are in before its end is
    // The database may be briefly away: retry, because this row is what bills the call.
    for (let attempt = 0; ; attempt++) {
      try {
        await o.store.endCall(call.uuid, { ...outcome, billedSeconds }, usage);
        o.onOutboxWritten();
        await events.emitWebhooks([
          {
            callId: call.uuid,
            type: "call_ended",
            at: outcome.endedAt,
            payload: { cause: outcome.cause, billedSeconds, transferTarget: outcome.transferTarget ?? null },
          },
        ]);
        return;
      } catch (err) {
        o.log(call.uuid, `could not record the call's end (attempt ${attempt + 1}): ${(err as Error).message}`);
        // Still open in the database: the next start of the core ends and bills it as an orphan.
        if (attempt >= 20) return;
        await new Promise((r) => setTimeout(r, Math.min(30_000, 250 * 2 ** attempt)));
      }
    }
  }

  return {
    get activeCalls() {
      return [...calls.values()].filter((c) => c.connected).length;
    },

    async open(input: TOpenCall): Promise<TOpenResult> {
      if ((await o.store.tenantStatus()) !== "active") return { ok: false, refusal: "suspended" };
      const agent = await o.store.findAgent(input.agent);
      if (!agent) return { ok: false, refusal: "unknown_agent" };
      const uuid = randomUUID();
      let runtime: TOpenedCall["agent"];
      const guardOf = (runtimeType: "url" | "image") => (runtimeType === "url" ? o.providerGuard : undefined);
      if (agent.mode === "sts" && agent.stsUrl) {
        runtime = { mode: "sts", id: agent.id, url: agent.stsUrl, guard: guardOf(agent.stsRuntime) };
      } else if (agent.mode === "pipeline" && agent.asrUrl && agent.llmUrl && agent.ttsUrl) {
        runtime = {
          mode: "pipeline",
          id: agent.id,
          greeting: agent.greeting,
          prompt: agent.prompt,
          providers: {
            asr: { url: agent.asrUrl, guard: guardOf(agent.asrRuntime) },
            llm: { url: agent.llmUrl, guard: guardOf(agent.llmRuntime) },
            tts: { url: agent.ttsUrl, guard: guardOf(agent.ttsRuntime) },
          },
        };
      } else {
        o.log(
          uuid,
          `agent ${agent.id} cannot take calls: a ${agent.mode} agent needs ${agent.mode === "sts" ? "an STS profile" : "ASR, LLM and TTS profiles"}`,
        );
        return { ok: false, refusal: "unavailable" };
      }
      try {
        await o.license.client.reserve(o.license.licenseId, { callId: uuid, seconds: o.license.reserveSeconds });
      } catch (err) {
        if (err instanceof LicenseApiError && err.status === 402) return { ok: false, refusal: "no_credit" };
        if (err instanceof LicenseApiError && err.code === "license_inactive") return { ok: false, refusal: "suspended" };
        if (err instanceof LicenseApiError && err.status < 500 && err.status !== 429) {
          o.log(uuid, `License Service refused the reservation: ${err.message}`);
          return { ok: false, refusal: "unavailable" };
        }
        // The License Service is unreachable: take the call anyway (its usage waits in the
        // outbox), so an outage of the central service never silences every tenant.
        o.log(uuid, `License Service unreachable, call taken without a reservation: ${(err as Error).message}`);
      }
      await o.store.insertCall({ id: uuid, agentId: agent.id, from: input.caller, to: input.number });
      void events.emitWebhooks([
        { callId: uuid, type: "call_initiated", at: new Date(), payload: { agentId: agent.id, from: input.caller, to: input.number } },
      ]);
      const call: TOpenedCall = {
        uuid,
        agentId: agent.id,
        agent: runtime,
        openedAt: new Date(),
        connected: false,
        answeredAt: undefined,
        graceTimer: setTimeout(() => {
          if (!call.connected)
            void finish(call, { cause: "never_connected", answeredAt: undefined, endedAt: new Date(), transferTarget: undefined });
        }, o.connectGraceMs),
      };
      calls.set(uuid, call);
      o.metrics.callsOpened.inc();
      return { ok: true, uuid };
    },

    /** The session for an AudioSocket connection, or undefined to refuse it. */
    resolve(uuid: string): TCallSession | undefined {
      const call = calls.get(uuid);
      if (!call || call.connected) return undefined;
      call.connected = true;
      clearTimeout(call.graceTimer);
      const answeredAt = new Date();
      call.answeredAt = answeredAt;
      void o.store.markAnswered(uuid, answeredAt).catch((err: Error) => o.log(uuid, `could not mark the call answered: ${err.message}`));
      void events.emitWebhooks([{ callId: uuid, type: "call_started", at: answeredAt, payload: { agentId: call.agentId } }]);
      const common = {
        uuid,
        metrics: o.metrics,
        recordEvent: (event: TCallEventInput) => events.record(uuid, event),
        log: (message: string) => o.log(uuid, message),
        onEnded: (outcome: TCallOutcome) => void finish(call, { ...outcome, answeredAt }),
      };
      if (call.agent.mode === "sts") {
        return createStsSession({
          ...common,
          agentId: call.agent.id,
          url: call.agent.url,
          guard: call.agent.guard,
          connectTimeoutMs: o.timeouts.responseMs,
        });
      }
      return createPipelineSession({ ...common, agent: call.agent, timeouts: o.timeouts, turnTimeoutMs: o.turnTimeoutMs });
    },

    /** The calls connected now, for the tenant API's live view. */
    liveCalls(): { uuid: string; agentId: string; answeredAt: string | undefined }[] {
      return [...calls.values()]
        .filter((c) => c.connected)
        .map((c) => ({ uuid: c.uuid, agentId: c.agentId, answeredAt: c.answeredAt?.toISOString() }));
    },

    /** Ids of the calls connected now (their heartbeat). */
    liveCallIds(): string[] {
      return [...calls.values()].filter((c) => c.connected).map((c) => c.uuid);
    },

    /**
     * Ends the calls a crashed process left open, billed up to their last heartbeat, with their
     * usage in the outbox like any other call. Run once at start, before taking calls: one core
     * serves a tenant, so every open call in its database is an orphan then.
     */
    async recoverOrphans(): Promise<number> {
      const orphans = await o.store.orphanedCalls();
      for (const orphan of orphans) {
        const endedAt = orphan.lastSeenAt ?? orphan.answeredAt ?? orphan.openedAt;
        const billedSeconds = orphan.answeredAt ? Math.max(0, Math.ceil((endedAt.getTime() - orphan.answeredAt.getTime()) / 1000)) : 0;
        await o.store.endCall(
          orphan.id,
          { cause: "core_restart", answeredAt: orphan.answeredAt ?? undefined, endedAt, transferTarget: undefined, billedSeconds },
          {
            callId: orphan.id,
            seconds: billedSeconds,
            startedAt: (orphan.answeredAt ?? orphan.openedAt).toISOString(),
            endedAt: endedAt.toISOString(),
            agentId: orphan.agentId,
          },
        );
        o.log(orphan.id, `ended after a restart: billed ${billedSeconds} s up to its last heartbeat`);
      }
      return orphans.length;
    },

    /** Resolves when every ended call's record is written. */
    async settled(): Promise<void> {
      while (finishing.size > 0) await Promise.all([...finishing]);
      await events.flush();
    },

    nextHop(uuid: string): string | undefined {
      return nextHops.get(uuid);
    },

    /** Ends every open call (server stopping) and waits for their records. */
    async closeAll(): Promise<void> {
      await Promise.all(
        [...calls.values()]
          .filter((c) => !c.connected)
          .map((c) => finish(c, { cause: "server_stopping", answeredAt: undefined, endedAt: new Date(), transferTarget: undefined })),
      );
    },
  };
}
export type TCallManager = ReturnType<typeof createCallManager>;
