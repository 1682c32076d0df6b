import * as v from "valibot";
import { CheckRunEvent, CheckSuiteEvent, WorkflowRunEvent } from "../ci-events";
import { KernelPluginError } from "../kernel-plugin-error";
import { IssuesEvent, mirroredIssue } from "../lifecycle/issue-event";
import { toFieldIssues } from "../validation";
import { fromCheckRun, fromCheckSuite, fromWorkflowRun } from "./ci-events";
import { fromPluginError } from "./plugin-error";
import type { Conversion, ConvertContext } from "./types";

export type { Conversion, ConvertContext, FailureDraft } from "./types";

/** The events daemon-hotfix listens to (its manifest's `ubiquity:listeners`). */
export const LISTENERS = ["kernel.plugin_error", "workflow_run.completed", "check_run.completed", "check_suite.completed", "issues.closed", "issues.reopened"] as const;

type Converter = (payload: unknown, ctx: ConvertContext) => Conversion;

function using<S extends v.GenericSchema>(schema: S, convert: (event: v.InferOutput<S>, ctx: ConvertContext) => Conversion): Converter {
  return (payload, ctx) => {
    const parsed = v.safeParse(schema, payload);
    return parsed.success ? convert(parsed.output, ctx) : { outcome: "invalid", issues: toFieldIssues(parsed.issues, "eventPayload") };
  };
}

/** An issue daemon-hotfix filed was closed or reopened (issue 15); any other issue's event costs nothing. */
const mirror: Converter = using(IssuesEvent, (event) => {
  const found = mirroredIssue(event);
  return "mirror" in found ? { outcome: "mirror", mirror: found.mirror } : { outcome: "ignored", reason: found.ignored };
});

/** Converters by event family (`workflow_run`), or by exact event name (`issues.closed`: other actions are not listened to). */
const BY_EVENT_FAMILY: Record<string, Converter> = {
  "kernel.plugin_error": using(KernelPluginError, fromPluginError),
  workflow_run: using(WorkflowRunEvent, fromWorkflowRun),
  check_suite: using(CheckSuiteEvent, fromCheckSuite),
  check_run: using(CheckRunEvent, fromCheckRun),
  // Issue 15: GitHub's state of the issues daemon-hotfix filed, mirrored at once (others cost nothing).
  "issues.closed": mirror,
  "issues.reopened": mirror,
};

/**
 * Turns a decoded event into a failure, a policy outcome, or the field problems that make it invalid.
 * `workflow_run.requested` and friends reach the converter for their family and are ignored there (not a completion).
 */
export function toFailure(eventName: string, payload: unknown, ctx: ConvertContext): Conversion {
  const family = eventName === "kernel.plugin_error" ? eventName : eventName.split(".")[0] ?? "";
  const convert = BY_EVENT_FAMILY[eventName] ?? (family === "issues" ? undefined : BY_EVENT_FAMILY[family]);
  if (!convert) return { outcome: "ignored", reason: `event "${eventName}" is not one daemon-hotfix handles` };
  return convert(payload, ctx);
}
