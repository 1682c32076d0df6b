import type { ClusterSettings } from "../../shared/cluster-state";
import type { FailureEvent } from "../../shared/failure-event";
import type { GroupingKey } from "../../shared/grouping/route";
import { LAG_BUCKETS } from "../../shared/metrics/exposition";
import type { FlushMessage } from "../../shared/queue-message";
import type { FingerprintRule, Settings } from "../../shared/settings";
import { reporterOwner, reporterOwns } from "../../shared/trust/reporter";
import type { RecordEntry } from "../durable/cluster";
import type { MetricsBuffer } from "../metrics/buffer";
import { upsertClusterIndex } from "./cluster-index";

/** One breakage of one attributed CI run (or shed aggregate), to count into its cluster. */
export interface BreakageItem {
  /** The run's event id (or the aggregate's): every breakage cluster counts it once. */
  id: string;
  failure: FailureEvent;
  settings: Settings;
  count?: number;
  replay: boolean;
  /** Whose it is (a queue message, a delivery): told apart in the outcome. */
  owner: number;
}

export interface CountingDeps {
  env: Env;
  metrics: MetricsBuffer;
  pending: Promise<void>[];
  /** Which cluster a failure goes to (grouping versions and their transition: workers/grouping/). */
  route: (failure: FailureEvent, rules: readonly FingerprintRule[]) => Promise<GroupingKey>;
  /** What the cluster is told of the settings (the operator's floors, ceilings and PR gate applied). */
  clusterSettings: (settings: Settings, failure: FailureEvent) => ClusterSettings;
}

export interface BreakageCounts {
  /** Clusters with a GitHub step due: flushes for the writes queue. */
  flushes: FlushMessage[];
  /** Owners some of whose breakages could not be counted (a cluster or the router unreachable): to try again. */
  failed: Set<number>;
  /** Breakages GitHub refuses for good (their cluster is blocked): counted, and dead-lettered for a replay. */
  refused: Array<{ owner: number; failure: FailureEvent; settings: Settings; reason: string }>;
}

interface Group {
  key: GroupingKey;
  repo: string;
  items: BreakageItem[];
}

/**
 * Counts CI breakages into their clusters as the counting consumer counts any failure: routed across grouping
 * versions, one `recordMany` per fingerprint (following a transition's link), the fresh ones metered, the index
 * told of new or blocked clusters, and a flush asked for when a GitHub step is due. No GitHub request.
 */
export async function countBreakages(items: readonly BreakageItem[], deps: CountingDeps): Promise<BreakageCounts> {
  const out: BreakageCounts = { flushes: [], failed: new Set(), refused: [] };
  const groups = new Map<string, Group>();
  await Promise.all(
    items.map(async (item) => {
      try {
        const key = await deps.route(item.failure, item.settings.fingerprintRules);
        const group = groups.get(key.fingerprint) ?? { key, repo: item.failure.target.repo, items: [] };
        group.items.push(item);
        groups.set(key.fingerprint, group);
      } catch {
        out.failed.add(item.owner);
      }
    }),
  );
  await Promise.all([...groups.values()].map((group) => countGroup(group, deps, out)));
  return out;
}

async function countGroup(group: Group, deps: CountingDeps, out: BreakageCounts): Promise<void> {
  const { env, metrics } = deps;
  // Tenancy (issue 12) as for any failure: the run's repo owner is its reporter (counted once per cluster), and its
  // settings shape the cluster only in a repo it owns.
  const entries: RecordEntry[] = group.items.map((item) => ({
    id: item.id,
    failure: item.failure,
    settings: deps.clusterSettings(item.settings, item.failure),
    reporter: reporterOwner(item.failure),
    shapesSettings: reporterOwns(item.failure, item.failure.target.repo),
    ...(item.count !== undefined ? { count: item.count } : {}),
  }));
  const record = (key: GroupingKey) => {
    metrics.inc("do_requests", { component: metrics.component, object: "cluster" });
    return env.CLUSTER.getByName(key.fingerprint).recordMany({ fingerprint: key.fingerprint, grouping: key.version, entries, nowMs: Date.now(), ...(group.items.some((i) => i.replay) ? { unblock: true } : {}) });
  };
  let key = group.key;
  let recorded;
  try {
    recorded = await record(key);
    if (recorded.redirect) {
      // The breakage joined its previous-version cluster during a grouping transition: count it there.
      key = recorded.redirect;
      recorded = await record(key);
    }
  } catch {
    for (const item of group.items) out.failed.add(item.owner);
    return;
  }
  const fresh = new Set(recorded.fresh);
  for (const item of group.items) {
    if (!fresh.delete(item.id)) continue;
    const count = item.count ?? 1;
    metrics.inc("events_processed", { plugin: item.failure.plugin.id, repo: item.failure.target.repo, category: item.failure.category }, count);
    metrics.observe("processing_lag_seconds", (Date.now() - Date.parse(item.failure.occurredAt)) / 1000, LAG_BUCKETS, {}, count);
  }
  if (recorded.snapshot) {
    deps.pending.push(upsertClusterIndex(env.DB, recorded.snapshot));
    metrics.inc("d1_statements", { component: metrics.component });
  }
  if (recorded.flush) out.flushes.push({ version: 1, type: "flush", fingerprint: key.fingerprint, repo: group.repo });
  if (recorded.blocked) for (const item of group.items) out.refused.push({ owner: item.owner, failure: item.failure, settings: item.settings, reason: recorded.blocked });
}
