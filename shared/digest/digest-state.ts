import * as v from "valibot";
import { IssueState } from "../cluster-state";

export { utcDay } from "../utc-day";

/** One failure over the day's new-issue limit, as its digest lists it. */
export const DigestEntry = v.object({
  fingerprint: v.pipe(v.string(), v.regex(/^[0-9a-f]{40}$/)),
  plugin: v.string(),
  message: v.string(),
  /** Occurrences counted into this day's digest (exact: the failure's cluster counts them). */
  count: v.pipe(v.number(), v.integer(), v.minValue(1)),
  firstSeen: v.string(),
});
export type DigestEntry = v.InferOutput<typeof DigestEntry>;

export const DigestStepKind = v.picklist(["create", "update"]);
export type DigestStepKind = v.InferOutput<typeof DigestStepKind>;

/** One repo's digest issue for one UTC day: all its Durable Object keeps besides the entries. */
export const DigestState = v.object({
  day: v.string(),
  /** Bumped whenever an entry changes; the issue body shows `reflected`. */
  version: v.number(),
  reflected: v.number(),
  issue: v.nullable(IssueState),
  lease: v.nullable(v.object({ id: v.string(), kind: DigestStepKind, untilMs: v.number(), reflects: v.number() })),
  /** Least time between two body edits (the operator's `minUpdateIntervalSeconds`, at least 1 s). */
  intervalMs: v.number(),
  lastWriteMs: v.number(),
  createAttempts: v.number(),
  createStartedMs: v.nullable(v.number()),
  /** Nothing before then: GitHub said to wait, refused for good, or a write whose outcome is unknown may still land. */
  notBeforeMs: v.number(),
  flushRequestedMs: v.number(),
});
export type DigestState = v.InferOutput<typeof DigestState>;

export function newDigest(day: string, intervalMs: number): DigestState {
  return { day, version: 0, reflected: 0, issue: null, lease: null, intervalMs, lastWriteMs: 0, createAttempts: 0, createStartedMs: null, notBeforeMs: 0, flushRequestedMs: 0 };
}

export type DigestDecision = { kind: DigestStepKind } | { wakeAtMs: number } | null;

/**
 * What the digest needs written next (pure): the issue as soon as it has an entry; then at most one body edit per
 * `intervalMs`, only when an entry changed — a spike of overflowing events costs a few edits, not one per event.
 */
export function decideDigest(state: DigestState, nowMs: number): DigestDecision {
  if (state.lease && state.lease.untilMs > nowMs) return { wakeAtMs: state.lease.untilMs };
  if (state.version === 0) return null;
  if (nowMs < state.notBeforeMs) return { wakeAtMs: state.notBeforeMs };
  if (!state.issue) return { kind: "create" };
  if (state.reflected >= state.version) return null;
  const at = state.lastWriteMs + state.intervalMs;
  return nowMs >= at ? { kind: "update" } : { wakeAtMs: at };
}

/** What a digest step did on GitHub. */
export interface DigestStepResult {
  wrote: "created" | "found" | "updated";
  issue: IssueState;
}

/** Applies a finished step (pure; the caller frees its lease). A digest found by its marker after a lost answer is brought up to date next. */
export function applyDigestStep(state: DigestState, result: DigestStepResult, reflects: number, nowMs: number): DigestState {
  const done = { ...state, issue: result.issue, createAttempts: 0, createStartedMs: null };
  return result.wrote === "found" ? { ...done, reflected: 0, lastWriteMs: 0 } : { ...done, reflected: reflects, lastWriteMs: nowMs };
}
