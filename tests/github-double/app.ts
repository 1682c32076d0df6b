/**
 * GitHub App authentication as GitHub does it: the App's JWT (RS256, verified against the configured
 * public key with node:crypto), installations on owners (all their repos or a selection), and installation
 * access tokens (`ghs_` + 36 alphanumerics, 1 h, scoped to the installation's repos and permissions).
 *
 * Messages GitHub answers (all 401 with documentation_url https://docs.github.com/rest):
 *  - JWT that is not a JWT, not RS256, signed with another key, or for another App: "A JSON web token could not be decoded"
 *  - `iss` not an integer: "'Issuer' claim ('iss') must be an Integer"
 *  - `iat` missing, not an integer or in the future: "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued"
 *  - `exp` missing, not a number or not in the future: "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires"
 *  - `exp` more than 10 minutes after `iat` or after now: "'Expiration time' claim ('exp') is too far in the future"
 *  - a JWT on an endpoint that is not an App endpoint: "Bad credentials"
 *  - a non-JWT token on an App endpoint: "A JSON web token could not be decoded"
 *  - an issued installation token that expired, was revoked or whose installation was removed: "Bad credentials"
 */
import { createPublicKey, randomInt, verify } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { DOCS, error, json, notFound, paginate } from "./http.ts";
import type { Result } from "./http.ts";
import { requestBody } from "./handler-kit.ts";
import type { Handler } from "./operations.ts";
import { API, WEB, hashId, isoSeconds, repoJson, repoKey, userJson } from "./state.ts";
import type { Store, UserRecord } from "./state.ts";
import { isObject } from "./spec.ts";

export const JWT_UNDECODABLE = "A JSON web token could not be decoded";
export const BAD_CREDENTIALS = "Bad credentials";
export const ISS_INVALID = "'Issuer' claim ('iss') must be an Integer";
export const IAT_INVALID = "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued";
export const EXP_INVALID = "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires";
export const EXP_TOO_FAR = "'Expiration time' claim ('exp') is too far in the future";
export const NOT_ACCESSIBLE = "Resource not accessible by integration";

/** Longest JWT lifetime GitHub accepts (seconds). */
const MAX_JWT_SECONDS = 600;
/** Lifetime of an installation access token (ms). */
export const TOKEN_TTL_MS = 3_600_000;

export type Permission = "read" | "write";
export type Permissions = Record<string, Permission>;

export const DEFAULT_PERMISSIONS: Permissions = { issues: "write", metadata: "read" };
export const DEFAULT_SLUG = "daemon-hotfix";

export interface AppConfig {
  appId: number;
  /** The App's public key (SPKI PEM); JWTs must be signed with the matching private key. */
  publicKeyPem: string;
  /** Default "daemon-hotfix"; the bot acting with installation tokens is `${slug}[bot]`. */
  slug?: string;
}

export interface InstallationTarget {
  /** User or organization the App is installed on. */
  owner: string;
  /** Repo names (or "owner/name") the installation covers; default: every repo of the owner. */
  repos?: string[];
  /** Default { issues: "write", metadata: "read" }. */
  permissions?: Permissions;
}

export interface InstallationRecord {
  id: number;
  owner: string;
  /** Lower-case repo names, or null for all repos of the owner. */
  repos: Set<string> | null;
  permissions: Permissions;
  createdAt: number;
}

export interface TokenRecord {
  token: string;
  installationId: number;
  expiresAt: number;
  revoked: boolean;
  /** Lower-case repo names the token is narrowed to, or null for all the installation covers. */
  repos: Set<string> | null;
  permissions: Permissions;
}

export type AuthKind = "token" | "jwt" | "installation";

/** A bearer that looks like a JWT (three base64url segments). No GitHub token has dots. */
export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);
}

function decodeSegment(segment: string): Record<string, unknown> | null {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(segment, "base64url").toString("utf8"));
    return isObject(parsed) ? parsed : null;
  } catch {
    return null;
  }
}

function integerLike(value: unknown): number | null {
  if (typeof value === "number" && Number.isInteger(value)) return value;
  if (typeof value === "string" && /^\d+$/.test(value.trim())) return Number(value.trim());
  return null;
}

const ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

function newToken(): string {
  let out = "ghs_";
  for (let i = 0; i < 36; i++) out += ALPHANUMERIC[randomInt(ALPHANUMERIC.length)];
  return out;
}

function repoName(entry: string): string {
  const slash = entry.lastIndexOf("/");
  return (slash >= 0 ? entry.slice(slash + 1) : entry).toLowerCase();
}

