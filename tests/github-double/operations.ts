/**
 * The operations the double implements, keyed by the spec's operationId. Each gets a request that already
 * matched its route, passed auth and rate limits, and whose JSON body validated against the spec.
 */
import { ACTIONS_HANDLERS } from "./actions.ts";
import type { ActionsStore } from "./actions.ts";
import { APP_HANDLERS } from "./app.ts";
import type { AppAuth, AuthKind } from "./app.ts";
import { clampInt, error, json, notFound, paginate, secondaryLimit, validationFailed } from "./http.ts";
import type { Result } from "./http.ts";
import type { RateLimits } from "./ratelimit.ts";
import { creationAllowed, requestBody } from "./handler-kit.ts";
import { PULL_HANDLERS } from "./pulls.ts";
import { matchesSearch, parseSearchQuery } from "./search.ts";
import type { Searchable } from "./search.ts";
import { commentJson, fileIssue, issueJson, labelJson, privateUserJson, repoJson, snapshot } from "./state.ts";
import type { IssueRecord, LabelRecord, RepoRecord, Store, UserRecord } from "./state.ts";
import { isObject } from "./spec.ts";
import type { ValidationErrorItem } from "./validate.ts";

export interface DoubleConfig {
  secondaryLimitPerMinute: number;
  secondaryLimitPerHour: number;
  searchLagMs: number;
  incompleteResults: boolean;
}

export interface DoubleStats {
  requests: number;
  secondaryLimitHits: number;
  primaryLimitHits: number;
  searchLimitHits: number;
  faultsTriggered: number;
  validationFailures: number;
  notImplemented: string[];
  /** Installation access tokens minted (POST /app/installations/{id}/access_tokens → 201). */
  appTokensIssued: number;
  /** GitHub requests that carried a JWT (valid or not). */
  jwtRequests: number;
}

export type TokenKind = "installation" | "user-to-server" | "personal";

export interface Core {
  store: Store;
  config: DoubleConfig;
  limits: RateLimits;
  stats: DoubleStats;
  /** GitHub App state (configuration, installations, issued tokens). */
  app?: AppAuth;
  /** Workflow runs, jobs, annotations and logs (actions.ts). */
  actions?: ActionsStore;
  /** Origin of the log host the job-log redirect points to (default: the request's own origin). */
  logOrigin?: string;
}

export interface Ctx {
  url: URL;
  params: Record<string, string>;
  body: unknown;
  token: string;
  tokenKind: TokenKind;
  user: UserRecord;
  now: number;
  /** How the request authenticated ("installation" = a token the double issued). */
  auth?: AuthKind;
  /** The installation of an issued installation token. */
  installationId?: number;
  /** Key of per-token limits (secondary limit): `installation:<id>` for issued tokens, else the token. */
  limitKey?: string;
  /** The request's Accept header. */
  accept?: string;
}

export type Handler = (core: Core, ctx: Ctx) => Result;

const MAX_BODY = 65536;
const MAX_TITLE = 256;
const MAX_LABEL = 50;

function repoOf(core: Core, ctx: Ctx): RepoRecord {
  return core.store.repo(ctx.params.owner ?? "", ctx.params.repo ?? "", ctx.now);
}

function issueOf(core: Core, ctx: Ctx): { repo: RepoRecord; issue: IssueRecord } | null {
  const repo = repoOf(core, ctx);
  const raw = ctx.params.issue_number ?? "";
  if (!/^\d+$/.test(raw)) return null;
  const issue = repo.issues.find((i) => i.number === Number(raw));
  return issue ? { repo, issue } : null;
}

function checkBody(resource: string, value: unknown, errors: ValidationErrorItem[]): void {
  if (typeof value === "string" && value.length > MAX_BODY) {
    errors.push({ resource, code: "custom", field: "body", message: `body is too long (maximum is ${MAX_BODY} characters)` });
  }
}

