import { bucketOf } from "../../shared/metrics/exposition";
import { BUCKET_SECONDS, canonicalLabels, type Labels } from "./counters";

/**
 * JSON characters of rows per upsert statement. The rows travel as one bound JSON text, read by `json_each` — so a
 * statement is not held to D1's 100 bound parameters (25 rows at 4 a row) — and D1 takes a value of up to 2 MB.
 */
export const ROWS_JSON_PER_STATEMENT = 256 * 1024;

/** Which part of the service counts (the `component` label of `d1_statements` and `do_requests`). */
export type Component = "ingest" | "consumer" | "writes" | "ci_context" | "dead_letters";

/**
 * Collects counter increments and histogram observations during one unit of work (a queue batch, or a few
 * seconds of ingest) and writes them to D1 in as few statements as it can: one upsert of every label set, read
 * from one JSON parameter (`ROWS_JSON_PER_STATEMENT`). Each flush counts its own statements in
 * `d1_statements{component}`, so what D1 is asked is measured.
 */
export class MetricsBuffer {
  private readonly counts = new Map<string, { name: string; labels: string; value: number }>();

  constructor(readonly component: Component = "consumer") {}

  get size(): number {
    return this.counts.size;
  }

  inc(name: string, labels: Labels = {}, by = 1): void {
    const key = `${name}\u0000${canonicalLabels(labels)}`;
    const entry = this.counts.get(key) ?? { name, labels: canonicalLabels(labels), value: 0 };
    entry.value += by;
    this.counts.set(key, entry);
  }

  /**
   * `count` observations of one value in a histogram: its bucket, its sum (in milliseconds, kept as an integer)
   * and its count.
   */
  observe(name: string, seconds: number, bounds: readonly number[], labels: Labels = {}, count = 1): void {
    const value = Math.max(0, seconds);
    this.inc(`${name}_bucket`, { ...labels, le: bucketOf(value, bounds) }, count);
    this.inc(`${name}_sum_ms`, labels, Math.round(value * 1000) * count);
  }

  /** Adds what `other` holds (an isolate's buffer takes a request's counts). */
  merge(other: MetricsBuffer): void {
    for (const e of other.counts.values()) {
      const key = `${e.name}\u0000${e.labels}`;
      const entry = this.counts.get(key) ?? { name: e.name, labels: e.labels, value: 0 };
      entry.value += e.value;
      this.counts.set(key, entry);
    }
  }

  /** Writes what the buffer holds to Workers Analytics Engine (one point per label set), keeping it. */
  writePoints(analytics?: AnalyticsEngineDataset): void {
    if (!analytics) return;
    for (const e of this.counts.values()) analytics.writeDataPoint({ indexes: [e.name], blobs: [e.name, e.labels], doubles: [e.value] });
  }

  async flush(db: D1Database, analytics?: AnalyticsEngineDataset, at = Date.now()): Promise<void> {
    if (this.counts.size === 0) return;
    const bucket = Math.floor(at / 1000 / BUCKET_SECONDS) * BUCKET_SECONDS;
    this.writePoints(analytics);
    const entries = [...this.counts.values()];
    this.counts.clear();
    // The flush's own statements are counted with it (one more row may take one more statement).
    const counted = { name: "d1_statements", labels: canonicalLabels({ component: this.component }), value: 0 };
    const own = entries.find((e) => e.name === counted.name && e.labels === counted.labels);
    const rows = own ? entries : [...entries, counted];
    // Chunks of rows under ROWS_JSON_PER_STATEMENT, by a bound on each row's JSON (escaping at most doubles a
    // text), so the statements are counted before the values are written.
    const chunks: Array<typeof rows> = [];
    let size = Number.POSITIVE_INFINITY;
    for (const row of rows) {
      const bound = 2 * (row.name.length + row.labels.length) + 40;
      if (size + bound > ROWS_JSON_PER_STATEMENT) {
        chunks.push([]);
        size = 0;
      }
      chunks[chunks.length - 1]?.push(row);
      size += bound;
    }
    (own ?? counted).value += chunks.length;
    await db.batch(
      chunks.map((chunk) =>
        db
          .prepare(
            `INSERT INTO counters (bucket_start, name, labels, value) SELECT ?, json_extract(r.value, '$[0]'), json_extract(r.value, '$[1]'), json_extract(r.value, '$[2]') FROM json_each(?) AS r WHERE true ON CONFLICT (bucket_start, name, labels) DO UPDATE SET value = value + excluded.value`,
          )
          .bind(bucket, JSON.stringify(chunk.map((e) => [e.name, e.labels, e.value]))),
      ),
    );
  }
}
