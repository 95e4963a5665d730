// The console end to end, as a new user meets it: `npm start`'s own script runs the platform
// (embedded Postgres, the platform stack on the local Docker engine, License Service, console,
// worker) on ports and folders of its own; Chromium signs up, creates a tenant and watches it
// provision for real, sees its run history, suspends, reactivates and deletes it, signs out and
// in again. The screenshots it takes are the README's.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, type Page, test } from "@playwright/test";
import { callerSpeech } from "../../apps/core/src/simulator/caller-voice.ts";
import { freeSipPort } from "../../packages/asterisk/testing/real-asterisk.ts";
import { sipCall } from "../../packages/asterisk/testing/sip-caller.ts";
import { startOidcPeer, type TOidcPeer } from "./oidc-peer.ts";

const repoRoot = join(import.meta.dirname, "..", "..");
const images = existsSync(join(repoRoot, ".build", "images.json"))
  ? (JSON.parse(readFileSync(join(repoRoot, ".build", "images.json"), "utf8")) as Record<string, string>)
  : {};
const missing = ["core", "postgres", "traefik", "asterisk"].filter((k) => !images[k]);
const shots = join(repoRoot, "docs", "screenshots");
/** The shared Asterisk's network in this test's platform (its gateway is this machine). */
const ASTERISK_SUBNET = "172.30.248";

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
const docker = (args: string[]) => execFileSync("docker", args, { encoding: "utf8" }).trim();
const ids = (args: string[]) => docker(args).split("\n").filter(Boolean);

