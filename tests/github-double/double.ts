/**
 * GitHubDouble: a stateful GitHub REST double behind one Fetch-API `handle(request)`.
 *
 * Routing of one request:
 *  1. `/`, `/_double` and `/_double/...` → the control API and HTML overview (control.ts), on any host.
 *  2. A path ending in `/manifest.json` on a host for which `setManifest()` registered a URL → that manifest
 *     (or 404 if that exact URL was not registered). The double knows nothing else about hosts.
 *  3. Everything else is GitHub (a leading `/api/v3` is stripped, GHES style): faults, then route match
 *     against the spec (404), User-Agent (403), auth (401), primary rate limit (403), missing repo (404),
 *     repo outside an installation token's installation (404), installation permission (403), JSON parse
 *     (400), body validation against the spec (422), the operation (or 501), and finally the response is
 *     validated against the spec; a violation is recorded and answered 500.
 *
 * `POST /graphql` (or GHES `/api/graphql`) is not in the spec: after faults, User-Agent, auth and the "graphql"
 * rate limit it goes to graphql.ts (two PR mutations), logged with operationId `graphql/<mutation>`.
 *
 * Auth (app.ts): a bearer shaped like a JWT is the App's JWT (only App endpoints, verified against the
 * key given to configureApp()); a `ghs_` token the double issued is an installation token (bot
 * `${slug}[bot]`, limits per installation, 401 once expired/revoked); any other token (including `ghs_`
 * tokens the double did not issue) is accepted as before.
 */
import { ActionsStore, LOG_PATH } from "./actions.ts";
import type { CheckRunSpec, RunSpec } from "./actions.ts";
import { AppAuth, BAD_CREDENTIALS, JWT_OPERATIONS, JWT_UNDECODABLE, hasPermission, looksLikeJwt, notAccessible, requiredPermission } from "./app.ts";
import { handleGraphql } from "./graphql.ts";
import type { AppConfig, AuthKind, InstallationRecord, InstallationTarget, TokenRecord } from "./app.ts";
import { handleControl } from "./control.ts";
import { Faults } from "./faults.ts";
import type { FaultKind, FaultRule } from "./faults.ts";
import { DOCS, PRIMARY_DOCS, SECONDARY_MESSAGE, SECONDARY_DOCS, error, json, notFound, toResponse, validationFailed } from "./http.ts";
import type { Result } from "./http.ts";
import { HANDLERS, setState } from "./operations.ts";
import { pullJson, setPullState } from "./pulls.ts";
import type { Core, Ctx, DoubleConfig, DoubleStats, TokenKind } from "./operations.ts";
import { RateLimits } from "./ratelimit.ts";
import type { RateLimitState } from "./ratelimit.ts";
import { Router } from "./router.ts";
import { loadSpec } from "./spec.ts";
import type { Operation } from "./spec.ts";
import { BOT_LOGIN, DEV_LOGIN, MAINTAINER_LOGIN, Store, commentJson, issueJson, repoKey, snapshot } from "./state.ts";
import type { IssueRecord, RepoRecord, StateReason, UserRecord } from "./state.ts";
import { describeErrors, requestValidator, responseValidator, schemaValidator, toGitHubErrors } from "./validate.ts";

export interface GitHubDoubleOptions {
  /** Content-creating requests (issues, comments) allowed per token in any 60 s window. Default 80. */
  secondaryLimitPerMinute?: number;
  /** ... and in any 3,600 s window. Default 500. */
  secondaryLimitPerHour?: number;
  /** How far the search index lags behind (ms). Default 10,000; Infinity = search never sees anything. */
  searchLagMs?: number;
  /** Value of `incomplete_results` in search answers. Default false. */
  incompleteResults?: boolean;
  /** Clock (epoch ms). Default Date.now. */
  now?: () => number;
  /** Seed of the PRNG used by faults with a `probability`. Default 1. */
  seed?: number;
  /** Origin of the Actions log host job-log redirects point to. Default: the origin the request came in on. */
  logOrigin?: string;
}

