import type { FailureEvent } from "../../shared/failure-event";

/** How many of daemon-hotfix's own failures D1 keeps for the dashboard (the counter keeps counting). */
export const KEPT_SELF_FAILURES = 200;

/**
 * Remembers one failure of daemon-hotfix itself, reported back by the kernel: never filed on GitHub (a loop), but
 * listed on the dashboard so that the operator learns the service itself is failing. The newest are kept.
 */
export async function recordSelfFailure(db: D1Database, failure: FailureEvent, reason: string): Promise<void> {
  await db.batch([
    db
      .prepare(
        `INSERT INTO self_failures (event_id, occurred_at, received_at, plugin, category, status, message, trigger_repo, reason)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (event_id) DO NOTHING`,
      )
      .bind(failure.eventId, failure.occurredAt, failure.receivedAt, failure.plugin.id, failure.category, failure.status, failure.message.slice(0, 1_000), failure.trigger.repo ?? null, reason),
    db.prepare(`DELETE FROM self_failures WHERE event_id NOT IN (SELECT event_id FROM self_failures ORDER BY received_at DESC, event_id DESC LIMIT ?)`).bind(KEPT_SELF_FAILURES),
  ]);
}
