import type { GroupingUpgrade } from "../../shared/grouping/transition";
import { CURRENT_GROUPING, type GroupingVersion, isGroupingVersion } from "../../shared/grouping/versions";

interface Row {
  version: string;
  previous: string | null;
  started_at: string;
}


/**
 * When this deployment took grouping `version` into use, and which version it replaced: D1 `grouping_versions`.
 * The first consumer that groups with a version writes its row (INSERT … ON CONFLICT DO NOTHING, so concurrent
 * consumers agree on the first): the version it replaces is the newest one in the table, else v1 when clusters
 * exist already (a deployment from before versioned grouping), else none (a new deployment: nothing to carry over).
 */
export async function readGroupingUpgrade(db: D1Database, version: GroupingVersion, nowMs: number): Promise<GroupingUpgrade> {
  const existing = await db.prepare(`SELECT version, previous, started_at FROM grouping_versions WHERE version = ?1`).bind(version).first<Row>();
  if (existing) return toUpgrade(existing, version);
  const [newest, anyCluster] = await db.batch<{ version?: string; found?: number }>([
    db.prepare(`SELECT version FROM grouping_versions WHERE version != ?1 ORDER BY started_at DESC LIMIT 1`).bind(version),
    db.prepare(`SELECT 1 AS found FROM clusters LIMIT 1`),
  ]);
  const before = newest?.results[0]?.version ?? (anyCluster?.results.length ? "v1" : null);
  const previous = before !== null && before !== version ? before : null;
  await db
    .prepare(`INSERT INTO grouping_versions (version, previous, started_at) VALUES (?1, ?2, ?3) ON CONFLICT (version) DO NOTHING`)
    .bind(version, previous, new Date(nowMs).toISOString())
    .run();
  const written = await db.prepare(`SELECT version, previous, started_at FROM grouping_versions WHERE version = ?1`).bind(version).first<Row>();
  if (!written) throw new Error(`grouping_versions has no row for ${version} after writing it`);
  console.log(JSON.stringify({ msg: "grouping version in use", version, previous: written.previous, since: written.started_at }));
  return toUpgrade(written, version);
}

function toUpgrade(row: Row, version: GroupingVersion): GroupingUpgrade {
  const previous = row.previous !== null && isGroupingVersion(row.previous) ? row.previous : null;
  const startedAtMs = Date.parse(row.started_at);
  return { version, previous, startedAtMs: Number.isFinite(startedAtMs) ? startedAtMs : 0 };
}

/** Per isolate and database: the row never changes once written. */
const cache = new WeakMap<D1Database, Promise<GroupingUpgrade>>();

/** `readGroupingUpgrade` for the current version, read once per isolate. */
export function groupingUpgrade(db: D1Database, nowMs = Date.now()): Promise<GroupingUpgrade> {
  const cached = cache.get(db);
  if (cached) return cached;
  const read = readGroupingUpgrade(db, CURRENT_GROUPING, nowMs);
  cache.set(db, read);
  read.catch(() => cache.delete(db)); // a D1 hiccup: the next batch asks again
  return read;
}
