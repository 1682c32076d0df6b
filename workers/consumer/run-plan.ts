import type { StepResult } from "../../shared/cluster-state";
import { commentMarker, marker, renderBody, renderMentionComment, renderRecurrenceComment, renderReopenComment, renderResolvedComment, renderTitle } from "../../shared/render/issue";
import type { AbandonResult, ClusterObject, ClusterSnapshot, Plan, StepFailure } from "../durable/cluster";
import { performAutofix } from "../autofix/perform";
import { admitNewIssue, reportDigested } from "../digest/overflow";
import { GitHubFailure, type GitHubWriter, MAX_INLINE_WAIT_MS } from "../github/writer";
import { ConfigError, configOf } from "../config";

/** The least time after an unknown outcome before the step is re-asserted or its issue looked for. */
export const OUTCOME_SETTLE_MS = 10_000;

/** Without GitHub credentials a cluster asks again this often (the operator has to set them). */
export const CONFIG_RETRY_MS = 300_000;

/** Most steps one message performs (create → update → comment …); the rest waits for the next event or alarm. */
const MAX_STEPS = 5;

export interface PlanOutcome {
  steps: StepResult["wrote"][];
  snapshot: ClusterSnapshot | null;
}

async function perform(plan: Plan, github: GitHubWriter, env: Env): Promise<StepResult> {
  const options = { windowMinutes: plan.settings.windowMinutes, updateIntervalSeconds: plan.settings.updateIntervalSeconds, notify: plan.settings.notify };
  const issueNumber = plan.issueNumber;
  switch (plan.kind) {
    case "create": {
      if (plan.recoverSinceMs !== null) {
        // Earlier attempts may have created the issue (even more than once): keep the oldest, close the others.
        const [found, ...extra] = await github.findByMarker(plan.repo, marker(plan.fingerprint), plan.recoverSinceMs);
        if (found) {
          for (const duplicate of extra) await closeAsDuplicate(github, plan.repo, duplicate.number, found.number);
          return { wrote: "found", issue: found };
        }
      }
      // Spike protection: over the repo's new issues for today, the failure goes to today's digest instead.
      const digested = await admitNewIssue(plan, env);
      if (digested) return digested;
      const issue = await github.createIssue(plan.repo, { title: renderTitle(plan.view), body: renderBody(plan.view, { ...options, isNew: true }), labels: plan.settings.issueLabels }, plan.fingerprint);
      return { wrote: "created", issue };
    }
    case "update":
      return { wrote: "updated", issue: await github.updateIssue(plan.repo, need(issueNumber), { body: renderBody(plan.view, { ...options, isNew: false }) }) };
    case "reopen":
      return { wrote: "reopened", issue: await github.updateIssue(plan.repo, need(issueNumber), { state: "open", body: renderBody(plan.view, { ...options, isNew: false }) }) };
    case "comment": {
      const hidden = commentMarker(plan.fingerprint, plan.commentKey ?? 0);
      // An earlier attempt may have been posted although its answer never came: post it once.
      const posted = plan.recoverSinceMs !== null && (await github.hasComment(plan.repo, need(issueNumber), hidden, plan.recoverSinceMs));
      if (!posted) await github.comment(plan.repo, need(issueNumber), `${hidden}\n${plan.comment === "reopen" ? renderReopenComment(plan.view, plan.regression) : renderRecurrenceComment(plan.view)}`);
      return { wrote: "commented", issue: { number: need(issueNumber), state: "open", stateReason: plan.comment === "reopen" ? "reopened" : null, closedAt: null } };
    }
    case "refresh":
      return { wrote: "refreshed", issue: await github.getIssue(plan.repo, need(issueNumber)) };
    case "resolve": {
      // Issue 15: one comment naming the passing run (or the quiet spell), then the close as completed.
      if (!plan.resolution) throw new Error("a resolve step needs its resolution");
      await commentOnce(github, plan, `${commentMarker(plan.fingerprint, plan.commentKey ?? 0)}\n${renderResolvedComment(plan.view, plan.resolution)}`);
      return { wrote: "resolved", issue: await github.updateIssue(plan.repo, need(issueNumber), { state: "closed", state_reason: "completed", body: renderBody(plan.view, { ...options, isNew: false }) }) };
    }
    case "mention":
      await commentOnce(github, plan, `${commentMarker(plan.fingerprint, plan.commentKey ?? 0)}\n${renderMentionComment(plan.view, plan.oldVersion)}`);
      return { wrote: "mentioned", issue: { number: need(issueNumber), state: "closed", stateReason: "completed", closedAt: plan.closedAt ?? null } };
    case "pr":
      return performAutofix(plan, github, env);
    case "digest":
      return reportDigested(plan, env);
  }
}

