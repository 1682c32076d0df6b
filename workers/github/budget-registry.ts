/** How often an isolate refreshes a budget's row: well inside the hour over which /metrics lists budgets in use. */
export const BUDGET_ROW_REFRESH_MS = 5 * 60_000;

/** Budget keys this isolate has written, and when (bounded; cleared when full). */
const refreshed = new Map<string, number>();
const MAX_REMEMBERED = 1_000;

/**
 * Notes in D1 `budgets` that a write budget (a token, an App installation) is in use, so /metrics and the dashboard
 * can show what it has left. At most once per key per `BUDGET_ROW_REFRESH_MS` per isolate — not once per writes
 * batch. Returns the statement to run, or null when the row is fresh enough.
 */
export function budgetRowDue(db: D1Database, key: string, nowMs = Date.now()): D1PreparedStatement | null {
  const last = refreshed.get(key);
  if (last !== undefined && nowMs - last < BUDGET_ROW_REFRESH_MS) return null;
  if (refreshed.size >= MAX_REMEMBERED) refreshed.clear();
  refreshed.set(key, nowMs);
  return db.prepare(`INSERT INTO budgets (key, updated_at) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET updated_at = excluded.updated_at`).bind(key, new Date(nowMs).toISOString());
}

/** Forgets a key whose row could not be written, so the next writes batch tries again. */
export function budgetRowFailed(key: string): void {
  refreshed.delete(key);
}