/** Operations a JWT may call (and that only a JWT may call). */
export const JWT_OPERATIONS: ReadonlySet<string> = new Set([
  "apps/get-authenticated",
  "apps/list-installations",
  "apps/get-installation",
  "apps/delete-installation",
  "apps/create-installation-access-token",
  "apps/suspend-installation",
  "apps/unsuspend-installation",
  "apps/get-org-installation",
  "apps/get-repo-installation",
  "apps/get-user-installation",
  "apps/get-webhook-config-for-app",
  "apps/update-webhook-config-for-app",
  "apps/list-webhook-deliveries",
  "apps/get-webhook-delivery",
  "apps/redeliver-webhook-delivery",
  "apps/list-installation-requests-for-authenticated-app",
]);

export class AppAuth {
  config: { appId: number; slug: string; key: KeyObject } | null = null;
  readonly installations = new Map<number, InstallationRecord>();
  readonly tokens = new Map<string, TokenRecord>();
  private configuredAt = 0;

  configure(config: AppConfig, now: number): void {
    if (!Number.isInteger(config.appId) || config.appId <= 0) throw new Error("appId must be a positive integer");
    const key = createPublicKey(config.publicKeyPem);
    if (key.asymmetricKeyType !== "rsa") throw new Error("publicKeyPem must be an RSA public key");
    this.config = { appId: config.appId, slug: config.slug ?? DEFAULT_SLUG, key };
    this.configuredAt = now;
  }

  get slug(): string {
    return this.config?.slug ?? DEFAULT_SLUG;
  }

  get botLogin(): string {
    return `${this.slug}[bot]`;
  }

  install(id: number, target: InstallationTarget, now: number): InstallationRecord {
    if (!Number.isInteger(id) || id <= 0) throw new Error("installationId must be a positive integer");
    if (target.owner.trim() === "") throw new Error("owner is required");
    const record: InstallationRecord = {
      id,
      owner: target.owner,
      repos: target.repos ? new Set(target.repos.map(repoName)) : null,
      permissions: { ...(target.permissions ?? DEFAULT_PERMISSIONS) },
      createdAt: this.installations.get(id)?.createdAt ?? now,
    };
    this.installations.set(id, record);
    return record;
  }

  uninstall(id: number): boolean {
    return this.installations.delete(id);
  }

  /** Every issued token expires now (a client holding one must mint a new one). */
  expireTokens(now: number): number {
    for (const t of this.tokens.values()) t.expiresAt = Math.min(t.expiresAt, now);
    return this.tokens.size;
  }

  covers(installation: InstallationRecord, owner: string, repo: string): boolean {
    if (installation.owner.toLowerCase() !== owner.toLowerCase()) return false;
    return installation.repos === null || installation.repos.has(repo.toLowerCase());
  }

  installationFor(owner: string, repo: string): InstallationRecord | null {
    for (const i of this.installations.values()) if (this.covers(i, owner, repo)) return i;
    return null;
  }

  installationOfOwner(owner: string): InstallationRecord | null {
    for (const i of this.installations.values()) if (i.owner.toLowerCase() === owner.toLowerCase()) return i;
    return null;
  }

  /** The message of the 401 GitHub answers for this JWT, or null when it is valid now. */
  verifyJwt(jwt: string, now: number): string | null {
    const config = this.config;
    const parts = jwt.split(".");
    if (!config || parts.length !== 3) return JWT_UNDECODABLE;
    const [head = "", body = "", signature = ""] = parts;
    const header = decodeSegment(head);
    const claims = decodeSegment(body);
    if (!header || !claims || header.alg !== "RS256") return JWT_UNDECODABLE;
    const iss = integerLike(claims.iss);
    if (iss === null) return ISS_INVALID;
    if (iss !== config.appId) return JWT_UNDECODABLE;
    let valid = false;
    try {
      valid = verify("sha256", Buffer.from(`${head}.${body}`), config.key, Buffer.from(signature, "base64url"));
    } catch {
      valid = false;
    }
    if (!valid) return JWT_UNDECODABLE;
    const nowSeconds = Math.floor(now / 1000);
    const iat = claims.iat;
    if (typeof iat !== "number" || !Number.isInteger(iat) || iat > nowSeconds) return IAT_INVALID;
    const exp = claims.exp;
    if (typeof exp !== "number" || !Number.isFinite(exp) || exp <= nowSeconds) return EXP_INVALID;
    if (exp - iat > MAX_JWT_SECONDS || exp - nowSeconds > MAX_JWT_SECONDS) return EXP_TOO_FAR;
    return null;
  }

  /** The issued token's record if it can be used now: not expired, not revoked, installation still there. */
  usable(record: TokenRecord, now: number): InstallationRecord | null {
    if (record.revoked || now >= record.expiresAt) return null;
    return this.installations.get(record.installationId) ?? null;
  }

