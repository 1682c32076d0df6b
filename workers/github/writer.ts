import type { Octokit } from "@octokit/core";
import type { IssueState } from "../../shared/cluster-state";
import { type BudgetLimits, SLOT_LATENESS_MS, type WriteBudget } from "../durable/write-budget";
import { classifyGitHubError } from "./classify";
import { GitHubFailure } from "./failure";

export { GitHubFailure } from "./failure";

/** Longest a write waits in-line for its slot; longer waits go back to the queue with that delay. */
export const MAX_INLINE_WAIT_MS = 5_000;

interface IssueLike {
  number: number;
  state: string;
  state_reason?: string | null;
  closed_at: string | null;
  body?: string | null;
}

export function issueState(issue: IssueLike): IssueState {
  return { number: issue.number, state: issue.state === "closed" ? "closed" : "open", stateReason: issue.state_reason ?? null, closedAt: issue.closed_at };
}

/** The few GitHub operations daemon-hotfix performs; every write waits for a slot of the token's budget. */
export class GitHubWriter {
  constructor(
    private readonly octokit: Octokit,
    private readonly budget: DurableObjectStub<WriteBudget>,
    private readonly limits: BudgetLimits,
  ) {}

  async createIssue(repo: string, input: { title: string; body: string; labels: string[] }): Promise<IssueState> {
    const [owner, name] = split(repo);
    const { data } = await this.write(`POST /repos/${repo}/issues`, () =>
      this.octokit.request("POST /repos/{owner}/{repo}/issues", { owner, repo: name, title: input.title, body: input.body, ...(input.labels.length ? { labels: input.labels } : {}) }),
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
   * The issue carrying `marker` at the start of its body, among issues updated since `sinceMs` — through the
   * list endpoint, which is consistent at once (never search, whose index lags).
   */
  async findByMarker(repo: string, marker: string, sinceMs: number): Promise<IssueState | null> {
    const [owner, name] = split(repo);
    const since = new Date(sinceMs - 60_000).toISOString();
    for (let page = 1; page <= 5; page++) {
      const { data } = await this.read(`GET /repos/${repo}/issues`, () =>
        this.octokit.request("GET /repos/{owner}/{repo}/issues", { owner, repo: name, state: "all", since, sort: "created", direction: "desc", per_page: 100, page }),
      );
      const found = data.find((issue) => !issue.pull_request && (issue.body ?? "").startsWith(marker));
      if (found) return issueState(found);
      if (data.length < 100) return null;
    }
    return null;
  }

  private async read<T>(what: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw await this.failure(error, what);
    }
  }

  /** Waits for a slot of the budget, then sends; a slot missed by more than the allowed lateness is not used. */
  private async write<T>(what: string, call: () => Promise<T>): Promise<T> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const now = Date.now();
      const slot = await this.budget.reserve(now, this.limits, MAX_INLINE_WAIT_MS);
      if (!slot.granted) {
        throw new GitHubFailure({ kind: "transient", reason: `${what}: write budget exhausted until ${new Date(slot.retryAtMs).toISOString()}`, delayMs: slot.retryAtMs - now });
      }
      const wait = slot.atMs - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      if (Date.now() - slot.atMs <= SLOT_LATENESS_MS) return this.read(what, call);
    }
    throw new GitHubFailure({ kind: "transient", reason: `${what}: no write slot could be used in time` });
  }

  private async failure(error: unknown, what: string): Promise<GitHubFailure> {
    if (error instanceof GitHubFailure) return error;
    const classified = classifyGitHubError(error, Date.now(), what);
    if (classified.kind === "transient" && classified.penalizeUntilMs) await this.budget.penalize(classified.penalizeUntilMs);
    return new GitHubFailure(classified);
  }
}

function split(repo: string): [string, string] {
  const [owner = "", name = ""] = repo.split("/");
  return [owner, name];
}
