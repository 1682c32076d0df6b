import { autoMergeAllowed, TIER_ORDER, riskTier } from "../../shared/autofix/risk";
import { renderRiskTooHighComment } from "../../shared/render/pull";
import { inPrRepos } from "../../shared/trust/pr-gate";
import type { Autofix, StepResult } from "../../shared/cluster-state";
import type { Plan } from "../durable/cluster";
import type { GitHubWriter } from "../github/writer";
import { buildProposal } from "./build-proposal";
import { enableAutoMerge, openPullRequest } from "./open-pr";
import { proposerFor } from "./proposers";
import { configOf } from "../config";

/**
 * The PR step of a cluster in PR mode: within the repo's daily cap, build the proposal (the replay fixture, plus
 * a validated patch when a proposer is configured), gate it by risk tier, open (or reuse) the draft PR, link it
 * from the issue, and enable auto-merge only when the policy allows it and the tier is low.
 */
export async function performAutofix(plan: Plan, github: GitHubWriter, env: Env): Promise<StepResult> {
  const issueNumber = plan.issueNumber;
  if (issueNumber === null) throw new Error("the PR step needs the issue");
  const issue = { number: issueNumber, state: "open" as const, stateReason: null, closedAt: null };
  const day = new Date().toISOString().slice(0, 10);
  // The gate ran when the event was counted; the operator's policy is checked again here, as it is now.
  const operator = configOf(env).policy;
  if (!inPrRepos(plan.repo, operator.prRepos)) return { wrote: "autofixed", issue, autofix: { status: "not_allowed", day } };
  const policy = { ...plan.settings.riskPolicy, maxAutofixPerDay: Math.min(plan.settings.riskPolicy.maxAutofixPerDay, operator.maxAutofixPerDay) };
  const claimed = await env.REPO_GATE.getByName(`repo:${plan.repo.toLowerCase()}`).claimAutofix(day, plan.fingerprint, policy.maxAutofixPerDay);
  if (!claimed) return { wrote: "autofixed", issue, autofix: { status: "cap_reached", day } };

  const proposal = await buildProposal(plan.view, proposerFor(configOf(env).autofix));
  const { tier, notes } = riskTier(proposal.files);
  if (TIER_ORDER[tier] > TIER_ORDER[policy.maxRiskTier]) {
    await github.comment(plan.repo, issueNumber, renderRiskTooHighComment(tier, policy.maxRiskTier, notes, proposal.summary));
    return { wrote: "autofixed", issue, autofix: { status: "risk_too_high", day, tier } };
  }
  const pull = await openPullRequest(github, { repo: plan.repo, view: plan.view, issueNumber, proposal, tier, riskNotes: [...notes, ...proposal.notes], labels: plan.settings.issueLabels });
  if (pull.created) await github.comment(plan.repo, issueNumber, `daemon-hotfix opened a draft PR with a replay fixture${proposal.source === "proposer" ? " and a proposed fix" : ""}: #${pull.number} (risk: ${tier}).`);
  const autoMerge = policy.autoMerge && autoMergeAllowed(proposal.files);
  if (autoMerge) await enableAutoMerge(github, pull.nodeId);
  const autofix: Autofix = { status: "opened", day, tier, prNumber: pull.number, branch: pull.branch, autoMerge };
  return { wrote: "autofixed", issue, autofix };
}