/** Posts a comment whose marker starts `body`, unless an earlier attempt (whose answer was lost) posted it already. */
async function commentOnce(github: GitHubWriter, plan: Plan, body: string): Promise<void> {
  const issueNumber = need(plan.issueNumber);
  const hidden = body.slice(0, body.indexOf("\n"));
  const posted = plan.recoverSinceMs !== null && (await github.hasComment(plan.repo, issueNumber, hidden, plan.recoverSinceMs));
  if (!posted) await github.comment(plan.repo, issueNumber, body);
}

async function closeAsDuplicate(github: GitHubWriter, repo: string, duplicate: number, of: number): Promise<void> {
  await github.comment(repo, duplicate, `Duplicate of #${of}: daemon-hotfix tracks this failure there.`);
  await github.updateIssue(repo, duplicate, { state: "closed", state_reason: "duplicate" });
}

function need(issueNumber: number | null): number {
  if (issueNumber === null) throw new Error("plan needs an issue number");
  return issueNumber;
}

/** How a step that could not be finished is reported to its cluster (which schedules the next attempt). */
export function stepFailure(error: unknown, env: Env): StepFailure {
  const config = configOf(env);
  const failure = error instanceof GitHubFailure ? error.classified : { kind: "transient" as const, reason: error instanceof Error ? error.message : String(error), ...(error instanceof ConfigError ? { delayMs: CONFIG_RETRY_MS } : {}) };
  if (failure.kind === "permanent") return { permanent: true, reason: failure.reason };
  const now = Date.now();
  return {
    permanent: false,
    reason: failure.reason,
    retryBaseSeconds: config.retryBaseSeconds,
    ...(failure.delayMs !== undefined ? { retryAtMs: now + failure.delayMs } : {}),
    ...(failure.unsent === true ? { unsent: true } : {}),
    ...(failure.budget === true ? { budget: true } : {}),
    // A request GitHub may still apply can land up to its timeout after it was sent: re-assert (or look for the
    // issue a create may have made) after twice that — and never sooner than OUTCOME_SETTLE_MS, for a server slow
    // to apply what it was sent (a loaded GitHub, or a loaded test double).
    ...(failure.outcomeUnknown === true ? { outcomeUnknownUntilMs: now + Math.max(2 * config.github.timeoutMs + 1_000, OUTCOME_SETTLE_MS) } : {}),
  };
}

/** One GitHub request at its longest, to size leases from: the client timeout plus the longest wait in line. */
export function requestMs(env: Env): number {
  return configOf(env).github.timeoutMs + MAX_INLINE_WAIT_MS;
}

/**
 * Performs a cluster's leased steps one after another, confirming each to the cluster (which hands out the next).
 * A failure frees the lease with what went wrong (the cluster blocks for a window when permanent, and wakes to
 * try again otherwise) and is rethrown.
 */
export async function runPlan(first: Plan, cluster: DurableObjectStub<ClusterObject>, writer: () => Promise<GitHubWriter>, env: Env): Promise<PlanOutcome> {
  const steps: StepResult["wrote"][] = [];
  let snapshot: ClusterSnapshot | null = null;
  let plan: Plan | null = first;
  while (plan && steps.length < MAX_STEPS) {
    let result: StepResult;
    let github: GitHubWriter;
    try {
      github = await writer();
      result = await perform(plan, github, env);
    } catch (error) {
      const abandoned = await cluster.abandon(plan.leaseId, stepFailure(error, env), Date.now());
      throw new StepAbandoned(error, abandoned, steps.length);
    }
    steps.push(result.wrote);
    const confirmed = await cluster.confirm(plan.leaseId, result, Date.now(), { written: plan.reflects, requestMs: requestMs(env) });
    snapshot = confirmed.state;
    if (confirmed.duplicateOf !== undefined && result.wrote !== "digested") await closeAsDuplicate(github, plan.repo, result.issue.number, confirmed.duplicateOf);
    plan = confirmed.next;
  }
  return { steps, snapshot };
}

/** A step given back to its cluster (`abandoned.refused` when GitHub refused it for good: what to dead-letter). */
export class StepAbandoned extends Error {
  override readonly name = "StepAbandoned";
  constructor(
    readonly error: unknown,
    readonly abandoned: AbandonResult,
    /** Steps confirmed before this one. */
    readonly steps: number,
  ) {
    super(error instanceof Error ? error.message : String(error));
  }
}
