import type { CheckRunEvent, CheckSuiteEvent, WorkflowRunEvent } from "../ci-events";
import { deliveryKey } from "../delivery-key";
import { isFailingConclusion } from "../policy";
import { placeRun } from "../trust/target-rules";
import { defined, isoOr, LIMITS, sanitize } from "./text";
import type { Conversion, ConvertContext } from "./types";

type Repository = WorkflowRunEvent["repository"];
type Account = WorkflowRunEvent["sender"];

const CONCLUSION_TEXT: Record<string, string> = {
  failure: "failed",
  timed_out: "timed out",
  startup_failure: "failed to start",
};

/**
 * The gates every workflow/check event passes before it is looked at: enabled with `allowWorkflowEvents`, the
 * repo allowlisted (when the list is non-empty), a completion, and a failing conclusion.
 */
function gate(ctx: ConvertContext, repo: Repository, action: string, conclusion: string | null | undefined): Conversion | null {
  if (!ctx.settings.allowWorkflowEvents) return { outcome: "ignored", reason: "workflow and check events are off (settings.allowWorkflowEvents)" };
  const allow = ctx.settings.allowlistRepos.map((r) => r.toLowerCase());
  if (allow.length > 0 && !allow.includes(repo.full_name.toLowerCase())) {
    return { outcome: "ignored", reason: `${repo.full_name} is not in settings.allowlistRepos` };
  }
  if (action !== "completed") return { outcome: "ignored", reason: `action "${action}" is not a completion` };
  if (!isFailingConclusion(conclusion)) return { outcome: "ignored", reason: `conclusion "${conclusion ?? "none"}" is not a failure` };
  return null;
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

/** A failed `workflow_run.completed` → one failure owned by the run's repo, keyed by workflow file and branch. */
export function fromWorkflowRun(event: WorkflowRunEvent, ctx: ConvertContext): Conversion {
  const run = event.workflow_run;
  const gated = gate(ctx, event.repository, event.action, run.conclusion);
  if (gated) return gated;
  const b = base(event.repository, "workflow_run.completed", ctx);
  const workflow = run.path ?? event.workflow?.path ?? run.name ?? "workflow";
  const workflowName = run.name ?? event.workflow?.name ?? workflow;
  const conclusion = (run.conclusion ?? "failure").toLowerCase();
  const branch = run.head_branch ?? undefined;
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
      message: sanitize(`Workflow "${workflowName}" ${CONCLUSION_TEXT[conclusion] ?? conclusion}${branch ? ` on ${branch}` : ""}`, LIMITS.message, ctx.redactor),
      trigger: defined({ githubEvent: run.event, repo: event.repository.full_name, actor: run.triggering_actor?.login ?? run.actor?.login, url: run.html_url }),
      correlation: defined({ kernelStateId: ctx.kernelStateId, runId: run.id, runAttempt: run.run_attempt, headSha: run.head_sha }),
      logTrail: b.logTrail,
    },
  };
}

/** A failed `check_suite.completed` → one failure per app and branch. */
export function fromCheckSuite(event: CheckSuiteEvent, ctx: ConvertContext): Conversion {
  const suite = event.check_suite;
  const gated = gate(ctx, event.repository, event.action, suite.conclusion);
  if (gated) return gated;
  const b = base(event.repository, "check_suite.completed", ctx);
  const app = suite.app?.name ?? suite.app?.slug ?? "checks";
  const conclusion = (suite.conclusion ?? "failure").toLowerCase();
  const branch = suite.head_branch ?? undefined;
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
        id: `${event.repository.full_name}:check_suite/${suite.app?.slug ?? "unknown"}${branch ? `@${branch}` : ""}`,
        owner: b.owner,
        repo: b.name,
        ...defined({ ref: branch, name: app }),
      },
      category: "check",
      status: b.status,
      conclusion,
      message: sanitize(`Check suite of ${app} ${CONCLUSION_TEXT[conclusion] ?? conclusion}${branch ? ` on ${branch}` : ""}`, LIMITS.message, ctx.redactor),
      trigger: defined({ repo: event.repository.full_name, actor: event.sender?.login, url: event.repository.html_url ? `${event.repository.html_url}/commit/${suite.head_sha ?? ""}` : undefined }),
      correlation: defined({ kernelStateId: ctx.kernelStateId, checkSuiteId: suite.id, headSha: suite.head_sha }),
      logTrail: b.logTrail,
    },
  };
}

/** A failed `check_run.completed` → one failure per check name and branch; its output summary is the detail. */
export function fromCheckRun(event: CheckRunEvent, ctx: ConvertContext): Conversion {
  const check = event.check_run;
  const gated = gate(ctx, event.repository, event.action, check.conclusion);
  if (gated) return gated;
  const b = base(event.repository, "check_run.completed", ctx);
  const name = check.name ?? "check";
  const conclusion = (check.conclusion ?? "failure").toLowerCase();
  const branch = check.check_suite?.head_branch ?? undefined;
  const title = check.output?.title ? `: ${check.output.title}` : "";
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
      message: sanitize(`Check "${name}" ${CONCLUSION_TEXT[conclusion] ?? conclusion}${title}`, LIMITS.message, ctx.redactor),
      ...(summary ? { detail: sanitize(summary, LIMITS.detail, ctx.redactor) } : {}),
      trigger: defined({ repo: event.repository.full_name, actor: event.sender?.login, url: check.html_url ?? check.details_url }),
      correlation: defined({ kernelStateId: ctx.kernelStateId, checkRunId: check.id, checkSuiteId: check.check_suite?.id, headSha: check.head_sha }),
      logTrail: b.logTrail,
    },
  };
}
