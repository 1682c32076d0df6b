import * as v from "valibot";

/**
 * A cluster's occurrences by hour (the last 24) and by UTC day (the last 14): what the sparklines show.
 * Buckets are keyed by the occurrence's own time, so a late event lands where it happened. Pure.
 */
export const Activity = v.object({
  /** `[hour start (ms), count]`, oldest first, at most `HOURS_KEPT`. */
  hourly: v.array(v.tuple([v.number(), v.number()])),
  /** `[YYYY-MM-DD, count]`, oldest first, at most `DAYS_KEPT`. */
  daily: v.array(v.tuple([v.string(), v.number()])),
});
export type Activity = v.InferOutput<typeof Activity>;

export const HOURS_KEPT = 24;
export const DAYS_KEPT = 14;
const HOUR_MS = 3_600_000;

export const EMPTY_ACTIVITY: Activity = { hourly: [], daily: [] };

function bump<K extends string | number>(buckets: ReadonlyArray<readonly [K, number]>, key: K, count: number, keep: number): Array<[K, number]> {
  const out: Array<[K, number]> = buckets.map(([k, n]) => [k, n]);
  const at = out.findIndex(([k]) => k === key);
  if (at >= 0) {
    const bucket = out[at];
    if (bucket) bucket[1] += count;
  } else out.push([key, count]);
  out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return out.slice(-keep);
}

/** `count` occurrences at `atMs` folded into the activity (buckets older than what is kept fall off). */
export function recordActivity(activity: Activity, atMs: number, count: number): Activity {
  if (!Number.isFinite(atMs)) return activity;
  const hour = Math.floor(atMs / HOUR_MS) * HOUR_MS;
  const day = new Date(atMs).toISOString().slice(0, 10);
  return { hourly: bump(activity.hourly, hour, count, HOURS_KEPT), daily: bump(activity.daily, day, count, DAYS_KEPT) };
}

/** The last 24 hourly counts up to `nowMs` (oldest first; hours with none are 0). */
export function hourlySeries(activity: Activity, nowMs: number): number[] {
  const current = Math.floor(nowMs / HOUR_MS) * HOUR_MS;
  const byHour = new Map(activity.hourly);
  return Array.from({ length: HOURS_KEPT }, (_, i) => byHour.get(current - (HOURS_KEPT - 1 - i) * HOUR_MS) ?? 0);
}

/** The last 14 daily counts up to `nowMs`'s UTC day (oldest first; days with none are 0). */
export function dailySeries(activity: Activity, nowMs: number): number[] {
  const byDay = new Map(activity.daily);
  const today = Date.UTC(new Date(nowMs).getUTCFullYear(), new Date(nowMs).getUTCMonth(), new Date(nowMs).getUTCDate());
  return Array.from({ length: DAYS_KEPT }, (_, i) => byDay.get(new Date(today - (DAYS_KEPT - 1 - i) * 86_400_000).toISOString().slice(0, 10)) ?? 0);
}
