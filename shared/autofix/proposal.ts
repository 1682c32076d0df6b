import type { AutofixAnalysis } from "./analysis";
import { confidenceOf } from "./analysis";
import { replayFixture } from "./fixture";
import type { ClusterView } from "../cluster-view";
import type { ProposedFile } from "./risk";

/** A proposal ready for a PR: the replay fixture always, the proposer's applied edits when they all apply, and what happened. */
export interface Proposal {
  source: "fixture-only" | "proposer";
  summary: string;
  files: ProposedFile[];
  notes: string[];
  /** Which proposer and model made it (absent: none is configured). */
  by?: { name: string; model: string };
  /** The model's root cause and confidence, when it gave a proposal. */
  rootCause?: { hypothesis: string; confidence: number; files: string[] };
  /** The commit the repo was read at and the edits applied to. */
  commit?: string;
}

const FIXTURE_ONLY = "Adds a replay fixture that reproduces the failure.";

/**
 * The PR's change from the cluster's analysis (pure): the replay fixture, plus the edits when every hunk applied;
 * otherwise the fixture alone and the reasons the edits were not used. Without a proposer: the fixture alone.
 */
export function proposalOf(view: ClusterView, analysis: AutofixAnalysis | null): Proposal {
  const fixture = replayFixture(view);
  if (!analysis) return { source: "fixture-only", summary: FIXTURE_ONLY, files: [fixture], notes: ["No fix proposer is configured: this PR holds the replay fixture only."] };
  const by = analysis.proposer;
  const p = analysis.proposal;
  const meta = { by, commit: analysis.commit, ...(p ? { rootCause: { hypothesis: p.rootCause.hypothesis, confidence: confidenceOf(analysis), files: p.rootCause.files } } : {}) };
  if (!p) return { source: "fixture-only", summary: FIXTURE_ONLY, files: [fixture], notes: [`No code change: ${analysis.problem ?? "no proposal"}. This PR holds the replay fixture only.`], ...meta };
  if (!analysis.applied.ok) {
    return { source: "fixture-only", summary: p.summary, files: [fixture], notes: [`No code change: the proposed edits do not all apply (${analysis.applied.reasons.join("; ")}). This PR holds the replay fixture only.`, ...p.riskNotes], ...meta };
  }
  const edits = analysis.applied.files.filter((f) => f.path !== fixture.path);
  return { source: edits.length ? "proposer" : "fixture-only", summary: p.summary, files: [fixture, ...edits], notes: edits.length ? p.riskNotes : ["The proposer proposed no code change: this PR holds the replay fixture only.", ...p.riskNotes], ...meta };
}