  tokenCovers(record: TokenRecord, installation: InstallationRecord, owner: string, repo: string): boolean {
    return this.covers(installation, owner, repo) && (record.repos === null || record.repos.has(repo.toLowerCase()));
  }

  mint(installation: InstallationRecord, repos: Set<string> | null, permissions: Permissions, now: number): TokenRecord {
    let token = newToken();
    while (this.tokens.has(token)) token = newToken();
    const record: TokenRecord = { token, installationId: installation.id, expiresAt: now + TOKEN_TTL_MS, revoked: false, repos, permissions };
    this.tokens.set(token, record);
    return record;
  }

  /** The App's owner: an organization named like the slug. */
  appOwner(): UserRecord {
    return { login: this.slug, id: hashId(this.slug.toLowerCase()), type: "Organization" };
  }

  appJson(now: number): Record<string, unknown> {
    const config = this.config;
    const id = config?.appId ?? 0;
    const created = isoSeconds(this.configuredAt || now);
    return {
      id,
      slug: this.slug,
      node_id: `A_kwHO${Buffer.from(`0:${id}`).toString("base64").replace(/=+$/, "")}`,
      client_id: `Iv23li${String(id).padStart(14, "0")}`,
      owner: userJson(this.appOwner()),
      name: this.slug,
      description: null,
      external_url: `${WEB}/apps/${this.slug}`,
      html_url: `${WEB}/apps/${this.slug}`,
      created_at: created,
      updated_at: created,
      permissions: { ...DEFAULT_PERMISSIONS },
      events: ["issues", "issue_comment"],
      installations_count: this.installations.size,
    };
  }

  installationJson(installation: InstallationRecord): Record<string, unknown> {
    const account: UserRecord = { login: installation.owner, id: hashId(installation.owner.toLowerCase()), type: "Organization" };
    const created = isoSeconds(installation.createdAt);
    return {
      id: installation.id,
      account: userJson(account),
      repository_selection: installation.repos === null ? "all" : "selected",
      access_tokens_url: `${API}/app/installations/${installation.id}/access_tokens`,
      repositories_url: `${API}/installation/repositories`,
      html_url: `${WEB}/organizations/${encodeURIComponent(installation.owner)}/settings/installations/${installation.id}`,
      app_id: this.config?.appId ?? 0,
      app_slug: this.slug,
      target_id: account.id,
      target_type: account.type,
      permissions: { ...installation.permissions },
      events: ["issues", "issue_comment"],
      created_at: created,
      updated_at: created,
      single_file_name: null,
      has_multiple_single_files: false,
      single_file_paths: [],
      suspended_by: null,
      suspended_at: null,
    };
  }
}

// ---------------------------------------------------------------- handlers (registered in operations.ts)

function appOf(app: AppAuth | undefined): AppAuth {
  if (!app) throw new Error("github-double: App handlers need core.app");
  return app;
}

const getAuthenticated: Handler = (core, ctx) => json(200, appOf(core.app).appJson(ctx.now));

const getRepoInstallation: Handler = (core, ctx) => {
  const app = appOf(core.app);
  const found = app.installationFor(ctx.params.owner ?? "", ctx.params.repo ?? "");
  return found ? json(200, app.installationJson(found)) : notFound();
};

const getOwnerInstallation =
  (param: "org" | "username"): Handler =>
  (core, ctx) => {
    const app = appOf(core.app);
    const found = app.installationOfOwner(ctx.params[param] ?? "");
    return found ? json(200, app.installationJson(found)) : notFound();
  };

function installationParam(app: AppAuth, raw: string | undefined): InstallationRecord | null {
  if (!raw || !/^\d+$/.test(raw)) return null;
  return app.installations.get(Number(raw)) ?? null;
}

const getInstallation: Handler = (core, ctx) => {
  const app = appOf(core.app);
  const found = installationParam(app, ctx.params.installation_id);
  return found ? json(200, app.installationJson(found)) : notFound();
};

const listInstallations: Handler = (core, ctx) => {
  const app = appOf(core.app);
  const all = [...app.installations.values()].sort((a, b) => a.id - b.id);
  const { page, link } = paginate(all, ctx.url);
  return json(
    200,
    page.map((i) => app.installationJson(i)),
    link ? { link } : undefined,
  );
};

const deleteInstallation: Handler = (core, ctx) => {
  const app = appOf(core.app);
  const found = installationParam(app, ctx.params.installation_id);
  if (!found) return notFound();
  app.uninstall(found.id);
  return { status: 204 };
};

const REPOS_NOT_ACCESSIBLE = "There is at least one repository that does not exist or is not accessible to the parent installation.";
const PERMISSIONS_NOT_GRANTED = "The permissions requested are not granted to this installation.";
const TOKEN_DOCS = "https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app";

