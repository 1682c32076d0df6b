import * as v from "valibot";

const Text = (max: number) => v.pipe(v.string(), v.maxLength(max));
const OptionalText = (max: number) => v.optional(v.nullable(Text(max)));
const Account = v.optional(v.nullable(v.object({ login: OptionalText(200), type: OptionalText(50) })));

/** The part of `repository` every webhook carries. */
export const WebhookRepository = v.object({
  full_name: v.pipe(v.string(), v.minLength(3), v.maxLength(300)),
  name: v.optional(Text(200)),
  html_url: OptionalText(500),
  owner: v.optional(v.nullable(v.object({ login: OptionalText(200) }))),
  /** The branch CI is watched on by default (`ciBranches`). */
  default_branch: OptionalText(500),
});

/** The commit a run or suite ran on, as webhooks describe it (its author is never read). */
const HeadCommit = v.optional(v.nullable(v.object({ id: OptionalText(64), message: OptionalText(65_536), timestamp: OptionalText(64) })));

/** The conclusions GitHub reports for a completed run, suite or check. */
export const Conclusion = v.optional(v.nullable(v.string()));

/** `workflow_run` webhook (fields daemon-hotfix reads). */
export const WorkflowRunEvent = v.object({
  action: v.string(),
  workflow_run: v.object({
    id: v.number(),
    name: OptionalText(500),
    path: OptionalText(500),
    head_branch: OptionalText(500),
    head_sha: OptionalText(64),
    run_number: v.optional(v.nullable(v.number())),
    run_attempt: v.optional(v.nullable(v.number())),
    event: OptionalText(100),
    status: OptionalText(50),
    conclusion: Conclusion,
    html_url: OptionalText(500),
    created_at: OptionalText(64),
    updated_at: OptionalText(64),
    actor: Account,
    triggering_actor: Account,
    head_commit: HeadCommit,
    /** The repository the run's branch lives in: another one for a fork's pull request. */
    head_repository: v.optional(v.nullable(v.object({ full_name: OptionalText(300) }))),
  }),
  workflow: v.optional(v.nullable(v.object({ name: OptionalText(500), path: OptionalText(500) }))),
  repository: WebhookRepository,
  sender: Account,
});
export type WorkflowRunEvent = v.InferOutput<typeof WorkflowRunEvent>;

/** `check_suite` webhook (fields daemon-hotfix reads). */
export const CheckSuiteEvent = v.object({
  action: v.string(),
  check_suite: v.object({
    id: v.number(),
    head_branch: OptionalText(500),
    head_sha: OptionalText(64),
    status: OptionalText(50),
    conclusion: Conclusion,
    url: OptionalText(500),
    created_at: OptionalText(64),
    updated_at: OptionalText(64),
    app: v.optional(v.nullable(v.object({ slug: OptionalText(200), name: OptionalText(200) }))),
    head_commit: HeadCommit,
  }),
  repository: WebhookRepository,
  sender: Account,
});
export type CheckSuiteEvent = v.InferOutput<typeof CheckSuiteEvent>;

/** `check_run` webhook (fields daemon-hotfix reads). */
export const CheckRunEvent = v.object({
  action: v.string(),
  check_run: v.object({
    id: v.number(),
    name: OptionalText(500),
    head_sha: OptionalText(64),
    status: OptionalText(50),
    conclusion: Conclusion,
    html_url: OptionalText(500),
    details_url: OptionalText(500),
    started_at: OptionalText(64),
    completed_at: OptionalText(64),
    output: v.optional(v.nullable(v.object({ title: OptionalText(1000), summary: OptionalText(65_536) }))),
    check_suite: v.optional(v.nullable(v.object({ id: v.optional(v.nullable(v.number())), head_branch: OptionalText(500) }))),
    app: v.optional(v.nullable(v.object({ slug: OptionalText(200), name: OptionalText(200) }))),
  }),
  repository: WebhookRepository,
  sender: Account,
});
export type CheckRunEvent = v.InferOutput<typeof CheckRunEvent>;