export interface CallEntry {
  at: number;
  method: string;
  /** Path as GitHub sees it (any /api/v3 prefix stripped). */
  path: string;
  query: Record<string, string>;
  /** The spec operation matched, "manifest" for manifest lookups, null when nothing matched. */
  operationId: string | null;
  /** Status answered; 0 when the connection was dropped or the request aborted. */
  status: number;
  /** Parsed JSON body, the raw text if it was not JSON, or null. */
  requestBody: unknown;
  token: string | null;
  /** How the request authenticated: "jwt" (the App's JWT), "installation" (a token the double issued), "token" (any other); null without a token. */
  auth: AuthKind | null;
  /** The installation of an issued installation token. */
  installationId?: number;
  /** "owner/repo" for /repos/{owner}/{repo}/... paths. */
  repo: string | null;
  /** True when the request changed state (a write that succeeded, even if its answer was then lost to a fault). */
  committed: boolean;
  fault: FaultKind | null;
  /** For the Actions log host: the Range header the request carried. */
  range?: string;
}

/** An issue as GitHub renders it, plus its comments (as GitHub renders them) for assertions. */
export type DoubleIssue = Record<string, unknown> & { comments_list: Record<string, unknown>[] };

/** A pull request as GitHub renders it (GET /repos/{o}/{r}/pulls/{n}): number, draft, head.ref, labels, auto_merge... */
export type DoublePull = Record<string, unknown>;

export type ConfigUpdate = Partial<DoubleConfig>;

const USER_AGENT_REQUIRED =
  "Request forbidden by administrative rules. Please make sure your request has a User-Agent header (https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required). Check https://developer.github.com for other possible causes.\n";
const GRAPHQL_AUTH_DOCS = "https://docs.github.com/graphql/guides/forming-calls-with-graphql#authenticating-with-graphql";

function isGraphqlPath(path: string): boolean {
  return path === "/graphql" || path === "/api/graphql";
}

interface Auth {
  kind: AuthKind;
  /** Key of the per-token rate limits: `installation:<id>` for issued tokens, `app:<id>` for JWTs. */
  limitKey: string;
  record?: TokenRecord;
}

function freshStats(): DoubleStats {
  return { requests: 0, secondaryLimitHits: 0, primaryLimitHits: 0, searchLimitHits: 0, faultsTriggered: 0, validationFailures: 0, notImplemented: [], appTokensIssued: 0, jwtRequests: 0 };
}

const DEFAULTS: DoubleConfig = { secondaryLimitPerMinute: 80, secondaryLimitPerHour: 500, searchLagMs: 10_000, incompleteResults: false };

let router: Router | null = null;

/**
 * Operations whose validators `warmUp` compiles: the create of an issue, the first write of every failure, whose
 * cold validation (seconds on a loaded machine) would outlast a test client's timeout. Others compile on first use.
 */
const WARM_OPERATIONS = new Set(["POST /repos/{owner}/{repo}/issues"]);

function getRouter(): Router {
  router ??= new Router(loadSpec().operations);
  return router;
}

function tokenOf(header: string | null): string | null {
  const m = /^\s*(?:token|bearer)\s+(\S+)\s*$/i.exec(header ?? "");
  return m?.[1] ?? null;
}

function tokenKindOf(token: string): TokenKind {
  if (token.startsWith("ghs_")) return "installation";
  if (token.startsWith("ghu_")) return "user-to-server";
  return "personal";
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function sleep(ms: number, signal: AbortSignal | null): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason ?? new Error("aborted"));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason ?? new Error("aborted"));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

function rateLimitHeaders(state: RateLimitState): Record<string, string> {
  return {
    "x-ratelimit-limit": String(state.limit),
    "x-ratelimit-remaining": String(state.remaining),
    "x-ratelimit-reset": String(state.reset),
    "x-ratelimit-used": String(state.used),
    "x-ratelimit-resource": state.resource,
  };
}

function withHeaders(result: Result, headers: Record<string, string>): Result {
  return { ...result, headers: { ...headers, ...result.headers } };
}

export class GitHubDouble {
  readonly calls: CallEntry[] = [];
  readonly violations: string[] = [];
  readonly stats: DoubleStats = freshStats();
  readonly config: DoubleConfig;
  private readonly initialConfig: DoubleConfig;
  private readonly now: () => number;
  private readonly faults: Faults;
  private readonly limits = new RateLimits();
  private readonly missing = new Set<string>();
  private readonly manifests = new Map<string, unknown>();
  private readonly app = new AppAuth();
  private store = new Store();
  private actions = new ActionsStore();
  private readonly logOrigin: string | undefined;
  private requestSeq = 0;

