import * as v from "valibot";
import type { ClusterSettings } from "../../shared/cluster-state";
import type { FailureEvent } from "../../shared/failure-event";
import type { GroupingKey } from "../../shared/grouping/route";
import type { FingerprintRule } from "../../shared/settings";
import { type FailureMessage, type FlushMessage, QueueMessage } from "../../shared/queue-message";
import { toFieldIssues } from "../../shared/validation";
import { ConfigError, configOf } from "../config";
import { createOctokit } from "../github/client";
import { repoAuth } from "../github/credentials";
import { GitHubFailure, GitHubWriter } from "../github/writer";
import { batchGrouping, type GroupingOptions } from "../grouping/batch";
import { DURATION_BUCKETS, LAG_BUCKETS } from "../../shared/metrics/exposition";
import { MetricsBuffer } from "../metrics/buffer";
import { upsertClusterIndex } from "./cluster-index";
import { recordEventError, storeDeadLetter } from "./dead-letters";
import { settingsFor } from "./effective-settings";
import { resolveTarget } from "./resolve-target";
import { type PlanOutcome, runPlan } from "./run-plan";

/** Attempts before an event that keeps failing transiently is dead-lettered (below the queue's max_retries). */
export const MAX_ATTEMPTS = 8;

/** A batch taking longer than this is logged (it holds up the batches behind it). */
const SLOW_BATCH_MS = 15_000;

/** Retry delay for the n-th attempt: base ** attempt seconds, capped at 15 min. */
export function backoffSeconds(attempts: number, base = 2): number {
  return Math.min(900, Math.max(1, Math.round(base ** Math.min(attempts, 12))));
}

function clusterSettings(s: FailureMessage["settings"]): ClusterSettings {
  return { windowMinutes: s.windowMinutes, updateIntervalSeconds: s.updateIntervalSeconds, issueLabels: s.issueLabels, notify: s.notify, modes: s.modes, riskPolicy: s.riskPolicy };
}

interface Context {
  env: Env;
  queue: string;
  metrics: MetricsBuffer;
  /** Background work (index writes, error notes) the invocation must finish. */
  pending: Promise<void>[];
  /** The writer for a repo's credentials (one per token or App installation, shared within the batch). */
  writerFor: (repo: string) => Promise<GitHubWriter>;
  /** The cluster a failure is counted in (its fingerprint under the grouping version that holds it). */
  clusterOf: (failure: FailureEvent, rules: readonly FingerprintRule[]) => Promise<GroupingKey>;
}

function countOutcome(ctx: Context, outcome: PlanOutcome): void {
  for (const step of outcome.steps) {
    const name = { created: "issues_created", found: "issues_recovered", updated: "issues_updated", commented: "issue_comments", reopened: "issues_reopened", refreshed: "issues_refreshed", autofixed: "autofix_decisions" }[step];
    ctx.metrics.inc(name);
  }
  if (outcome.snapshot) ctx.pending.push(upsertClusterIndex(ctx.env.DB, outcome.snapshot));
}

async function handleFailure(message: FailureMessage, ctx: Context): Promise<"done" | { deadLetter: string }> {
  const failure = await resolveTarget(message.failure);
  let key = await ctx.clusterOf(failure, message.settings.fingerprintRules);
  let cluster = ctx.env.CLUSTER.getByName(key.fingerprint);
  const input = { failure, settings: clusterSettings(settingsFor(ctx.env, message.settings, failure)), nowMs: Date.now(), ...(message.replay ? { unblock: true } : {}) };
  let recorded = await cluster.record({ ...input, fingerprint: key.fingerprint, grouping: key.version });
  if (recorded.redirect) {
    // This fingerprint's failure joined its previous-version cluster during a grouping transition: count it there.
    key = recorded.redirect;
    cluster = ctx.env.CLUSTER.getByName(key.fingerprint);
    recorded = await cluster.record({ ...input, fingerprint: key.fingerprint, grouping: key.version });
  }
  if (!recorded.duplicate) {
    ctx.metrics.inc("events_processed", { plugin: failure.plugin.id, repo: failure.target.repo, category: failure.category });
    ctx.metrics.observe("processing_lag_seconds", (Date.now() - Date.parse(failure.occurredAt)) / 1000, LAG_BUCKETS);
  }
  if (recorded.blocked || (!recorded.plan && recorded.total === 1)) ctx.pending.push(cluster.snapshot().then((s) => (s ? upsertClusterIndex(ctx.env.DB, s) : undefined)));
  if (recorded.blocked) return { deadLetter: recorded.blocked };
  if (recorded.plan) {
    try {
      countOutcome(ctx, await runPlan(recorded.plan, cluster, () => ctx.writerFor(recorded.plan?.repo ?? failure.target.repo), ctx.env));
    } catch (error) {
      ctx.pending.push(cluster.snapshot().then((s) => (s ? upsertClusterIndex(ctx.env.DB, s) : undefined)));
      throw error;
    }
  }
  return "done";
}

async function handleFlush(message: FlushMessage, ctx: Context): Promise<void> {
  const cluster = ctx.env.CLUSTER.getByName(message.fingerprint);
  const plan = await cluster.plan(Date.now());
  if (plan) countOutcome(ctx, await runPlan(plan, cluster, () => ctx.writerFor(plan.repo), ctx.env));
}

