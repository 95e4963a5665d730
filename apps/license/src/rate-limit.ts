// Per-key token buckets in memory: a key may send `perSecond` requests per second on average,
// `burst` at once. Past that it gets 429 with Retry-After (whole seconds, at least 1).
export type TRateLimiter = { take(key: string): { ok: true } | { ok: false; retryAfterSeconds: number } };

export function createRateLimiter(options: { perSecond: number; burst: number; now?: () => number }): TRateLimiter {
  const now = options.now ?? (() => performance.now());
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    take(key) {
      const t = now();
      const b = buckets.get(key) ?? { tokens: options.burst, at: t };
      b.tokens = Math.min(options.burst, b.tokens + ((t - b.at) / 1000) * options.perSecond);
      b.at = t;
      buckets.set(key, b);
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return { ok: true };
      }
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - b.tokens) / options.perSecond)) };
    },
  };
}