  constructor(options: GitHubDoubleOptions = {}) {
    this.initialConfig = {
      secondaryLimitPerMinute: options.secondaryLimitPerMinute ?? DEFAULTS.secondaryLimitPerMinute,
      secondaryLimitPerHour: options.secondaryLimitPerHour ?? DEFAULTS.secondaryLimitPerHour,
      searchLagMs: options.searchLagMs ?? DEFAULTS.searchLagMs,
      incompleteResults: options.incompleteResults ?? DEFAULTS.incompleteResults,
    };
    this.config = { ...this.initialConfig };
    this.now = options.now ?? Date.now;
    this.faults = new Faults(options.seed ?? 1);
    this.logOrigin = options.logOrigin;
  }

  /** Loads the spec, builds the router and compiles the issue create's validators now instead of on the first request (optional). */
  warmUp(): void {
    getRouter();
    for (const operation of loadSpec().operations) {
      if (!WARM_OPERATIONS.has(`${operation.method} ${operation.template}`)) continue;
      requestValidator(operation);
      for (const status of operation.responses.keys()) if (status.startsWith("2")) responseValidator(operation, Number(status));
    }
  }

  // ---------------------------------------------------------------- test hooks

  /** Issues of "owner/repo" as GitHub renders them now, each with `comments_list` (pull requests are in pulls()). */
  issues(repo: string): DoubleIssue[] {
    const record = this.store.findRepo(repo);
    if (!record) return [];
    return record.issues.filter((issue) => !issue.pull).map((issue) => this.renderIssue(record, issue));
  }

  private renderIssue(record: RepoRecord, issue: IssueRecord): DoubleIssue {
    return { ...issueJson(record, issue), comments_list: issue.comments.map((c) => commentJson(record, issue, c)) };
  }

  /** Pull requests of "owner/repo" as GitHub renders them now (number, state, draft, head.ref, labels, auto_merge...). */
  pulls(repo: string): DoublePull[] {
    const record = this.store.findRepo(repo);
    if (!record) return [];
    const viewer = this.store.user(DEV_LOGIN);
    return record.issues.flatMap((issue) => (issue.pull ? [pullJson(record, issue, issue.pull, viewer)] : []));
  }

  /** Git refs of "owner/repo" sorted by name ([{ref: "refs/heads/main", sha}, ...]); a repo not seen yet has only main. */
  refs(repo: string): { ref: string; sha: string }[] {
    const record = this.repoRecord(repo);
    return [...record.git.refs.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([ref, sha]) => ({ ref, sha }));
  }

  /** The UTF-8 text of `path` in the tree at `ref` (branch, tag, full ref or commit sha), or null when absent. */
  fileAt(repo: string, ref: string, path: string): string | null {
    const git = this.repoRecord(repo).git;
    const sha = git.resolve(ref);
    const commit = sha ? git.commit(sha) : undefined;
    const entry = commit ? git.entryAt(commit.tree, path) : null;
    const blob = entry?.type === "blob" ? git.blob(entry.sha) : undefined;
    return blob ? new TextDecoder().decode(blob.content) : null;
  }

  /** The repository setting "Allow auto-merge" (GET /repos/{o}/{r} → allow_auto_merge; default false). */
  setAllowAutoMerge(repo: string, allow: boolean): void {
    this.repoRecord(repo).allowAutoMerge = allow;
  }

  /** The repository's website (GET /repos/{o}/{r} → homepage; null: none). */
  setHomepage(repo: string, homepage: string | null): void {
    this.repoRecord(repo).homepage = homepage;
  }

  /** Commits `content` at `path` on the repo's default branch (a push by its owner), e.g. a plugin's manifest.json. */
  putFile(repo: string, path: string, content: string): void {
    const record = this.repoRecord(repo);
    const git = record.git;
    const ref = `refs/heads/${record.defaultBranch}`;
    const parent = git.refs.get(ref);
    const parentCommit = parent ? git.commit(parent) : undefined;
    const files = parentCommit ? git.flatten(parentCommit.tree) : new Map();
    files.set(path.replace(/^\/+/, ""), { mode: "100644", type: "blob", sha: git.putBlob(new TextEncoder().encode(content)).sha });
    const person = { name: record.owner, email: `${record.owner}@users.noreply.github.com`, date: this.now() };
    const commit = git.putCommit({ tree: git.writeFlat(files), parents: parent ? [parent] : [], message: `Update ${path}`, author: person, committer: person });
    git.refs.set(ref, commit.sha);
  }

