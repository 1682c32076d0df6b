import { BUCKET_SECONDS } from "../metrics/counters";

/** How far back the dashboard lists settings warnings: typos persist, but an org's events may be rare. */
export const WARNING_DAYS = 7;

export interface SettingsWarningRow {
  /** The org whose with: block sent it ("" when the event named none). */
  owner: string;
  key: string;
  count: number;
}

export interface SelfFailureRow {
  receivedAt: string;
  plugin: string;
  category: string;
  status: number | null;
  message: string;
  triggerRepo: string | null;
}

/** What the door saw that the rest of the dashboard does not: settings warnings, self failures, parked events. */
export interface DoorData {
  settingsWarnings: SettingsWarningRow[];
  selfFailures: { last24h: number; latest: SelfFailureRow[] };
  parked: { last24h: number; resent24h: number };
}

export async function doorData(env: Env, nowMs = Date.now()): Promise<DoorData> {
  const bucket = Math.floor(nowMs / 1000 / BUCKET_SECONDS) * BUCKET_SECONDS;
  const dayAgo = bucket - 23 * BUCKET_SECONDS;
  const weekAgo = bucket - (WARNING_DAYS * 24 - 1) * BUCKET_SECONDS;
  const [warnings, counts, latest] = await Promise.all([
    env.DB.prepare(`SELECT labels, SUM(value) AS value FROM counters WHERE name = 'settings_warnings' AND bucket_start >= ? GROUP BY labels`).bind(weekAgo).all<{ labels: string; value: number }>(),
    env.DB.prepare(`SELECT name, SUM(value) AS value FROM counters WHERE name IN ('self_failures', 'events_parked', 'events_unparked') AND bucket_start >= ? GROUP BY name`).bind(dayAgo).all<{ name: string; value: number }>(),
    env.DB.prepare(`SELECT received_at, plugin, category, status, message, trigger_repo FROM self_failures ORDER BY received_at DESC, event_id DESC LIMIT 10`).all<{
      received_at: string;
      plugin: string;
      category: string;
      status: number | null;
      message: string;
      trigger_repo: string | null;
    }>(),
  ]);
  const byOwnerKey = new Map<string, SettingsWarningRow>();
  for (const row of warnings.results) {
    const labels = JSON.parse(row.labels) as Record<string, string>;
    const owner = labels["owner"] ?? "";
    const key = labels["key"] ?? "";
    const entry = byOwnerKey.get(`${owner}\u0000${key}`) ?? { owner, key, count: 0 };
    entry.count += row.value;
    byOwnerKey.set(`${owner}\u0000${key}`, entry);
  }
  const total = (name: string) => counts.results.find((r) => r.name === name)?.value ?? 0;
  return {
    settingsWarnings: [...byOwnerKey.values()].sort((a, b) => b.count - a.count || a.owner.localeCompare(b.owner) || a.key.localeCompare(b.key)).slice(0, 30),
    selfFailures: {
      last24h: total("self_failures"),
      latest: latest.results.map((r) => ({ receivedAt: r.received_at, plugin: r.plugin, category: r.category, status: r.status, message: r.message, triggerRepo: r.trigger_repo })),
    },
    parked: { last24h: total("events_parked"), resent24h: total("events_unparked") },
  };
}
