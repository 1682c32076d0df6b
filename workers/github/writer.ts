import type { Octokit } from "@octokit/core";
import type { IssueState } from "../../shared/cluster-state";
import { type BudgetLimits, SLOT_LATENESS_MS } from "../config";
import type { Priority, WriteBudget } from "../durable/write-budget";
import type { MetricsBuffer } from "../metrics/buffer";
import { classifyGitHubError } from "./classify";
import { GitHubFailure } from "./failure";

export { GitHubFailure } from "./failure";

/** Longest a create waits in-line for its slot; longer waits go back to its cluster, which asks again then. */
export const MAX_INLINE_WAIT_MS = 5_000;
/** Other writes wait in line at most this many spacings, so no queue of edits builds up ahead of a create. */
export const OTHER_WAIT_SPACINGS = 2;

interface IssueLike {
  number: number;
  state: string;
  state_reason?: string | null;
  closed_at: string | null;
  body?: string | null;
}

export function issueState(issue: IssueLike): IssueState {
  // A 2xx whose body is not an issue (cut short: read past the client's timeout) tells nothing: GitHub may or may
  // not have applied the request.
  if (typeof issue !== "object" || issue === null || typeof issue.number !== "number") {
    throw new GitHubFailure({ kind: "transient", reason: "GitHub's answer is not an issue (cut short?)", outcomeUnknown: true });
  }
  return { number: issue.number, state: issue.state === "closed" ? "closed" : "open", stateReason: issue.state_reason ?? null, closedAt: issue.closed_at };
}

/** The few GitHub operations daemon-hotfix performs; every write waits for a slot of the token's budget. */
export class GitHubWriter {
  constructor(
    private readonly octokit: Octokit,
    private readonly budget: DurableObjectStub<WriteBudget>,
    private readonly limits: BudgetLimits,
    /** Counts the budget's Durable Object requests (`do_requests`), when given. */
    private readonly metrics?: MetricsBuffer,
  ) {}

  /** A new failure's first issue: served by the budget before other writes (`requester`: the cluster asking). */
  async createIssue(repo: string, input: { title: string; body: string; labels: string[] }, requester?: string): Promise<IssueState> {
    const [owner, name] = split(repo);
    const { data } = await this.write(
      `POST /repos/${repo}/issues`,
      () => this.octokit.request("POST /repos/{owner}/{repo}/issues", { owner, repo: name, title: input.title, body: input.body, ...(input.labels.length ? { labels: input.labels } : {}) }),
      { kind: "create", ...(requester ? { requester } : {}) },
    );
    return issueState(data);
  }

  async updateIssue(repo: string, issueNumber: number, input: { title?: string; body?: string; state?: "open" | "closed"; state_reason?: "completed" | "not_planned" | "reopened" | "duplicate" }): Promise<IssueState> {
    const [owner, name] = split(repo);
    const { data } = await this.write(`PATCH /repos/${repo}/issues/${issueNumber}`, () =>
      this.octokit.request("PATCH /repos/{owner}/{repo}/issues/{issue_number}", { owner, repo: name, issue_number: issueNumber, ...input }),
    );
    return issueState(data);
  }

  async comment(repo: string, issueNumber: number, body: string): Promise<void> {
    const [owner, name] = split(repo);
    await this.write(`POST /repos/${repo}/issues/${issueNumber}/comments`, () =>
      this.octokit.request("POST /repos/{owner}/{repo}/issues/{issue_number}/comments", { owner, repo: name, issue_number: issueNumber, body }),
    );
  }

  async getIssue(repo: string, issueNumber: number): Promise<IssueState> {
    const [owner, name] = split(repo);
    const { data } = await this.read(`GET /repos/${repo}/issues/${issueNumber}`, () =>
      this.octokit.request("GET /repos/{owner}/{repo}/issues/{issue_number}", { owner, repo: name, issue_number: issueNumber }),
    );
    return issueState(data);
  }

