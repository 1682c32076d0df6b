import { DURATION_BUCKETS, histogramSamples, LAG_BUCKETS, type MetricFamily, type Sample } from "../../shared/metrics/exposition";
import { configOf } from "../config";

/** A stored counter and the Prometheus family it is exposed as (only low-cardinality labels are kept). */
interface CounterSpec {
  stored: string;
  name: string;
  help: string;
  keep: readonly string[];
  /** Label sets always exposed, at 0 when never counted. */
  initial?: ReadonlyArray<Record<string, string>>;
}

export const OUTCOMES = ["queued", "duplicate", "suppressed", "ignored", "rate_limited", "disabled", "invalid", "unauthorised", "error"] as const;

export const COUNTERS: readonly CounterSpec[] = [
  { stored: "events_received", name: "daemon_hotfix_events_received_total", help: "Events answered by POST /, by outcome.", keep: ["outcome"], initial: OUTCOMES.map((outcome) => ({ outcome })) },
  { stored: "events_processed", name: "daemon_hotfix_events_processed_total", help: "Failures counted into their cluster by the consumer (once per event), by category.", keep: ["category"] },
  { stored: "github_requests", name: "daemon_hotfix_github_requests_total", help: "Requests sent to GitHub, by method and status (status \"error\" when no answer came).", keep: ["method", "status"] },
  { stored: "retries", name: "daemon_hotfix_retries_total", help: "GitHub steps given back to their cluster for a later attempt (reason github, budget), and events sent back to the queue (reason cluster).", keep: ["reason"] },
  { stored: "do_requests", name: "daemon_hotfix_do_requests_total", help: "Durable Object requests made, by component (ingest, consumer, writes) and object (repo_gate, cluster, write_budget).", keep: ["component", "object"] },
  { stored: "d1_statements", name: "daemon_hotfix_d1_statements_total", help: "D1 statements run for counters and the cluster index, by component (ingest, consumer, writes).", keep: ["component"] },
  { stored: "ci_context_reads", name: "daemon_hotfix_ci_context_reads_total", help: "CI-context steps that read a failing run from GitHub, by resolution (read, unreadable: filed from the event alone).", keep: ["resolution"] },
  { stored: "retries", name: "daemon_hotfix_retries_total", help: "Queue messages sent back for a retry, by reason (github, budget).", keep: ["reason"] },
  { stored: "dead_letters", name: "daemon_hotfix_dead_letters_total", help: "Events stored as dead letters, by reason class.", keep: ["reason"] },
  { stored: "issues_created", name: "daemon_hotfix_issues_created_total", help: "Issues created on GitHub.", keep: [], initial: [{}] },
  { stored: "issues_recovered", name: "daemon_hotfix_issues_recovered_total", help: "Issues found by their marker after an unconfirmed create.", keep: [], initial: [{}] },
  { stored: "issues_updated", name: "daemon_hotfix_issues_updated_total", help: "Issue body edits (counts).", keep: [], initial: [{}] },
  { stored: "issues_reopened", name: "daemon_hotfix_issues_reopened_total", help: "Issues reopened because a failure closed as completed came back.", keep: [], initial: [{}] },
  { stored: "issues_resolved", name: "daemon_hotfix_issues_resolved_total", help: "Issues daemon-hotfix closed as completed: CI green again on the same workflow and branch, or a plugin failure quiet after its plugin moved on.", keep: [], initial: [{}] },
  { stored: "issue_mentions", name: "daemon_hotfix_issue_mentions_total", help: "Comments on a closed issue saying the failure recurred on an old version (a re-run): counted, not reopened.", keep: [], initial: [{}] },
  { stored: "issues_mirrored", name: "daemon_hotfix_issues_mirrored_total", help: "issues.closed / issues.reopened events of daemon-hotfix issues taken by their cluster at once.", keep: [], initial: [{}] },
  { stored: "issue_comments", name: "daemon_hotfix_issue_comments_total", help: "Comments added (one per window at most, and one per reopen).", keep: [], initial: [{}] },
  { stored: "digest_reports", name: "daemon_hotfix_digest_reports_total", help: "Counts of failures over maxNewIssuesPerRepoPerDay handed to their day's digest (when one overflows, and as it recurs).", keep: [], initial: [{}] },
  { stored: "digest_writes", name: "daemon_hotfix_digest_writes_total", help: "Digest issue writes, by step (created, found, updated).", keep: ["step"], initial: [{ step: "created" }, { step: "updated" }] },
  { stored: "settings_warnings", name: "daemon_hotfix_settings_warnings_total", help: "Settings of accepted events that were ignored (unknown key) or replaced by their default (unusable value), by key.", keep: ["key"] },
  { stored: "events_parked", name: "daemon_hotfix_events_parked_total", help: "Accepted events the queue refused at the door, parked to be sent again (answered queued).", keep: [], initial: [{}] },
  { stored: "events_unparked", name: "daemon_hotfix_events_unparked_total", help: "Parked events the queue took when sent again.", keep: [], initial: [{}] },
  { stored: "self_failures", name: "daemon_hotfix_self_failures_total", help: "Failures of daemon-hotfix itself reported back by the kernel: never filed, shown on the dashboard.", keep: [], initial: [{}] },
];

