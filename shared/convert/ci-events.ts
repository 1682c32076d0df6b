import { ciBranchGate } from "../ci-context/branches";
import { CONCLUSION_TEXT } from "../ci-context/conclusion";
import type { CiCommit, CiFacts, CiSource } from "../ci-context/schema";
import { ciStreamKey } from "../ci-context/stream-key";
import type { CheckRunEvent, CheckSuiteEvent, WorkflowRunEvent } from "../ci-events";
import { deliveryKey } from "../delivery-key";
import { isFailingConclusion } from "../policy";
import { placeRun } from "../trust/target-rules";
import { clip, defined, isoOr, LIMITS, sanitize } from "./text";
import type { Conversion, ConvertContext } from "./types";

type Repository = WorkflowRunEvent["repository"];
type Account = WorkflowRunEvent["sender"];


/** Where the run ran and what it concluded, as the gates need it. */
interface Gated {
  repo: Repository;
  action: string;
  conclusion: string | null | undefined;
  branch: string | undefined;
  /** For workflow runs: the repository the run's branch lives in (a fork's, for its pull requests). */
  headRepo?: string | null | undefined;
}

type Gate = { verdict: "failure" | "success"; branchInFingerprint: boolean } | { verdict: "ignored"; reason: string };

/**
 * The gates every workflow/check event passes: `allowWorkflowEvents`, the repo allowlisted (when the list is
 * non-empty), a completion, a watched branch (`ciBranches`, by default the default branch) of this very repo (not a
 * fork's), and a failing conclusion — or a success, which only records the branch's last green commit.
 */
function gate(ctx: ConvertContext, event: Gated): Gate {
  const ignored = (reason: string): Gate => ({ verdict: "ignored", reason });
  const { repo } = event;
  if (!ctx.settings.allowWorkflowEvents) return ignored("workflow and check events are off (settings.allowWorkflowEvents)");
  const allow = ctx.settings.allowlistRepos.map((r) => r.toLowerCase());
  if (allow.length > 0 && !allow.includes(repo.full_name.toLowerCase())) return ignored(`${repo.full_name} is not in settings.allowlistRepos`);
  if (event.action !== "completed") return ignored(`action "${event.action}" is not a completion`);
  if (event.headRepo && event.headRepo.toLowerCase() !== repo.full_name.toLowerCase()) return ignored(`the run is on a branch of another repository (${event.headRepo}): a fork's pull request`);
  const branch = ciBranchGate(event.branch, repo.default_branch ?? undefined, ctx.settings.ciBranches);
  if (!branch.watched) return ignored(branch.reason);
  const conclusion = (event.conclusion ?? "").toLowerCase();
  if (conclusion === "success") return { verdict: "success", branchInFingerprint: branch.branchInFingerprint };
  if (!isFailingConclusion(conclusion)) return ignored(`conclusion "${event.conclusion ?? "none"}" is not a failure`);
  return { verdict: "failure", branchInFingerprint: branch.branchInFingerprint };
}

/** The GitHub App behind Actions: its check suites and check runs are the workflow runs and their jobs. */
export const ACTIONS_APP_SLUG = "github-actions";

/**
 * A check suite or check run of GitHub Actions is the same failure as its `workflow_run` (the suite is the run,
 * each check run one of its jobs): filing it too would make three issues of one breakage, so only the workflow run
 * — read in more detail (jobs, steps, log) — is handled. Other apps' checks (CircleCI, Vercel, …) are handled here.
 */
function actionsCheck(app: { slug?: string | null } | null | undefined): Gate | null {
  if (app?.slug?.toLowerCase() !== ACTIONS_APP_SLUG) return null;
  return { verdict: "ignored", reason: "a GitHub Actions check: its workflow_run.completed event files it (with its jobs, steps and log)" };
}

const logins = (...accounts: Account[]): string[] =>
  accounts.map((a) => a?.login).filter((login): login is string => typeof login === "string" && login.length > 0);

function base(repo: Repository, sourceEvent: string, ctx: ConvertContext) {
  const [owner = "", name = repo.name ?? ""] = repo.full_name.split("/");
  // The reporter is the run's repo owner; its failure is filed in that repo (contract: "Trust and tenancy").
  const reporter = repo.owner?.login || owner || null;
  return {
    sourceEvent,
    receivedAt: ctx.receivedAt,
    target: placeRun(repo.full_name, reporter, ctx.targetOwners ?? []) ?? { repo: repo.full_name, resolvedBy: "repository" as const },
    ...(reporter ? { reporter } : {}),
    owner,
    name,
    logTrail: [] as string[],
    status: null,
  };
}

const SHA = /^[0-9a-f]{7,64}$/i;

/** The run's commit: its SHA, the first line of its message (never its author), when the run started. */
function commitOf(ctx: ConvertContext, sha: string | null | undefined, message: string | null | undefined, at: string, extra: { runId?: number; url?: string | null }): CiCommit | undefined {
  if (!sha || !SHA.test(sha)) return undefined;
  const title = sanitize((message ?? "").slice(0, 2_000).split("\n")[0] ?? "", 200, ctx.redactor);
  return { sha: sha.toLowerCase(), at, ...(title ? { title } : {}), ...defined({ runId: extra.runId, url: extra.url }) };
}

