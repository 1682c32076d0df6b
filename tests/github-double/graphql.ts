/**
 * POST /graphql, the two mutations PR mode needs and nothing else (GraphQL is not in the REST spec: the double
 * checks the request's shape itself). The document is read loosely: it must be a `mutation` whose fields
 * include `enablePullRequestAutoMerge(input: {...})` and/or `markPullRequestReadyForReview(input: {...})`;
 * `pullRequestId` and `mergeMethod` are literals or `$variables` (declared in the operation's header).
 *
 * Answers are HTTP 200, GraphQL style:
 *  - enablePullRequestAutoMerge → {"data":{"enablePullRequestAutoMerge":{"pullRequest":{"autoMergeRequest":{"enabledAt","mergeMethod"}}}}}
 *    refused with {"data":{"enablePullRequestAutoMerge":null},"errors":[{"type":"UNPROCESSABLE","message":…}]}:
 *    "Pull request Auto merge is not allowed for this repository" (repo setting off), "Pull request is in draft state",
 *    "Pull request is closed";
 *  - markPullRequestReadyForReview → {"data":{"markPullRequestReadyForReview":{"pullRequest":{"isDraft":false}}}};
 *  - an id that is no pull request the caller can see: type NOT_FOUND "Could not resolve to a node with the global id of '<id>'.";
 *  - an installation token without pull_requests: write: type FORBIDDEN "Resource not accessible by integration";
 *  - anything else: {"errors":[{"message":"the double supports only enablePullRequestAutoMerge and markPullRequestReadyForReview"}]}.
 */
import { json, secondaryLimit } from "./http.ts";
import type { Result } from "./http.ts";
import type { Core } from "./operations.ts";
import { isObject } from "./spec.ts";
import { isoSeconds, nodeId, snapshot } from "./state.ts";
import type { IssueRecord, MergeMethod, PullRecord, RepoRecord, UserRecord } from "./state.ts";

export const GRAPHQL_UNSUPPORTED = "the double supports only enablePullRequestAutoMerge and markPullRequestReadyForReview";
export const AUTO_MERGE_NOT_ALLOWED = "Pull request Auto merge is not allowed for this repository";
export const DRAFT_STATE = "Pull request is in draft state";

const MUTATIONS = ["enablePullRequestAutoMerge", "markPullRequestReadyForReview"] as const;
type MutationName = (typeof MUTATIONS)[number];

export interface GraphqlCtx {
  body: unknown;
  user: UserRecord;
  now: number;
  limitKey: string;
  /** Whether the caller may see the repo (not marked missing, covered by an installation token). */
  visible: (repo: RepoRecord) => boolean;
  /** False for an installation token without pull_requests: write. */
  mayWritePulls: boolean;
}

export interface GraphqlOutcome {
  result: Result;
  /** "graphql/<first mutation>" or "graphql" when no supported mutation was found. */
  operationId: string;
  /** "owner/repo" of the pull request acted on. */
  repo: string | null;
  /** Whether some mutation changed state. */
  committed: boolean;
}

interface GraphqlError {
  type?: string;
  message: string;
}

function onlyErrors(message: string): Result {
  return json(200, { errors: [{ message }] });
}

/** Loose parse of `name(input: { ... })`: the text between the parentheses, or null. */
function argumentsOf(document: string, name: string): string | null {
  const start = new RegExp(`\\b${name}\\s*\\(`).exec(document);
  if (!start) return null;
  let depth = 0;
  for (let i = start.index + start[0].length - 1; i < document.length; i++) {
    const c = document[i];
    if (c === "(") depth++;
    else if (c === ")" && --depth === 0) return document.slice(start.index + start[0].length, i);
  }
  return null;
}

/** The value of `field:` inside an argument list: a string/enum literal, or a variable's value. */
function argument(args: string, field: string, variables: Record<string, unknown>): { value: unknown; variable: string | null } | null {
  const m = new RegExp(`\\b${field}\\s*:\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|\\$(\\w+)|(\\w+))`).exec(args);
  if (!m) return null;
  if (m[1] !== undefined) return { value: m[1], variable: null };
  if (m[2] !== undefined) return { value: variables[m[2]], variable: m[2] };
  return { value: m[3], variable: null };
}

function findPull(core: Core, id: string): { repo: RepoRecord; issue: IssueRecord; pull: PullRecord } | null {
  for (const repo of core.store.repos.values()) {
    for (const issue of repo.issues) if (issue.pull && nodeId("PR", issue.pull.id) === id) return { repo, issue, pull: issue.pull };
  }
  return null;
}