/** Repo names of `installation` the double knows (for `repository_ids` and the `repositories` answer). */
function knownRepos(store: Store, installation: InstallationRecord): { owner: string; name: string; id: number }[] {
  const out = new Map<string, { owner: string; name: string; id: number }>();
  for (const r of store.repos.values()) {
    if (r.owner.toLowerCase() === installation.owner.toLowerCase() && (installation.repos === null || installation.repos.has(r.name.toLowerCase()))) {
      out.set(r.name.toLowerCase(), { owner: r.owner, name: r.name, id: r.id });
    }
  }
  for (const name of installation.repos ?? []) {
    if (!out.has(name)) out.set(name, { owner: installation.owner, name, id: hashId(repoKey(`${installation.owner}/${name}`)) });
  }
  return [...out.values()];
}

const createAccessToken: Handler = (core, ctx) => {
  const app = appOf(core.app);
  const installation = installationParam(app, ctx.params.installation_id);
  if (!installation) return notFound();
  const input = requestBody(ctx);
  const known = knownRepos(core.store, installation);
  let repos: Set<string> | null = null;
  if (Array.isArray(input.repositories) || Array.isArray(input.repository_ids)) {
    repos = new Set();
    for (const raw of Array.isArray(input.repositories) ? input.repositories : []) {
      const name = repoName(String(raw));
      if (!app.covers(installation, installation.owner, name)) return error(422, REPOS_NOT_ACCESSIBLE, TOKEN_DOCS);
      repos.add(name);
    }
    for (const raw of Array.isArray(input.repository_ids) ? input.repository_ids : []) {
      const found = known.find((r) => r.id === raw);
      if (!found) return error(422, REPOS_NOT_ACCESSIBLE, TOKEN_DOCS);
      repos.add(found.name.toLowerCase());
    }
  }
  let permissions: Permissions = { ...installation.permissions };
  if (isObject(input.permissions)) {
    permissions = {};
    for (const [name, level] of Object.entries(input.permissions)) {
      const granted = installation.permissions[name];
      if (!granted || (level === "write" && granted !== "write")) return error(422, PERMISSIONS_NOT_GRANTED, TOKEN_DOCS);
      permissions[name] = level === "write" ? "write" : "read";
    }
  }
  const record = app.mint(installation, repos, permissions, ctx.now);
  core.stats.appTokensIssued++;
  const selection = repos !== null || installation.repos !== null ? "selected" : "all";
  const answer: Record<string, unknown> = { token: record.token, expires_at: isoSeconds(record.expiresAt), permissions, repository_selection: selection };
  if (selection === "selected") {
    answer.repositories = known
      .filter((r) => repos === null || repos.has(r.name.toLowerCase()))
      .map((r) => repoJson(core.store.repo(r.owner, r.name, ctx.now), false));
  }
  return json(201, answer);
};

const revokeToken: Handler = (core, ctx) => {
  const record = appOf(core.app).tokens.get(ctx.token);
  if (record) record.revoked = true;
  else if (ctx.tokenKind !== "installation") return error(403, "Resource not accessible by personal access token", DOCS);
  return { status: 204 };
};

export const APP_HANDLERS: Record<string, Handler> = {
  "apps/get-authenticated": getAuthenticated,
  "apps/get-repo-installation": getRepoInstallation,
  "apps/get-org-installation": getOwnerInstallation("org"),
  "apps/get-user-installation": getOwnerInstallation("username"),
  "apps/get-installation": getInstallation,
  "apps/list-installations": listInstallations,
  "apps/delete-installation": deleteInstallation,
  "apps/create-installation-access-token": createAccessToken,
  "apps/revoke-installation-access-token": revokeToken,
};

/** The permission an installation token needs for an operation (null: none checked). */
export function requiredPermission(operationId: string, method: string): { name: string; level: Permission } | null {
  if (operationId.startsWith("issues/")) return { name: "issues", level: method === "GET" || method === "HEAD" ? "read" : "write" };
  if (operationId === "repos/get") return { name: "metadata", level: "read" };
  const write = method !== "GET" && method !== "HEAD";
  if (operationId.startsWith("git/") || operationId === "repos/get-content") return { name: "contents", level: write ? "write" : "read" };
  if (operationId.startsWith("pulls/")) return { name: "pull_requests", level: write ? "write" : "read" };
  if (operationId.startsWith("actions/")) return { name: "actions", level: write ? "write" : "read" };
  if (operationId.startsWith("checks/")) return { name: "checks", level: write ? "write" : "read" };
  return null;
}

export function hasPermission(permissions: Permissions, need: { name: string; level: Permission }): boolean {
  const granted = permissions[need.name];
  return granted === "write" || (granted === "read" && need.level === "read");
}

export function notAccessible(): Result {
  return error(403, NOT_ACCESSIBLE, DOCS);
}
