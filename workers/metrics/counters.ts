/** Length of one counter bucket. */
export const BUCKET_SECONDS = 3600;

export type Labels = Record<string, string | number | undefined>;

/** Labels as canonical JSON: keys sorted, undefined values dropped, so equal label sets share one row. */
export function canonicalLabels(labels: Labels): string {
  const entries = Object.entries(labels)
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => [key, String(value)]);
  return JSON.stringify(Object.fromEntries(entries));
}

/** Adds `by` to counter `name` with `labels` in the bucket of `at`. */
export async function incrementCounter(db: D1Database, name: string, labels: Labels, by = 1, at = Date.now()): Promise<void> {
  const bucket = Math.floor(at / 1000 / BUCKET_SECONDS) * BUCKET_SECONDS;
  await db
    .prepare(
      `INSERT INTO counters (bucket_start, name, labels, value) VALUES (?1, ?2, ?3, ?4)
       ON CONFLICT (bucket_start, name, labels) DO UPDATE SET value = value + excluded.value`,
    )
    .bind(bucket, name, canonicalLabels(labels), by)
    .run();
}