interface FactsInput {
  source: CiSource;
  repo: string;
  workflow: string;
  workflowName: string;
  branch: string | undefined;
  gate: Gate;
  commit: CiCommit | undefined;
  runMessage: string;
  outputTitle?: string | null;
}

function facts(ctx: ConvertContext, f: FactsInput): CiFacts {
  return {
    source: f.source,
    runMessage: f.runMessage,
    stream: ciStreamKey(f.source, f.repo, f.workflow, f.branch),
    workflow: sanitize(f.workflow, 500, ctx.redactor),
    workflowName: sanitize(f.workflowName, 500, ctx.redactor),
    branchInFingerprint: f.gate.verdict !== "ignored" && f.gate.branchInFingerprint,
    ...defined({ branch: f.branch, commit: f.commit, outputTitle: f.outputTitle ? sanitize(f.outputTitle, 1_000, ctx.redactor) : undefined }),
  };
}

/** A success: the stream's new last green commit (nothing is enqueued and GitHub is not asked). */
function green(ci: CiFacts, repo: string): Conversion {
  if (!ci.commit) return { outcome: "ignored", reason: "a success without a commit SHA: nothing to record" };
  return {
    outcome: "green",
    green: { stream: ci.stream, repo, workflow: ci.workflow, commit: ci.commit, ...defined({ branch: ci.branch }) },
  };
}

/** A failed `workflow_run.completed` → one run-level failure; the consumer resolves it to what broke. */
export function fromWorkflowRun(event: WorkflowRunEvent, ctx: ConvertContext): Conversion {
  const run = event.workflow_run;
  const branch = run.head_branch ?? undefined;
  const gated = gate(ctx, { repo: event.repository, action: event.action, conclusion: run.conclusion, branch, headRepo: run.head_repository?.full_name });
  const b = base(event.repository, "workflow_run.completed", ctx);
  const workflow = run.path ?? event.workflow?.path ?? run.name ?? "workflow";
  const workflowName = run.name ?? event.workflow?.name ?? workflow;
  const startedAt = isoOr(run.created_at, isoOr(run.updated_at, ctx.receivedAt));
  const commit = commitOf(ctx, run.head_sha, run.head_commit?.message, startedAt, { runId: run.id, url: run.html_url });
  const conclusion = (run.conclusion ?? "failure").toLowerCase();
  const message = sanitize(`Workflow "${workflowName}" ${CONCLUSION_TEXT[conclusion] ?? conclusion}${branch ? ` on ${branch}` : ""}`, LIMITS.message, ctx.redactor);
  const ci = facts(ctx, { source: "workflow_run", repo: event.repository.full_name, workflow, workflowName, branch, gate: gated, commit, runMessage: message });
  if (gated.verdict === "ignored") return { outcome: "ignored", reason: gated.reason };
  if (gated.verdict === "success") return green(ci, event.repository.full_name);
  return {
    outcome: "failure",
    deliveryKey: deliveryKey(["workflow_run", event.repository.full_name, run.id, run.run_attempt ?? 1]),
    actors: logins(event.sender, run.actor, run.triggering_actor),
    failure: {
      kind: "workflow_run",
      sourceEvent: b.sourceEvent,
      occurredAt: isoOr(run.updated_at, ctx.receivedAt),
      receivedAt: b.receivedAt,
      target: b.target,
      ...(b.reporter ? { reporter: b.reporter } : {}),
      plugin: {
        type: "ci",
        id: `${event.repository.full_name}:${workflow}${branch ? `@${branch}` : ""}`,
        owner: b.owner,
        repo: b.name,
        workflowId: workflow.split("/").pop() ?? workflow,
        ...defined({ ref: branch, name: workflowName }),
      },
      category: "workflow",
      status: b.status,
      conclusion,
      message,
      trigger: defined({ githubEvent: run.event, repo: event.repository.full_name, actor: run.triggering_actor?.login ?? run.actor?.login, url: run.html_url }),
      correlation: defined({ kernelStateId: ctx.kernelStateId, runId: run.id, runAttempt: run.run_attempt, headSha: run.head_sha }),
      logTrail: b.logTrail,
      ci: { facts: ci },
    },
  };
}

