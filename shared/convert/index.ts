import * as v from "valibot";
import { CheckRunEvent, CheckSuiteEvent, WorkflowRunEvent } from "../ci-events";
import { KernelPluginError } from "../kernel-plugin-error";
import { toFieldIssues } from "../validation";
import { fromCheckRun, fromCheckSuite, fromWorkflowRun } from "./ci-events";
import { fromPluginError } from "./plugin-error";
import type { Conversion, ConvertContext } from "./types";

export type { Conversion, ConvertContext, FailureDraft } from "./types";

/** The events daemon-hotfix listens to (its manifest's `ubiquity:listeners`). */
export const LISTENERS = ["kernel.plugin_error", "workflow_run.completed", "check_run.completed", "check_suite.completed"] as const;

type Converter = (payload: unknown, ctx: ConvertContext) => Conversion;

function using<S extends v.GenericSchema>(schema: S, convert: (event: v.InferOutput<S>, ctx: ConvertContext) => Conversion): Converter {
  return (payload, ctx) => {
    const parsed = v.safeParse(schema, payload);
    return parsed.success ? convert(parsed.output, ctx) : { outcome: "invalid", issues: toFieldIssues(parsed.issues, "eventPayload") };
  };
}

const BY_EVENT_FAMILY: Record<string, Converter> = {
  "kernel.plugin_error": using(KernelPluginError, fromPluginError),
  workflow_run: using(WorkflowRunEvent, fromWorkflowRun),
  check_suite: using(CheckSuiteEvent, fromCheckSuite),
  check_run: using(CheckRunEvent, fromCheckRun),
};

/**
 * Turns a decoded event into a failure, a policy outcome, or the field problems that make it invalid.
 * `workflow_run.requested` and friends reach the converter for their family and are ignored there (not a completion).
 */
export function toFailure(eventName: string, payload: unknown, ctx: ConvertContext): Conversion {
  const family = eventName === "kernel.plugin_error" ? eventName : eventName.split(".")[0] ?? "";
  const convert = BY_EVENT_FAMILY[family];
  if (!convert) return { outcome: "ignored", reason: `event "${eventName}" is not one daemon-hotfix handles` };
  return convert(payload, ctx);
}