  private repoRecord(repo: string): RepoRecord {
    const slash = repo.indexOf("/");
    if (slash <= 0 || slash === repo.length - 1) throw new Error(`github-double: repo must be "owner/name", got "${repo}"`);
    return this.store.findRepo(repo) ?? this.store.repo(repo.slice(0, slash), repo.slice(slash + 1), this.now());
  }

  /** Every repo the double has seen, as "owner/repo". */
  repos(): string[] {
    return [...this.store.repos.values()].map((r) => `${r.owner}/${r.name}`);
  }

  /** Calls that changed state (method other than GET), optionally only those under /repos/owner/repo. */
  writes(repo?: string): CallEntry[] {
    return this.calls.filter((c) => c.method !== "GET" && c.committed && (repo === undefined || (c.repo !== null && repoKey(c.repo) === repoKey(repo))));
  }

  /** From now on "owner/repo" answers 404 to everything (like a repo that does not exist or lacks the App). */
  markMissing(repo: string, missing = true): void {
    if (missing) this.missing.add(repoKey(repo));
    else this.missing.delete(repoKey(repo));
  }

  /** A maintainer closes the issue on GitHub (reason default "completed"). */
  closeIssue(repo: string, number: number, reason: Exclude<StateReason, "reopened"> = "completed"): DoubleIssue {
    return this.changeState(repo, number, "closed", reason);
  }

  /** A maintainer reopens the issue on GitHub. */
  reopenIssue(repo: string, number: number): DoubleIssue {
    return this.changeState(repo, number, "open", "reopened");
  }

  private changeState(repo: string, number: number, state: "open" | "closed", reason: StateReason): DoubleIssue {
    const found = this.findIssue(repo, number);
    if (!found) throw new Error(`github-double: no issue ${repo}#${number}`);
    const now = this.now();
    const maintainer = this.store.user(MAINTAINER_LOGIN);
    if (found.issue.pull) setPullState(found.issue, found.issue.pull, state, maintainer, now);
    else setState(found.issue, state, reason, maintainer, now);
    found.issue.updatedAt = now;
    snapshot(found.repo, found.issue, now);
    return this.renderIssue(found.repo, found.issue);
  }

  private findIssue(repo: string, number: number): { repo: RepoRecord; issue: IssueRecord } | null {
    const record = this.store.findRepo(repo);
    const issue = record?.issues.find((i) => i.number === number);
    return record && issue ? { repo: record, issue } : null;
  }

  /** A workflow run with its jobs, steps, annotations and logs (GitHub then serves them); returns the jobs as GitHub renders them. */
  addWorkflowRun(spec: RunSpec): Record<string, unknown>[] {
    return this.actions.addRun(spec, this.now());
  }

  /** A check run with its output and annotations (outside Actions: no jobs, no log). */
  addCheckRun(spec: CheckRunSpec): Record<string, unknown> {
    return this.actions.addCheckRun(spec, this.now());
  }

