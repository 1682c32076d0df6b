import { bucketOf } from "../../shared/metrics/exposition";
import { BUCKET_SECONDS, canonicalLabels, type Labels } from "./counters";

/**
 * Collects counter increments and histogram observations during one unit of work (a queue batch) and writes them
 * in one D1 batch — and, when the binding is configured, to Workers Analytics Engine.
 */
export class MetricsBuffer {
  private readonly counts = new Map<string, { name: string; labels: string; value: number }>();

  inc(name: string, labels: Labels = {}, by = 1): void {
    const key = `${name}\u0000${canonicalLabels(labels)}`;
    const entry = this.counts.get(key) ?? { name, labels: canonicalLabels(labels), value: 0 };
    entry.value += by;
    this.counts.set(key, entry);
  }

  /** One observation of a histogram: its bucket, its sum (in milliseconds, kept as an integer) and its count. */
  observe(name: string, seconds: number, bounds: readonly number[], labels: Labels = {}): void {
    const value = Math.max(0, seconds);
    this.inc(`${name}_bucket`, { ...labels, le: bucketOf(value, bounds) });
    this.inc(`${name}_sum_ms`, labels, Math.round(value * 1000));
  }

  async flush(db: D1Database, analytics?: AnalyticsEngineDataset, at = Date.now()): Promise<void> {
    if (this.counts.size === 0) return;
    const bucket = Math.floor(at / 1000 / BUCKET_SECONDS) * BUCKET_SECONDS;
    const entries = [...this.counts.values()];
    this.counts.clear();
    const statement = db.prepare(
      `INSERT INTO counters (bucket_start, name, labels, value) VALUES (?1, ?2, ?3, ?4)
       ON CONFLICT (bucket_start, name, labels) DO UPDATE SET value = value + excluded.value`,
    );
    await db.batch(entries.map((e) => statement.bind(bucket, e.name, e.labels, e.value)));
    if (analytics) {
      for (const e of entries) analytics.writeDataPoint({ indexes: [e.name], blobs: [e.name, e.labels], doubles: [e.value] });
    }
  }
}
