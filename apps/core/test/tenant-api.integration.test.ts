// The tenant API over real HTTP with the tRPC client the dashboard will use: authentication
// (tenant API keys, platform service tokens), validation of everything that reaches Asterisk
// files or SQL, secrets sealed and never returned, calls and usage read back.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { decodeWav, signServiceToken } from "@dsai/contracts";
import { createTRPCClient, httpLink, TRPCClientError } from "@trpc/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openCall, simulateCall } from "../src/simulator/simulate.ts";
import type { TTenantApiRouter } from "../src/tenant-api/router.ts";
import { callTarget, startTenant, TOKEN, type TTenantHarness } from "./harness.ts";

const exec = promisify(execFile);
const PLATFORM_SECRET = randomBytes(32).toString("hex");
let h: TTenantHarness;
beforeAll(async () => {
  h = await startTenant({ env: { CORE_SECRET_KEY: randomBytes(32).toString("base64"), CORE_PLATFORM_SECRET: PLATFORM_SECRET } });
});
afterAll(async () => {
  await h?.close();
});

const client = (token: string) =>
  createTRPCClient<TTenantApiRouter>({
    links: [httpLink({ url: `${h.core.httpUrl}/trpc`, headers: { authorization: `Bearer ${token}` } })],
  });
const platform = () => client(signServiceToken(PLATFORM_SECRET));
const code = async (p: Promise<unknown>) => {
  try {
    await p;
    return "OK";
  } catch (err) {
    return err instanceof TRPCClientError ? (err.data as { code: string }).code : String(err);
  }
};

describe("tenant API authentication", () => {
  it("refuses no token, a wrong key, a forged or expired service token", async () => {
    expect(await code(client("").agents.list.query())).toBe("UNAUTHORIZED");
    expect(await code(client(`dsai_tk_${"a".repeat(12)}_${"b".repeat(43)}`).agents.list.query())).toBe("UNAUTHORIZED");
    expect(await code(client(signServiceToken("another-secret-of-at-least-32-chars!!")).agents.list.query())).toBe("UNAUTHORIZED");
    expect(await code(client(signServiceToken(PLATFORM_SECRET, 60, Date.now() - 120_000)).agents.list.query())).toBe("UNAUTHORIZED");
  });

  it("issues tenant API keys shown once, stored hashed, revocable at once", async () => {
    const key = await platform().apiKeys.create.mutate({ label: "dashboard" });
    expect(key.token).toMatch(/^dsai_tk_/);
    expect(await code(client(key.token).agents.list.query())).toBe("OK");
    const listed = await client(key.token).apiKeys.list.query();
    expect(JSON.stringify(listed)).not.toContain(key.token.slice(21));
    const stored = (await h.tenantDb.query("SELECT secret_hash FROM api_key WHERE id = $1", [key.id])).rows[0];
    expect(stored.secret_hash).not.toContain(key.token.slice(21));
    await client(key.token).apiKeys.revoke.mutate({ id: key.id });
    expect(await code(client(key.token).agents.list.query())).toBe("UNAUTHORIZED");
  });

  it("lets only the platform suspend the tenant; suspension refuses new calls at once", async () => {
    const key = await platform().apiKeys.create.mutate({ label: "ops" });
    expect(await code(client(key.token).tenant.setStatus.mutate({ status: "suspended" }))).toBe("FORBIDDEN");
    await platform().tenant.setStatus.mutate({ status: "suspended" });
    expect(await openCall(callTarget(h))).toEqual({ refused: "suspended" });
    await platform().tenant.setStatus.mutate({ status: "active" });
    expect(await openCall(callTarget(h))).toHaveProperty("uuid");
  });
});

