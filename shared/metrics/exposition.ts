/** Prometheus text exposition format (version 0.0.4), rendered from plain data. Pure. */

export type MetricType = "counter" | "gauge" | "histogram";

export interface Sample {
  /** Suffix after the family name (`_bucket`, `_sum`, `_count`) or "". */
  suffix?: string;
  labels: Record<string, string>;
  value: number;
}

export interface MetricFamily {
  name: string;
  help: string;
  type: MetricType;
  samples: Sample[];
}

export const EXPOSITION_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function escapeHelp(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

export function renderExposition(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  for (const family of families) {
    lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`);
    lines.push(`# TYPE ${family.name} ${family.type}`);
    for (const sample of family.samples) {
      const labels = Object.entries(sample.labels);
      const labelText = labels.length ? `{${labels.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(",")}}` : "";
      lines.push(`${family.name}${sample.suffix ?? ""}${labelText} ${formatValue(sample.value)}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

/** Upper bounds (seconds) of the histogram buckets. */
export const LAG_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 21600] as const;
export const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] as const;

/** The bucket a value falls in, as its `le` label ("+Inf" past the last bound). */
export function bucketOf(value: number, bounds: readonly number[]): string {
  const bound = bounds.find((b) => value <= b);
  return bound === undefined ? "+Inf" : String(bound);
}

/**
 * Cumulative `_bucket` samples from per-bucket counts (stored non-cumulatively, one row per bucket hit), plus
 * `_sum` and `_count`, for one label set.
 */
export function histogramSamples(bounds: readonly number[], counts: ReadonlyMap<string, number>, sum: number, labels: Record<string, string> = {}): Sample[] {
  const samples: Sample[] = [];
  let cumulative = 0;
  for (const le of [...bounds.map(String), "+Inf"]) {
    cumulative += counts.get(le) ?? 0;
    samples.push({ suffix: "_bucket", labels: { ...labels, le }, value: cumulative });
  }
  samples.push({ suffix: "_sum", labels, value: sum });
  samples.push({ suffix: "_count", labels, value: cumulative });
  return samples;
}

/** Estimates a quantile from per-bucket counts (linear within a bucket), as Prometheus' histogram_quantile does. */
export function quantile(q: number, bounds: readonly number[], counts: ReadonlyMap<string, number>): number | null {
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = q * total;
  let cumulative = 0;
  let lower = 0;
  for (const bound of bounds) {
    const inBucket = counts.get(String(bound)) ?? 0;
    if (cumulative + inBucket >= rank) return lower + (bound - lower) * (inBucket ? (rank - cumulative) / inBucket : 0);
    cumulative += inBucket;
    lower = bound;
  }
  return bounds.at(-1) ?? null;
}
