/** Small, pure statistics for the benchmark: percentiles, sliding windows, skewed allocations, a seeded PRNG. */

export interface LatencySummary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentile (p in 0..100) of ascending-sorted values; NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] ?? Number.NaN;
}

export function summarize(values: readonly number[]): LatencySummary {
  const sorted = [...values].sort((a, b) => a - b);
  const sum = sorted.reduce((s, v) => s + v, 0);
  return {
    count: sorted.length,
    min: sorted[0] ?? Number.NaN,
    mean: sorted.length ? sum / sorted.length : Number.NaN,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? Number.NaN,
  };
}

/** The most timestamps (ms) falling in any window [t, t + windowMs), and where that window starts. */
export function peakInWindow(times: readonly number[], windowMs: number): { count: number; startMs: number | null } {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let startMs: number | null = null;
  let lo = 0;
  for (let hi = 0; hi < sorted.length; hi++) {
    const end = sorted[hi] ?? 0;
    while ((sorted[lo] ?? 0) <= end - windowMs) lo++;
    if (hi - lo + 1 > best) {
      best = hi - lo + 1;
      startMs = sorted[lo] ?? null;
    }
  }
  return { count: best, startMs };
}

/**
 * `total` items over `n` ranks with Zipf weights 1/rank^s, every rank at least 1, by largest remainder
 * (deterministic; the counts sum to `total` exactly).
 */
export function zipfCounts(total: number, n: number, s: number): number[] {
  if (total < n) throw new Error(`zipfCounts: ${total} items cannot cover ${n} ranks`);
  const weights = Array.from({ length: n }, (_, i) => 1 / (i + 1) ** s);
  const sum = weights.reduce((a, b) => a + b, 0);
  const spare = total - n; // one each first, the rest by weight
  const exact = weights.map((w) => (w / sum) * spare);
  const counts = exact.map((x) => 1 + Math.floor(x));
  let left = total - counts.reduce((a, b) => a + b, 0);
  const byRemainder = exact.map((x, i) => ({ i, r: x - Math.floor(x) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of byRemainder) {
    if (left <= 0) break;
    counts[i] = (counts[i] ?? 0) + 1;
    left--;
  }
  return counts;
}

/** mulberry32, the GitHub double's seeded PRNG: every run sends the same sequence. */
export { prng } from "../tests/github-double/faults.ts";

/** Fisher–Yates with a seeded PRNG (in place). */
export function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const tmp = items[i] as T;
    items[i] = items[j] as T;
    items[j] = tmp;
  }
  return items;
}

/** Counts per key, sorted by count (desc) then key. */
export function tally(keys: Iterable<string>): Array<[string, number]> {
  const counts = new Map<string, number>();
  for (const k of keys) counts.set(k, (counts.get(k) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
}

export function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
