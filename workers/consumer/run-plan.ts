import type { StepResult } from "../../shared/cluster-state";
import { commentMarker, marker, renderBody, renderRecurrenceComment, renderReopenComment, renderTitle } from "../../shared/render/issue";
import type { ClusterObject, ClusterSnapshot, Plan } from "../durable/cluster";
import { performAutofix } from "../autofix/perform";
import { GitHubFailure, type GitHubWriter } from "../github/writer";
import { configOf } from "../config";

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
      const issue = await github.createIssue(plan.repo, { title: renderTitle(plan.view), body: renderBody(plan.view, { ...options, isNew: true }), labels: plan.settings.issueLabels });
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
      if (!posted) await github.comment(plan.repo, need(issueNumber), `${hidden}\n${plan.comment === "reopen" ? renderReopenComment(plan.view) : renderRecurrenceComment(plan.view)}`);
      return { wrote: "commented", issue: { number: need(issueNumber), state: "open", stateReason: plan.comment === "reopen" ? "reopened" : null, closedAt: null } };
    }
    case "refresh":
      return { wrote: "refreshed", issue: await github.getIssue(plan.repo, need(issueNumber)) };
    case "pr":
      return performAutofix(plan, github, env);
  }
}

async function closeAsDuplicate(github: GitHubWriter, repo: string, duplicate: number, of: number): Promise<void> {
  await github.comment(repo, duplicate, `Duplicate of #${of}: daemon-hotfix tracks this failure there.`);
  await github.updateIssue(repo, duplicate, { state: "closed", state_reason: "duplicate" });
}

function need(issueNumber: number | null): number {
  if (issueNumber === null) throw new Error("plan needs an issue number");
  return issueNumber;
}

/**
 * Performs a cluster's leased steps one after another, confirming each to the cluster (which hands out the next).
 * A GitHub failure frees the lease (blocking the cluster for a window when permanent) and is rethrown.
 */
export async function runPlan(first: Plan, cluster: DurableObjectStub<ClusterObject>, writer: () => Promise<GitHubWriter>, env: Env): Promise<PlanOutcome> {
  const steps: StepResult["wrote"][] = [];
  let snapshot: ClusterSnapshot | null = null;
  let plan: Plan | null = first;
  const timeoutMs = configOf(env).github.timeoutMs;
  while (plan && steps.length < MAX_STEPS) {
    let result: StepResult;
    let github: GitHubWriter;
    try {
      github = await writer();
      result = await perform(plan, github, env);
    } catch (error) {
      const failure = error instanceof GitHubFailure ? error.classified : { kind: "transient" as const, reason: error instanceof Error ? error.message : String(error) };
      const retryAtMs = failure.kind === "transient" && failure.delayMs !== undefined ? Date.now() + failure.delayMs : undefined;
      const unsent = failure.kind === "transient" && failure.unsent === true;
      // A request GitHub may still apply can land up to its timeout after it was sent: re-assert after twice that.
      const unknown = failure.kind === "transient" && failure.outcomeUnknown === true ? { outcomeUnknownUntilMs: Date.now() + 2 * timeoutMs + 1_000 } : {};
      await cluster.abandon(plan.leaseId, { permanent: failure.kind === "permanent", reason: failure.reason, ...(retryAtMs ? { retryAtMs } : {}), ...(unsent ? { unsent } : {}), ...unknown }, Date.now());
      throw error;
    }
    steps.push(result.wrote);
    const confirmed = await cluster.confirm(plan.leaseId, result, Date.now());
    snapshot = confirmed.state;
    if (confirmed.duplicateOf !== undefined) await closeAsDuplicate(github, plan.repo, result.issue.number, confirmed.duplicateOf);
    plan = confirmed.next;
  }
  return { steps, snapshot };
}