  addFault(rule: FaultRule): void {
    this.faults.add(rule);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  listFaults(): FaultRule[] {
    return this.faults.list();
  }

  configure(update: ConfigUpdate): DoubleConfig {
    if (update.secondaryLimitPerMinute !== undefined) this.config.secondaryLimitPerMinute = update.secondaryLimitPerMinute;
    if (update.secondaryLimitPerHour !== undefined) this.config.secondaryLimitPerHour = update.secondaryLimitPerHour;
    if (update.searchLagMs !== undefined) this.config.searchLagMs = update.searchLagMs;
    if (update.incompleteResults !== undefined) this.config.incompleteResults = update.incompleteResults;
    return { ...this.config };
  }

  /** Registers (or, with `undefined`, removes) the JSON answered for GET `url` (a plugin manifest). */
  setManifest(url: string, manifest: unknown): void {
    const key = new URL(url);
    const id = `${key.host}${key.pathname}`;
    if (manifest === undefined) this.manifests.delete(id);
    else this.manifests.set(id, manifest);
  }

  // ---------------------------------------------------------------- GitHub App

  /** Configures the GitHub App: JWTs must be RS256-signed by the private half of `publicKeyPem` with `iss` = appId. */
  configureApp(config: AppConfig): void {
    this.app.configure(config, this.now());
  }

  /** Installs the App on `target.owner` (all its repos, or only `target.repos`). Replaces an installation with that id. */
  installApp(installationId: number, target: InstallationTarget): void {
    this.app.install(installationId, target, this.now());
  }

  /** Removes the installation; its tokens answer 401 Bad credentials from now on. False if there was none. */
  uninstallApp(installationId: number): boolean {
    return this.app.uninstall(installationId);
  }

  /** Every installation token issued so far is expired now (401 Bad credentials); returns how many there are. */
  expireInstallationTokens(): number {
    return this.app.expireTokens(this.now());
  }

  /** The installations, as GitHub renders them (GET /app/installations). */
  appInstallations(): Record<string, unknown>[] {
    return [...this.app.installations.values()].map((i) => this.app.installationJson(i));
  }

  /** Whether the App is configured, and its id and slug. */
  appInfo(): { appId: number; slug: string; botLogin: string } | null {
    return this.app.config ? { appId: this.app.config.appId, slug: this.app.slug, botLogin: this.app.botLogin } : null;
  }

  /**
   * Forgets all GitHub state, calls, faults, violations, stats, missing repos and config changes. Manifests,
   * the App configuration, its installations and the tokens issued stay (set-up, like manifests; a client
   * may hold a token across tests).
   */
  reset(): void {
    this.store = new Store();
    this.actions = new ActionsStore();
    this.calls.length = 0;
    this.violations.length = 0;
    this.faults.clear();
    this.limits.reset();
    this.missing.clear();
    Object.assign(this.config, this.initialConfig);
    Object.assign(this.stats, freshStats());
  }

  // ---------------------------------------------------------------- the Fetch handler

  async handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/" || url.pathname === "/_double" || url.pathname.startsWith("/_double/")) return handleControl(this, request, url);
    if (this.isManifestRequest(url)) return this.manifest(request, url);
    if (url.pathname.startsWith(LOG_PATH)) return this.logHost(request, url);

    const method = request.method.toUpperCase();
    let path = url.pathname;
    if (path === "/api/v3" || path.startsWith("/api/v3/")) path = path.slice("/api/v3".length) || "/";
    const rawBody = method === "GET" || method === "HEAD" ? "" : await request.text();
    const token = tokenOf(request.headers.get("authorization"));
    const repoMatch = /^\/repos\/([^/]+)\/([^/]+)/.exec(path);
    const repo = repoMatch ? `${decode(repoMatch[1] ?? "")}/${decode(repoMatch[2] ?? "")}` : null;
    const now = this.now();
    const entry: CallEntry = {
      at: now,
      method,
      path,
      query: Object.fromEntries(url.searchParams),
      operationId: null,
      status: 0,
      requestBody: parseLoose(rawBody),
      token,
      auth: null,
      repo,
      committed: false,
      fault: null,
    };
    const auth = this.authOf(token);
    if (auth) entry.auth = auth.kind;
    if (auth?.record) entry.installationId = auth.record.installationId;
    this.calls.push(entry);
    this.stats.requests++;
    if (auth?.kind === "jwt") this.stats.jwtRequests++;

    const graphql = isGraphqlPath(path);
    const resource = path.startsWith("/search/") ? "search" : graphql ? "graphql" : "core";
    const rate = auth ? this.limits.consume(auth.limitKey, resource, now) : this.limits.consume("(anonymous)", "core", now, 60);
    const common = { ...rateLimitHeaders(rate), "x-github-request-id": `D0B1:${(++this.requestSeq).toString(16).toUpperCase()}`, "x-github-api-version-selected": "2022-11-28" };

    const fault = this.faults.take(method, path, repo);
    if (fault) {
      this.stats.faultsTriggered++;
      entry.fault = fault.kind;
      if (fault.kind === "drop") throw new TypeError("connection dropped");
      if (fault.kind === "hang") await sleep(fault.hangMs ?? 30_000, request.signal);
      const immediate = this.faultAnswer(fault, rate);
      if (immediate) {
        entry.status = immediate.status;
        return toResponse(withHeaders(immediate, common));
      }
    }

    const result = withHeaders(this.process(request, url, method, path, rawBody, token, auth, rate, entry), common);
    entry.status = result.status;
    // GraphQL answers 200 even when a mutation is refused: graphql() set `committed` itself.
    if (!graphql) entry.committed = method !== "GET" && method !== "HEAD" && result.status >= 200 && result.status < 300;
    if (fault?.kind === "commit_then_drop") {
      entry.status = 0;
      throw new TypeError("connection dropped");
    }
    if (fault?.kind === "commit_then_status") {
      const status = fault.status ?? 502;
      entry.status = status;
      return toResponse(withHeaders(error(status, status >= 500 ? "Server Error" : "Fault injected by github-double"), common));
    }
    return toResponse(result);
  }

