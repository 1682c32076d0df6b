import { Octokit } from "@octokit/core";
import type { MetricsBuffer } from "../metrics/buffer";

export const DEFAULT_GITHUB_TIMEOUT_MS = 10_000;

/** The token GitHub writes go out with, or an explicit error. (GitHub App installation tokens: a later issue.) */
export function githubToken(env: Pick<Env, "GITHUB_TOKEN">): string {
  if (!env.GITHUB_TOKEN) throw new Error("no GitHub credentials: set GITHUB_TOKEN (or App credentials)");
  return env.GITHUB_TOKEN;
}

/** The key of the write budget this token's writes share. */
export async function budgetKey(token: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token));
  return `token:${[...new Uint8Array(digest)].slice(0, 12).map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** Octokit against `GITHUB_API_URL`, every request bounded by a timeout and counted by method and status. */
export function createOctokit(env: Env, token: string, metrics: MetricsBuffer): Octokit {
  const timeoutMs = Number(env.GITHUB_TIMEOUT_MS) > 0 ? Number(env.GITHUB_TIMEOUT_MS) : DEFAULT_GITHUB_TIMEOUT_MS;
  const octokit = new Octokit({
    auth: token,
    baseUrl: (env.GITHUB_API_URL || "https://api.github.com").replace(/\/+$/, ""),
    userAgent: "daemon-hotfix",
    request: {
      fetch: (input: RequestInfo | URL, init?: RequestInit) => fetch(input, { ...init, signal: AbortSignal.timeout(timeoutMs) }),
    },
  });
  octokit.hook.wrap("request", async (request, options) => {
    const method = options.method;
    try {
      const response = await request(options);
      metrics.inc("github_requests", { method, status: response.status });
      return response;
    } catch (error) {
      const status = typeof error === "object" && error !== null && "status" in error ? String((error as { status: unknown }).status) : "error";
      metrics.inc("github_requests", { method, status });
      throw error;
    }
  });
  return octokit;
}
