import { RequestError } from "@octokit/request-error";
import { describe, expect, it } from "vitest";
import { classifyGitHubError } from "../../workers/github/classify";

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
  });
});
