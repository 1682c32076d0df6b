import type { Proposal } from "../autofix/proposal";
import { fileTier, type RiskTier } from "../autofix/risk";
import type { ClusterView } from "../cluster-view";
import { code, fence, plain, title } from "./inert";
import { MAX_TITLE, renderTitle } from "./issue";

/** The draft PR's title: the issue's, marked as a fix. */
export function renderPullTitle(view: ClusterView): string {
  return title(renderTitle(view).replace(/^\[daemon-hotfix\]/, "[daemon-hotfix fix]"), MAX_TITLE);
}

/** Which proposer and model made it, in words. */
export function proposerLine(proposal: Proposal): string {
  return proposal.by ? `Proposer: ${code(proposal.by.name)}, model ${code(proposal.by.model)}.` : "Proposer: none configured (replay fixture only).";
}

/**
 * The draft PR's body. The proposer's summary, hypothesis and notes may echo the failure's text (it read it), so
 * they are event text: fenced, or through `inert`. Every changed file is listed with its risk tier.
 */
export function renderPullBody(view: ClusterView, issueNumber: number, proposal: Proposal, tier: RiskTier, riskNotes: readonly string[]): string {
  return [
    `Refs #${issueNumber}`,
    "",
    "## What this adds",
    fence(proposal.summary),
    "",
    "| file | tier | why |",
    "|---|---|---|",
    ...proposal.files.map((f) => {
      const t = fileTier(f.path);
      return `| ${code(f.path)} | ${t.tier} | ${plain(t.why)} |`;
    }),
    "",
    "## Reasoning",
    proposal.source === "proposer"
      ? `The configured fix proposer read the repository at ${code(proposal.commit ?? "the failing commit")} and proposed the search/replace edits above; each applied exactly once to the file as it was shown, and was validated as data before use.`
      : "A replay fixture: the redacted event that reproduced the failure, with the expected behaviour once fixed. It gives a fix a regression test to pass.",
    ...(proposal.rootCause ? ["", `Root-cause hypothesis (confidence ${proposal.rootCause.confidence.toFixed(2)}):`, fence(proposal.rootCause.hypothesis)] : []),
    "",
    proposerLine(proposal),
    "",
    ...proposal.notes.map((n) => `> ${plain(n)}\n`),
    `## Risk: **${tier}**`,
    riskNotes.map((n) => `- ${plain(n)}`).join("\n"),
    "",
    `<sub>Opened by daemon-hotfix as a draft for fingerprint ${code(view.fingerprint)}; it goes through the repository's normal CI and review. daemon-hotfix never merges it unless \`riskPolicy.autoMerge\` is on and the risk tier is low.</sub>`,
  ].join("\n");
}

/** The issue comment when the proposed change is above `riskPolicy.maxRiskTier`. */
export function renderRiskTooHighComment(tier: RiskTier, maxRiskTier: RiskTier, notes: readonly string[], proposal: Proposal): string {
  return [
    `daemon-hotfix did not open a PR for this failure: the proposed change is **${tier}** risk, above the allowed \`riskPolicy.maxRiskTier: ${maxRiskTier}\`.`,
    "",
    notes.map((n) => `- ${plain(n)}`).join("\n"),
    "",
    proposal.summary ? `Proposal:\n\n${fence(proposal.summary)}` : "",
    "",
    proposerLine(proposal),
  ].join("\n");
}
