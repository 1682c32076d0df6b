/** Hourly counter buckets older than this are folded into one bucket per UTC day. */
export const HOURLY_KEPT_DAYS = 7;
/** Transient-error notes of events older than this are forgotten (a dead letter keeps its own reason). */
export const EVENT_ERRORS_KEPT_DAYS = 30;

const DAY_SECONDS = 86_400;

export interface HousekeepingResult {
  /** Hourly rows folded into daily ones. */
  foldedRows: number;
  /** event_errors rows deleted. */
  forgottenErrors: number;
}

/**
 * The daily clean-up (cron trigger): keeps D1 from growing without bound while every counter's total stays the
 * same. Hourly buckets older than HOURLY_KEPT_DAYS (the dashboard shows the last 24 hours) are summed into the
 * bucket starting at their UTC midnight — one statement batch, so a crash leaves either all or none of it; running
 * it twice changes nothing.
 */
export async function housekeeping(db: D1Database, nowMs: number): Promise<HousekeepingResult> {
  const today = Math.floor(nowMs / 1000 / DAY_SECONDS) * DAY_SECONDS;
  const cutoff = today - HOURLY_KEPT_DAYS * DAY_SECONDS;
  const errorsBefore = new Date(nowMs - EVENT_ERRORS_KEPT_DAYS * DAY_SECONDS * 1000).toISOString();
  const [, folded, forgotten] = await db.batch([
    db
      .prepare(
        `INSERT INTO counters (bucket_start, name, labels, value)
         SELECT (bucket_start / ${DAY_SECONDS}) * ${DAY_SECONDS} AS day, name, labels, SUM(value)
         FROM counters WHERE bucket_start < ?1 AND bucket_start % ${DAY_SECONDS} != 0
         GROUP BY day, name, labels
         ON CONFLICT (bucket_start, name, labels) DO UPDATE SET value = value + excluded.value`,
      )
      .bind(cutoff),
    db.prepare(`DELETE FROM counters WHERE bucket_start < ?1 AND bucket_start % ${DAY_SECONDS} != 0`).bind(cutoff),
    db.prepare(`DELETE FROM event_errors WHERE updated_at < ?1`).bind(errorsBefore),
  ]);
  return { foldedRows: folded?.meta.changes ?? 0, forgottenErrors: forgotten?.meta.changes ?? 0 };
}
