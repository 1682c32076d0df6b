/** Bounds on what a failure carries, so one event cannot bloat the queue, storage or an issue body. */
export const LIMITS = {
  message: 4_000,
  detail: 8_000,
  logLines: 40,
  logLine: 500,
} as const;

export function clip(text: string, max: number): string {
  const trimmed = text.trim();
  return trimmed.length <= max ? trimmed : `${trimmed.slice(0, max - 1)}…`;
}

/** Keeps the last `LIMITS.logLines` non-empty lines, each clipped. */
export function clipLines(lines: readonly string[] | null | undefined): string[] {
  if (!lines) return [];
  return lines
    .filter((line) => line.trim().length > 0)
    .slice(-LIMITS.logLines)
    .map((line) => clip(line, LIMITS.logLine));
}

/** A timestamp as ISO 8601 when it parses, else the fallback. */
export function isoOr(value: string | null | undefined, fallback: string): string {
  if (!value) return fallback;
  const time = Date.parse(value);
  return Number.isNaN(time) ? fallback : new Date(time).toISOString();
}

/** Copies the entries whose value is neither null nor undefined (optional fields stay absent, not null). */
export function defined<T extends Record<string, unknown>>(record: T): { [K in keyof T]?: Exclude<T[K], null | undefined> } {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) if (value !== null && value !== undefined) out[key] = value;
  return out as { [K in keyof T]?: Exclude<T[K], null | undefined> };
}