  /**
   * The issues carrying `marker` at the start of their body among issues updated since `sinceMs`, oldest first —
   * through the list endpoint, which is consistent at once (never search, whose index lags).
   */
  async findByMarker(repo: string, marker: string, sinceMs: number): Promise<IssueState[]> {
    const [owner, name] = split(repo);
    const since = new Date(sinceMs - 60_000).toISOString();
    const found: IssueState[] = [];
    for (let page = 1; page <= 5; page++) {
      const { data } = await this.read(`GET /repos/${repo}/issues`, () =>
        this.octokit.request("GET /repos/{owner}/{repo}/issues", { owner, repo: name, state: "all", since, sort: "created", direction: "asc", per_page: 100, page }),
      );
      // A list cut short (read past the client's timeout) says nothing: "no issue with the marker" read from it
      // would file the failure a second time.
      if (!Array.isArray(data)) throw new GitHubFailure({ kind: "transient", reason: `GET /repos/${repo}/issues: GitHub's answer is not a list of issues (cut short?)` });
      for (const issue of data) if (!issue.pull_request && (issue.body ?? "").startsWith(marker)) found.push(issueState(issue));
      if (data.length < 100) break;
    }
    return found.sort((a, b) => a.number - b.number);
  }

  /** Whether a comment starting with `marker` is among the first 100 comments on the issue updated since `sinceMs`. */
  async hasComment(repo: string, issueNumber: number, marker: string, sinceMs: number): Promise<boolean> {
    const [owner, name] = split(repo);
    const since = new Date(sinceMs - 60_000).toISOString();
    const { data } = await this.read(`GET /repos/${repo}/issues/${issueNumber}/comments`, () =>
      this.octokit.request("GET /repos/{owner}/{repo}/issues/{issue_number}/comments", { owner, repo: name, issue_number: issueNumber, since, per_page: 100 }),
    );
    if (!Array.isArray(data)) throw new GitHubFailure({ kind: "transient", reason: `GET /repos/${repo}/issues/${issueNumber}/comments: GitHub's answer is not a list of comments (cut short?)` });
    return data.some((comment) => (comment.body ?? "").startsWith(marker));
  }

  // ---- PR mode: repository, Git Data, pulls ----

  async repository(repo: string): Promise<{ defaultBranch: string; allowAutoMerge: boolean }> {
    const [owner, name] = split(repo);
    const { data } = await this.read(`GET /repos/${repo}`, () => this.octokit.request("GET /repos/{owner}/{repo}", { owner, repo: name }));
    return { defaultBranch: data.default_branch, allowAutoMerge: data.allow_auto_merge ?? false };
  }

  async headOf(repo: string, branch: string): Promise<{ sha: string; treeSha: string }> {
    const [owner, name] = split(repo);
    const { data: ref } = await this.read(`GET /repos/${repo}/git/ref/heads/${branch}`, () => this.octokit.request("GET /repos/{owner}/{repo}/git/ref/{ref}", { owner, repo: name, ref: `heads/${branch}` }));
    const { data: commit } = await this.read(`GET /repos/${repo}/git/commits/${ref.object.sha}`, () =>
      this.octokit.request("GET /repos/{owner}/{repo}/git/commits/{commit_sha}", { owner, repo: name, commit_sha: ref.object.sha }),
    );
    return { sha: ref.object.sha, treeSha: commit.tree.sha };
  }

  /** The commit a ref or SHA names, and its tree (for reading the repo as it was when the failure happened). */
  async commitAt(repo: string, ref: string): Promise<{ sha: string; treeSha: string }> {
    if (!/^[0-9a-f]{40}$/i.test(ref)) return this.headOf(repo, ref);
    const [owner, name] = split(repo);
    const { data: commit } = await this.read(`GET /repos/${repo}/git/commits/${ref}`, () => this.octokit.request("GET /repos/{owner}/{repo}/git/commits/{commit_sha}", { owner, repo: name, commit_sha: ref }));
    return { sha: commit.sha, treeSha: commit.tree.sha };
  }