/** Label names from `labels` (strings or objects with a name); errors for names GitHub refuses. */
function labelsFrom(core: Core, repo: RepoRecord, raw: unknown, errors: ValidationErrorItem[]): (() => LabelRecord[]) | null {
  if (!Array.isArray(raw)) return null;
  const wanted: { name: string; color: string | null; description: string | null }[] = [];
  for (const item of raw) {
    if (typeof item === "string") wanted.push({ name: item, color: null, description: null });
    else if (isObject(item) && typeof item.name === "string") {
      wanted.push({
        name: item.name,
        color: typeof item.color === "string" ? item.color : null,
        description: typeof item.description === "string" ? item.description : null,
      });
    } else if (isObject(item) && typeof item.id === "number") {
      const found = [...repo.labels.values()].find((l) => l.id === item.id);
      if (found) wanted.push({ name: found.name, color: null, description: null });
      else errors.push({ resource: "Label", code: "invalid", field: "id", message: `Label ${item.id} does not exist` });
    } else errors.push({ resource: "Label", code: "missing_field", field: "name" });
  }
  for (const w of wanted) {
    if (w.name.trim() === "") errors.push({ resource: "Label", code: "missing_field", field: "name" });
    else if (w.name.length > MAX_LABEL) errors.push({ resource: "Label", code: "custom", field: "name", message: `name is too long (maximum is ${MAX_LABEL} characters)` });
  }
  // Created only once the whole request is known to succeed.
  return () => {
    const out: LabelRecord[] = [];
    for (const w of wanted) {
      const label = core.store.label(repo, w.name.trim(), w.color, w.description);
      if (!out.includes(label)) out.push(label);
    }
    return out;
  };
}

function assigneesFrom(core: Core, raw: unknown, single: unknown): UserRecord[] | null {
  const logins: string[] = [];
  if (Array.isArray(raw)) {
    for (const a of raw) {
      if (typeof a === "string") logins.push(a);
      else if (isObject(a) && typeof a.login === "string") logins.push(a.login);
    }
  } else if (typeof single === "string") logins.push(single);
  else if (raw === undefined && single === undefined) return null;
  return [...new Set(logins.filter((l) => l !== ""))].map((l) => core.store.user(l));
}

function titleErrors(title: unknown, errors: ValidationErrorItem[]): string | null {
  if (title === undefined || title === null) return null;
  const text = String(title);
  if (text.trim() === "") errors.push({ resource: "Issue", code: "missing_field", field: "title" });
  else if (text.length > MAX_TITLE) errors.push({ resource: "Issue", code: "custom", field: "title", message: `title is too long (maximum is ${MAX_TITLE} characters)` });
  return text;
}

function milestoneErrors(milestone: unknown, errors: ValidationErrorItem[]): void {
  // The double has no milestones: any milestone is one GitHub would not find.
  if (milestone !== undefined && milestone !== null) errors.push({ resource: "Issue", code: "invalid", field: "milestone", message: `milestone ${String(milestone)} does not exist` });
}

const getRepo: Handler = (core, ctx) => json(200, repoJson(repoOf(core, ctx), ctx.user.login.toLowerCase() === (ctx.params.owner ?? "").toLowerCase()));

const createIssue: Handler = (core, ctx) => {
  const input = requestBody(ctx);
  const repo = repoOf(core, ctx);
  const errors: ValidationErrorItem[] = [];
  const title = titleErrors(input.title, errors);
  if (title === null) errors.push({ resource: "Issue", code: "missing_field", field: "title" });
  checkBody("Issue", input.body, errors);
  const labels = labelsFrom(core, repo, input.labels, errors);
  milestoneErrors(input.milestone, errors);
  if (errors.length > 0) return validationFailed(errors, "https://docs.github.com/rest/issues/issues#create-an-issue");
  if (!creationAllowed(core, ctx)) return secondaryLimit(60);
  const issue = fileIssue(repo, core.store.id(), {
    title: title ?? "",
    body: typeof input.body === "string" ? input.body : null,
    user: ctx.user,
    labels: labels ? labels() : [],
    assignees: assigneesFrom(core, input.assignees, input.assignee) ?? [],
    at: ctx.now,
  });
  const rendered = issueJson(repo, issue);
  return json(201, rendered, { location: String(rendered.url) });
};

