import { RequestError } from "@octokit/request-error";

/** What to do about a failed GitHub call. */
export type Classified =
  | {
      kind: "transient";
      reason: string;
      /** server-advised wait, when GitHub gave one */
      delayMs?: number;
      /** close the write budget until then */
      penalizeUntilMs?: number;
      /** nothing was sent to GitHub (e.g. no write slot): a create did not happen, so no recovery look-up is needed */
      unsent?: boolean;
      /** GitHub may have applied the request anyway (timeout, dropped connection, 5xx) */
      outcomeUnknown?: boolean;
      /** the write budget had no slot in time (not GitHub's refusal: no back-off, no attempt used) */
      budget?: boolean;
    }
  | { kind: "permanent"; reason: string };

function header(headers: Record<string, string | number | undefined> | undefined, name: string): string | undefined {
  const value = headers?.[name];
  return value === undefined ? undefined : String(value);
}

/**
 * Sorts GitHub failures as octokit/plugin-retry and GitHub's docs do: 5xx, timeouts, dropped connections, 429
 * and secondary/primary rate limits are transient (with GitHub's own delay when it gives one); other 4xx
 * (404 repo, 410, 422, 401, 403 forbidden) are permanent.
 */
export function classifyGitHubError(error: unknown, nowMs: number, what: string): Classified {
  if (!(error instanceof RequestError)) {
    const name = error instanceof Error ? error.name : typeof error;
    return { kind: "transient", reason: `${what}: no answer from GitHub (${name})`, outcomeUnknown: true };
  }
  const { status } = error;
  const headers = error.response?.headers as Record<string, string | number | undefined> | undefined;
  const message = error.message.split("\n")[0]?.slice(0, 300) ?? "";
  // octokit reports a request that got no answer (a timeout, a dropped connection) as a 500 without a response.
  const answered = error.response !== undefined || status !== 500;
  const reason = answered ? `${what}: GitHub answered ${status}${message ? ` (${message})` : ""}` : `${what}: no answer from GitHub${message ? ` (${message})` : ""}`;
  const retryAfter = Number(header(headers, "retry-after"));
  const remaining = header(headers, "x-ratelimit-remaining");
  const reset = Number(header(headers, "x-ratelimit-reset"));
  if (status === 403 || status === 429) {
    if (Number.isFinite(retryAfter) && retryAfter >= 0) {
      const until = nowMs + retryAfter * 1000;
      return { kind: "transient", reason, delayMs: retryAfter * 1000, penalizeUntilMs: until };
    }
    if (remaining === "0" && Number.isFinite(reset) && reset > 0) {
      const until = Math.max(nowMs, reset * 1000);
      return { kind: "transient", reason, delayMs: until - nowMs, penalizeUntilMs: until };
    }
    if (/secondary rate limit|abuse detection/i.test(error.message)) {
      return { kind: "transient", reason, delayMs: 60_000, penalizeUntilMs: nowMs + 60_000 };
    }
    if (status === 429) return { kind: "transient", reason };
    return { kind: "permanent", reason };
  }
  if (status >= 500 || status === 408 || status === 0) return { kind: "transient", reason, outcomeUnknown: true };
  return { kind: "permanent", reason };
}