  /** Every file (blob) of a tree, recursively: path, size and blob SHA; `truncated` when GitHub cut the listing. */
  async treeFiles(repo: string, treeSha: string): Promise<{ files: Array<{ path: string; size: number; sha: string }>; truncated: boolean }> {
    const [owner, name] = split(repo);
    const { data } = await this.read(`GET /repos/${repo}/git/trees/${treeSha}?recursive=1`, () => this.octokit.request("GET /repos/{owner}/{repo}/git/trees/{tree_sha}", { owner, repo: name, tree_sha: treeSha, recursive: "1" }));
    const files = data.tree.flatMap((e) => (e.type === "blob" && e.path && e.sha ? [{ path: e.path, size: e.size ?? 0, sha: e.sha }] : []));
    return { files, truncated: data.truncated };
  }

  /** A blob's text (UTF-8), or null when it is binary. */
  async blobText(repo: string, sha: string): Promise<string | null> {
    const [owner, name] = split(repo);
    const { data } = await this.read(`GET /repos/${repo}/git/blobs/${sha}`, () => this.octokit.request("GET /repos/{owner}/{repo}/git/blobs/{file_sha}", { owner, repo: name, file_sha: sha }));
    const raw = data.encoding === "base64" ? Uint8Array.from(atob((data.content ?? "").replace(/\s+/g, "")), (c) => c.charCodeAt(0)) : new TextEncoder().encode(data.content ?? "");
    if (raw.includes(0)) return null;
    return new TextDecoder().decode(raw);
  }

  /** One commit on top of `parent` with `files` added or replaced (blobs, a tree over the parent's, the commit). */
  async commitFiles(repo: string, parent: { sha: string; treeSha: string }, files: ReadonlyArray<{ path: string; content: string }>, message: string): Promise<string> {
    const [owner, name] = split(repo);
    const tree: Array<{ path: string; mode: "100644"; type: "blob"; sha: string }> = [];
    for (const file of files) {
      const { data } = await this.write(`POST /repos/${repo}/git/blobs`, () => this.octokit.request("POST /repos/{owner}/{repo}/git/blobs", { owner, repo: name, content: file.content, encoding: "utf-8" }));
      tree.push({ path: file.path, mode: "100644", type: "blob", sha: data.sha });
    }
    const { data: newTree } = await this.write(`POST /repos/${repo}/git/trees`, () => this.octokit.request("POST /repos/{owner}/{repo}/git/trees", { owner, repo: name, base_tree: parent.treeSha, tree }));
    const { data: commit } = await this.write(`POST /repos/${repo}/git/commits`, () =>
      this.octokit.request("POST /repos/{owner}/{repo}/git/commits", { owner, repo: name, message, tree: newTree.sha, parents: [parent.sha] }),
    );
    return commit.sha;
  }

  /** Points `refs/heads/<branch>` at `sha`, creating it or — when it exists ("Reference already exists") — moving it. */
  async setBranch(repo: string, branch: string, sha: string): Promise<"created" | "updated"> {
    const [owner, name] = split(repo);
    try {
      await this.write(`POST /repos/${repo}/git/refs`, () => this.octokit.request("POST /repos/{owner}/{repo}/git/refs", { owner, repo: name, ref: `refs/heads/${branch}`, sha }));
      return "created";
    } catch (error) {
      if (!(error instanceof GitHubFailure) || !/Reference already exists/i.test(error.message)) throw error;
    }
    await this.write(`PATCH /repos/${repo}/git/refs/heads/${branch}`, () => this.octokit.request("PATCH /repos/{owner}/{repo}/git/refs/{ref}", { owner, repo: name, ref: `heads/${branch}`, sha, force: true }));
    return "updated";
  }

  /** The PR whose head is `branch` (any state), newest first. */
  async findPull(repo: string, branch: string): Promise<{ number: number; state: string; nodeId: string; htmlUrl: string } | null> {
    const [owner, name] = split(repo);
    const { data } = await this.read(`GET /repos/${repo}/pulls`, () => this.octokit.request("GET /repos/{owner}/{repo}/pulls", { owner, repo: name, head: `${owner}:${branch}`, state: "all", per_page: 10 }));
    const pull = data[0];
    return pull ? { number: pull.number, state: pull.state, nodeId: pull.node_id, htmlUrl: pull.html_url } : null;
  }