const getIssue: Handler = (core, ctx) => {
  const found = issueOf(core, ctx);
  return found ? json(200, issueJson(found.repo, found.issue)) : notFound();
};

/** Closes or reopens like GitHub: closing sets closed_at and a reason (default completed); reopening sets "reopened". */
export function setState(issue: IssueRecord, state: "open" | "closed", reason: unknown, by: UserRecord, now: number): void {
  if (state === issue.state) return;
  issue.state = state;
  if (state === "closed") {
    issue.closedAt = now;
    issue.closedBy = by;
    issue.stateReason = reason === "not_planned" || reason === "duplicate" || reason === "completed" ? reason : "completed";
  } else {
    issue.closedAt = null;
    issue.closedBy = null;
    issue.stateReason = "reopened";
  }
}

const updateIssue: Handler = (core, ctx) => {
  const found = issueOf(core, ctx);
  if (!found) return notFound();
  const { repo, issue } = found;
  const input = requestBody(ctx);
  const errors: ValidationErrorItem[] = [];
  const title = titleErrors(input.title, errors);
  checkBody("Issue", input.body, errors);
  const labels = labelsFrom(core, repo, input.labels, errors);
  milestoneErrors(input.milestone, errors);
  if (errors.length > 0) return validationFailed(errors, "https://docs.github.com/rest/issues/issues#update-an-issue");
  if (title !== null) issue.title = title;
  if (input.body !== undefined) issue.body = typeof input.body === "string" ? input.body : null;
  if (labels) issue.labels = labels();
  const assignees = assigneesFrom(core, input.assignees, input.assignee);
  if (assignees) issue.assignees = assignees;
  if (input.state === "open" || input.state === "closed") setState(issue, input.state, input.state_reason, ctx.user, ctx.now);
  if (Object.keys(input).length > 0) {
    issue.updatedAt = ctx.now;
    snapshot(repo, issue, ctx.now);
  }
  return json(200, issueJson(repo, issue));
};

function sinceOf(url: URL): number | null | "invalid" {
  const raw = url.searchParams.get("since");
  if (raw === null || raw === "") return null;
  const ms = Date.parse(raw);
  return Number.isNaN(ms) ? "invalid" : ms;
}

const UNSUPPORTED_LIST_PARAMS = ["milestone", "type", "mentioned", "issue_field_values"];

const listIssues: Handler = (core, ctx) => {
  const q = ctx.url.searchParams;
  for (const name of UNSUPPORTED_LIST_PARAMS) {
    if (q.has(name)) return error(501, `github-double: query parameter "${name}" of issues/list-for-repo is not implemented`);
  }
  const state = q.get("state") ?? "open";
  const sort = q.get("sort") ?? "created";
  const direction = q.get("direction") ?? "desc";
  const since = sinceOf(ctx.url);
  const errors: ValidationErrorItem[] = [];
  if (!["open", "closed", "all"].includes(state)) errors.push({ resource: "Issue", code: "invalid", field: "state" });
  if (!["created", "updated", "comments"].includes(sort)) errors.push({ resource: "Issue", code: "invalid", field: "sort" });
  if (!["asc", "desc"].includes(direction)) errors.push({ resource: "Issue", code: "invalid", field: "direction" });
  if (since === "invalid") errors.push({ resource: "Issue", code: "invalid", field: "since" });
  if (errors.length > 0) return validationFailed(errors);
  const labels = (q.get("labels") ?? "")
    .split(",")
    .map((l) => l.trim().toLowerCase())
    .filter((l) => l !== "");
  const creator = q.get("creator")?.toLowerCase();
  const assignee = q.get("assignee");
  const repo = repoOf(core, ctx);
  const key = (i: IssueRecord) => (sort === "updated" ? i.updatedAt : sort === "comments" ? i.comments.length : i.createdAt);
  const sign = direction === "asc" ? 1 : -1;
  const matching = repo.issues
    .filter((i) => state === "all" || i.state === state)
    .filter((i) => labels.every((l) => i.labels.some((x) => x.name.toLowerCase() === l)))
    .filter((i) => creator === undefined || i.user.login.toLowerCase() === creator)
    .filter((i) => {
      if (assignee === null) return true;
      if (assignee === "none") return i.assignees.length === 0;
      if (assignee === "*") return i.assignees.length > 0;
      return i.assignees.some((a) => a.login.toLowerCase() === assignee.toLowerCase());
    })
    .filter((i) => typeof since !== "number" || Math.floor(i.updatedAt / 1000) * 1000 >= since)
    .sort((a, b) => sign * (key(a) - key(b)) || sign * (a.number - b.number));
  const { page, link } = paginate(matching, ctx.url);
  return json(
    200,
    page.map((i) => issueJson(repo, i)),
    link ? { link } : undefined,
  );
};

