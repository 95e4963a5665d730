// Entry of the License Service: configuration, database, server; SIGTERM/SIGINT stop it cleanly.
import { readLicenseConfig } from "./config.ts";
import { openLicenseDatabase } from "./database.ts";
import { createLicenseServer } from "./server.ts";

const config = readLicenseConfig();
const database = await openLicenseDatabase(config.databaseUrl);
const server = createLicenseServer({ ...config, databaseUrl: database.url });
await server.start();
process.stdout.write(
  `license: listening on ${server.url}${config.adminToken ? "" : " (no LICENSE_ADMIN_TOKEN: /trpc refuses every call)"}\n`,
);
const stop = async () => {
  await server.stop();
  await database.stop();
  process.exit(0);
};
process.on("SIGTERM", () => void stop());
process.on("SIGINT", () => void stop());