  async createDraftPull(repo: string, input: { title: string; body: string; head: string; base: string }): Promise<{ number: number; nodeId: string; htmlUrl: string }> {
    const [owner, name] = split(repo);
    const { data } = await this.write(`POST /repos/${repo}/pulls`, () => this.octokit.request("POST /repos/{owner}/{repo}/pulls", { owner, repo: name, ...input, draft: true }));
    return { number: data.number, nodeId: data.node_id, htmlUrl: data.html_url };
  }

  async updatePull(repo: string, pullNumber: number, input: { title: string; body: string }): Promise<void> {
    const [owner, name] = split(repo);
    await this.write(`PATCH /repos/${repo}/pulls/${pullNumber}`, () => this.octokit.request("PATCH /repos/{owner}/{repo}/pulls/{pull_number}", { owner, repo: name, pull_number: pullNumber, ...input }));
  }

  async addLabels(repo: string, issueNumber: number, labels: string[]): Promise<void> {
    if (!labels.length) return;
    const [owner, name] = split(repo);
    await this.write(`POST /repos/${repo}/issues/${issueNumber}/labels`, () => this.octokit.request("POST /repos/{owner}/{repo}/issues/{issue_number}/labels", { owner, repo: name, issue_number: issueNumber, labels }));
  }

  /** A GraphQL mutation (auto-merge has no REST endpoint); GraphQL errors become permanent failures. */
  async graphqlMutation(what: string, query: string, variables: Record<string, unknown>): Promise<unknown> {
    const { data } = await this.write(`POST /graphql (${what})`, () => this.octokit.request("POST /graphql", { query, variables }));
    const errors = (data as { errors?: Array<{ message?: string }> }).errors;
    if (errors?.length) throw new GitHubFailure({ kind: "permanent", reason: `GraphQL ${what}: ${errors.map((e) => e.message ?? "error").join("; ")}` });
    return (data as { data?: unknown }).data;
  }

  private async read<T>(what: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw await this.failure(error, what);
    }
  }

  /** Waits for a slot of the budget, then sends; a slot missed by more than the allowed lateness is not used. */
  private async write<T>(what: string, call: () => Promise<T>, priority: Priority = { kind: "other" }): Promise<T> {
    const maxWaitMs = priority.kind === "create" ? MAX_INLINE_WAIT_MS : Math.min(MAX_INLINE_WAIT_MS, OTHER_WAIT_SPACINGS * this.limits.spacingMs);
    for (let attempt = 0; attempt < 3; attempt++) {
      const now = Date.now();
      const slot = await this.budget.reserve(now, this.limits, maxWaitMs, priority);
      this.metrics?.inc("do_requests", { component: "writes", object: "write_budget" });
      if (!slot.granted) {
        throw new GitHubFailure({ kind: "transient", reason: `${what}: write budget exhausted until ${new Date(slot.retryAtMs).toISOString()}`, delayMs: slot.retryAtMs - now, unsent: true, budget: true });
      }
      const wait = slot.atMs - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      if (Date.now() - slot.atMs <= SLOT_LATENESS_MS) return this.read(what, call);
    }
    throw new GitHubFailure({ kind: "transient", reason: `${what}: no write slot could be used in time`, unsent: true, budget: true });
  }

  private async failure(error: unknown, what: string): Promise<GitHubFailure> {
    if (error instanceof GitHubFailure) return error;
    const classified = classifyGitHubError(error, Date.now(), what);
    if (classified.kind === "transient" && classified.penalizeUntilMs) {
      await this.budget.penalize(classified.penalizeUntilMs);
      this.metrics?.inc("do_requests", { component: "writes", object: "write_budget" });
    }
    return new GitHubFailure(classified);
  }
}

function split(repo: string): [string, string] {
  const [owner = "", name = ""] = repo.split("/");
  return [owner, name];
}
