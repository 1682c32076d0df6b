import * as v from "valibot";
import { AutofixAnalysis, confidenceOf } from "../../shared/autofix/analysis";
import { proposalOf } from "../../shared/autofix/proposal";
import { autoMergeAllowed, TIER_ORDER, riskTier } from "../../shared/autofix/risk";
import { noteMarker, renderRootCauseNote } from "../../shared/render/note";
import { renderRiskTooHighComment } from "../../shared/render/pull";
import { inPrRepos } from "../../shared/trust/pr-gate";
import type { Autofix, StepResult } from "../../shared/cluster-state";
import type { Plan } from "../durable/cluster";
import type { GitHubWriter } from "../github/writer";
import { analyse } from "./analyse";
import { enableAutoMerge, openPullRequest } from "./open-pr";
import { type FixProposer, proposerFor } from "./proposers";
import { configOf } from "../config";

/** The cluster's analysis: the one it keeps (made by an earlier attempt), else made now and kept. */
async function analysisOf(plan: Plan, github: GitHubWriter, env: Env, proposer: FixProposer): Promise<AutofixAnalysis> {
  const cluster = env.CLUSTER.getByName(plan.fingerprint);
  const kept = await cluster.autofixAnalysis();
  if (kept) {
    const parsed = v.safeParse(AutofixAnalysis, JSON.parse(kept));
    if (parsed.success) return parsed.output;
  }
  const made = await analyse(github, plan.view, proposer, { maxRiskTier: plan.settings.riskPolicy.maxRiskTier });
  await cluster.storeAutofixAnalysis(JSON.stringify(made), Date.now());
  return made;
}

/**
 * The auto-fix step of a cluster (issue 17), due once the cluster reached `riskPolicy.minOccurrences` while a
 * proposer is configured or PR mode is on:
 * 1. with a proposer: the analysis (the repo read at the failing commit, bounded context, the model's root cause and
 *    search/replace hunks, validated) and, once per cluster, the root-cause note on the issue;
 * 2. with PR mode (still in `HOTFIX_POLICY.prRepos`, within the repo's daily cap): a PR only when the proposer's
 *    confidence reaches `riskPolicy.minConfidence` (without a proposer: the replay fixture alone), gated by risk
 *    tier, a draft unless auto-merge is allowed.
 */
export async function performAutofix(plan: Plan, github: GitHubWriter, env: Env): Promise<StepResult> {
  const issueNumber = plan.issueNumber;
  if (issueNumber === null) throw new Error("the PR step needs the issue");
  const issue = { number: issueNumber, state: "open" as const, stateReason: null, closedAt: null };
  const day = new Date().toISOString().slice(0, 10);
  const config = configOf(env);
  // The gate ran when the event was counted; the operator's policy is checked again here, as it is now.
  const operator = config.policy;
  const policy = { ...plan.settings.riskPolicy, maxAutofixPerDay: Math.min(plan.settings.riskPolicy.maxAutofixPerDay, operator.maxAutofixPerDay) };
  const minConfidence = policy.minConfidence ?? 0.7;
  const prMode = plan.settings.modes.includes("pr");
  const allowed = prMode && inPrRepos(plan.repo, operator.prRepos);
  const proposer = proposerFor(config.autofix, env);

  let analysis: AutofixAnalysis | null = null;
  if (proposer) {
    analysis = await analysisOf(plan, github, env, proposer);
    if (!analysis.notePosted) {
      const marker = noteMarker(plan.fingerprint);
      // An earlier attempt may have posted it although its answer was lost: once per cluster.
      if (!(await github.hasComment(plan.repo, issueNumber, marker, analysis.createdMs - 1_000))) {
        await github.comment(plan.repo, issueNumber, renderRootCauseNote(plan.fingerprint, analysis, { minConfidence, prMode: allowed }));
      }
      analysis = { ...analysis, notePosted: true };
      await env.CLUSTER.getByName(plan.fingerprint).storeAutofixAnalysis(JSON.stringify(analysis), Date.now());
    }
  }
  const by = analysis ? { proposer: `${analysis.proposer.name}/${analysis.proposer.model}`, confidence: confidenceOf(analysis) } : {};
  if (!prMode) return { wrote: "autofixed", issue, autofix: { status: "noted", day, ...by } };
  if (!allowed) return { wrote: "autofixed", issue, autofix: { status: "not_allowed", day, ...by } };
  if (analysis && confidenceOf(analysis) < minConfidence) return { wrote: "autofixed", issue, autofix: { status: "low_confidence", day, ...by } };

  const claimed = await env.REPO_GATE.getByName(`repo:${plan.repo.toLowerCase()}`).claimAutofix(day, plan.fingerprint, policy.maxAutofixPerDay);
  if (!claimed) return { wrote: "autofixed", issue, autofix: { status: "cap_reached", day, ...by } };

  const proposal = proposalOf(plan.view, analysis);
  const { tier, notes } = riskTier(proposal.files);
  if (TIER_ORDER[tier] > TIER_ORDER[policy.maxRiskTier]) {
    await github.comment(plan.repo, issueNumber, renderRiskTooHighComment(tier, policy.maxRiskTier, notes, proposal));
    return { wrote: "autofixed", issue, autofix: { status: "risk_too_high", day, tier, ...by } };
  }
  const pull = await openPullRequest(github, { repo: plan.repo, view: plan.view, issueNumber, proposal, tier, riskNotes: [...notes, ...proposal.notes], labels: plan.settings.issueLabels });
  if (pull.created) await github.comment(plan.repo, issueNumber, `daemon-hotfix opened a draft PR with a replay fixture${proposal.source === "proposer" ? " and a proposed fix" : ""}: #${pull.number} (risk: ${tier}).`);
  const autoMerge = policy.autoMerge && autoMergeAllowed(proposal.files);
  if (autoMerge) await enableAutoMerge(github, pull.nodeId);
  const autofix: Autofix = { status: "opened", day, tier, prNumber: pull.number, branch: pull.branch, autoMerge, ...by };
  return { wrote: "autofixed", issue, autofix };
}