  private faultAnswer(fault: FaultRule, rate: RateLimitState): Result | null {
    switch (fault.kind) {
      case "status": {
        const status = fault.status ?? 500;
        const headers: Record<string, string> = fault.retryAfterSeconds !== undefined ? { "retry-after": String(fault.retryAfterSeconds) } : {};
        return error(status, status >= 500 ? "Server Error" : "Fault injected by github-double", DOCS, headers);
      }
      case "secondary_limit":
        this.stats.secondaryLimitHits++;
        return error(403, SECONDARY_MESSAGE, SECONDARY_DOCS, { "retry-after": String(fault.retryAfterSeconds ?? 60) });
      case "primary_limit": {
        this.stats.primaryLimitHits++;
        const reset = Math.floor(this.now() / 1000) + (fault.resetInSeconds ?? 60);
        return error(fault.status ?? 403, "API rate limit exceeded for user ID 900001.", PRIMARY_DOCS, {
          ...rateLimitHeaders({ ...rate, remaining: 0, used: rate.limit, reset }),
        });
      }
      default:
        return null;
    }
  }

  private authOf(token: string | null): Auth | null {
    if (!token) return null;
    if (looksLikeJwt(token)) return { kind: "jwt", limitKey: this.app.config ? `app:${this.app.config.appId}` : token };
    const record = this.app.tokens.get(token);
    if (record) return { kind: "installation", limitKey: `installation:${record.installationId}`, record };
    return { kind: "token", limitKey: token };
  }

