import * as v from "valibot";
import { DURATION_BUCKETS } from "../../shared/metrics/exposition";
import { type FlushMessage, WritesMessage } from "../../shared/queue-message";
import { Settings } from "../../shared/settings";
import { toFieldIssues } from "../../shared/validation";
import { ConfigError, configOf } from "../config";
import type { AbandonResult } from "../durable/cluster";
import { createOctokit } from "../github/client";
import { budgetRowDue, budgetRowFailed } from "../github/budget-registry";
import { repoAuth } from "../github/credentials";
import { GitHubFailure, GitHubWriter } from "../github/writer";
import { MetricsBuffer } from "../metrics/buffer";
import { upsertClusterIndex } from "./cluster-index";
import { trackInStream } from "../lifecycle/stream-index";
import { storeDeadLetter } from "../dead-letters/store";
import { backoffSeconds, MAX_ATTEMPTS } from "./queue";
import { type PlanOutcome, requestMs, runPlan, StepAbandoned } from "./run-plan";
import { runDigest } from "../digest/run-digest";

interface Context {
  env: Env;
  queue: string;
  metrics: MetricsBuffer;
  pending: Promise<void>[];
  /** The writer for a repo's credentials (one per token or App installation, shared within the batch). */
  writerFor: (repo: string) => Promise<GitHubWriter>;
}

function countOutcome(ctx: Context, outcome: PlanOutcome): void {
  for (const step of outcome.steps) {
    const name = { created: "issues_created", found: "issues_recovered", updated: "issues_updated", commented: "issue_comments", reopened: "issues_reopened", refreshed: "issues_refreshed", autofixed: "autofix_decisions", digested: "digest_reports", resolved: "issues_resolved", mentioned: "issue_mentions" }[step];
    ctx.metrics.inc(name);
  }
  if (outcome.snapshot) {
    ctx.pending.push(upsertClusterIndex(ctx.env.DB, outcome.snapshot));
    ctx.metrics.inc("d1_statements", { component: "writes" });
  }
}

/**
 * GitHub refused the cluster for good: its first event is dead-lettered with the reason (the events that come
 * while it stays refused are dead-lettered as they are counted). Replaying it unblocks the cluster.
 */
async function deadLetterRefused(message: Message<unknown>, flush: FlushMessage, refused: NonNullable<AbandonResult["refused"]>, reason: string, ctx: Context): Promise<void> {
  const settings = v.safeParse(Settings, refused.settings);
  const body = { version: 1, type: "failure", fingerprint: flush.fingerprint, failure: refused.sample, settings: settings.success ? settings.output : v.parse(Settings, {}) };
  await storeDeadLetter(ctx.env.DB, { id: `${message.id}:refused`, queue: ctx.queue, reason: `permanent: ${reason}`, attempts: message.attempts, body });
}

async function handleFlush(message: Message<unknown>, flush: FlushMessage, ctx: Context): Promise<void> {
  const { env } = ctx;
  const cluster = env.CLUSTER.getByName(flush.fingerprint);
  try {
    // The holder is the message: the queue redelivering it after its consumer died takes the lease over at once.
    const plan = await cluster.plan(Date.now(), { holder: `flush:${message.id}`, requestMs: requestMs(env) });
    ctx.metrics.inc("do_requests", { component: "writes", object: "cluster" });
    if (plan) {
      const outcome = await runPlan(plan, cluster, () => ctx.writerFor(plan.repo), env);
      ctx.metrics.inc("do_requests", { component: "writes", object: "cluster" }, outcome.steps.length);
      countOutcome(ctx, outcome);
      // Issue 15: a CI failure's stream learns whether its issue is open (what a passing run reads).
      if (outcome.snapshot?.stream) {
        ctx.metrics.inc("do_requests", { component: "writes", object: "ci_stream" });
        ctx.pending.push(
          trackInStream(env, outcome.snapshot).then(async (flush) => {
            if (flush) await env.WRITES.send(flush, { contentType: "json" });
          }),
        );
      }
    }
    message.ack();
  } catch (error) {
    if (error instanceof StepAbandoned) {
      // The cluster has the step back and wakes to try again when it may: nothing to retry here.
      const cause = error.error;
      if (cause instanceof ConfigError) {
        console.error(JSON.stringify({ msg: "misconfigured: cannot write to GitHub", error: cause.message, fingerprint: flush.fingerprint }));
        ctx.metrics.inc("config_errors", { reason: "github_credentials" });
      }
      const classified = cause instanceof GitHubFailure ? cause.classified : null;
      ctx.metrics.inc("do_requests", { component: "writes", object: "cluster" }, 1 + error.steps);
      if (error.abandoned.snapshot) {
        ctx.pending.push(upsertClusterIndex(env.DB, error.abandoned.snapshot));
        ctx.metrics.inc("d1_statements", { component: "writes" });
      }
      if (error.abandoned.refused) await deadLetterRefused(message, flush, error.abandoned.refused, error.message, ctx);
      else {
        ctx.metrics.inc("retries", { reason: classified?.kind === "transient" && classified.budget ? "budget" : "github" });
        console.warn(JSON.stringify({ msg: "step given back to its cluster", fingerprint: flush.fingerprint, reason: error.message }));
      }
      message.ack();
      return;
    }
    // The cluster itself could not be reached: try again (its alarm asks again too, should this run out).
    if (message.attempts >= MAX_ATTEMPTS) {
      console.error(JSON.stringify({ msg: "flush dropped; the cluster's alarm asks again", fingerprint: flush.fingerprint, error: error instanceof Error ? error.message : String(error) }));
      message.ack();
      return;
    }
    message.retry({ delaySeconds: backoffSeconds(message.attempts, configOf(env).retryBaseSeconds) });
  }
}