const createComment: Handler = (core, ctx) => {
  const found = issueOf(core, ctx);
  if (!found) return notFound();
  const { repo, issue } = found;
  const input = requestBody(ctx);
  const text = typeof input.body === "string" ? input.body : "";
  const errors: ValidationErrorItem[] = [];
  if (text.trim() === "") errors.push({ resource: "IssueComment", code: "missing_field", field: "body" });
  checkBody("IssueComment", text, errors);
  if (errors.length > 0) return validationFailed(errors, "https://docs.github.com/rest/issues/comments#create-an-issue-comment");
  if (!creationAllowed(core, ctx)) return secondaryLimit(60);
  const comment = { id: core.store.id(), body: text, user: ctx.user, createdAt: ctx.now, updatedAt: ctx.now };
  issue.comments.push(comment);
  issue.updatedAt = ctx.now;
  snapshot(repo, issue, ctx.now);
  const rendered = commentJson(repo, issue, comment);
  return json(201, rendered, { location: String(rendered.url) });
};

const listComments: Handler = (core, ctx) => {
  const found = issueOf(core, ctx);
  if (!found) return notFound();
  const since = sinceOf(ctx.url);
  if (since === "invalid") return validationFailed([{ resource: "IssueComment", code: "invalid", field: "since" }]);
  const comments = found.issue.comments.filter((c) => since === null || Math.floor(c.updatedAt / 1000) * 1000 >= since);
  const { page, link } = paginate(comments, ctx.url);
  return json(
    200,
    page.map((c) => commentJson(found.repo, found.issue, c)),
    link ? { link } : undefined,
  );
};

/** POST /repos/{o}/{r}/issues/{n}/labels: adds to the issue's (or pull request's) labels, creating unknown ones; answers all its labels. */
const addLabels: Handler = (core, ctx) => {
  const found = issueOf(core, ctx);
  if (!found) return notFound();
  const { repo, issue } = found;
  const errors: ValidationErrorItem[] = [];
  const labels = labelsFrom(core, repo, requestBody(ctx).labels, errors);
  if (errors.length > 0) return validationFailed(errors, "https://docs.github.com/rest/issues/labels#add-labels-to-an-issue");
  if (!creationAllowed(core, ctx)) return secondaryLimit(60);
  let changed = false;
  for (const label of labels ? labels() : []) {
    if (issue.labels.includes(label)) continue;
    issue.labels.push(label);
    changed = true;
  }
  if (changed) {
    issue.updatedAt = ctx.now;
    snapshot(repo, issue, ctx.now);
  }
  return json(
    200,
    issue.labels.map((l) => labelJson(repo, l)),
  );
};

const SEARCH_DOCS = "https://docs.github.com/v3/search/";

