import { RequestError } from "@octokit/request-error";
import { describe, expect, it } from "vitest";
import { classifyGitHubError } from "../../workers/github/classify";
import { GitHubFailure, issueState } from "../../workers/github/writer";

const NOW = 1_800_000_000_000;
function requestError(status: number, message: string, headers: Record<string, string> = {}) {
  return new RequestError(message, status, {
    request: { method: "POST", url: "https://api.github.com/repos/o/r/issues", headers: {} },
    response: { status, url: "https://api.github.com/repos/o/r/issues", headers, data: { message } },
  });
}

describe("GitHub failure classification", () => {
  it.each([
    [502, "Bad Gateway", {}, "transient"],
    [500, "fetch failed", {}, "transient"],
    [503, "Service Unavailable", {}, "transient"],
    [429, "Too Many Requests", {}, "transient"],
    [404, "Not Found", {}, "permanent"],
    [410, "Gone", {}, "permanent"],
    [422, "Validation Failed", {}, "permanent"],
    [401, "Bad credentials", {}, "permanent"],
    [403, "Resource not accessible by integration", {}, "permanent"],
  ] as const)("%s %s → %s", (status, message, headers, kind) => {
    expect(classifyGitHubError(requestError(status, message, headers), NOW, "POST x").kind).toBe(kind);
  });

  it("honours retry-after on a secondary limit, closing the budget until then", () => {
    expect(classifyGitHubError(requestError(403, "You have exceeded a secondary rate limit", { "retry-after": "7" }), NOW, "x")).toMatchObject({
      kind: "transient",
      delayMs: 7000,
      penalizeUntilMs: NOW + 7000,
    });
  });

  it("waits until x-ratelimit-reset when the primary limit is spent", () => {
    const reset = String(NOW / 1000 + 120);
    expect(classifyGitHubError(requestError(403, "API rate limit exceeded", { "x-ratelimit-remaining": "0", "x-ratelimit-reset": reset }), NOW, "x")).toMatchObject({
      kind: "transient",
      delayMs: 120_000,
    });
  });

  it("waits a minute on a secondary limit without retry-after", () => {
    expect(classifyGitHubError(requestError(403, "You have exceeded a secondary rate limit."), NOW, "x")).toMatchObject({ kind: "transient", delayMs: 60_000 });
  });

  it("treats a network failure or timeout as transient", () => {
    expect(classifyGitHubError(new DOMException("timed out", "TimeoutError"), NOW, "x").kind).toBe("transient");
    expect(classifyGitHubError(new TypeError("connection dropped"), NOW, "x").kind).toBe("transient");
    // octokit's own form of it: a 500 that carries no response (GitHub never answered) is said so, not "answered 500".
    const unanswered = new RequestError("The operation was aborted due to timeout", 500, { request: { method: "GET", url: "https://api.github.com/repos/o/r/actions/runs/1/jobs", headers: {} } });
    expect(classifyGitHubError(unanswered, NOW, "the run's jobs")).toMatchObject({ kind: "transient", outcomeUnknown: true, reason: "the run's jobs: no answer from GitHub (The operation was aborted due to timeout)" });
    expect(classifyGitHubError(requestError(500, "Server Error"), NOW, "x").reason).toBe("x: GitHub answered 500 (Server Error)");
  });
});

describe("GitHub's answers", () => {
  it("takes an issue only with its number; a body cut short is a transient failure whose outcome is unknown", () => {
    expect(issueState({ number: 3, state: "closed", state_reason: "completed", closed_at: "2026-11-20T10:00:00Z" })).toEqual({ number: 3, state: "closed", stateReason: "completed", closedAt: "2026-11-20T10:00:00Z" });
    expect(issueState({ number: 4, state: "open", closed_at: null })).toEqual({ number: 4, state: "open", stateReason: null, closedAt: null });
    // octokit hands over the raw text when a JSON body cannot be parsed (a connection dropped mid-body).
    for (const answer of ['{"number": 5, "sta', "", { message: "ok" }]) {
      let failure: unknown;
      try {
        issueState(answer as never);
      } catch (error) {
        failure = error;
      }
      expect(failure).toBeInstanceOf(GitHubFailure);
      expect((failure as GitHubFailure).classified).toMatchObject({ kind: "transient", outcomeUnknown: true });
    }
  });
});
