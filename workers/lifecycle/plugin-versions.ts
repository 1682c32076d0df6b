import type { FailureEvent } from "../../shared/failure-event";
import { pluginVersionOf } from "../../shared/lifecycle/plugin-version";

interface VersionRow {
  repo: string;
  plugin: string;
  ref: string;
  at: string;
}

/** Sightings this isolate has written: key → the earliest `first_seen` it wrote (bounded; cleared when full). */
const written = new Map<string, number>();
const MAX_REMEMBERED = 10_000;

const keyOf = (v: { repo: string; plugin: string; ref: string }) => `${v.repo}\n${v.plugin}\n${v.ref}`;

/**
 * The rows of a batch's plugin sightings that could change D1: one per distinct plugin and ref, its earliest
 * sighting — less those this isolate already wrote with an earlier or equal `first_seen` (the column keeps the
 * minimum, so writing them again changes nothing). A storm of one plugin at one ref costs one statement per
 * isolate, not one per batch. The rows are remembered as written; `forget` undoes that should the write fail.
 */
export function newPluginVersions(failures: readonly FailureEvent[]): VersionRow[] {
  const seen = new Map<string, VersionRow>();
  for (const failure of failures) {
    const version = pluginVersionOf(failure);
    if (!version) continue;
    const key = keyOf(version);
    const known = seen.get(key);
    if (!known || Date.parse(failure.occurredAt) < Date.parse(known.at)) seen.set(key, { ...version, at: failure.occurredAt });
  }
  const rows = [...seen.entries()].filter(([key, row]) => !((written.get(key) ?? Number.POSITIVE_INFINITY) <= Date.parse(row.at))).map(([, row]) => row);
  if (written.size + rows.length > MAX_REMEMBERED) written.clear();
  for (const row of rows) written.set(keyOf(row), Math.min(written.get(keyOf(row)) ?? Number.POSITIVE_INFINITY, Date.parse(row.at)));
  return rows;
}

/**
 * Records the refs plugins were seen at (D1 `plugin_versions`, one row per ref: its first sighting), one statement
 * for the rows `newPluginVersions` picked. What a quiet plugin failure's cluster reads to know its plugin moved on.
 */
export async function recordPluginVersions(db: D1Database, rows: readonly VersionRow[]): Promise<void> {
  if (rows.length === 0) return;
  try {
    await db.batch(
      rows.map((v) =>
        db.prepare(`INSERT INTO plugin_versions (repo, plugin, ref, first_seen) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (repo, plugin, ref) DO UPDATE SET first_seen = MIN(first_seen, excluded.first_seen)`).bind(v.repo, v.plugin, v.ref, v.at),
      ),
    );
  } catch (error) {
    // Not written: forgotten, so the next batch with these sightings writes them.
    for (const row of rows) written.delete(keyOf(row));
    throw error;
  }
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