const searchIssues: Handler = (core, ctx) => {
  const q = ctx.url.searchParams.get("q");
  if (q === null || q.trim() === "") return validationFailed([{ resource: "Search", field: "q", code: "missing" }], SEARCH_DOCS);
  const parsed = parseSearchQuery(q);
  if (!parsed.ok) return validationFailed([{ resource: "Search", field: "q", code: "invalid", message: parsed.message }], SEARCH_DOCS);
  const query = parsed.query;
  if (ctx.tokenKind === "user-to-server" && query.kinds.length === 0) {
    return validationFailed(
      [{ resource: "Search", field: "q", code: "invalid", message: "Query must include 'is:issue' or 'is:pull-request'" }],
      SEARCH_DOCS,
    );
  }
  const perPage = clampInt(ctx.url.searchParams.get("per_page"), 30, 1, 100);
  const pageNumber = clampInt(ctx.url.searchParams.get("page"), 1, 1, Number.MAX_SAFE_INTEGER);
  if (pageNumber * perPage > 1000 && (pageNumber - 1) * perPage >= 1000) {
    return validationFailed([{ resource: "Search", field: "q", code: "invalid", message: "Only the first 1000 search results are available" }], SEARCH_DOCS);
  }
  // The index lags: search sees each issue as it was at now - lag (or not at all if created after that).
  const cutoff = ctx.now - core.config.searchLagMs;
  const visible: Searchable[] = [];
  for (const repo of core.store.repos.values()) {
    for (const issue of repo.issues) {
      let seen: Searchable | null = null;
      for (const snap of issue.history) {
        if (snap.at <= cutoff) seen = { repo: `${repo.owner}/${repo.name}`, issue: snap.issue, commentBodies: snap.commentBodies };
      }
      if (seen && matchesSearch(seen, query)) visible.push(seen);
    }
  }
  const sort = ctx.url.searchParams.get("sort");
  const sign = ctx.url.searchParams.get("order") === "asc" ? 1 : -1;
  const field = sort === "created" ? "created_at" : sort === "comments" ? "comments" : "updated_at";
  const value = (s: Searchable) => {
    const v = s.issue[field];
    return typeof v === "number" ? v : typeof v === "string" ? Date.parse(v) : 0;
  };
  visible.sort((a, b) => sign * (value(a) - value(b)) || sign * (Number(a.issue.number) - Number(b.issue.number)));
  const { page, link } = paginate(visible.slice(0, 1000), ctx.url);
  const items = page.map((s) => {
    // Spec quirk: issue-search-result-item declares `body` as a non-nullable string (issue.body is
    // nullable), so an issue without a body is rendered without the field rather than with null.
    const { closed_by: _closedBy, body, ...rest } = s.issue;
    return body === null || body === undefined ? { ...rest, score: 1 } : { ...rest, body, score: 1 };
  });
  return json(
    200,
    { total_count: visible.length, incomplete_results: core.config.incompleteResults, items, search_type: "lexical" },
    link ? { link } : undefined,
  );
};

const getAuthenticatedUser: Handler = (_core, ctx) => {
  if (ctx.tokenKind === "installation") {
    return error(403, "Resource not accessible by integration", "https://docs.github.com/rest/users/users#get-the-authenticated-user");
  }
  return json(200, privateUserJson(ctx.user, ctx.now));
};

export const HANDLERS: Record<string, Handler> = {
  "repos/get": getRepo,
  "issues/create": createIssue,
  "issues/get": getIssue,
  "issues/update": updateIssue,
  "issues/list-for-repo": listIssues,
  "issues/create-comment": createComment,
  "issues/list-comments": listComments,
  "issues/add-labels": addLabels,
  "search/issues-and-pull-requests": searchIssues,
  "users/get-authenticated": getAuthenticatedUser,
  ...APP_HANDLERS,
  ...PULL_HANDLERS,
  ...ACTIONS_HANDLERS,
};

