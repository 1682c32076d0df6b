/** `fileAfter`'s default: an issue at the first occurrence (the contract's `{occurrences: 1, withinMinutes: 60}`). */
export const DEFAULT_FILE_AFTER = { occurrences: 1, withinMinutes: 60 } as const;
export type FileAfter = { occurrences: number; withinMinutes: number };

/** Occurrence times a cluster keeps for `fileAfter` (its largest `occurrences`). */
export const ARRIVALS_KEPT = 100;

/** `count` occurrences at `atMs` added to the (sorted, bounded) arrival times. */
export function withArrivals(arrivals: readonly number[], atMs: number, count: number): number[] {
  const added = Array.from({ length: Math.min(count, ARRIVALS_KEPT) }, () => atMs);
  return [...arrivals, ...added].sort((a, b) => a - b).slice(-ARRIVALS_KEPT);
}

/**
 * Whether the failure was seen `occurrences` times within `withinMinutes` (any such span among the arrivals):
 * only then is an issue filed. Pure.
 */
export function fileAfterMet(arrivals: readonly number[], rule: FileAfter): boolean {
  const n = Math.max(1, rule.occurrences);
  if (arrivals.length < n) return false;
  const windowMs = rule.withinMinutes * 60_000;
  for (let i = 0; i + n - 1 < arrivals.length; i++) {
    const first = arrivals[i] ?? 0;
    const last = arrivals[i + n - 1] ?? 0;
    if (last - first <= windowMs) return true;
  }
  return false;
}
