// Entry of a tenant core: configuration (CORE_*), tenant database migrations, then the
// AudioSocket and HTTP servers and the outbox worker. SIGTERM/SIGINT stop it after recording
// every call still in progress.
import { readCoreConfig } from "./config.ts";
import { createCore } from "./core.ts";

let config: ReturnType<typeof readCoreConfig>;
try {
  config = readCoreConfig();
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(2);
}
const core = createCore(config);
await core.start();
process.stdout.write(`core: HTTP on ${core.httpUrl}, AudioSocket on ${config.host}:${core.audioSocketPort}\n`);
const stop = async () => {
  await core.stop();
  process.exit(0);
};
process.once("SIGTERM", () => void stop());
process.once("SIGINT", () => void stop());