async function handleMessage(message: Message<unknown>, ctx: Context): Promise<void> {
  const started = Date.now();
  try {
    await handleMessageTimed(message, ctx);
  } finally {
    ctx.metrics.observe("processing_duration_seconds", (Date.now() - started) / 1000, DURATION_BUCKETS);
  }
}

async function handleMessageTimed(message: Message<unknown>, ctx: Context): Promise<void> {
  const parsed = v.safeParse(QueueMessage, message.body);
  if (!parsed.success) {
    const issues = toFieldIssues(parsed.issues).map((i) => `${i.path}: ${i.message}`).join("; ");
    await storeDeadLetter(ctx.env.DB, { id: message.id, queue: ctx.queue, reason: `unreadable message: ${issues}`, attempts: message.attempts, body: message.body });
    message.ack();
    return;
  }
  const body = parsed.output;
  const eventId = body.type === "flush" ? `flush:${body.fingerprint}` : body.failure.eventId;
  try {
    if (body.type === "flush") await handleFlush(body, ctx);
    else {
      const result = await handleFailure(body, ctx);
      if (result !== "done") {
        await storeDeadLetter(ctx.env.DB, { id: message.id, queue: ctx.queue, reason: `permanent: ${result.deadLetter}`, attempts: message.attempts, body: message.body });
      }
    }
    message.ack();
  } catch (error) {
    if (error instanceof ConfigError) {
      // Nothing to process with: keep the event (it waits for the operator) and say so loudly.
      console.error(JSON.stringify({ msg: "misconfigured: cannot write to GitHub", error: error.message, eventId }));
      ctx.metrics.inc("config_errors", { reason: "github_credentials" });
    }
    const classified = error instanceof GitHubFailure ? error.classified : { kind: "transient" as const, reason: error instanceof Error ? error.message : String(error), ...(error instanceof ConfigError ? { delayMs: 300_000 } : {}) };
    if (classified.kind === "permanent") {
      if (body.type === "failure") await storeDeadLetter(ctx.env.DB, { id: message.id, queue: ctx.queue, reason: `permanent: ${classified.reason}`, attempts: message.attempts, body: message.body });
      message.ack();
      return;
    }
    if (message.attempts >= MAX_ATTEMPTS) {
      if (body.type === "failure") await storeDeadLetter(ctx.env.DB, { id: message.id, queue: ctx.queue, reason: `retries exhausted after ${message.attempts} attempts: ${classified.reason}`, attempts: message.attempts, body: message.body });
      message.ack();
      return;
    }
    const advised = classified.delayMs !== undefined ? Math.ceil(classified.delayMs / 1000) : 0;
    const delaySeconds = Math.min(43_200, Math.max(advised, backoffSeconds(message.attempts, configOf(ctx.env).retryBaseSeconds)));
    ctx.metrics.inc("retries", { reason: classified.reason.includes("budget") ? "budget" : "github" });
    if (body.type === "failure") ctx.pending.push(recordEventError(ctx.env.DB, eventId, classified.reason, message.attempts));
    console.warn(JSON.stringify({ msg: "retrying event", eventId, attempts: message.attempts, delaySeconds, reason: classified.reason }));
    message.retry({ delaySeconds });
  }
}

/**
 * The events queue's consumer. Each message is validated at this trust boundary; failures are counted into their
 * cluster and the cluster's due GitHub steps performed; flushes perform a cluster's due steps. One message never
 * fails the batch: transient trouble retries that message with back-off (GitHub's own delay when it gives one),
 * permanent trouble dead-letters it with the reason.
 */
export async function consumeFailures(batch: MessageBatch<unknown>, env: Env, grouping: GroupingOptions = {}): Promise<void> {
  const writers = new Map<string, GitHubWriter>();
  const ctx: Context = {
    env,
    clusterOf: batchGrouping(env, grouping),
    queue: batch.queue,
    metrics: new MetricsBuffer(),
    pending: [],
    writerFor: async (repo) => {
      const auth = await repoAuth(env, repo);
      let writer = writers.get(auth.budgetKey);
      if (!writer) {
        writer = new GitHubWriter(createOctokit(env, auth, ctx.metrics), env.WRITE_BUDGET.getByName(auth.budgetKey), configOf(env).github.writeBudget);
        writers.set(auth.budgetKey, writer);
        ctx.pending.push(
          env.DB.prepare(`INSERT INTO budgets (key, updated_at) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET updated_at = excluded.updated_at`)
            .bind(auth.budgetKey, new Date().toISOString())
            .run()
            .then(() => undefined),
        );
      }
      return writer;
    },
  };
  const started = Date.now();
  await Promise.all(batch.messages.map((message) => handleMessage(message, ctx)));
  const tookMs = Date.now() - started;
  // The queue hands out the next batch only after this one: a batch held long delays every event behind it.
  if (tookMs > SLOW_BATCH_MS) console.warn(JSON.stringify({ msg: "slow batch", queue: batch.queue, messages: batch.messages.length, tookMs }));
  ctx.pending.push(ctx.metrics.flush(env.DB, env.ANALYTICS));
  const settled = await Promise.allSettled(ctx.pending);
  for (const s of settled) if (s.status === "rejected") console.error(JSON.stringify({ msg: "bookkeeping write failed", error: String(s.reason) }));
}
