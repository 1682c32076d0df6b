import { createAppAuth } from "@octokit/auth-app";
import { request as baseRequest } from "@octokit/request";
import { RequestError } from "@octokit/request-error";
import { GitHubFailure } from "./failure";
import { ConfigError, configOf, toPkcs8 } from "../config";
import { timedFetch } from "./fetch";

async function shortHash(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].slice(0, 12).map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** How writes to one repo authenticate, and which write budget they share (GitHub's limits are per installation). */
export interface RepoAuth {
  budgetKey: string;
  token(): Promise<string>;
  /** A new token after GitHub answered 401 (installation tokens); null when nothing can be refreshed. */
  refresh(): Promise<string | null>;
}

type AppAuth = ReturnType<typeof createAppAuth>;
const INSTALLATION_TTL_MS = 10 * 60_000;

/** App auth per isolate: installation ids per repo and installation tokens (auth-app caches them until shortly before expiry) are shared by every request the isolate serves. */
class AppAuthority {
  private readonly auth: AppAuth;
  private readonly installations = new Map<string, { id: number; untilMs: number }>();
  private readonly request: typeof baseRequest;

  constructor(appId: string, privateKey: string, baseUrl: string, timeoutMs: number) {
    this.request = baseRequest.defaults({ baseUrl, headers: { "user-agent": "daemon-hotfix" }, request: { fetch: timedFetch(timeoutMs) } });
    this.auth = createAppAuth({ appId, privateKey: toPkcs8(privateKey), request: this.request });
  }

  async forRepo(repo: string): Promise<RepoAuth> {
    const installationId = await this.installationOf(repo);
    return {
      budgetKey: `installation:${installationId}`,
      token: async () => (await this.auth({ type: "installation", installationId })).token,
      refresh: async () => (await this.auth({ type: "installation", installationId, refresh: true })).token,
    };
  }

  private async installationOf(repo: string): Promise<number> {
    const cached = this.installations.get(repo);
    if (cached && cached.untilMs > Date.now()) return cached.id;
    const [owner = "", name = ""] = repo.split("/");
    try {
      const { token } = await this.auth({ type: "app" });
      const { data } = await this.request("GET /repos/{owner}/{repo}/installation", { owner, repo: name, headers: { authorization: `bearer ${token}` } });
      this.installations.set(repo, { id: data.id, untilMs: Date.now() + INSTALLATION_TTL_MS });
      return data.id;
    } catch (error) {
      if (error instanceof RequestError && error.status === 404) {
        throw new GitHubFailure({ kind: "permanent", reason: `GET /repos/${repo}/installation: the GitHub App is not installed on ${repo} (404)` });
      }
      if (error instanceof RequestError && error.status === 401) {
        throw new GitHubFailure({ kind: "permanent", reason: `GET /repos/${repo}/installation: GitHub refused the App's credentials (401: ${error.message.split("\n")[0]})` });
      }
      throw error;
    }
  }
}

const authorities = new Map<string, AppAuthority>();

/** Resolves how to write to a repo with the configured credentials. */
export async function repoAuth(env: Env, repo: string): Promise<RepoAuth> {
  const github = configOf(env).github;
  if (!github.credentials.ok) throw new ConfigError(github.credentials.problem);
  const credentials = github.credentials.value;
  const baseUrl = github.apiUrl;
  if (credentials.kind === "token") {
    const budgetKey = `token:${await shortHash(credentials.token)}`;
    return { budgetKey, token: async () => credentials.token, refresh: async () => null };
  }
  const timeoutMs = github.timeoutMs;
  const key = `${baseUrl}\u0000${credentials.appId}\u0000${await shortHash(credentials.privateKey)}`;
  let authority = authorities.get(key);
  if (!authority) {
    authority = new AppAuthority(credentials.appId, credentials.privateKey, baseUrl, timeoutMs);
    authorities.set(key, authority);
  }
  return authority.forRepo(repo);
}
