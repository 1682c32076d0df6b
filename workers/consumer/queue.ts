import * as v from "valibot";
import { arrivalsOf } from "../../shared/arrivals";
import type { ClusterSettings } from "../../shared/cluster-state";
import type { GroupingKey } from "../../shared/grouping/route";
import { type GroupingVersion, isGroupingVersion } from "../../shared/grouping/versions";
import { DURATION_BUCKETS, LAG_BUCKETS } from "../../shared/metrics/exposition";
import { type AggregateMessage, type FailureMessage, type FlushMessage, QueueMessage } from "../../shared/queue-message";
import type { Settings } from "../../shared/settings";
import { toFieldIssues } from "../../shared/validation";
import { configOf } from "../config";
import type { RecordEntry } from "../durable/cluster";
import { batchGrouping, type GroupingOptions } from "../grouping/batch";
import { MetricsBuffer } from "../metrics/buffer";
import { type CiRun, countCiRuns, isUnresolvedCiRun } from "./ci-runs";
import { upsertClusterIndex } from "./cluster-index";
import { storeDeadLetter } from "../dead-letters/store";
import { recordEventError } from "./dead-letters";
import { type Placed, placeFailure } from "./tenancy";
import { settingsFor } from "./effective-settings";
import { handleLifecycle } from "./lifecycle";
import { newPluginVersions, recordPluginVersions } from "../lifecycle/plugin-versions";

/** Attempts before an event that keeps failing transiently is dead-lettered (below the queue's max_retries). */
export const MAX_ATTEMPTS = 8;

/** A batch taking longer than this is logged (it holds up the batches behind it). */
const SLOW_BATCH_MS = 15_000;

/** Retry delay for the n-th attempt: base ** attempt seconds, capped at 15 min. */
export function backoffSeconds(attempts: number, base = 2): number {
  return Math.min(900, Math.max(1, Math.round(base ** Math.min(attempts, 12))));
}

/** What a cluster keeps of the settings; `proposer`: whether this deployment has a fix proposer (its note is due then). */
export function clusterSettings(settings: Settings, env: Env): ClusterSettings {
  return {
    windowMinutes: settings.windowMinutes,
    updateIntervalSeconds: settings.updateIntervalSeconds,
    issueLabels: settings.issueLabels,
    notify: settings.notify,
    modes: settings.modes,
    riskPolicy: settings.riskPolicy,
    proposer: configOf(env).autofix !== null,
    autoClose: settings.autoClose,
    fileAfter: { occurrences: settings.fileAfter.occurrences, withinMinutes: settings.fileAfter.withinMinutes },
    resolveAfterQuietDays: settings.resolveAfterQuietDays,
  };
}

/** A batch's messages for one fingerprint: counted by one call to its cluster. */
interface Group {
  fingerprint: string;
  grouping: GroupingVersion;
  repo: string;
  entries: Array<RecordEntry & { lagFromMs: number; receivedMs: number; arrivals?: number[] }>;
  messages: Message<unknown>[];
  unblock: boolean;
}

interface Context {
  env: Env;
  queue: string;
  metrics: MetricsBuffer;
  /** Background work (index writes, error notes) the invocation must finish. */
  pending: Promise<void>[];
  /** Flushes the clusters asked for: sent on the writes queue once the batch is counted. */
  flushes: FlushMessage[];
  startedMs: number;
  /** Which cluster a failure goes to (issue 18's grouping versions and their transition). */
  route: ReturnType<typeof batchGrouping>;
  /** CI runs whose breakage is not known yet: counted under their streams first (workers/consumer/ci-runs.ts). */
  ciRuns: CiRun[];
}

/**
 * The cluster a message's failure is counted in: the fingerprint carried from ingest, unless the repo had to be
 * resolved here first or a grouping transition is under way (workers/grouping/: then the keys are computed and the
 * cluster objects asked, once per pair of keys per batch).
 */
async function clusterOf(body: FailureMessage | AggregateMessage, ctx: Context): Promise<{ key: GroupingKey } & Placed> {
  // Issue 12's trust rules: the target settled (claims verified), settings scoped to the reporter's own repos, private details kept from other owners.
  const placed = await placeFailure(body, ctx.env, ctx.metrics);
  const carried = body.fingerprint && body.grouping && isGroupingVersion(body.grouping) && !placed.resolvedHere ? { fingerprint: body.fingerprint, version: body.grouping } : undefined;
  return { key: await ctx.route(placed.failure, placed.settings.fingerprintRules, carried), ...placed };
}

