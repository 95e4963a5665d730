// One tenant core process: tenant database (migrated at start), the AudioSocket server with its
// shared pacer, the HTTP side, and the outbox worker.
import { systemResolve } from "@dsai/contracts";
import { createLicenseClient } from "@dsai/license-client";
import { createAddressGuard } from "./address-guard.ts";
import { FrameSender } from "./audiosocket/frame-sender.ts";
import { Pacer } from "./audiosocket/pacer.ts";
import { createAudioSocketServer } from "./audiosocket/server.ts";
import { createCallManager } from "./calls/call-manager.ts";
import type { TCoreConfig } from "./config.ts";
import { migrateTenantDatabase } from "./database.ts";
import { buildHttpApp } from "./http.ts";
import { createMetrics } from "./metrics.ts";
import { createOutboxWorker } from "./outbox.ts";
import { createStore } from "./store.ts";
import { createTenantDbClient } from "./tenant-db.ts";

export function log(uuid: string | undefined, message: string): void {
  process.stderr.write(`${new Date().toISOString()} core call=${uuid ?? "-"} ${message}\n`);
}

export function createCore(config: TCoreConfig) {
  const store = createStore({ url: config.databaseUrl });
  // The tenant API's Prisma client: its own small pool, apart from the call path's.
  const tenantDb = createTenantDbClient(config.databaseUrl);
  const pacer = new Pacer();
  const sender = new FrameSender(config.senderSliceUs);
  let backlog = 0;
  // Defined below; the metrics read them lazily.
  let calls: ReturnType<typeof createCallManager> | undefined;
  const metrics = createMetrics({
    activeCalls: () => calls?.activeCalls ?? 0,
    // The pacer's reads; the frames' counts and timing are the sender's, which sends them.
    pacer: () => ({ ...pacer.stats, ...sender.stats }),
    senderSliceUs: () => sender.status.sliceUs,
    outboxBacklog: () => backlog,
  });
  // The outbox has its own client: no retries inside (the outbox retries), short timeouts.
  const licenseForOutbox = createLicenseClient({
    baseUrl: config.license.url,
    apiKey: config.license.apiKey,
    retries: 0,
    timeoutMs: 3_000,
  });
  // Opening a call waits on the reservation: bounded so the dialplan's CURL never times out.
  const licenseForCalls = createLicenseClient({ baseUrl: config.license.url, apiKey: config.license.apiKey, retries: 1, timeoutMs: 1_000 });
  const outbox = createOutboxWorker({
    store,
    secretKey: config.secretKey,
    allowInternalWebhooks: config.allowInternalWebhooks,
    databaseUrl: config.databaseUrl,
    metrics,
    license: { client: licenseForOutbox, licenseId: config.license.licenseId },
    sweepMs: config.outboxSweepMs,
    log: (m) => log(undefined, m),
  });
  const callManager = createCallManager({
    store,
    metrics,
    license: { client: licenseForCalls, licenseId: config.license.licenseId, reserveSeconds: config.license.reserveSeconds },
    timeouts: config.timeouts,
    turnTimeoutMs: config.turnTimeoutMs,
    providerGuard: config.allowInternalProviders ? undefined : createAddressGuard(systemResolve),
    connectGraceMs: config.connectGraceMs,
    log,
    onOutboxWritten: () => outbox.kick(),
  });
  calls = callManager;
  const audioSocket = createAudioSocketServer({
    host: config.host,
    port: config.audioSocketPort,
    pacer,
    sender,
    resolveCall: (uuid) => callManager.resolve(uuid),
    onError: (uuid, message) => {
      metrics.protocolErrors.inc();
      log(uuid, `audiosocket: ${message}`);
    },
  });
  const http = buildHttpApp({
    calls: callManager,
    store,
    metrics,
    tenantToken: config.tenantToken,
    platformSecret: config.platformSecret,
    secretKey: config.secretKey,
    tenantSlug: config.tenantSlug,
    tenantDb,
  });
  const backlogTimer = setInterval(() => {
    store.outboxBacklog().then(
      (n) => {
        backlog = n;
      },
      () => {},
    );
  }, 5_000);
  backlogTimer.unref();
  const heartbeatTimer = setInterval(() => {
    store.heartbeat(callManager.liveCallIds()).catch((err: Error) => log(undefined, `heartbeat failed: ${err.message}`));
  }, config.heartbeatMs);
  heartbeatTimer.unref();

  return {
    metrics,
    store,
    outbox,
    calls: callManager,
    get httpUrl() {
      const address = http.server.address();
      return `http://${config.host}:${typeof address === "object" && address ? address.port : config.httpPort}`;
    },
    get audioSocketPort() {
      return audioSocket.port;
    },
    async start(): Promise<void> {
      await migrateTenantDatabase(config.databaseUrl);
      await callManager.recoverOrphans();
      await outbox.start();
      await audioSocket.start();
      log(undefined, `frame sender: ${sender.status.why}`);
      await http.listen({ host: config.host, port: config.httpPort });
    },
    async stop(): Promise<void> {
      clearInterval(backlogTimer);
      clearInterval(heartbeatTimer);
      await http.close();
      await audioSocket.stop(); // ends every connected call: their records are written
      await callManager.closeAll();
      await callManager.settled();
      await outbox.stop();
      await tenantDb.$disconnect();
      await store.close();
    },
  };
}
export type TCore = ReturnType<typeof createCore>;