const HISTOGRAMS = [
  { stored: "processing_lag_seconds", name: "daemon_hotfix_processing_lag_seconds", help: "From the failure's own time to its being counted by the consumer.", bounds: LAG_BUCKETS },
  { stored: "counting_lag_seconds", name: "daemon_hotfix_counting_lag_seconds", help: "From the event's arrival at ingest to its being counted into its cluster (an aggregate's events: from the start of their 250 ms arrival step).", bounds: LAG_BUCKETS },
  { stored: "processing_duration_seconds", name: "daemon_hotfix_processing_duration_seconds", help: "Time the consumer spent on one queue message, GitHub calls included.", bounds: DURATION_BUCKETS },
] as const;

interface Row {
  name: string;
  labels: string;
  value: number;
}

function aggregate(rows: readonly Row[], spec: CounterSpec): Sample[] {
  const byKey = new Map<string, Sample>();
  for (const labels of spec.initial ?? []) byKey.set(JSON.stringify(labels), { labels: { ...labels }, value: 0 });
  for (const row of rows) {
    if (row.name !== spec.stored) continue;
    const all = JSON.parse(row.labels) as Record<string, string>;
    const kept = Object.fromEntries(spec.keep.map((k) => [k, all[k] ?? ""]));
    const key = JSON.stringify(kept);
    const sample = byKey.get(key) ?? { labels: kept, value: 0 };
    sample.value += row.value;
    byKey.set(key, sample);
  }
  return [...byKey.values()];
}

/** Histogram per-bucket counts and sum (seconds) from stored rows, optionally since a bucket start. */
export function histogramData(rows: readonly Row[], stored: string): { counts: Map<string, number>; sum: number } {
  const counts = new Map<string, number>();
  let sumMs = 0;
  for (const row of rows) {
    if (row.name === `${stored}_bucket`) {
      const le = (JSON.parse(row.labels) as Record<string, string>)["le"] ?? "+Inf";
      counts.set(le, (counts.get(le) ?? 0) + row.value);
    } else if (row.name === `${stored}_sum_ms`) sumMs += row.value;
  }
  return { counts, sum: sumMs / 1000 };
}

export interface BudgetLeft {
  key: string;
  minute: number;
  hour: number;
  blockedUntilMs: number;
}

/** What GitHub writes each budget used in the last hour (a token, or an App installation) has left. */
export async function budgetsLeft(env: Env): Promise<BudgetLeft[]> {
  const since = new Date(Date.now() - 3_600_000).toISOString();
  const keys = (await env.DB.prepare(`SELECT key FROM budgets WHERE updated_at >= ? ORDER BY key LIMIT 100`).bind(since).all<{ key: string }>()).results;
  const limits = configOf(env).github.writeBudget;
  return Promise.all(
    keys.map(async ({ key }) => {
      const stats = await env.WRITE_BUDGET.getByName(key).stats(Date.now(), limits);
      return { key, minute: stats.remainingMinute, hour: stats.remainingHour, blockedUntilMs: stats.blockedUntilMs };
    }),
  );
}

/** Every metric family, read from D1 (counters, histograms, the cluster index, dead letters) and the write budget. */
export async function collectMetrics(env: Env): Promise<MetricFamily[]> {
  const [counterRows, waiting, clusterStates, budget] = await Promise.all([
    env.DB.prepare(`SELECT name, labels, SUM(value) AS value FROM counters GROUP BY name, labels`).all<Row>(),
    env.DB.prepare(`SELECT COUNT(*) AS n FROM dead_letters WHERE replayed_at IS NULL`).first<{ n: number }>(),
    env.DB.prepare(`SELECT state, COUNT(*) AS n FROM clusters GROUP BY state`).all<{ state: string; n: number }>(),
    budgetsLeft(env),
  ]);
  const rows = counterRows.results;
  const families: MetricFamily[] = COUNTERS.map((spec) => ({ name: spec.name, help: spec.help, type: "counter", samples: aggregate(rows, spec) }));
  for (const h of HISTOGRAMS) {
    const { counts, sum } = histogramData(rows, h.stored);
    families.push({ name: h.name, help: h.help, type: "histogram", samples: histogramSamples(h.bounds, counts, sum) });
  }
  const states = new Map(clusterStates.results.map((r) => [r.state, r.n]));
  families.push(
    { name: "daemon_hotfix_dead_letters_waiting", help: "Dead letters not replayed yet.", type: "gauge", samples: [{ labels: {}, value: waiting?.n ?? 0 }] },
    { name: "daemon_hotfix_open_clusters", help: "Clusters whose issue is open.", type: "gauge", samples: [{ labels: {}, value: states.get("open") ?? 0 }] },
    {
      name: "daemon_hotfix_clusters",
      help: "Clusters by state (pending, waiting: not filed yet (fileAfter), creating, open, closed, blocked, digested: no issue, counted in a digest).",
      type: "gauge",
      samples: ["pending", "waiting", "creating", "open", "closed", "blocked", "digested"].map((state) => ({ labels: { state }, value: states.get(state) ?? 0 })),
    },
  );
  families.push({
    name: "daemon_hotfix_github_write_budget_remaining",
    help: "GitHub writes left in the current minute and hour, per budget (a token, or an App installation) used in the last hour.",
    type: "gauge",
    samples: budget.flatMap((b) => [
      { labels: { budget: b.key, window: "minute" }, value: b.minute },
      { labels: { budget: b.key, window: "hour" }, value: b.hour },
    ]),
  });
  return families;
}
