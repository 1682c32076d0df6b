import { createPrivateKey } from "node:crypto";
import { createAppAuth } from "@octokit/auth-app";
import { request as baseRequest } from "@octokit/request";
import { RequestError } from "@octokit/request-error";
import { GitHubFailure } from "./failure";
import { DEFAULT_GITHUB_TIMEOUT_MS, timedFetch } from "./fetch";

/** GitHub credentials are missing or unusable: an operator's error, said plainly. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

export type Credentials = { kind: "token"; token: string } | { kind: "app"; appId: string; privateKey: string };

/**
 * The credentials GitHub writes use: the App (APP_ID + APP_PRIVATE_KEY) when configured — installation tokens
 * minted per target repo — else GITHUB_TOKEN. Neither: a ConfigError.
 */
export function credentialsFrom(env: Pick<Env, "GITHUB_TOKEN" | "APP_ID" | "APP_PRIVATE_KEY">): Credentials {
  if (env.APP_ID && env.APP_PRIVATE_KEY) return { kind: "app", appId: env.APP_ID, privateKey: env.APP_PRIVATE_KEY };
  if (env.APP_ID || env.APP_PRIVATE_KEY) throw new ConfigError("GitHub App credentials are incomplete: set both APP_ID and APP_PRIVATE_KEY");
  if (env.GITHUB_TOKEN) return { kind: "token", token: env.GITHUB_TOKEN };
  throw new ConfigError("no GitHub credentials: set GITHUB_TOKEN, or APP_ID and APP_PRIVATE_KEY");
}

/**
 * A GitHub App private key as PKCS#8 PEM. GitHub hands out PKCS#1 (`BEGIN RSA PRIVATE KEY`), which WebCrypto (and
 * so the JWT signer in workerd) cannot import: node:crypto converts it. `\n` escapes are accepted.
 */
export function toPkcs8(pem: string): string {
  const text = pem.includes("\\n") ? pem.replace(/\\n/g, "\n") : pem;
  if (text.includes("-----BEGIN PRIVATE KEY-----")) return text;
  try {
    return String(createPrivateKey(text).export({ type: "pkcs8", format: "pem" }));
  } catch {
    throw new ConfigError("APP_PRIVATE_KEY is not a PEM RSA private key (PKCS#1 or PKCS#8)");
  }
}

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
  const credentials = credentialsFrom(env);
  const baseUrl = (env.GITHUB_API_URL || "https://api.github.com").replace(/\/+$/, "");
  if (credentials.kind === "token") {
    const budgetKey = `token:${await shortHash(credentials.token)}`;
    return { budgetKey, token: async () => credentials.token, refresh: async () => null };
  }
  const timeoutMs = Number(env.GITHUB_TIMEOUT_MS) > 0 ? Number(env.GITHUB_TIMEOUT_MS) : DEFAULT_GITHUB_TIMEOUT_MS;
  const key = `${baseUrl}\u0000${credentials.appId}\u0000${await shortHash(credentials.privateKey)}`;
  let authority = authorities.get(key);
  if (!authority) {
    authority = new AppAuthority(credentials.appId, credentials.privateKey, baseUrl, timeoutMs);
    authorities.set(key, authority);
  }
  return authority.forRepo(repo);
}