export function handleGraphql(core: Core, ctx: GraphqlCtx): GraphqlOutcome {
  const outcome: GraphqlOutcome = { result: onlyErrors(GRAPHQL_UNSUPPORTED), operationId: "graphql", repo: null, committed: false };
  const body = ctx.body;
  if (!isObject(body) || typeof body.query !== "string") {
    outcome.result = onlyErrors("A query attribute must be specified and must be a string.");
    return outcome;
  }
  if (body.variables !== undefined && body.variables !== null && !isObject(body.variables)) {
    outcome.result = onlyErrors("Variables are invalid JSON.");
    return outcome;
  }
  const variables = isObject(body.variables) ? body.variables : {};
  const document = body.query.replace(/#[^\n]*/g, "");
  const header = /^\s*mutation\b\s*(\w+)?\s*(?:\(([^)]*)\))?\s*\{/.exec(document);
  const names = MUTATIONS.filter((n) => argumentsOf(document, n) !== null).sort((a, b) => document.indexOf(a) - document.indexOf(b));
  if (!header || names.length === 0) return outcome;
  outcome.operationId = `graphql/${names[0] ?? ""}`;
  const declared = new Set([...(header[2] ?? "").matchAll(/\$(\w+)\s*:/g)].map((m) => m[1] ?? ""));
  for (const used of document.slice(header[0].length).matchAll(/\$(\w+)/g)) {
    const name = used[1] ?? "";
    if (!declared.has(name)) {
      outcome.result = onlyErrors(`Variable $${name} is used by ${header[1] ?? "anonymous mutation"} but not declared`);
      return outcome;
    }
  }

  const data: Record<string, unknown> = {};
  const errors: GraphqlError[] = [];
  for (const name of names) {
    const answer = run(core, ctx, name, argumentsOf(document, name) ?? "", variables, outcome);
    if ("invalid" in answer) {
      outcome.result = answer.invalid;
      return outcome;
    }
    data[name] = answer.data;
    if (answer.error) errors.push(answer.error);
  }
  outcome.result = json(200, errors.length > 0 ? { data, errors } : { data });
  return outcome;
}

type RunAnswer = { data: unknown; error?: GraphqlError } | { invalid: Result };

function run(core: Core, ctx: GraphqlCtx, name: MutationName, args: string, variables: Record<string, unknown>, outcome: GraphqlOutcome): RunAnswer {
  const id = argument(args, "pullRequestId", variables);
  if (!id || typeof id.value !== "string") {
    const message = id?.variable ? `Variable $${id.variable} of type ID! was provided invalid value` : `Argument 'pullRequestId' on InputObject '${name[0]?.toUpperCase()}${name.slice(1)}Input' is required. Expected type ID!`;
    return { invalid: onlyErrors(message) };
  }
  let mergeMethod: MergeMethod = "merge";
  if (name === "enablePullRequestAutoMerge") {
    const method = argument(args, "mergeMethod", variables);
    if (method) {
      const value = typeof method.value === "string" ? method.value : "";
      if (value !== "MERGE" && value !== "SQUASH" && value !== "REBASE") {
        return { invalid: onlyErrors(method.variable ? `Variable $${method.variable} of type PullRequestMergeMethod was provided invalid value` : `Argument 'mergeMethod' on InputObject 'EnablePullRequestAutoMergeInput' has an invalid value (${value}). Expected type 'PullRequestMergeMethod'.`) };
      }
      mergeMethod = value === "SQUASH" ? "squash" : value === "REBASE" ? "rebase" : "merge";
    }
  }
  const found = findPull(core, id.value);
  if (!found || !ctx.visible(found.repo)) return { data: null, error: { type: "NOT_FOUND", message: `Could not resolve to a node with the global id of '${id.value}'.` } };
  const { repo, issue, pull } = found;
  outcome.repo ??= `${repo.owner}/${repo.name}`;
  if (!ctx.mayWritePulls) return { data: null, error: { type: "FORBIDDEN", message: "Resource not accessible by integration" } };
  if (issue.state !== "open") return { data: null, error: { type: "UNPROCESSABLE", message: "Pull request is closed" } };

  if (name === "enablePullRequestAutoMerge") {
    if (!repo.allowAutoMerge) return { data: null, error: { type: "UNPROCESSABLE", message: AUTO_MERGE_NOT_ALLOWED } };
    if (pull.draft) return { data: null, error: { type: "UNPROCESSABLE", message: DRAFT_STATE } };
    if (!creationAllowed(core, ctx)) return { invalid: secondaryLimit(60) };
    pull.autoMerge = {
      enabledBy: ctx.user,
      mergeMethod,
      enabledAt: ctx.now,
      commitTitle: mergeMethod === "merge" ? `Merge pull request #${issue.number} from ${repo.owner}/${pull.head}` : `${issue.title} (#${issue.number})`,
      commitMessage: mergeMethod === "merge" ? issue.title : (issue.body ?? ""),
    };
    touch(repo, issue, ctx.now);
    outcome.committed = true;
    return { data: { pullRequest: { autoMergeRequest: { enabledAt: isoSeconds(ctx.now), mergeMethod: mergeMethod.toUpperCase() } } } };
  }

  if (!creationAllowed(core, ctx)) return { invalid: secondaryLimit(60) };
  if (pull.draft) {
    pull.draft = false;
    touch(repo, issue, ctx.now);
  }
  outcome.committed = true;
  return { data: { pullRequest: { isDraft: false } } };
}

function touch(repo: RepoRecord, issue: IssueRecord, now: number): void {
  issue.updatedAt = now;
  snapshot(repo, issue, now);
}

function creationAllowed(core: Core, ctx: GraphqlCtx): boolean {
  const ok = core.limits.allowCreation(ctx.limitKey, ctx.now, core.config.secondaryLimitPerMinute, core.config.secondaryLimitPerHour);
  if (!ok) core.stats.secondaryLimitHits++;
  return ok;
}
