/** Length of one counter bucket. */
export const BUCKET_SECONDS = 3600;

export type Labels = Record<string, string | number | undefined>;

/**
 * Labels as canonical JSON: keys sorted, undefined values dropped, values as strings, so equal label sets share
 * one row. Written by hand (it runs for every counter increment): the same text as
 * `JSON.stringify(Object.fromEntries(sortedDefinedEntries))`.
 */
export function canonicalLabels(labels: Labels): string {
  const keys = Object.keys(labels);
  if (keys.length > 1) keys.sort();
  let out = "{";
  for (const key of keys) {
    const value = labels[key];
    if (value === undefined) continue;
    if (out.length > 1) out += ",";
    out += `${JSON.stringify(key)}:${JSON.stringify(String(value))}`;
  }
  return `${out}}`;
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
