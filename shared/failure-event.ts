import * as v from "valibot";
import { CiContext } from "./ci-context/schema";

/** Which event a failure came from. */
export const FailureKind = v.picklist(["plugin_error", "workflow_run", "check_suite", "check_run"]);
export type FailureKind = v.InferOutput<typeof FailureKind>;

/** How the repo that owns a failure was found (contract: "What becomes of an event"). */
export const TargetSource = v.picklist([
  "plugin_repo", // workflow plugin: plugin.owner/plugin.repo
  "source_repo", // plugin.settings.with.sourceRepo
  "plugin_repos", // settings.pluginRepos[url]
  "repository", // workflow/check event: repository.full_name
  "fallback_repo", // settings.fallbackRepo (after the manifest's short_name, when the plugin is a URL)
  "org_config_repo", // <trigger owner>/.ubiquity-os
  "manifest", // short_name of <url>/manifest.json
]);
export type TargetSource = v.InferOutput<typeof TargetSource>;

/** Where a URL plugin's repo was claimed (contract "Trust and tenancy": a claim is filed in only once verified). */
export const ClaimSource = v.picklist(["source_repo", "plugin_repos", "manifest"]);
export type ClaimSource = v.InferOutput<typeof ClaimSource>;

/** A repo claimed for a URL plugin, still to be verified through GitHub (by the consumer). */
export const Claim = v.object({ repo: v.string(), by: ClaimSource });
export type Claim = v.InferOutput<typeof Claim>;

/** A repo a failure was not filed in, and why: named in the issue in the reporter's own config repo. */
export const RefusedTarget = v.object({
  repo: v.string(),
  by: v.picklist(["source_repo", "plugin_repos", "manifest", "plugin_repo"]),
  reason: v.string(),
});
export type RefusedTarget = v.InferOutput<typeof RefusedTarget>;

const Id = v.optional(v.pipe(v.string(), v.maxLength(200)));

/**
 * One failure, whatever event reported it: the single typed shape the consumer, the cluster Durable Object and
 * the issue renderer work on. Always redacted before it is enqueued.
 */
export const FailureEvent = v.object({
  /** Stable id of this occurrence: the same delivery seen twice has the same id. */
  eventId: v.pipe(v.string(), v.regex(/^[0-9a-f]{32}$/)),
  kind: FailureKind,
  /** The kernel's event name, e.g. `kernel.plugin_error`, `workflow_run.completed`. */
  sourceEvent: v.string(),
  /** When the failure happened (ISO 8601). */
  occurredAt: v.string(),
  /** When daemon-hotfix accepted it (ISO 8601). */
  receivedAt: v.string(),
  target: v.object({
    /** The repo whose issue tracker gets the issue. */
    repo: v.string(),
    resolvedBy: TargetSource,
    /**
     * Set when the repo came from a fallback for a URL plugin: the consumer first asks `<url>/manifest.json`
     * for its `short_name` (owner/repo@ref) and prefers that.
     */
    manifestUrl: v.optional(v.string()),
    /** Repos claimed for a URL plugin whose owner may receive it, to verify in this order before `manifestUrl`. */
    claims: v.optional(v.array(Claim)),
    /** Repos refused (another owner's, or a claim that did not verify): the failure goes to the reporter's config repo. */
    refused: v.optional(v.array(RefusedTarget)),
  }),
  /**
   * The reporter: owner of the repo whose event made the kernel dispatch (`trigger.repo`'s owner, else
   * `repository.owner.login`). It wrote the settings; absent in failures queued before issue 12.
   */
  reporter: v.optional(v.string()),
  plugin: v.object({
    type: v.picklist(["http", "workflow", "kernel", "ci"]),
    /** `owner/repo:workflow.yml@ref`, a URL, or for CI events `owner/repo:<workflow or check name>`. */
    id: v.string(),
    owner: v.optional(v.string()),
    repo: v.optional(v.string()),
    workflowId: v.optional(v.string()),
    ref: v.optional(v.string()),
    url: v.optional(v.string()),
    name: v.optional(v.string()),
    version: v.optional(v.string()),
  }),
  /** `http`, `workflow`, `kernel`, `dispatch`, `timeout`, `validation`, `ci`… lower-case. */
  category: v.string(),
  /** HTTP status of the failed dispatch, recovered from the message when the kernel sent null. */
  status: v.nullable(v.number()),
  /** The sanitised error message. */
  message: v.string(),
  /** Optional detail: a stack or response snippet (sanitised). */
  detail: v.optional(v.string()),
  /** CI conclusion for workflow/check failures (`failure`, `timed_out`, `startup_failure`). */
  conclusion: v.optional(v.string()),
  trigger: v.object({
    githubEvent: v.optional(v.string()),
    repo: v.optional(v.string()),
    issueOrPr: v.optional(v.number()),
    actor: v.optional(v.string()),
    /** Link to the triggering issue/PR or run. */
    url: v.optional(v.string()),
  }),
  correlation: v.object({
    /** The failing plugin's state id (kernel.plugin_error `stateId`). */
    stateId: Id,
    /** The kernel's state id of the dispatch to daemon-hotfix. */
    kernelStateId: Id,
    deliveryId: Id,
    requestId: Id,
    runId: v.optional(v.number()),
    runAttempt: v.optional(v.number()),
    checkSuiteId: v.optional(v.number()),
    checkRunId: v.optional(v.number()),
    headSha: v.optional(v.string()),
    installationId: v.optional(v.number()),
  }),
  /** The first lines the kernel logged for the failing dispatch (sanitised, bounded; the kernel keeps its first 40). */
  logTrail: v.array(v.string()),
  /** The kernel's error line, found anywhere in its trail (it may lie beyond the lines kept); absent when there is none. */
  logErrorLine: v.optional(v.string()),
  environment: v.optional(v.string()),
  kernelCommit: v.optional(v.string()),
  /** What was cut so the queue message fits (e.g. `log trail: 12 oldest lines`); shown in the issue. */
  trimmed: v.optional(v.array(v.string())),
  /** CI failures: what the event said (`facts`) and, once GitHub was read, what broke (`details`). */
  ci: v.optional(CiContext),
});
export type FailureEvent = v.InferOutput<typeof FailureEvent>;