/** Retries a message whose counting failed (the cluster could not be reached), dead-lettering it after MAX_ATTEMPTS. */
async function retryLater(message: Message<unknown>, error: unknown, ctx: Context): Promise<void> {
  const reason = error instanceof Error ? error.message : String(error);
  const eventId = eventIdOf(message.body);
  if (message.attempts >= MAX_ATTEMPTS) {
    await storeDeadLetter(ctx.env.DB, { id: message.id, queue: ctx.queue, reason: `retries exhausted after ${message.attempts} attempts: ${reason}`, attempts: message.attempts, body: message.body });
    message.ack();
    return;
  }
  const delaySeconds = backoffSeconds(message.attempts, configOf(ctx.env).retryBaseSeconds);
  ctx.metrics.inc("retries", { reason: "cluster" });
  if (eventId) ctx.pending.push(recordEventError(ctx.env.DB, eventId, reason, message.attempts));
  console.warn(JSON.stringify({ msg: "retrying event", eventId, attempts: message.attempts, delaySeconds, reason }));
  message.retry({ delaySeconds });
}

function eventIdOf(body: unknown): string | undefined {
  const parsed = v.safeParse(QueueMessage, body);
  if (!parsed.success) return undefined;
  const message = parsed.output;
  return message.type === "failure" ? message.failure.eventId : message.type === "shed" || message.type === "gathered" ? message.id : undefined;
}

async function recordGroup(group: Group, ctx: Context): Promise<void> {
  const { env } = ctx;
  let recorded;
  try {
    const record = (key: GroupingKey) => {
      ctx.metrics.inc("do_requests", { component: "consumer", object: "cluster" });
      return env.CLUSTER.getByName(key.fingerprint).recordMany({
        fingerprint: key.fingerprint,
        grouping: key.version,
        entries: group.entries.map(({ lagFromMs: _lag, receivedMs: _received, arrivals: _arrivals, ...entry }) => entry),
        nowMs: Date.now(),
        ...(group.unblock ? { unblock: true } : {}),
      });
    };
    recorded = await record({ fingerprint: group.fingerprint, version: group.grouping });
    if (recorded.redirect) {
      // This fingerprint's failure joined its previous-version cluster during a grouping transition: count it there.
      group.fingerprint = recorded.redirect.fingerprint;
      recorded = await record(recorded.redirect);
    }
  } catch (error) {
    for (const message of group.messages) await retryLater(message, error, ctx);
    return;
  }
  const fresh = new Set(recorded.fresh);
  const now = Date.now();
  for (const entry of group.entries) {
    if (!fresh.has(entry.id)) continue;
    fresh.delete(entry.id); // an id twice in one batch is counted once
    const count = entry.count ?? 1;
    ctx.metrics.inc("events_processed", { plugin: entry.failure.plugin.id, repo: entry.failure.target.repo, category: entry.failure.category }, count);
    ctx.metrics.observe("processing_lag_seconds", (now - entry.lagFromMs) / 1000, LAG_BUCKETS, {}, count);
    // An aggregate's events each from their own arrival step (shared/arrivals.ts), a single event from its arrival.
    for (const [arrivedMs, n] of arrivalsOf(entry.receivedMs, count, entry.arrivals)) ctx.metrics.observe("counting_lag_seconds", (now - arrivedMs) / 1000, LAG_BUCKETS, {}, n);
  }
  if (recorded.snapshot) {
    ctx.pending.push(upsertClusterIndex(env.DB, recorded.snapshot));
    ctx.metrics.inc("d1_statements", { component: "consumer" });
  }
  if (recorded.flush) ctx.flushes.push({ version: 1, type: "flush", fingerprint: group.fingerprint, repo: group.repo });
  for (const message of group.messages) {
    // Counted; while GitHub refuses the cluster for good, each event is also dead-lettered for an operator's replay.
    if (recorded.blocked) await storeDeadLetter(env.DB, { id: message.id, queue: ctx.queue, reason: `permanent: ${recorded.blocked}`, attempts: message.attempts, body: message.body });
    message.ack();
    ctx.metrics.observe("processing_duration_seconds", (Date.now() - ctx.startedMs) / 1000, DURATION_BUCKETS);
  }
}