/**
 * The writes queue's consumer: each flush performs its cluster's due GitHub steps under a lease (the only place
 * that waits on the write budget). A step that cannot be done now is given back to its cluster, which wakes
 * when it may be tried again — so budget waits and GitHub's failures never use up an event's attempts.
 */
export async function consumeWrites(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const writers = new Map<string, GitHubWriter>();
  const ctx: Context = {
    env,
    queue: batch.queue,
    metrics: new MetricsBuffer("writes"),
    pending: [],
    writerFor: async (repo) => {
      const auth = await repoAuth(env, repo);
      let writer = writers.get(auth.budgetKey);
      if (!writer) {
        writer = new GitHubWriter(createOctokit(env, auth, ctx.metrics), env.WRITE_BUDGET.getByName(auth.budgetKey), configOf(env).github.writeBudget, ctx.metrics);
        writers.set(auth.budgetKey, writer);
        const row = budgetRowDue(env.DB, auth.budgetKey);
        if (row) {
          ctx.metrics.inc("d1_statements", { component: "writes" });
          const key = auth.budgetKey;
          ctx.pending.push(
            row.run().then(
              () => undefined,
              (error: unknown) => {
                budgetRowFailed(key);
                throw error;
              },
            ),
          );
        }
      }
      return writer;
    },
  };
  const seen = new Set<string>();
  await Promise.all(
    batch.messages.map(async (message) => {
      const started = Date.now();
      const parsed = v.safeParse(WritesMessage, message.body);
      if (!parsed.success) {
        console.error(JSON.stringify({ msg: "unreadable flush dropped", id: message.id, issues: toFieldIssues(parsed.issues) }));
        message.ack();
        return;
      }
      // Two flushes of one cluster (or digest) in a batch: one performs its steps (one lease at a time).
      const body = parsed.output;
      const key = body.type === "flush" ? body.fingerprint : `digest:${body.repo}:${body.day}`;
      if (seen.has(key)) {
        message.ack();
        return;
      }
      seen.add(key);
      if (body.type === "flush") await handleFlush(message, body, ctx);
      else {
        // Spike protection's digest issue (workers/digest/): its guard takes a failed step back and wakes to retry.
        try {
          const { steps, failed } = await runDigest(body, env, () => ctx.writerFor(body.repo));
          for (const step of steps) ctx.metrics.inc("digest_writes", { step });
          if (failed) console.warn(JSON.stringify({ msg: "digest step given back to its guard", repo: body.repo, day: body.day, reason: failed }));
          message.ack();
        } catch (error) {
          // The guard itself could not be reached: its alarm asks again.
          console.error(JSON.stringify({ msg: "digest flush dropped; its guard asks again", repo: body.repo, day: body.day, error: error instanceof Error ? error.message : String(error) }));
          message.ack();
        }
      }
      ctx.metrics.observe("processing_duration_seconds", (Date.now() - started) / 1000, DURATION_BUCKETS);
    }),
  );
  ctx.pending.push(ctx.metrics.flush(env.DB, env.ANALYTICS));
  const settled = await Promise.allSettled(ctx.pending);
  for (const s of settled) if (s.status === "rejected") console.error(JSON.stringify({ msg: "bookkeeping write failed", error: String(s.reason) }));
}
