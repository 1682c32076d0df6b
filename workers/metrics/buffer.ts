import { bucketOf } from "../../shared/metrics/exposition";
import { BUCKET_SECONDS, canonicalLabels, type Labels } from "./counters";

/** Rows per upsert statement: D1 binds at most 100 parameters to one statement, 4 a row. */
export const ROWS_PER_STATEMENT = 25;

/** Which part of the service counts (the `component` label of `d1_statements` and `do_requests`). */
export type Component = "ingest" | "consumer" | "writes" | "ci_context" | "dead_letters";

/**
 * Collects counter increments and histogram observations during one unit of work (a queue batch, or a few
 * seconds of ingest) and writes them to D1 in as few statements as it can: one multi-row upsert per 25 label
 * sets. Each flush counts its own statements in `d1_statements{component}`, so what D1 is asked is measured.
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
    const statements = Math.ceil(rows.length / ROWS_PER_STATEMENT);
    (own ?? counted).value += statements;
    const prepared: D1PreparedStatement[] = [];
    for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
      const chunk = rows.slice(i, i + ROWS_PER_STATEMENT);
      const values = chunk.map((_, j) => `(?${j * 4 + 1}, ?${j * 4 + 2}, ?${j * 4 + 3}, ?${j * 4 + 4})`).join(", ");
      prepared.push(
        db
          .prepare(`INSERT INTO counters (bucket_start, name, labels, value) VALUES ${values} ON CONFLICT (bucket_start, name, labels) DO UPDATE SET value = value + excluded.value`)
          .bind(...chunk.flatMap((e) => [bucket, e.name, e.labels, e.value])),
      );
    }
    await db.batch(prepared);
  }
}
