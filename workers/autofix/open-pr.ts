import { shortFingerprint } from "../../shared/autofix/fixture";
import type { Proposal } from "../../shared/autofix/proposal";
import type { RiskTier } from "../../shared/autofix/risk";
import { renderPullBody, renderPullTitle } from "../../shared/render/pull";
import type { ClusterView } from "../../shared/cluster-view";
import type { GitHubWriter } from "../github/writer";

export interface OpenedPull {
  number: number;
  branch: string;
  htmlUrl: string;
  nodeId: string;
  /** False when an earlier attempt had opened it already (the retry reused it). */
  created: boolean;
}

export function branchFor(fingerprint: string): string {
  return `hotfix/${shortFingerprint(fingerprint)}`;
}

/**
 * The cluster's draft PR: one commit (blobs → tree → commit) on `hotfix/<short fingerprint>` from the default
 * branch head. Idempotent under retries: an existing branch is moved to the new commit ("Reference already
 * exists" is expected), an existing PR of that branch is updated instead of opening another.
 */
export async function openPullRequest(
  github: GitHubWriter,
  input: { repo: string; view: ClusterView; issueNumber: number; proposal: Proposal; tier: RiskTier; riskNotes: string[]; labels: string[] },
): Promise<OpenedPull> {
  const { repo, view } = input;
  const branch = branchFor(view.fingerprint);
  const title = renderPullTitle(view);
  const body = renderPullBody(view, input.issueNumber, input.proposal, input.tier, input.riskNotes);
  const { defaultBranch } = await github.repository(repo);
  const existing = await github.findPull(repo, branch);
  if (existing && existing.state === "open") {
    await github.updatePull(repo, existing.number, { title, body });
    return { number: existing.number, branch, htmlUrl: existing.htmlUrl, nodeId: existing.nodeId, created: false };
  }
  const head = await github.headOf(repo, defaultBranch);
  const sha = await github.commitFiles(repo, head, input.proposal.files, `test: replay fixture for daemon-hotfix ${shortFingerprint(view.fingerprint)}\n\nRefs #${input.issueNumber}`);
  await github.setBranch(repo, branch, sha);
  let pull: { number: number; nodeId: string; htmlUrl: string };
  try {
    pull = await github.createDraftPull(repo, { title, body, head: branch, base: defaultBranch });
  } catch (error) {
    // A PR opened by an attempt whose answer was lost.
    const found = await github.findPull(repo, branch);
    if (!found) throw error;
    return { number: found.number, branch, htmlUrl: found.htmlUrl, nodeId: found.nodeId, created: false };
  }
  await github.addLabels(repo, pull.number, input.labels);
  return { ...pull, branch, created: true };
}

const READY_FOR_REVIEW = `mutation($pullRequestId: ID!) { markPullRequestReadyForReview(input: {pullRequestId: $pullRequestId}) { pullRequest { isDraft } } }`;
const AUTO_MERGE = `mutation($pullRequestId: ID!) { enablePullRequestAutoMerge(input: {pullRequestId: $pullRequestId, mergeMethod: SQUASH}) { pullRequest { autoMergeRequest { enabledAt } } } }`;

/** Lets GitHub merge the PR once its checks pass: marks it ready (GitHub refuses auto-merge on drafts), then enables auto-merge. */
export async function enableAutoMerge(github: GitHubWriter, nodeId: string): Promise<void> {
  await github.graphqlMutation("markPullRequestReadyForReview", READY_FOR_REVIEW, { pullRequestId: nodeId });
  await github.graphqlMutation("enablePullRequestAutoMerge", AUTO_MERGE, { pullRequestId: nodeId });
}
