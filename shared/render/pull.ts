import type { Proposal } from "../autofix/proposal";
import type { RiskTier } from "../autofix/risk";
import type { ClusterView } from "../cluster-view";
import { code, fence, plain, title } from "./inert";
import { MAX_TITLE, renderTitle } from "./issue";

/** The draft PR's title: the issue's, marked as a fix. */
export function renderPullTitle(view: ClusterView): string {
  return title(renderTitle(view).replace(/^\[daemon-hotfix\]/, "[daemon-hotfix fix]"), MAX_TITLE);
}

/**
 * The draft PR's body. The proposer's summary and notes may echo the failure's text (it read it), so they are
 * event text: the summary as a fenced block, notes and paths through `inert`.
 */
export function renderPullBody(view: ClusterView, issueNumber: number, proposal: Proposal, tier: RiskTier, riskNotes: readonly string[]): string {
  return [
    `Refs #${issueNumber}`,
    "",
    "## What this adds",
    fence(proposal.summary),
    "",
    proposal.files.map((f) => `- ${code(f.path)}`).join("\n"),
    "",
    "## Reasoning",
    proposal.source === "proposer"
      ? "The configured fix proposer suggested the change above from the failure's sanitised details; it was validated as a structured patch before use."
      : "A replay fixture: the redacted event that reproduced the failure, with the expected behaviour once fixed. It gives a fix a regression test to pass.",
    "",
    ...proposal.notes.map((n) => `> ${plain(n)}\n`),
    `## Risk: **${tier}**`,
    riskNotes.map((n) => `- ${plain(n)}`).join("\n"),
    "",
    `<sub>Opened by daemon-hotfix as a draft for fingerprint ${code(view.fingerprint)}; it goes through the repository's normal CI and review. daemon-hotfix never merges it unless \`riskPolicy.autoMerge\` is on and the risk tier is low.</sub>`,
  ].join("\n");
}

/** The issue comment when the proposed change is above `riskPolicy.maxRiskTier`. */
export function renderRiskTooHighComment(tier: RiskTier, maxRiskTier: RiskTier, notes: readonly string[], summary: string): string {
  return [
    `daemon-hotfix did not open a PR for this failure: the proposed change is **${tier}** risk, above the allowed \`riskPolicy.maxRiskTier: ${maxRiskTier}\`.`,
    "",
    notes.map((n) => `- ${plain(n)}`).join("\n"),
    "",
    summary ? `Proposal:\n\n${fence(summary)}` : "",
  ].join("\n");
}