/** Sorts one message into its fingerprint's group (or deals with it at once: unreadable, or a flush). */
async function sortMessage(message: Message<unknown>, groups: Map<string, Group>, ctx: Context): Promise<void> {
  const parsed = v.safeParse(QueueMessage, message.body);
  if (!parsed.success) {
    const issues = toFieldIssues(parsed.issues).map((i) => `${i.path}: ${i.message}`).join("; ");
    await storeDeadLetter(ctx.env.DB, { id: message.id, queue: ctx.queue, reason: `unreadable message: ${issues}`, attempts: message.attempts, body: message.body });
    message.ack();
    return;
  }
  const body = parsed.output;
  if (body.type === "flush") {
    // A flush sent here by an earlier version: its place is the writes queue.
    ctx.flushes.push(body);
    message.ack();
    return;
  }
  if (body.type === "green" || body.type === "mirror") {
    // Issue 15: a passing run or GitHub's state of an issue, told to the clusters concerned.
    try {
      await handleLifecycle(body, ctx);
      message.ack();
    } catch (error) {
      await retryLater(message, error, ctx);
    }
    return;
  }
  if (isUnresolvedCiRun(body.failure)) {
    // What a CI run broke is known only once GitHub is read (the CI-context queue): counted under its stream first.
    const shed = body.type === "failure" ? {} : { id: body.id, count: body.count };
    ctx.ciRuns.push({ message, run: { failure: body.failure, settings: body.settings, ...(body.replay ? { replay: true } : {}), ...shed } });
    return;
  }
  let resolved;
  try {
    resolved = await clusterOf(body, ctx);
  } catch (error) {
    await retryLater(message, error, ctx);
    return;
  }
  const { key } = resolved;
  const group = groups.get(key.fingerprint) ?? { fingerprint: key.fingerprint, grouping: key.version, repo: resolved.failure.target.repo, entries: [], messages: [], unblock: false };
  groups.set(key.fingerprint, group);
  // The operator's floors, ceilings and PR gate apply to what the cluster is told; another owner's event never changes its settings (issue 12).
  const settings = clusterSettings(resolved.settings, ctx.env);
  const tenancy = { reporter: resolved.reporter, shapesSettings: resolved.ownsTarget };
  if (body.type === "failure") group.entries.push({ id: body.failure.eventId, failure: resolved.failure, settings, ...tenancy, lagFromMs: Date.parse(resolved.failure.occurredAt), receivedMs: Date.parse(resolved.failure.receivedAt) });
  else group.entries.push({ id: body.id, failure: resolved.failure, settings, ...tenancy, count: body.count, lagFromMs: Date.parse(body.firstAt), receivedMs: Date.parse(body.firstAt), ...(body.arrivals ? { arrivals: body.arrivals } : {}) });
  group.messages.push(message);
  if (body.replay) group.unblock = true;
}

/**
 * The events queue's consumer: it counts, and nothing else. Each message is validated at this trust boundary,
 * the batch is grouped by fingerprint and each group counted by one call to its cluster (which de-duplicates by
 * event id), then acknowledged. GitHub steps never run here: a cluster with a step due asks for a flush, sent
 * on the writes queue (workers/consumer/writes.ts), so no write — nor a wait for the write budget — ever holds
 * up counting. One message never fails the batch: a cluster that cannot be reached retries its messages with
 * back-off.
 */
export async function consumeFailures(batch: MessageBatch<unknown>, env: Env, grouping: GroupingOptions = {}): Promise<void> {
  const ctx: Context = { env, queue: batch.queue, metrics: new MetricsBuffer("consumer"), pending: [], flushes: [], startedMs: Date.now(), route: batchGrouping(env, grouping), ciRuns: [] };
  const groups = new Map<string, Group>();
  await Promise.all(batch.messages.map((message) => sortMessage(message, groups, ctx)));
  await Promise.all([...groups.values()].map((group) => recordGroup(group, ctx)));
  // Issue 15: the refs plugins were seen at, so a quiet failure's cluster can tell its plugin moved on.
  // Only sightings that could change D1 are written (one statement each; none when this isolate wrote them already).
  const versions = newPluginVersions([...groups.values()].flatMap((group) => group.entries.map((entry) => entry.failure)));
  if (versions.length > 0) {
    ctx.metrics.inc("d1_statements", { component: "consumer" }, versions.length);
    ctx.pending.push(recordPluginVersions(env.DB, versions));
  }
  ctx.flushes.push(
    ...(await countCiRuns(ctx.ciRuns, {
      env,
      metrics: ctx.metrics,
      pending: ctx.pending,
      route: (failure, rules) => ctx.route(failure, rules),
      clusterSettings: (settings, failure) => clusterSettings(settingsFor(env, settings, failure), env),
      queue: batch.queue,
      retry: (message, error) => retryLater(message, error, ctx),
    })),
  );
  if (ctx.flushes.length > 0) {
    try {
      await env.WRITES.sendBatch(ctx.flushes.map((body) => ({ body, contentType: "json" as const })));
    } catch (error) {
      // The clusters ask again from their alarms (FLUSH_PENDING_MS): nothing is lost, the write comes later.
      console.error(JSON.stringify({ msg: "flushes not sent; the clusters will ask again", flushes: ctx.flushes.length, error: error instanceof Error ? error.message : String(error) }));
    }
  }
  const tookMs = Date.now() - ctx.startedMs;
  if (tookMs > SLOW_BATCH_MS) console.warn(JSON.stringify({ msg: "slow batch", queue: batch.queue, messages: batch.messages.length, tookMs }));
  ctx.pending.push(ctx.metrics.flush(env.DB, env.ANALYTICS));
  const settled = await Promise.allSettled(ctx.pending);
  for (const s of settled) if (s.status === "rejected") console.error(JSON.stringify({ msg: "bookkeeping write failed", error: String(s.reason) }));
}