  private process(request: Request, url: URL, method: string, path: string, rawBody: string, token: string | null, auth: Auth | null, rate: RateLimitState, entry: CallEntry): Result {
    if (isGraphqlPath(path)) return this.graphql(request, method, rawBody, token, auth, rate, entry);
    const match = getRouter().match(method, path);
    if (!match) return notFound();
    const operation = match.operation;
    entry.operationId = operation.operationId;

    if (!request.headers.get("user-agent")) return { status: 403, text: USER_AGENT_REQUIRED };
    if (!token || !auth) return this.checked(operation, error(401, "Requires authentication", DOCS));
    const now = this.now();
    if (auth.kind === "jwt") {
      if (!JWT_OPERATIONS.has(operation.operationId)) return this.checked(operation, error(401, BAD_CREDENTIALS, DOCS));
      const problem = this.app.verifyJwt(token, now);
      if (problem) return this.checked(operation, error(401, problem, DOCS));
    } else if (JWT_OPERATIONS.has(operation.operationId)) {
      return this.checked(operation, error(401, JWT_UNDECODABLE, DOCS));
    }
    let installation: InstallationRecord | null = null;
    if (auth.record) {
      installation = this.app.usable(auth.record, now);
      if (!installation) return this.checked(operation, error(401, BAD_CREDENTIALS, DOCS));
    }
    if (rate.exceeded) {
      if (rate.resource === "search") this.stats.searchLimitHits++;
      else this.stats.primaryLimitHits++;
      return this.checked(operation, error(403, "API rate limit exceeded for user ID 900001. If you reach out to GitHub Support for help, please include the request ID.", PRIMARY_DOCS));
    }
    if (match.params.owner !== undefined && match.params.repo !== undefined && this.missing.has(repoKey(`${match.params.owner}/${match.params.repo}`))) {
      return notFound();
    }
    if (installation && auth.record) {
      const { owner, repo } = match.params;
      if (owner !== undefined && repo !== undefined && !this.app.tokenCovers(auth.record, installation, owner, repo)) return notFound();
      const need = requiredPermission(operation.operationId, method);
      if (need && !hasPermission(auth.record.permissions, need)) return this.checked(operation, notAccessible());
    }

    let body: unknown;
    if (rawBody.trim() !== "") {
      try {
        body = JSON.parse(rawBody);
      } catch {
        return error(400, "Problems parsing JSON", DOCS);
      }
    }
    const validate = requestValidator(operation);
    if (validate) {
      if (body === undefined && operation.requestRequired) {
        this.stats.validationFailures++;
        return this.checked(operation, validationFailed([{ resource: resourceOf(operation.operationId), field: "body", code: "missing_field" }]));
      }
      if (body !== undefined && !validate(body)) {
        this.stats.validationFailures++;
        return this.checked(operation, validationFailed(toGitHubErrors(validate.errors, resourceOf(operation.operationId))));
      }
    }

    const handler = HANDLERS[operation.operationId];
    if (!handler) {
      if (!this.stats.notImplemented.includes(operation.operationId)) this.stats.notImplemented.push(operation.operationId);
      return error(501, `github-double: ${operation.operationId} (${operation.method} ${operation.template}) is not implemented`, DOCS);
    }
    const kind = tokenKindOf(token);
    const user = this.actor(token, auth);
    const core: Core = { store: this.store, config: this.config, limits: this.limits, stats: this.stats, app: this.app, actions: this.actions, ...(this.logOrigin ? { logOrigin: this.logOrigin } : {}) };
    const ctx: Ctx = { url, params: match.params, body, token, tokenKind: kind, user, now: this.now(), auth: auth.kind, limitKey: auth.limitKey };
    if (installation) ctx.installationId = installation.id;
    const accept = request.headers.get("accept");
    if (accept !== null) ctx.accept = accept;
    const result = handler(core, ctx);
    if (result.status === 422) this.stats.validationFailures++;
    return this.checked(operation, result);
  }

  /** Who acts for this token: the App's bot for its JWT and installation tokens, the bot for other ghs_ tokens, else the dev user. */
  private actor(token: string, auth: Auth): UserRecord {
    const kind = tokenKindOf(token);
    const login = auth.kind === "installation" || auth.kind === "jwt" ? this.app.botLogin : kind === "installation" ? BOT_LOGIN : DEV_LOGIN;
    return this.store.user(login);
  }

  /** POST /graphql: auth and limits like REST (GraphQL style where GitHub answers so), then graphql.ts. */
  private graphql(request: Request, method: string, rawBody: string, token: string | null, auth: Auth | null, rate: RateLimitState, entry: CallEntry): Result {
    if (method !== "POST") return notFound();
    entry.operationId = "graphql";
    if (!request.headers.get("user-agent")) return { status: 403, text: USER_AGENT_REQUIRED };
    if (!token || !auth) return error(401, "This endpoint requires you to be authenticated.", GRAPHQL_AUTH_DOCS);
    const now = this.now();
    if (auth.kind === "jwt") return error(401, BAD_CREDENTIALS, DOCS);
    const record = auth.record;
    let installation: InstallationRecord | null = null;
    if (record) {
      installation = this.app.usable(record, now);
      if (!installation) return error(401, BAD_CREDENTIALS, DOCS);
    }
    if (rate.exceeded) {
      this.stats.primaryLimitHits++;
      return json(200, { errors: [{ type: "RATE_LIMITED", message: "API rate limit exceeded for user ID 900001." }] });
    }
    let body: unknown;
    try {
      body = JSON.parse(rawBody);
    } catch {
      return error(400, "Problems parsing JSON", DOCS);
    }
    const core: Core = { store: this.store, config: this.config, limits: this.limits, stats: this.stats, app: this.app };
    const outcome = handleGraphql(core, {
      body,
      user: this.actor(token, auth),
      now,
      limitKey: auth.limitKey,
      visible: (repo) =>
        !this.missing.has(repoKey(`${repo.owner}/${repo.name}`)) && (!installation || !record || this.app.tokenCovers(record, installation, repo.owner, repo.name)),
      mayWritePulls: !record || hasPermission(record.permissions, { name: "pull_requests", level: "write" }),
    });
    entry.operationId = outcome.operationId;
    entry.repo = outcome.repo;
    entry.committed = outcome.committed;
    return outcome.result;
  }

