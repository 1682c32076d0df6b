import type { ClusterSnapshot } from "../durable/cluster";

/** Writes a cluster's row of the D1 cross-cluster index. */
export async function upsertClusterIndex(db: D1Database, s: ClusterSnapshot, now = new Date()): Promise<void> {
  await db
    .prepare(
      `INSERT INTO clusters (fingerprint, repo, plugin, category, issue_number, state, state_reason, total, reflected, first_seen, last_seen, blocked_reason, updated_at, grouping)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
       ON CONFLICT (fingerprint) DO UPDATE SET repo = excluded.repo, issue_number = excluded.issue_number, state = excluded.state,
         state_reason = excluded.state_reason, total = excluded.total, reflected = excluded.reflected, first_seen = excluded.first_seen,
         last_seen = excluded.last_seen, blocked_reason = excluded.blocked_reason, updated_at = excluded.updated_at`,
    )
    .bind(s.fingerprint, s.repo, s.plugin, s.category, s.issueNumber, s.state, s.stateReason, s.total, s.reflected, s.firstSeen, s.lastSeen, s.blocked, now.toISOString(), s.grouping)
    .run();
}
