import type { FailureEvent } from "../../shared/failure-event";
import { pluginVersionOf } from "../../shared/lifecycle/plugin-version";

/**
 * Records the refs plugins were seen at (D1 `plugin_versions`, one row per ref: its first sighting), one statement
 * per distinct plugin and ref of a batch. What a quiet plugin failure's cluster reads to know its plugin moved on.
 */
export async function recordPluginVersions(db: D1Database, failures: readonly FailureEvent[]): Promise<number> {
  const seen = new Map<string, { repo: string; plugin: string; ref: string; at: string }>();
  for (const failure of failures) {
    const version = pluginVersionOf(failure);
    if (!version) continue;
    const key = `${version.repo}\n${version.plugin}\n${version.ref}`;
    const known = seen.get(key);
    if (!known || Date.parse(failure.occurredAt) < Date.parse(known.at)) seen.set(key, { ...version, at: failure.occurredAt });
  }
  if (seen.size === 0) return 0;
  await db.batch(
    [...seen.values()].map((v) =>
      db.prepare(`INSERT INTO plugin_versions (repo, plugin, ref, first_seen) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (repo, plugin, ref) DO UPDATE SET first_seen = MIN(first_seen, excluded.first_seen)`).bind(v.repo, v.plugin, v.ref, v.at),
    ),
  );
  return seen.size;
}

/** The first ref other than `ref` the plugin was seen at after `afterIso` (it moved on), or null. */
export async function movedOnFrom(db: D1Database, failure: FailureEvent, ref: string, afterIso: string): Promise<{ ref: string; seenAt: string } | null> {
  const version = pluginVersionOf(failure);
  if (!version) return null;
  const row = await db
    .prepare(`SELECT ref, first_seen FROM plugin_versions WHERE repo = ?1 AND plugin = ?2 AND ref != ?3 AND first_seen > ?4 ORDER BY first_seen LIMIT 1`)
    .bind(version.repo, version.plugin, ref, afterIso)
    .first<{ ref: string; first_seen: string }>();
  return row ? { ref: row.ref, seenAt: row.first_seen } : null;
}