describe("tenant API management", () => {
  it("manages profiles, agents, numbers, trunks and webhooks, validating what reaches Asterisk", async () => {
    const api = client((await platform().apiKeys.create.mutate({ label: "crud" })).token);
    const llm = await api.providerProfiles.create.mutate({
      name: "gpt",
      kind: "llm",
      runtime: { type: "url", url: "http://llm:8080" },
      secret: "sk-live-123456",
    });
    expect(llm).toMatchObject({ kind: "llm", hasSecret: true });
    expect(JSON.stringify(await api.providerProfiles.list.query())).not.toContain("sk-live");
    const sealed = (await h.tenantDb.query("SELECT secret_ciphertext FROM provider_profile WHERE id = $1", [llm.id])).rows[0];
    expect(sealed.secret_ciphertext).not.toContain("sk-live");
    expect(
      await code(api.providerProfiles.create.mutate({ name: "bad", kind: "llm", runtime: { type: "url", url: "file:///etc/passwd" } })),
    ).toBe("BAD_REQUEST");

    const agent = await api.agents.create.mutate({ id: "sales", name: "Sales", greeting: "Hi!", profiles: { llm: llm.id } });
    expect(agent).toMatchObject({ id: "sales", mode: "pipeline", greeting: "Hi!" });
    expect(await code(api.agents.create.mutate({ id: "sales", name: "Again" }))).toBe("CONFLICT");
    expect(await code(api.agents.create.mutate({ id: "Sales;Dial(x)", name: "x" }))).toBe("BAD_REQUEST");
    expect(await api.agents.update.mutate({ id: "sales", greeting: "Hello!" })).toMatchObject({ greeting: "Hello!", name: "Sales" });
    expect(await code(api.agents.update.mutate({ id: "nobody", greeting: "x" }))).toBe("NOT_FOUND");

    const number = await api.numbers.create.mutate({ number: "+4930123456", agentId: "sales" });
    expect(number).toMatchObject({ number: "+4930123456", agentId: "sales" });
    expect(await code(api.numbers.create.mutate({ number: "+4930123456", agentId: "sales" }))).toBe("CONFLICT");
    expect(await code(api.numbers.create.mutate({ number: "123;Hangup", agentId: "sales" }))).toBe("BAD_REQUEST");
    expect(await code(api.numbers.create.mutate({ number: "+4930999999", agentId: "nobody" }))).toBe("BAD_REQUEST");

    const trunk = await api.trunks.create.mutate({
      id: "carrier",
      mode: "registration",
      host: "sip.example.net",
      username: "acme",
      password: "s3cret-password",
    });
    expect(trunk).toMatchObject({ host: "sip.example.net", hasPassword: true });
    expect(await code(api.trunks.create.mutate({ id: "evil", mode: "ip", host: "host\n[section]", match: ["192.0.2.1/32"] }))).toBe(
      "BAD_REQUEST",
    );

    const hook = await api.webhooks.create.mutate({ url: "https://hooks.example.com/dsai", events: ["call_ended"] });
    expect(hook.secret).toMatch(/^whsec_/);
    expect(JSON.stringify(await api.webhooks.list.query())).not.toContain(hook.secret);
    expect(await code(api.webhooks.create.mutate({ url: "https://x.example.com", events: ["nope" as "call_ended"] }))).toBe("BAD_REQUEST");

    await api.numbers.delete.mutate({ number: number.number });
    await api.agents.delete.mutate({ id: "sales" });
    expect(await code(api.agents.get.query({ id: "sales" }))).toBe("NOT_FOUND");
  });

  it("reads calls with their events, and usage per day", async () => {
    const summary = await simulateCall({
      ...callTarget(h),
      steps: [{ dtmf: "0" }],
    });
    await h.core.calls.settled();
    const api = client((await platform().apiKeys.create.mutate({ label: "reader" })).token);
    const calls = await api.calls.list.query({ limit: 10, agentId: "support" });
    expect(calls.map((c) => c.id)).toContain(summary.uuid);
    const detail = await api.calls.get.query({ id: summary.uuid });
    expect(detail).toMatchObject({ hangupCause: "transfer", transferTarget: "200" });
    expect(detail.events.map((e: { kind: string }) => e.kind)).toContain("dtmf");
    const today = (await api.usage.perDay.query({ days: 1 })).at(-1);
    expect(today?.calls).toBeGreaterThanOrEqual(1);
    expect(today?.billedSeconds).toBeGreaterThanOrEqual(detail.billedSeconds ?? 0);
    expect(await api.calls.live.query()).toEqual([]);
  });

  it("gives the call simulator's CLI the transcript, and its recording is a WAV of the agent", async () => {
    const key = await platform().apiKeys.create.mutate({ label: "simulator" });
    const dir = mkdtempSync(join(tmpdir(), "dsai-call-"));
    const main = fileURLToPath(new URL("../src/simulator/main.ts", import.meta.url));
    const args = ["--import", "tsx", main, "--core", new URL(h.core.httpUrl).host, "--audiosocket", `127.0.0.1:${h.core.audioSocketPort}`];
    args.push("--token", TOKEN, "--agent", "support", "--say", "goodbye", "--record", join(dir, "agent.wav"), "--api-key", key.token);
    const { stdout } = await exec(process.execPath, args);
    const summary = JSON.parse(stdout) as { uuid: string; hangupCause: string; transcript: { role: string; text: string }[] };
    expect(summary.hangupCause).toBe("agent_hangup");
    expect(summary.transcript).toEqual([
      { role: "agent", text: "Hello, this is Acme support. How can I help?" },
      { role: "user", text: "goodbye" },
      { role: "agent", text: "Thank you for calling. Goodbye!" },
    ]);
    const wav = decodeWav(readFileSync(join(dir, "agent.wav")));
    expect(wav.sampleRate).toBe(8000);
    expect(wav.pcm.length).toBeGreaterThan(16_000 * 3); // greeting and goodbye: seconds of audio
    rmSync(dir, { recursive: true, force: true });
    // Bad usage is a clear message and exit code 2.
    const bad = await exec(process.execPath, ["--import", "tsx", main, "--agent", "support"]).catch(
      (err: { code: number; stderr: string }) => err,
    );
    expect(bad).toMatchObject({ code: 2, stderr: expect.stringContaining("--core HOST:PORT is required") });
  });
});
