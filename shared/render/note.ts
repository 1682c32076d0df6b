import type { AutofixAnalysis } from "../autofix/analysis";
import { confidenceOf } from "../autofix/analysis";
import { code, fence, plain } from "./inert";

/** Event text made inert, or `fallback` when nothing visible is left (an empty list item would turn the line above into a heading). */
function words(text: string, fallback: string): string {
  const inert = plain(text);
  return inert.trim() ? inert : fallback;
}

/** The root-cause note's hidden marker: one note per cluster, found again by it after a lost answer. */
export function noteMarker(fingerprint: string): string {
  return `<!-- daemon-hotfix:note=${fingerprint} -->`;
}

/** What the PR step will do with the analysis, in words (for the note). */
export interface NoteOutlook {
  minConfidence: number;
  /** PR mode allowed for this repo and cluster. */
  prMode: boolean;
}

/**
 * The root-cause note (issue 17): the model's hypothesis, the files it points at, its confidence, which proposer and
 * model made it, the context it was shown, and what became of its edits. Model text is event text (it read the
 * failure): fenced or made inert.
 */
export function renderRootCauseNote(fingerprint: string, analysis: AutofixAnalysis, outlook: NoteOutlook): string {
  const proposal = analysis.proposal;
  const confidence = confidenceOf(analysis);
  const by = `${code(analysis.proposer.name)}, model ${code(analysis.proposer.model)}`;
  const lines = [noteMarker(fingerprint), "## daemon-hotfix: root-cause hypothesis", ""];
  if (proposal) {
    lines.push(fence(proposal.rootCause.hypothesis), "");
    lines.push(`**Files it points at:** ${proposal.rootCause.files.length ? proposal.rootCause.files.map(code).join(", ") : "none"}`);
    lines.push(`**Confidence:** ${confidence.toFixed(2)}`, "");
  } else {
    lines.push(`No hypothesis: ${words(analysis.problem ?? "", "the proposer gave none")}.`, "");
  }
  lines.push(`**Proposer:** ${by}`);
  lines.push(`**Read at:** ${code(analysis.commit)} (${plain(analysis.commitFrom)}); ${analysis.files.length} file(s) shown:`);
  for (const f of analysis.files) lines.push(`- ${code(f.path)} — ${f.why}${f.truncated ? `, lines from ${f.fromLine} (part of ${f.size} bytes)` : ""}`);
  if (analysis.treeTruncated) lines.push("", "GitHub cut the repository's tree listing short: files beyond it could not be named or chosen.");
  if (analysis.choiceProblem) lines.push("", `The model's choice of files was not used: ${words(analysis.choiceProblem, "no reason given")}.`);
  lines.push("");
  if (proposal) {
    if (analysis.applied.ok && analysis.applied.hunks + analysis.applied.newFiles === 0) lines.push("**Edits:** none proposed.");
    else if (analysis.applied.ok) lines.push(`**Edits:** ${analysis.applied.hunks} hunk(s) and ${analysis.applied.newFiles} new file(s) apply at that commit.`);
    else lines.push("**Edits:** not used (no code change):", ...analysis.applied.reasons.map((r) => `- ${words(r, "(empty)")}`));
  }
  const next = !outlook.prMode
    ? "PR mode is off for this repo: no PR is opened."
    : confidence >= outlook.minConfidence
      ? `Confidence is at least \`riskPolicy.minConfidence\` (${outlook.minConfidence}): a draft PR follows, within the risk tier and daily cap.`
      : `Confidence is below \`riskPolicy.minConfidence\` (${outlook.minConfidence}): no PR is opened.`;
  lines.push("", next);
  return lines.join("\n");
}
