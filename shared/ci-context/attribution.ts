import * as v from "valibot";
import type { FailureEvent } from "../failure-event";
import { breakageHeadline } from "./breakages";
import { conclusionText } from "./conclusion";
import { Breakage, CiCommit, CiResolution } from "./schema";

/**
 * What a CI stream decided for one failing run: the breakages it is counted in (none: GitHub could not be read,
 * so it is grouped by its event alone) and how that was known.
 */
export const Attribution = v.object({
  resolution: CiResolution,
  /** The run whose jobs were read. */
  readRunId: v.optional(v.number()),
  /** null when unreadable. */
  breakages: v.nullable(v.array(Breakage)),
  reason: v.optional(v.string()),
  lastGreen: v.optional(CiCommit),
});
export type Attribution = v.InferOutput<typeof Attribution>;

const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

/**
 * The failures a run-level CI failure becomes once its stream attributed it: one per breakage (titled by what
 * broke), or — unreadable — the event's own failure saying why. Each keeps the run's event id, so every cluster
 * counts the run once, whoever delivers it and however often. Pure.
 */
export function attributedFailures(run: FailureEvent, attribution: Attribution): FailureEvent[] {
  const facts = run.ci?.facts;
  if (!facts) return [run];
  const shared = { ...(attribution.readRunId !== undefined ? { readRunId: attribution.readRunId } : {}), ...(attribution.lastGreen ? { lastGreen: attribution.lastGreen } : {}) };
  if (attribution.breakages === null || attribution.resolution === "unreadable") {
    return [{ ...run, ci: { facts, details: { resolution: "unreadable", ...shared, ...(attribution.reason ? { reason: clip(attribution.reason, 300) } : {}) } } }];
  }
  const conclusion = conclusionText(run.conclusion);
  return attribution.breakages.map((breakage) => ({
    ...run,
    message: clip(breakageHeadline(facts.workflowName, breakage, conclusion, facts.source), 4_000),
    ci: { facts, details: { resolution: attribution.resolution, ...shared, breakage } },
  }));
}
