import type { DigestStepResult } from "../../shared/digest/digest-state";
import { digestMarker, renderDigestBody, renderDigestTitle } from "../../shared/digest/render-digest";
import type { DigestFlushMessage } from "../../shared/queue-message";
import { configOf } from "../config";
import type { DigestPlan } from "../durable/spike-guard";
import { requestMs, stepFailure } from "../consumer/run-plan";
import type { GitHubWriter } from "../github/writer";
import { spikeGuardOf } from "./overflow";

/** Most digest steps one flush performs (create, then the edit for entries that came in meanwhile). */
const MAX_STEPS = 3;

async function closeAsDuplicate(github: GitHubWriter, repo: string, duplicate: number, of: number): Promise<void> {
  await github.comment(repo, duplicate, `Duplicate of #${of}: daemon-hotfix keeps this day's digest there.`);
  await github.updateIssue(repo, duplicate, { state: "closed", state_reason: "duplicate" });
}

async function perform(plan: DigestPlan, github: GitHubWriter, env: Env): Promise<DigestStepResult> {
  const body = renderDigestBody({ repo: plan.repo, day: plan.day, limit: configOf(env).policy.maxNewIssuesPerRepoPerDay, intervalSeconds: plan.intervalMs / 1000, entries: plan.entries });
  if (plan.kind === "update") {
    if (plan.issueNumber === null) throw new Error("a digest update needs its issue");
    return { wrote: "updated", issue: await github.updateIssue(plan.repo, plan.issueNumber, { body }) };
  }
  if (plan.recoverSinceMs !== null) {
    // An earlier attempt may have created the digest (even more than once): keep the oldest, close the others.
    const [found, ...extra] = await github.findByMarker(plan.repo, digestMarker(plan.day), plan.recoverSinceMs);
    if (found) {
      for (const duplicate of extra) await closeAsDuplicate(github, plan.repo, duplicate.number, found.number);
      return { wrote: "found", issue: found };
    }
  }
  return { wrote: "created", issue: await github.createIssue(plan.repo, { title: renderDigestTitle(plan.day), body, labels: [] }, `digest:${plan.repo}:${plan.day}`) };
}

/**
 * Brings a repo's digest issue for one day up to date (a `digest` message on the writes queue, sent by its spike
 * guard's alarm): performs the leased steps, confirming each. Exactly once like issues: a create whose answer was
 * lost is found again by the digest's marker. A step that fails is given back to the guard with what went wrong
 * (GitHub's delay, the budget's next slot, a write whose outcome is unknown): it wakes to try again then.
 */
export async function runDigest(message: DigestFlushMessage, env: Env, writer: () => Promise<GitHubWriter>): Promise<{ steps: DigestStepResult["wrote"][]; failed?: string }> {
  const guard = spikeGuardOf(env, message.repo);
  const steps: DigestStepResult["wrote"][] = [];
  const lease = { requestMs: requestMs(env) };
  let plan: DigestPlan | null = await guard.plan(message.day, Date.now(), lease);
  while (plan && steps.length < MAX_STEPS) {
    let github: GitHubWriter;
    let result: DigestStepResult;
    try {
      github = await writer();
      result = await perform(plan, github, env);
    } catch (error) {
      const failure = stepFailure(error, env);
      await guard.abandon(plan.day, plan.leaseId, failure, Date.now());
      return { steps, failed: failure.reason };
    }
    steps.push(result.wrote);
    const confirmed = await guard.confirm(plan.day, plan.leaseId, result, Date.now(), lease);
    if (confirmed.duplicateOf !== undefined) await closeAsDuplicate(github, plan.repo, result.issue.number, confirmed.duplicateOf);
    plan = confirmed.next;
  }
  return { steps };
}
