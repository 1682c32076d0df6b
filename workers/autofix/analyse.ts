import * as v from "valibot";
import { applyProposal } from "../../shared/autofix/apply";
import type { AutofixAnalysis } from "../../shared/autofix/analysis";
import { boundContext, CONTEXT_LIMITS, contextPlan, type ContextFile } from "../../shared/autofix/context";
import { namedPaths, TreeIndex } from "../../shared/autofix/paths";
import { fileChoicePrompt, proposalPrompt } from "../../shared/autofix/prompt";
import type { RiskTier } from "../../shared/autofix/risk";
import { answerProblems, EditProposal, FileChoice } from "../../shared/autofix/schema";
import type { ClusterView } from "../../shared/cluster-view";
import { createRedactor } from "../../shared/redact";
import { GitHubFailure } from "../github/failure";
import type { GitHubWriter } from "../github/writer";
import type { FixProposer } from "./proposers";

/** The GitHub reads the analysis needs (GitHubWriter has them; the bench passes the same class). */
type RepoReader = Pick<GitHubWriter, "repository" | "commitAt" | "treeFiles" | "blobText">;

/** The commit the failure happened at: a CI run's head commit, a workflow plugin's ref, else the default branch's head. */
async function failingCommit(github: RepoReader, view: ClusterView): Promise<{ sha: string; treeSha: string; from: string }> {
  const f = view.sample;
  const ciSha = f.ci?.facts.commit?.sha ?? f.correlation.headSha;
  const candidates: Array<{ ref: string; from: string }> = [];
  if (ciSha && /^[0-9a-f]{40}$/i.test(ciSha)) candidates.push({ ref: ciSha, from: "the failing CI run's commit" });
  const ref = f.plugin.ref;
  if (ref && /^[A-Za-z0-9][\w./-]{0,199}$/.test(ref) && !ref.includes("..")) candidates.push({ ref, from: `the plugin's ref ${ref}` });
  for (const candidate of candidates) {
    try {
      return { ...(await github.commitAt(view.repo, candidate.ref)), from: candidate.from };
    } catch (error) {
      // A ref GitHub does not know (a deleted branch, a tag): the next candidate, then the default branch.
      if (!(error instanceof GitHubFailure) || error.classified.kind !== "permanent") throw error;
    }
  }
  const { defaultBranch } = await github.repository(view.repo);
  return { ...(await github.commitAt(view.repo, defaultBranch)), from: `the head of ${defaultBranch} (the failure names no commit)` };
}

/**
 * Reads the repo at the failing commit and asks the proposer (issue 17): the tree; the files the failure names; a
 * first model call choosing further files from the tree; the context within its bounds (manifest.json,
 * package.json and the nearest test too); a second call for the root cause and search/replace hunks; the hunks
 * applied all or nothing. The model's answers are data: validated, never executed. GitHub failures are thrown (the
 * step is retried); the proposer's failures end in an analysis without a proposal, saying why.
 */
export async function analyse(github: RepoReader, view: ClusterView, proposer: FixProposer, policy: { maxRiskTier: RiskTier }): Promise<AutofixAnalysis> {
  const commit = await failingCommit(github, view);
  const tree = await github.treeFiles(view.repo, commit.treeSha);
  const index = new TreeIndex(tree.files.map((f) => f.path));
  const named = namedPaths(view.sample, index);
  const choice = await proposer.ask({
    name: "file_choice",
    prompt: fileChoicePrompt(view, { commit: commit.sha, treePaths: tree.files.map((f) => f.path), named: named.map((n) => n.path) }),
    schema: FileChoice,
  });
  let chosen: string[] = [];
  let choiceProblem: string | undefined;
  if (!choice.ok) choiceProblem = choice.reason;
  else {
    const parsed = v.safeParse(FileChoice, choice.answer);
    if (!parsed.success) choiceProblem = `its answer is not a file choice (${answerProblems(parsed.issues)})`;
    else chosen = parsed.output.paths.filter((p) => index.has(p));
  }
  const plan = contextPlan({ tree: tree.files, named, chosen });
  const shas = new Map(tree.files.map((f) => [f.path, f.sha]));
  const texts: Array<{ path: string; why: ContextFile["why"]; line?: number; text: string }> = [];
  for (const entry of plan) {
    const sha = shas.get(entry.path);
    const text = sha ? await github.blobText(view.repo, sha) : null;
    if (text !== null) texts.push({ ...entry, text });
  }
  const files = boundContext(texts, CONTEXT_LIMITS);
  const base = {
    proposer: { name: proposer.name, model: proposer.model },
    commit: commit.sha,
    commitFrom: commit.from,
    named,
    chosen,
    ...(tree.truncated ? { treeTruncated: true } : {}),
    ...(choiceProblem ? { choiceProblem } : {}),
    files,
    createdMs: Date.now(),
    notePosted: false,
  };
  const answer = await proposer.ask({ name: "edit_proposal", prompt: proposalPrompt(view, { commit: commit.sha, files }), schema: EditProposal });
  if (!answer.ok) return { ...base, proposal: null, problem: answer.reason, applied: { ok: false, reasons: [answer.reason] } };
  const parsed = v.safeParse(EditProposal, answer.answer);
  if (!parsed.success) {
    const problem = `the proposer's answer was not a valid proposal (${answerProblems(parsed.issues)})`;
    return { ...base, proposal: null, problem, applied: { ok: false, reasons: [problem] } };
  }
  // The model read the failure: what it writes (not the repo's own text) is redacted once more before it is shown or committed.
  const redact = createRedactor();
  const p = parsed.output;
  const proposal: EditProposal = {
    rootCause: { hypothesis: redact.string(p.rootCause.hypothesis), files: p.rootCause.files, confidence: p.rootCause.confidence },
    summary: redact.string(p.summary),
    edits: p.edits.map((h) => ({ path: h.path, search: h.search, replace: redact.string(h.replace) })),
    newFiles: p.newFiles.map((f) => ({ path: f.path, content: redact.string(f.content) })),
    riskNotes: p.riskNotes.map((n) => redact.string(n)),
  };
  const applied = applyProposal(proposal, files, { treePaths: new Set(shas.keys()), maxRiskTier: policy.maxRiskTier, fingerprint: view.fingerprint });
  return { ...base, proposal, applied };
}
