// Failed sign-ins are counted per account and per client address in Postgres (every console
// instance sees the same counts). Past the limit within the window, the key is locked for the
// window: further attempts are refused before any password is checked.
import type { PrismaClient } from "@dsai/db";

export type TThrottlePolicy = { windowMs: number; maxFailures: { account: number; ip: number } };
export const DEFAULT_THROTTLE: TThrottlePolicy = { windowMs: 15 * 60_000, maxFailures: { account: 5, ip: 30 } };

export const throttleKeys = (email: string, ip: string | undefined) => ({
  account: `account:${email.toLowerCase()}`,
  ...(ip && { ip: `ip:${ip}` }),
});

export function createThrottle(db: PrismaClient, policy: TThrottlePolicy = DEFAULT_THROTTLE) {
  return {
    /** The moment the first locked key unlocks, or undefined when every key may try. */
    async lockedUntil(keys: Record<string, string>, now = new Date()): Promise<Date | undefined> {
      const rows = await db.authThrottle.findMany({ where: { key: { in: Object.values(keys) }, lockedUntil: { gt: now } } });
      const until = rows.map((r) => r.lockedUntil?.getTime() ?? 0).sort((a, b) => b - a)[0];
      return until ? new Date(until) : undefined;
    },

    /** Counts one failure for every key; a key over its limit is locked for one window. */
    async recordFailure(keys: { account: string; ip?: string }, now = new Date()): Promise<void> {
      for (const [kind, key] of Object.entries(keys) as ["account" | "ip", string][]) {
        const windowStart = new Date(now.getTime() - policy.windowMs);
        // One statement per key: concurrent failures cannot lose a count.
        await db.$executeRaw`
          INSERT INTO "AuthThrottle" ("key", "failures", "windowStart") VALUES (${key}, 1, ${now})
          ON CONFLICT ("key") DO UPDATE SET
            "failures" = CASE WHEN "AuthThrottle"."windowStart" < ${windowStart} THEN 1 ELSE "AuthThrottle"."failures" + 1 END,
            "windowStart" = CASE WHEN "AuthThrottle"."windowStart" < ${windowStart} THEN ${now} ELSE "AuthThrottle"."windowStart" END`;
        await db.authThrottle.updateMany({
          where: { key, failures: { gte: policy.maxFailures[kind] } },
          data: { lockedUntil: new Date(now.getTime() + policy.windowMs) },
        });
      }
    },

    /** A successful sign-in clears the account's count (not the address's). */
    async reset(accountKey: string): Promise<void> {
      await db.authThrottle.deleteMany({ where: { key: accountKey } });
    },
  };
}
export type TThrottle = ReturnType<typeof createThrottle>;
