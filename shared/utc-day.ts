/** The UTC day of a time, `YYYY-MM-DD` (spike protection counts new issues per target repo per UTC day). */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
