/** Default per-repo limit: 600 events/min sustained, bursts of 120 (override with the vars below). */
export const DEFAULT_RATE_LIMIT = { perMinute: 600, burst: 120 } as const;

function positive(value: string | undefined, fallback: number): number {
  const parsed = Number(value);
  return Number.isFinite(parsed) && parsed > 0 ? parsed : fallback;
}

/** The per-repo ingest limit from `RATE_LIMIT_PER_MINUTE` and `RATE_LIMIT_BURST`. */
export function rateLimitOf(env: Pick<Env, "RATE_LIMIT_PER_MINUTE" | "RATE_LIMIT_BURST">): { perMinute: number; burst: number } {
  return {
    perMinute: positive(env.RATE_LIMIT_PER_MINUTE, DEFAULT_RATE_LIMIT.perMinute),
    burst: Math.max(1, Math.floor(positive(env.RATE_LIMIT_BURST, DEFAULT_RATE_LIMIT.burst))),
  };
}