  /** Validates an answer the double produced against the spec; a violation is recorded and answered 500. */
  private checked(operation: Operation, result: Result): Result {
    if (result.body === undefined) return result;
    let validate = responseValidator(operation, result.status);
    if (!validate && result.status === 422) validate = schemaValidator("validation-error");
    if (!validate || validate(result.body)) return result;
    // Some 422s are `oneOf [validation-error, repository-rule-violation-error]`, which no body with a message and a
    // documentation_url can satisfy (it matches both): GitHub's validation-error shape is what such a 422 means.
    if (result.status === 422 && schemaValidator("validation-error")(result.body)) return result;
    const message = `${operation.operationId} ${result.status}: ${describeErrors(validate.errors)}`;
    this.violations.push(message);
    return error(500, `github-double: response violates the spec: ${message}`, DOCS);
  }

  // ---------------------------------------------------------------- the Actions log host

  /** The host job-log redirects point to: no GitHub auth, a signed URL, faults as for GitHub. */
  private async logHost(request: Request, url: URL): Promise<Response> {
    const method = request.method.toUpperCase();
    const repoPart = /^\/_actions-logs\/([^/]+)\//.exec(url.pathname)?.[1];
    const entry: CallEntry = {
      at: this.now(),
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      operationId: "actions-log",
      status: 0,
      requestBody: null,
      token: tokenOf(request.headers.get("authorization")),
      auth: null,
      repo: repoPart ? decode(repoPart) : null,
      committed: false,
      fault: null,
    };
    const range = request.headers.get("range");
    if (range !== null) entry.range = range;
    this.calls.push(entry);
    const fault = this.faults.take(method, url.pathname, entry.repo);
    if (fault) {
      this.stats.faultsTriggered++;
      entry.fault = fault.kind;
      if (fault.kind === "drop") throw new TypeError("connection dropped");
      if (fault.kind === "hang") await sleep(fault.hangMs ?? 30_000, request.signal);
      if (fault.kind === "status") {
        entry.status = fault.status ?? 500;
        return toResponse({ status: entry.status, text: "Server Error" });
      }
    }
    const result = method === "GET" ? this.actions.serveLog(url, request.headers, this.now(), this.violations) : { status: 405, text: "Method Not Allowed" };
    entry.status = result.status;
    return toResponse(result);
  }

  // ---------------------------------------------------------------- manifests

  private isManifestRequest(url: URL): boolean {
    if (!url.pathname.endsWith("/manifest.json")) return false;
    for (const id of this.manifests.keys()) if (id.startsWith(`${url.host}/`)) return true;
    return false;
  }

  private manifest(request: Request, url: URL): Response {
    const found = this.manifests.has(`${url.host}${url.pathname}`);
    const status = request.method.toUpperCase() !== "GET" && request.method.toUpperCase() !== "HEAD" ? 405 : found ? 200 : 404;
    this.calls.push({
      at: this.now(),
      method: request.method.toUpperCase(),
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      operationId: "manifest",
      status,
      requestBody: null,
      token: tokenOf(request.headers.get("authorization")),
      auth: this.authOf(tokenOf(request.headers.get("authorization")))?.kind ?? null,
      repo: null,
      committed: false,
      fault: null,
    });
    if (status === 200) return toResponse(json(200, this.manifests.get(`${url.host}${url.pathname}`)));
    return toResponse({ status, text: status === 404 ? "404: Not Found" : "Method Not Allowed" });
  }
}

function parseLoose(raw: string): unknown {
  if (raw.trim() === "") return null;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

function resourceOf(operationId: string): string {
  if (operationId.includes("comment")) return "IssueComment";
  if (operationId.startsWith("issues/")) return "Issue";
  if (operationId.startsWith("search/")) return "Search";
  return operationId.split("/")[0] ?? "Resource";
}
