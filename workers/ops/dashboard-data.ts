import { LAG_BUCKETS, quantile } from "../../shared/metrics/exposition";
import { BUCKET_SECONDS } from "../metrics/counters";
import { type DoorData, doorData } from "./door-data";
import { issueUrl } from "./github-links";
import { budgetsLeft, histogramData } from "./metrics";
import { configOf } from "../config";

export interface PluginSeries {
  plugin: string;
  /** Failures reported per hour, oldest first (24 values). */
  hourly: number[];
  total: number;
}

export interface DashboardData {
  generatedAt: string;
  hours: number[];
  plugins: PluginSeries[];
  clusters: Array<{ fingerprint: string; repo: string; plugin: string; state: string; total: number; lastSeen: string; issueNumber: number | null; issueUrl: string | null }>;
  deadLetters: { waiting: number; latest: Array<{ id: string; repo: string | null; reason: string; createdAt: string }> };
  lag: { p50: number | null; p95: number | null; count: number };
  /** The tightest budget in use (least left this minute), or null when none was used in the last hour. */
  budget: { minute: number; hour: number; blockedUntilMs: number; budgets: number } | null;
  outcomes: Record<string, number>;
  /** Settings warnings by org, daemon-hotfix's own failures, parked events. */
  door: DoorData;
}

/** Failure events that count towards a plugin's error rate: every failure the kernel reported and we accepted. */
const FAILURE_OUTCOMES = new Set(["queued", "rate_limited"]);

export async function dashboardData(env: Env, nowMs = Date.now()): Promise<DashboardData> {
  const currentBucket = Math.floor(nowMs / 1000 / BUCKET_SECONDS) * BUCKET_SECONDS;
  const hours = Array.from({ length: 24 }, (_, i) => currentBucket - (23 - i) * BUCKET_SECONDS);
  const since = hours[0] ?? currentBucket;
  const [received, lagRows, clusters, waiting, latest, budget, door] = await Promise.all([
    env.DB.prepare(`SELECT bucket_start, labels, SUM(value) AS value FROM counters WHERE name = 'events_received' AND bucket_start >= ? GROUP BY bucket_start, labels`)
      .bind(since)
      .all<{ bucket_start: number; labels: string; value: number }>(),
    env.DB.prepare(`SELECT name, labels, SUM(value) AS value FROM counters WHERE name LIKE 'processing_lag_seconds%' AND bucket_start >= ? GROUP BY name, labels`)
      .bind(since)
      .all<{ name: string; labels: string; value: number }>(),
    env.DB.prepare(`SELECT fingerprint, repo, plugin, state, total, last_seen, issue_number FROM clusters ORDER BY total DESC, last_seen DESC LIMIT 15`).all<{
      fingerprint: string;
      repo: string;
      plugin: string;
      state: string;
      total: number;
      last_seen: string;
      issue_number: number | null;
    }>(),
    env.DB.prepare(`SELECT COUNT(*) AS n FROM dead_letters WHERE replayed_at IS NULL`).first<{ n: number }>(),
    env.DB.prepare(`SELECT id, repo, reason, created_at FROM dead_letters WHERE replayed_at IS NULL ORDER BY created_at DESC LIMIT 10`).all<{ id: string; repo: string | null; reason: string; created_at: string }>(),
    budgetsLeft(env),
    doorData(env, nowMs),
  ]);

  const byPlugin = new Map<string, number[]>();
  const outcomes: Record<string, number> = {};
  for (const row of received.results) {
    const labels = JSON.parse(row.labels) as Record<string, string>;
    const outcome = labels["outcome"] ?? "unknown";
    outcomes[outcome] = (outcomes[outcome] ?? 0) + row.value;
    const plugin = labels["plugin"];
    if (!plugin || !FAILURE_OUTCOMES.has(outcome)) continue;
    const series = byPlugin.get(plugin) ?? Array.from({ length: 24 }, () => 0);
    const index = hours.indexOf(row.bucket_start);
    if (index >= 0) series[index] = (series[index] ?? 0) + row.value;
    byPlugin.set(plugin, series);
  }
  const plugins = [...byPlugin.entries()]
    .map(([plugin, hourly]) => ({ plugin, hourly, total: hourly.reduce((a, b) => a + b, 0) }))
    .sort((a, b) => b.total - a.total)
    .slice(0, 12);

  const { counts } = histogramData(lagRows.results, "processing_lag_seconds");
  const lagCount = [...counts.values()].reduce((a, b) => a + b, 0);
  return {
    generatedAt: new Date(nowMs).toISOString(),
    hours,
    plugins,
    clusters: clusters.results.map((c) => ({
      fingerprint: c.fingerprint,
      repo: c.repo,
      plugin: c.plugin,
      state: c.state,
      total: c.total,
      lastSeen: c.last_seen,
      issueNumber: c.issue_number,
      issueUrl: issueUrl(configOf(env).github.apiUrl, c.repo, c.issue_number),
    })),
    deadLetters: { waiting: waiting?.n ?? 0, latest: latest.results.map((d) => ({ id: d.id, repo: d.repo, reason: d.reason, createdAt: d.created_at })) },
    lag: { p50: quantile(0.5, LAG_BUCKETS, counts), p95: quantile(0.95, LAG_BUCKETS, counts), count: lagCount },
    budget: budget.length ? { ...budget.reduce((a, b) => (b.minute < a.minute ? b : a)), budgets: budget.length } : null,
    outcomes,
    door,
  };
}