test.describe("the console", () => {
  test.skip(missing.length > 0, `set-up has not built the images ${missing.join(", ")} (npm run setup)`);
  test.describe.configure({ mode: "serial", timeout: 15 * 60_000 });

  const name = `dsai-e2e${randomBytes(2).toString("hex")}`;
  const slug = `e2e${randomBytes(3).toString("hex")}`;
  const user = { email: `ada-${randomBytes(3).toString("hex")}@example.test`, password: "a long enough password" };
  let scratch = "";
  let platform: ChildProcess | undefined;
  let base = "";
  let output = "";
  let httpPort = 0;
  let sipPort = 0;
  /** RTP ports of this test's Asterisk, beside those of a platform `npm start` may run. */
  const rtp = { first: 10_100 };
  let oidc: TOidcPeer | undefined;
  let ssoBase = "";

  test.beforeAll(async () => {
    test.setTimeout(10 * 60_000);
    scratch = mkdtempSync(join(tmpdir(), "dsai-e2e-"));
    // As root, the embedded Postgres runs as another user, which must be able to enter this folder.
    chmodSync(scratch, 0o755);
    const ports = {
      console: await freePort(),
      license: await freePort(),
      http: await freePort(),
      sip: await freePort(),
      ari: await freePort(),
    };
    base = `http://127.0.0.1:${ports.console}`;
    httpPort = ports.http;
    sipPort = ports.sip;
    // Next.js names loopback hosts "localhost" in the URLs it builds (Auth.js's callback among
    // them), so single sign-on runs on http://localhost:<port>, still this machine's loopback.
    oidc = await startOidcPeer({ port: await freePort(), redirectUri: `http://localhost:${ports.console}/api/auth/callback/oidc` });
    ssoBase = `http://localhost:${ports.console}`;
    platform = spawn(process.execPath, ["--import", "tsx", join(repoRoot, "scripts", "start.ts")], {
      cwd: repoRoot,
      env: {
        ...process.env,
        DSAI_DATA_DIR: join(scratch, "data"),
        DSAI_STATE_DIR: join(scratch, "state"),
        DSAI_PLATFORM_NAME: name,
        DSAI_ASTERISK_SUBNET: ASTERISK_SUBNET,
        DSAI_RTP_PORTS: `${rtp.first}-${rtp.first + 9}`,
        DSAI_CONSOLE_PORT: String(ports.console),
        LICENSE_PORT: String(ports.license),
        DSAI_HTTP_PORT: String(ports.http),
        DSAI_SIP_PORT: String(ports.sip),
        DSAI_ARI_PORT: String(ports.ari),
        LICENSE_ADMIN_TOKEN: randomBytes(24).toString("hex"),
        DSAI_PLATFORM_ADMIN_EMAILS: user.email,
        AUTH_OIDC_ISSUER: oidc.issuer,
        AUTH_OIDC_CLIENT_ID: oidc.clientId,
        AUTH_OIDC_CLIENT_SECRET: oidc.clientSecret,
        AUTH_OIDC_NAME: "Acme SSO",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    platform.stdout?.on("data", (d: Buffer) => {
      output += d.toString();
    });
    platform.stderr?.on("data", (d: Buffer) => {
      output += d.toString();
    });
    const deadline = Date.now() + 9 * 60_000;
    while (!output.includes("start: running.")) {
      if (platform.exitCode !== null || Date.now() > deadline) throw new Error(`npm start did not come up:\n${output}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  });

  // A failure shows what the platform said (its processes' output), the first thing to read.
  // biome-ignore lint/correctness/noEmptyPattern: Playwright requires a destructuring pattern for the fixtures argument
  test.afterEach(async ({}, testInfo) => {
    if (testInfo.status === testInfo.expectedStatus) return;
    process.stderr.write(`--- npm start's output ---\n${output.slice(-6000)}\n`);
    const asteriskLog = (() => {
      try {
        return docker(["exec", `${name}-asterisk`, "tail", "-n", "60", "/var/log/asterisk/messages.log"]);
      } catch (err) {
        return `(no log: ${err instanceof Error ? err.message : String(err)})`;
      }
    })();
    process.stderr.write(`--- the shared Asterisk's log ---\n${asteriskLog}\n`);
    for (const container of ids(["ps", "--all", "--format", "{{.Names}}", "--filter", `label=dsai.tenant=${slug}`])) {
      const logs = execFileSync("docker", ["logs", "--tail", "40", container], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
      process.stderr.write(`--- ${container} ---\n${logs}\n`);
    }
  });

  test.afterAll(async () => {
    test.setTimeout(5 * 60_000);
    if (platform && platform.exitCode === null) {
      platform.kill("SIGTERM");
      await new Promise((r) => platform?.once("exit", r));
      // Stopped cleanly: every process, then Postgres, and exit 0.
      expect(output).toContain("start: stopped");
      expect(platform.exitCode).toBe(0);
    }
    // npm start leaves the platform stack and tenants running by design; the test removes its own.
    for (const filter of [`label=dsai.platform=${name}`, `label=dsai.tenant=${slug}`]) {
      const containers = ids(["ps", "--all", "--quiet", "--filter", filter]);
      if (containers.length > 0) docker(["rm", "--force", ...containers]);
      const networks = ids(["network", "ls", "--quiet", "--filter", filter]);
      if (networks.length > 0) docker(["network", "rm", ...networks]);
      const volumes = ids(["volume", "ls", "--quiet", "--filter", filter]);
      if (volumes.length > 0) docker(["volume", "rm", "--force", ...volumes]);
    }
    await oidc?.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  const status = (page: Page) => page.getByTestId("tenant-status");

  /** Opens a tab of the tenant's dashboard and waits for its page: fields are never filled on the page being left. */
  const openTab = async (page: Page, name: string, path: string) => {
    await page.getByRole("link", { name, exact: true }).click();
    await expect(page).toHaveURL(new RegExp(`/t/[a-z0-9-]+/${path}$`));
  };

  /** GET through Traefik naming a host (fetch cannot set Host). */
  const viaTraefik = (host: string, path: string) =>
    new Promise<number>((resolve, reject) => {
      request({ host: "127.0.0.1", port: httpPort, path, headers: { host } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
        .on("error", reject)
        .end();
    });

  test("serves the console at app.<domain> and the License Service at license.<domain> through Traefik", async () => {
    const deadline = Date.now() + 20_000;
    // Traefik reads its file of host routes within a moment of starting.
    while ((await viaTraefik("app.dsai.localhost", "/sign-in")) !== 200 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 250));
    expect(await viaTraefik("app.dsai.localhost", "/sign-in")).toBe(200);
    expect(await viaTraefik("license.dsai.localhost", "/healthz")).toBe(200);
    expect(await viaTraefik("nobody.dsai.localhost", "/")).toBe(404);
  });

  test("signs in with single sign-on through an OIDC provider", async ({ page }) => {
    test.setTimeout(60_000);
    await page.goto(`${ssoBase}/sign-in`);
    await page.getByRole("button", { name: "Sign in with Acme SSO" }).click();
    // The provider's own login and consent pages.
    await page.locator("input[name=login]").fill("grace");
    await page.locator("input[name=password]").fill("anything");
    await page.locator("button[type=submit]").click();
    await page.locator("button[type=submit]").click();
    await expect(page).toHaveURL(/\/tenants$/);
    await expect(page.getByTestId("signed-in-as")).toHaveText("grace@sso.example.test");
  });

  test("signs up, provisions a tenant on Docker, suspends, reactivates and deletes it", async ({ page }) => {
    await page.setViewportSize({ width: 1280, height: 860 });
    await page.goto(`${base}/`);
    await expect(page).toHaveURL(/\/sign-in$/);
    await page.getByRole("link", { name: "Sign up" }).click();
    await page.getByLabel("Name").fill("Ada");
    await page.getByLabel("Email").fill(user.email);
    await page.getByLabel("Password").fill("short");
    await page.getByRole("button", { name: "Sign up" }).click();
    // The browser refuses a password under 10 characters before anything is sent.
    await expect(page).toHaveURL(/\/sign-up$/);
    await page.getByLabel("Password").fill(user.password);
    await page.screenshot({ path: join(shots, "sign-up.png") });
    await page.getByRole("button", { name: "Sign up" }).click();
    await expect(page).toHaveURL(/\/tenants$/);
    await expect(page.getByTestId("signed-in-as")).toHaveText(user.email);

    await page.getByRole("link", { name: "New tenant" }).click();
    await page.getByLabel("Name").fill("Acme Support");
    await page.getByLabel("Slug").fill("app");
    await expect(page.getByText("reserved for the platform")).toBeVisible();
    await page.getByLabel("Slug").fill(slug);
    await expect(page.getByText(`Available: your tenant will be at ${slug}.dsai.localhost`)).toBeVisible();
    await page.screenshot({ path: join(shots, "new-tenant.png") });
    await page.getByRole("button", { name: "Create and provision" }).click();
    await expect(page).toHaveURL(new RegExp(`/t/${slug}$`));

    // Provisioning, live: the log grows while the worker applies the tenant's stack.
    await expect(page.getByTestId("run-log")).toContainText("— apply", { timeout: 5 * 60_000 });
    await page.screenshot({ path: join(shots, "provisioning.png") });
    await expect(status(page)).toHaveText("active", { timeout: 5 * 60_000 });
    await expect(page.getByTestId("plan-summary")).toContainText("to add");
    await expect(page.getByTestId("run-history")).toContainText("createsucceeded", { timeout: 15_000 });
    await expect(page.getByTestId("tenant-host")).toHaveText(`${slug}.dsai.localhost`);
    expect(ids(["ps", "--quiet", "--filter", `label=dsai.tenant=${slug}`])).toHaveLength(2);
    await page.screenshot({ path: join(shots, "tenant-overview.png"), fullPage: true });

    // The dashboard, in the tenant's own database through its core: the offline providers, an
    // agent using them, a recorded number, and a trunk for calls from this machine.
    await openTab(page, "Providers", "providers");
    await page.getByRole("button", { name: "Add offline providers" }).click();
    await expect(page.getByTestId("providers")).toContainText("Offline TTS (eSpeak NG)", { timeout: 20_000 });
    await page.getByLabel("Name").fill("External TTS");
    await page.getByLabel("Kind").selectOption("tts");
    await page.getByLabel("an external service").check();
    await page.getByLabel("URL").fill("https://tts.example.com");
    await page.getByRole("button", { name: "Add profile" }).click();
    await expect(page.getByTestId("providers")).toContainText("https://tts.example.com", { timeout: 20_000 });
    await openTab(page, "Agents", "agents");
    await page.getByLabel("Id").fill("support");
    await page.getByLabel("Name").fill("Support line");
    await page.getByLabel("Greeting").fill("Hello, this is Acme support.");
    await page.getByLabel("ASR profile").selectOption({ label: "Offline ASR (PocketSphinx)" });
    await page.getByLabel("LLM profile").selectOption({ label: "Offline LLM (scripted)" });
    await page.getByLabel("TTS profile").selectOption({ label: "Offline TTS (eSpeak NG)" });
    await page.getByRole("button", { name: "Create agent" }).click();
    await expect(page.getByTestId("agents")).toContainText("Support line", { timeout: 20_000 });
    await expect(page.getByTestId("agents")).toContainText("TTS: Offline TTS (eSpeak NG)");
    await page.screenshot({ path: join(shots, "agents.png"), fullPage: true });
    await openTab(page, "Numbers", "numbers");
    await page.getByLabel("Number").fill("+1555 1000");
    await page.getByRole("button", { name: "Add number" }).click();
    await expect(page.getByText("2-15 digits, optionally after '+'")).toBeVisible();
    await page.getByLabel("Number").fill("+15551000");
    await page.getByLabel("Record calls").check();
    await page.getByRole("button", { name: "Add number" }).click();
    await expect(page.getByTestId("numbers")).toContainText("+15551000", { timeout: 20_000 });
    // Calls from this machine reach the shared Asterisk through Docker's published ports, from
    // the gateway of its network: the trunk takes calls from there and sends out to this machine's
    // discard port (the platform allows that one address for local use; 127.0.0.1 would be refused).
    await openTab(page, "Trunks", "trunks");
    await page.getByLabel("Id").fill("desk");
    await page.getByLabel("Mode", { exact: true }).selectOption("ip");
    await page.getByLabel("Host", { exact: true }).fill(`${ASTERISK_SUBNET}.1`);
    await page.getByLabel("Port", { exact: true }).fill("9");
    await page.getByLabel("Networks calls come from (ip mode)").fill(`${ASTERISK_SUBNET}.1/32`);
    await page.getByRole("button", { name: "Add trunk" }).click();
    await expect(page.getByTestId("trunks")).toContainText("desk", { timeout: 20_000 });
    await openTab(page, "Phones", "phones");
    await page.getByLabel("Id").fill("alice");
    await page.getByLabel("Extension").fill("200");
    await page.getByLabel("Password").fill("phone-secret-123");
    await page.getByRole("button", { name: "Add phone" }).click();
    await expect(page.getByTestId("phones")).toContainText("alice", { timeout: 20_000 });
    await openTab(page, "Webhooks", "webhooks");
    await page.getByLabel("URL").fill("https://crm.example.com/dsai");
    await page.getByLabel("call_ended").check();
    await page.getByRole("button", { name: "Add webhook" }).click();
    await expect(page.getByTestId("webhooks")).toContainText("call_ended", { timeout: 20_000 });
    await page.getByText("show", { exact: true }).click();
    await expect(page.getByText("No deliveries yet.")).toBeVisible();
    // Removed before the call: its delivery would leave this machine.
    await page.getByTestId("webhooks").getByRole("button", { name: "Delete" }).click();
    await expect(page.getByText("No webhooks: the core can POST")).toBeVisible({ timeout: 20_000 });
    await openTab(page, "Numbers", "numbers");

    // The change reaches Asterisk after its plan is shown and approved.
    await page.getByRole("button", { name: "Review changes" }).click();
    await page.getByRole("link", { name: "See the plan on the overview" }).click();
    await expect(page.getByTestId("planned-change")).toContainText("asterisk_extensions", { timeout: 3 * 60_000 });
    await expect(page.getByTestId("planned-change")).toContainText("asterisk_pjsip"); // the phone
    await page.screenshot({ path: join(shots, "planned-change.png"), fullPage: true });
    await page.getByRole("button", { name: "Apply change" }).click();
    await expect(page.getByTestId("run-history")).toContainText("updatesucceeded", { timeout: 3 * 60_000 });
    expect(readFileSync(join(scratch, "data", "asterisk", "tenants", slug, "extensions.conf"), "utf8")).toContain("exten => +15551000,1,");
    expect(readFileSync(join(scratch, "data", "asterisk", "tenants", slug, "pjsip.conf"), "utf8")).toContain(`[dsai_${slug}_phone_alice]`);
    expect(ids(["ps", "--quiet", "--filter", `label=dsai.tenant=${slug}`])).toHaveLength(5); // core, Postgres, 3 providers

    // A real call from this machine: SIP and RTP through the ports the shared Asterisk publishes
    // on 127.0.0.1, into the tenant's core over AudioSocket, answered by the offline providers.
    const call = await sipCall({
      asteriskPort: sipPort,
      sourcePort: await freeSipPort(),
      number: "+15551000",
      caller: "15550199",
      lines: [await callerSpeech("what are your opening hours"), await callerSpeech("goodbye")],
      timeoutMs: 90_000,
    });
    expect(call.sippExit, call.sippOutput).toBe(0);
    expect(call.farMedia?.address).toBe("127.0.0.1");
    const { sippOutput: _sipp, ...heard } = call;
    expect(call.said, JSON.stringify(heard)).toHaveLength(2);
    expect(call.heard.length).toBeGreaterThan(1);

    await openTab(page, "Calls", "calls");
    await expect(page.getByTestId("calls")).toContainText("15550199", { timeout: 30_000 });
    await page.getByTestId("calls").getByRole("link").first().click();
    const transcript = page.getByTestId("transcript");
    await expect(transcript).toContainText("agent: Hello, this is Acme support.");
    await expect(transcript).toContainText("We are open from nine to five");
    await expect(transcript).toContainText("agent: Thank you for calling. Goodbye!");
    await expect(transcript).toContainText(/reply \d+ ms · ASR \d+ ms/); // per-turn latencies
    await expect(page.getByTestId("recording")).toBeVisible();
    const recordingUrl = await page.getByTestId("recording").getAttribute("src");
    const recording = await page.request.get(`${base}${recordingUrl}`);
    expect(recording.status()).toBe(200);
    expect(recording.headers()["content-type"]).toBe("audio/wav");
    const wav = await recording.body();
    expect(wav.subarray(0, 4).toString()).toBe("RIFF");
    expect(wav.length).toBeGreaterThan(16_000); // more than a second of 8 kHz audio
    // Nobody signed out gets it.
    expect((await fetch(`${base}${recordingUrl}`)).status).toBe(401);
    await page.screenshot({ path: join(shots, "call.png"), fullPage: true });

    await openTab(page, "API keys", "api-keys");
    await page.getByLabel("Label").fill("CRM");
    await page.getByRole("button", { name: "Create key" }).click();
    await expect(page.getByTestId("new-key")).toHaveText(/^dsai_/);
    await page.screenshot({ path: join(shots, "api-keys.png") });
    await openTab(page, "Usage", "usage");
    await expect(page.getByRole("img", { name: "Minutes per day" })).toBeVisible();
    await expect(page.getByTestId("usage")).toContainText(new Date().toISOString().slice(0, 10));
    // A new tenant's license starts with 60 minutes (the worker's default credit); the call used some.
    await expect(page.getByTestId("credits")).toContainText("59 min", { timeout: 30_000 });
    await openTab(page, "Members", "members");
    await expect(page.getByTestId("members")).toContainText(user.email);

    // Platform admin: every tenant, and credits granted through the License Service.
    await page.getByRole("link", { name: "Platform" }).click();
    await expect(page.getByTestId("admin-tenants")).toContainText(slug);
    await page.getByLabel(`Minutes for ${slug}`).fill("30");
    await page.getByRole("button", { name: "Grant" }).first().click();
    await expect(page.getByTestId("admin-licenses")).toContainText("89 min");
    await page.screenshot({ path: join(shots, "admin.png"), fullPage: true });
    await page.goto(`${base}/t/${slug}/usage`);
    await expect(page.getByTestId("credits")).toContainText("89 min");
    await page.goto(`${base}/t/${slug}`);

    // Danger zone: nothing happens until the slug is typed.
    const confirm = page.getByLabel(`Type ${slug} to confirm`);
    await expect(page.getByRole("button", { name: "Suspend" })).toBeDisabled();
    await confirm.fill(slug);
    await page.getByRole("button", { name: "Suspend" }).click();
    await expect(status(page)).toHaveText("suspended", { timeout: 3 * 60_000 });
    expect(ids(["ps", "--quiet", "--filter", `label=dsai.tenant=${slug}`])).toHaveLength(0);

    await page.reload(); // long operations survive a reload
    await page.getByLabel(`Type ${slug} to confirm`).fill(slug);
    await page.getByRole("button", { name: "Reactivate" }).click();
    await expect(status(page)).toHaveText("active", { timeout: 3 * 60_000 });

    await page.getByLabel(`Type ${slug} to confirm`).fill(slug);
    await page.getByRole("button", { name: "Delete tenant" }).click();
    await expect(status(page)).toHaveText("deleted", { timeout: 3 * 60_000 });
    await expect(page.getByTestId("run-history")).toContainText("delete");
    expect(ids(["ps", "--all", "--quiet", "--filter", `label=dsai.tenant=${slug}`])).toHaveLength(0);
    // Its recordings went with it: a later tenant of this slug starts with none.
    expect(existsSync(join(scratch, "data", "recordings", slug))).toBe(false);

    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page).toHaveURL(/\/sign-in$/);
    await page.getByLabel("Email").fill(user.email);
    await page.getByLabel("Password").fill("not the password");
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await expect(page.getByText("That email and password do not match an account.")).toBeVisible();
    await page.getByLabel("Email").fill(user.email);
    await page.getByLabel("Password").fill(user.password);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await expect(page).toHaveURL(/\/tenants$/);
    await expect(page.getByText(slug)).toBeVisible();
    await page.screenshot({ path: join(shots, "tenants.png") });
  });
});
