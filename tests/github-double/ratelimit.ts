/**
 * GitHub's rate limits, per token:
 *  - primary "core": 5,000 requests per hour window (x-ratelimit-* headers on every answer);
 *  - primary "search": 30 requests per minute window;
 *  - primary "graphql": 5,000 per hour window (the double counts a request as one point);
 *  - secondary, content creation: at most N per rolling 60 s and M per rolling 3,600 s.
 */
export type Resource = "core" | "search" | "graphql";

export interface RateLimitState {
  resource: Resource;
  limit: number;
  remaining: number;
  used: number;
  /** Epoch seconds. */
  reset: number;
  exceeded: boolean;
}

const LIMITS: Record<Resource, { limit: number; windowMs: number }> = {
  core: { limit: 5000, windowMs: 3_600_000 },
  search: { limit: 30, windowMs: 60_000 },
  graphql: { limit: 5000, windowMs: 3_600_000 },
};

interface Window {
  resetAt: number;
  used: number;
}

export class RateLimits {
  private readonly windows = new Map<string, Window>();
  private readonly creations = new Map<string, number[]>();

  /** Counts one request of `token` against `resource` and reports the state after it. */
  consume(token: string, resource: Resource, now: number, limitOverride?: number): RateLimitState {
    const { windowMs } = LIMITS[resource];
    const limit = limitOverride ?? LIMITS[resource].limit;
    const key = `${resource}:${token}`;
    let window = this.windows.get(key);
    if (!window || now >= window.resetAt) {
      window = { resetAt: now + windowMs, used: 0 };
      this.windows.set(key, window);
    }
    window.used++;
    return {
      resource,
      limit,
      used: Math.min(window.used, limit),
      remaining: Math.max(0, limit - window.used),
      reset: Math.floor(window.resetAt / 1000),
      exceeded: window.used > limit,
    };
  }

  /** Whether a content-creating request may go ahead now; if so it is counted. */
  allowCreation(token: string, now: number, perMinute: number, perHour: number): boolean {
    const times = (this.creations.get(token) ?? []).filter((t) => now - t < 3_600_000);
    const lastMinute = times.filter((t) => now - t < 60_000).length;
    this.creations.set(token, times);
    if (lastMinute >= perMinute || times.length >= perHour) return false;
    times.push(now);
    return true;
  }

  reset(): void {
    this.windows.clear();
    this.creations.clear();
  }
}
