import { Octokit } from "@octokit/core";
import { RequestError } from "@octokit/request-error";
import type { MetricsBuffer } from "../metrics/buffer";
import type { RepoAuth } from "./credentials";
import { configOf } from "../config";
import { timedFetch } from "./fetch";

/**
 * Octokit against `GITHUB_API_URL` for one repo's credentials: every request bounded by a timeout, counted by
 * method and status, and — for installation tokens — sent once more with a fresh token when GitHub answers 401.
 */
export function createOctokit(env: Env, auth: RepoAuth, metrics: MetricsBuffer): Octokit {
  const { timeoutMs, apiUrl } = configOf(env).github;
  const octokit = new Octokit({
    baseUrl: apiUrl,
    userAgent: "daemon-hotfix",
    request: { fetch: timedFetch(timeoutMs) },
  });
  octokit.hook.wrap("request", async (request, options) => {
    const method = options.method;
    const send = async (token: string) => {
      options.headers = { ...options.headers, authorization: `token ${token}` };
      try {
        const response = await request(options);
        metrics.inc("github_requests", { method, status: response.status });
        return response;
      } catch (error) {
        metrics.inc("github_requests", { method, status: error instanceof RequestError ? error.status : "error" });
        throw error;
      }
    };
    try {
      return await send(await auth.token());
    } catch (error) {
      if (!(error instanceof RequestError) || error.status !== 401) throw error;
      const fresh = await auth.refresh();
      if (!fresh) throw error;
      metrics.inc("github_token_refreshes");
      return send(fresh);
    }
  });
  return octokit;
}