/** A failed `check_suite.completed` → one run-level failure per app and branch. */
export function fromCheckSuite(event: CheckSuiteEvent, ctx: ConvertContext): Conversion {
  const suite = event.check_suite;
  const branch = suite.head_branch ?? undefined;
  const gated = gate(ctx, { repo: event.repository, action: event.action, conclusion: suite.conclusion, branch });
  const actions = gated.verdict === "ignored" ? null : actionsCheck(suite.app);
  if (actions?.verdict === "ignored") return { outcome: "ignored", reason: actions.reason };
  const b = base(event.repository, "check_suite.completed", ctx);
  const app = suite.app?.name ?? suite.app?.slug ?? "checks";
  const slug = suite.app?.slug ?? "unknown";
  const startedAt = isoOr(suite.created_at, isoOr(suite.updated_at, ctx.receivedAt));
  const url = event.repository.html_url && suite.head_sha ? `${event.repository.html_url}/commit/${suite.head_sha}` : undefined;
  const commit = commitOf(ctx, suite.head_sha, suite.head_commit?.message, startedAt, { url });
  const conclusion = (suite.conclusion ?? "failure").toLowerCase();
  const message = sanitize(`Check suite of ${app} ${CONCLUSION_TEXT[conclusion] ?? conclusion}${branch ? ` on ${branch}` : ""}`, LIMITS.message, ctx.redactor);
  const ci = facts(ctx, { source: "check_suite", repo: event.repository.full_name, workflow: slug, workflowName: app, branch, gate: gated, commit, runMessage: message });
  if (gated.verdict === "ignored") return { outcome: "ignored", reason: gated.reason };
  if (gated.verdict === "success") return green(ci, event.repository.full_name);
  return {
    outcome: "failure",
    deliveryKey: deliveryKey(["check_suite", event.repository.full_name, suite.id, suite.updated_at]),
    actors: logins(event.sender),
    failure: {
      kind: "check_suite",
      sourceEvent: b.sourceEvent,
      occurredAt: isoOr(suite.updated_at, ctx.receivedAt),
      receivedAt: b.receivedAt,
      target: b.target,
      ...(b.reporter ? { reporter: b.reporter } : {}),
      plugin: {
        type: "ci",
        id: `${event.repository.full_name}:check_suite/${slug}${branch ? `@${branch}` : ""}`,
        owner: b.owner,
        repo: b.name,
        ...defined({ ref: branch, name: app }),
      },
      category: "check",
      status: b.status,
      conclusion,
      message,
      trigger: defined({ repo: event.repository.full_name, actor: event.sender?.login, url }),
      correlation: defined({ kernelStateId: ctx.kernelStateId, checkSuiteId: suite.id, headSha: suite.head_sha }),
      logTrail: b.logTrail,
      ci: { facts: ci },
    },
  };
}

/** A failed `check_run.completed` → one run-level failure per check name and branch; its output summary is the detail. */
export function fromCheckRun(event: CheckRunEvent, ctx: ConvertContext): Conversion {
  const check = event.check_run;
  const branch = check.check_suite?.head_branch ?? undefined;
  const gated = gate(ctx, { repo: event.repository, action: event.action, conclusion: check.conclusion, branch });
  const actions = gated.verdict === "ignored" ? null : actionsCheck(check.app);
  if (actions?.verdict === "ignored") return { outcome: "ignored", reason: actions.reason };
  const b = base(event.repository, "check_run.completed", ctx);
  const name = check.name ?? "check";
  const startedAt = isoOr(check.started_at, isoOr(check.completed_at, ctx.receivedAt));
  const commit = commitOf(ctx, check.head_sha, undefined, startedAt, { url: check.html_url });
  const conclusion = (check.conclusion ?? "failure").toLowerCase();
  const title = check.output?.title ? `: ${check.output.title}` : "";
  const message = sanitize(`Check "${name}" ${CONCLUSION_TEXT[conclusion] ?? conclusion}${title}`, LIMITS.message, ctx.redactor);
  const ci = facts(ctx, { source: "check_run", repo: event.repository.full_name, workflow: name, workflowName: name, branch, gate: gated, commit, runMessage: message, outputTitle: check.output?.title });
  if (gated.verdict === "ignored") return { outcome: "ignored", reason: gated.reason };
  if (gated.verdict === "success") return green(ci, event.repository.full_name);
  const summary = check.output?.summary ?? undefined;
  return {
    outcome: "failure",
    deliveryKey: deliveryKey(["check_run", event.repository.full_name, check.id, check.completed_at]),
    actors: logins(event.sender),
    failure: {
      kind: "check_run",
      sourceEvent: b.sourceEvent,
      occurredAt: isoOr(check.completed_at, ctx.receivedAt),
      receivedAt: b.receivedAt,
      target: b.target,
      ...(b.reporter ? { reporter: b.reporter } : {}),
      plugin: {
        type: "ci",
        id: `${event.repository.full_name}:check/${name}${branch ? `@${branch}` : ""}`,
        owner: b.owner,
        repo: b.name,
        ...defined({ ref: branch, name }),
      },
      category: "check",
      status: b.status,
      conclusion,
      message,
      ...(summary ? { detail: sanitize(summary, LIMITS.detail, ctx.redactor) } : {}),
      trigger: defined({ repo: event.repository.full_name, actor: event.sender?.login, url: check.html_url ?? check.details_url }),
      correlation: defined({ kernelStateId: ctx.kernelStateId, checkRunId: check.id, checkSuiteId: check.check_suite?.id, headSha: check.head_sha }),
      logTrail: b.logTrail,
      ci: { facts: ci },
    },
  };
}
