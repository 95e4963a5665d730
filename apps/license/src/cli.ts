// `npm run license -- <command>`: the admin CLI for ops. It talks to the license database
// directly (LICENSE_DATABASE_URL, or the embedded one of `npm start`) and prints JSON, so
// scripts can use it. Exit codes: 0 ok, 1 failure, 2 bad usage.
import { parseArgs } from "node:util";
import { z } from "zod";
import { createAdmin } from "./admin.ts";
import { readLicenseConfig } from "./config.ts";
import { openLicenseDatabase } from "./database.ts";
import { ApiError } from "./errors.ts";
import { createStore } from "./store.ts";

const USAGE = `usage: npm run license -- <command> [options]
  create-license --name N --seconds S
  issue-key --license ID [--scopes credits:read,usage:write] [--expires ISO-DATE] [--label L] [--agent AGENT]
  revoke-key --key KEY_ID
  grant --license ID --seconds S [--note TEXT]      (negative S records an adjustment)
  show --license ID
  suspend --license ID | reactivate --license ID | close --license ID
  verify
  expire-reservations`;

function fail(code: number, message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  if (!command || command === "help" || command === "--help") fail(command ? 0 : 2, USAGE);
  let values: Record<string, string | undefined>;
  try {
    values = parseArgs({
      args: rest,
      options: {
        name: { type: "string" },
        seconds: { type: "string" },
        license: { type: "string" },
        scopes: { type: "string" },
        expires: { type: "string" },
        label: { type: "string" },
        agent: { type: "string" },
        key: { type: "string" },
        note: { type: "string" },
      },
      strict: true,
    }).values as Record<string, string | undefined>;
  } catch (err) {
    fail(2, `${(err as Error).message}\n${USAGE}`);
  }
  const need = (name: string) => values[name] ?? fail(2, `--${name} is required for ${command}\n${USAGE}`);
  const int = (name: string) => {
    const n = Number(need(name));
    if (!Number.isInteger(n)) fail(2, `--${name} must be an integer`);
    return n;
  };

  const config = readLicenseConfig();
  let database: Awaited<ReturnType<typeof openLicenseDatabase>>;
  try {
    database = await openLicenseDatabase(config.databaseUrl);
  } catch (err) {
    fail(1, JSON.stringify({ error: `cannot open the license database: ${(err as Error).message}` }));
  }
  const store = createStore({ url: database.url, poolSize: 2 });
  const admin = createAdmin(store);
  try {
    const result = await (async () => {
      switch (command) {
        case "create-license":
          return admin.createLicense({ name: need("name"), seconds: int("seconds") });
        case "issue-key":
          return admin.issueKey({
            licenseId: need("license"),
            ...(values.scopes ? { scopes: values.scopes.split(",") as ("credits:read" | "usage:write")[] } : {}),
            ...(values.expires ? { expiresAt: values.expires } : {}),
            ...(values.label ? { label: values.label } : {}),
            ...(values.agent ? { agentId: values.agent } : {}),
          });
        case "revoke-key":
          return admin.revokeKey(need("key"));
        case "grant":
          return admin.grantCredits({ licenseId: need("license"), seconds: int("seconds"), ...(values.note ? { note: values.note } : {}) });
        case "show": {
          const license = await admin.showLicense(need("license"));
          return { ...license, keys: await admin.listKeys(license.id) };
        }
        case "suspend":
          return admin.suspendLicense(need("license"));
        case "reactivate":
          return admin.reactivateLicense(need("license"));
        case "close":
          return admin.closeLicense(need("license"));
        case "verify": {
          const report = await admin.verify();
          return { ok: report.mismatches.length === 0, ...report };
        }
        case "expire-reservations":
          return { released: await admin.expireReservations() };
        default:
          return fail(2, `unknown command ${command}\n${USAGE}`);
      }
    })();
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    if (command === "verify" && !(result as { ok: boolean }).ok) exitCode = 1;
  } catch (err) {
    const message =
      err instanceof ApiError
        ? err.message
        : err instanceof z.ZodError
          ? err.issues.map((i) => `${i.path.join(".") || "input"}: ${i.message}`).join("; ")
          : String(err);
    process.stdout.write(`${JSON.stringify({ error: message })}\n`);
    exitCode = 1;
  } finally {
    await store.close();
    await database.stop();
  }
  // Explicit: the embedded Postgres module's exit hook would otherwise end the process with 0.
  process.exit(exitCode);
}

let exitCode = 0;
await main();
