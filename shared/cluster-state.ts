import * as v from "valibot";
import type { ClusterView, Occurrence } from "./cluster-view";
import { MAX_RECENT, occurrenceOf } from "./cluster-view";
import { type BrokenBetween, foldBrokenBetween } from "./ci-context/broken-between";
import { CiCommit } from "./ci-context/schema";
import { FailureEvent } from "./failure-event";
import { dailySeries, hourlySeries } from "./lifecycle/activity";
import { DEFAULT_FILE_AFTER } from "./lifecycle/file-after";
import { closureOnClose, emptyLifecycle, greenRefusal, Lifecycle, lifecycleOf, type Recurrence, recordOccurrence, recurrenceAfterClose, type Resolution } from "./lifecycle/lifecycle";
import { utcDay } from "./utc-day";

/** The part of the settings a cluster needs (from the newest event). */
export const ClusterSettings = v.object({
  windowMinutes: v.number(),
  updateIntervalSeconds: v.number(),
  issueLabels: v.array(v.string()),
  notify: v.array(v.string()),
  modes: v.optional(v.array(v.picklist(["issue", "pr"])), ["issue"]),
  riskPolicy: v.optional(
    v.object({
      autoMerge: v.boolean(),
      maxAutofixPerDay: v.number(),
      maxRiskTier: v.picklist(["low", "medium", "high"]),
      /** Absent (a cluster from before issue 17): 3 and 0.7, the settings' defaults. */
      minOccurrences: v.optional(v.number()),
      minConfidence: v.optional(v.number()),
    }),
    { autoMerge: false, maxAutofixPerDay: 3, maxRiskTier: "low" },
  ),
  /** A fix proposer is configured (the consumer's `AUTOFIX_*`): the root-cause note is due even without PR mode. */
  proposer: v.optional(v.boolean()),
  /** Issue 15's lifecycle settings (absent — clusters stored before it —: the defaults, see `lifecycleSettings`). */
  autoClose: v.optional(v.boolean()),
  fileAfter: v.optional(v.object({ occurrences: v.number(), withinMinutes: v.number() })),
  resolveAfterQuietDays: v.optional(v.number()),
});
export type ClusterSettings = v.InferOutput<typeof ClusterSettings>;

/** The lifecycle settings of a cluster, defaults filled in (`autoClose` true, `fileAfter` 1 in 60, 7 quiet days). */
export function lifecycleSettings(settings: ClusterSettings): { autoClose: boolean; fileAfter: { occurrences: number; withinMinutes: number }; resolveAfterQuietDays: number } {
  return { autoClose: settings.autoClose ?? true, fileAfter: settings.fileAfter ?? { ...DEFAULT_FILE_AFTER }, resolveAfterQuietDays: settings.resolveAfterQuietDays ?? 7 };
}

const OccurrenceSchema = v.object({
  at: v.string(),
  eventId: v.string(),
  stateId: v.optional(v.string()),
  deliveryId: v.optional(v.string()),
  requestId: v.optional(v.string()),
  runId: v.optional(v.number()),
  url: v.optional(v.string()),
});

export const IssueState = v.object({
  number: v.number(),
  state: v.picklist(["open", "closed"]),
  stateReason: v.nullable(v.string()),
  closedAt: v.nullable(v.string()),
});
export type IssueState = v.InferOutput<typeof IssueState>;

export const PlanKind = v.picklist(["create", "update", "comment", "reopen", "refresh", "pr", "digest", "resolve", "mention"]);
export type PlanKind = v.InferOutput<typeof PlanKind>;

export const Autofix = v.object({
  /**
   * `not_allowed`: the repo left `HOTFIX_POLICY.prRepos` (checked again at the PR step); `noted`: the root-cause note
   * was posted and PR mode is off; `low_confidence`: the note was posted, the proposer's confidence was below
   * `riskPolicy.minConfidence` (or it gave no proposal), so no PR.
   */
  status: v.picklist(["opened", "cap_reached", "risk_too_high", "not_allowed", "noted", "low_confidence"]),
  /** UTC day of the decision: a cap reached (or a repo not allowed) today is tried again on another day. */
  day: v.string(),
  tier: v.optional(v.picklist(["low", "medium", "high"])),
  prNumber: v.optional(v.number()),
  branch: v.optional(v.string()),
  autoMerge: v.optional(v.boolean()),
  /** The proposer's confidence, when one was asked. */
  confidence: v.optional(v.number()),
  /** Which proposer and model made the analysis (`openai-compatible/gpt-…`, `workers-ai/@cf/…`). */
  proposer: v.optional(v.string()),
});
export type Autofix = v.InferOutput<typeof Autofix>;

/** One failure's cluster: all a cluster Durable Object stores besides the ids of events it has counted. */
export const ClusterState = v.object({
  fingerprint: v.string(),
  /** The grouping version the fingerprint was computed under (clusters from before versioned grouping: v1). */
  grouping: v.optional(v.string(), "v1"),
  repo: v.string(),
  sample: FailureEvent,
  settings: ClusterSettings,
  latest: v.object({ occurredAt: v.string(), message: v.string(), status: v.nullable(v.number()) }),
  recent: v.array(OccurrenceSchema),
  refs: v.array(v.string()),
  total: v.number(),
  /** The total the issue body shows. */
  reflected: v.number(),
  /** The total when the last comment was posted (or the issue created). */
  commentedTotal: v.number(),
  commentedAt: v.string(),
  windowStartMs: v.number(),
  firstSeen: v.string(),
  lastSeen: v.string(),
  /** When the cluster last received an event (its own clock): updates wait for a lull in a storm. */
  lastEventMs: v.optional(v.number(), 0),
  issue: v.nullable(IssueState),
  lastWriteMs: v.number(),
  lastRefreshMs: v.number(),
  /** A reopen's comment still to post. */
  pendingReopenComment: v.boolean(),
  lease: v.nullable(v.object({ id: v.string(), kind: PlanKind, untilMs: v.number(), eventId: v.string(), reflects: v.number(), issuedMs: v.optional(v.number(), 0) })),
  createAttempts: v.number(),
  createStartedMs: v.nullable(v.number()),
  /** When the comment now due was first handed out; its marker carries it, so a retry can find it once posted. */
  commentStartedMs: v.optional(v.nullable(v.number()), null),
  blocked: v.nullable(v.object({ reason: v.string(), untilMs: v.number() })),
  flushRequestedMs: v.number(),
  /**
   * A write whose outcome is unknown (timeout, dropped connection, 5xx) may still be applied by GitHub after a
   * newer one: once it no longer can (this time), the body is written again so the newest counts win.
   */
  reassertAfterMs: v.optional(v.nullable(v.number()), null),
  /**
   * The distinct reporters (owner logins, lower-cased) whose events were counted here, at most `MAX_REPORTERS` kept:
   * the issue says how many orgs are affected, never which.
   */
  reporters: v.optional(v.array(v.string()), []),
  /** PR mode: what became of this cluster's auto-fix (one PR per cluster at most). */
  autofix: v.optional(v.nullable(Autofix), null),
  /** GitHub steps failed in a row (transiently): the cluster's own retry back-off grows with it. */
  stepFailures: v.optional(v.number(), 0),
  /** A step given back (GitHub failed, or no write slot): not tried again before this time. */
  retryAfterMs: v.optional(v.nullable(v.number()), null),
  /**
   * Spike protection: no issue, because the repo had its new issues for the UTC `day`; the failure is counted in
   * that day's digest, which shows `total - base` occurrences and was last told `reported` (a total).
   */
  digest: v.optional(v.nullable(v.object({ day: v.string(), base: v.number(), reported: v.number() })), null),
  /** CI failures: the first failing commit of the current red streak and the last passing one before it. */
  brokenBetween: v.optional(v.object({ firstRed: CiCommit, lastGreen: v.optional(CiCommit) })),
  /** Issue 15: fileAfter, versions, activity, an owed close, how the issue was closed (absent: stored before it). */
  lifecycle: v.optional(v.nullable(Lifecycle), null),
});
export type ClusterState = v.InferOutput<typeof ClusterState>;

export function clusterView(state: ClusterState, nowMs = Date.parse(state.lastSeen)): ClusterView {
  const lc = lifecycleOf(state.lifecycle);
  return {
    fingerprint: state.fingerprint,
    grouping: state.grouping,
    repo: state.repo,
    sample: state.sample,
    latest: state.latest,
    total: state.total,
    firstSeen: state.firstSeen,
    lastSeen: state.lastSeen,
    sinceComment: state.total - state.commentedTotal,
    sinceCommentFrom: state.commentedAt,
    recent: state.recent as Occurrence[],
    refs: state.refs,
    reporters: (state.reporters ?? []).length,
    repos: lc.repos.length,
    activity: { hourly: hourlySeries(lc.activity, nowMs), daily: dailySeries(lc.activity, nowMs) },
    versions: lc.versions,
    ...(state.brokenBetween ? { brokenBetween: state.brokenBetween } : {}),
  };
}

/** A CI occurrence's commit folded into the cluster's "broken between" (unchanged for other failures). */
function brokenBetweenWith(current: BrokenBetween | undefined, failure: FailureEvent): BrokenBetween | undefined {
  const red = failure.ci?.facts.commit;
  if (!red) return current;
  return foldBrokenBetween(current, red, failure.ci?.details?.lastGreen);
}

const later = (a: string, b: string) => (Date.parse(a) >= Date.parse(b) ? a : b);
const earlier = (a: string, b: string) => (Date.parse(a) <= Date.parse(b) ? a : b);

/** Reporters a cluster remembers by name; beyond, the issue says "at least" this many. */
export const MAX_REPORTERS = 100;

/** The cluster's reporters with `reporter` added (distinct, lower-cased, bounded). */
function withReporter(reporters: readonly string[], reporter: string | null | undefined): string[] {
  const login = reporter?.toLowerCase();
  if (!login || reporters.includes(login) || reporters.length >= MAX_REPORTERS) return [...reporters];
  return [...reporters, login];
}

export interface OccurrenceInput {
  fingerprint: string;
  grouping?: string;
  failure: FailureEvent;
  settings: ClusterSettings;
  nowMs: number;
  /** How many occurrences `failure` stands for (default 1): an aggregate of events shed at ingest counts them all. */
  count?: number;
  /** Owner of the repo whose event reported this occurrence (counted once per cluster). */
  reporter?: string | null;
  /**
   * Whether this event's settings may replace the cluster's (its reporter owns the target repo). An event of
   * another owner never changes a cluster's settings (contract "Trust and tenancy"); it only sets those of a new
   * cluster (the consumer passes the operator's then). Default true.
   */
  shapesSettings?: boolean;
}

/**
 * Counts one occurrence into a cluster (a new one when `state` is null). Pure. `count` (default 1) is how many
 * occurrences `failure` stands for: an aggregate of events shed at ingest counts them all, with one sample.
 */
export function addOccurrence(state: ClusterState | null, input: OccurrenceInput): ClusterState {
  const { failure } = input;
  const count = Math.max(1, input.count ?? 1);
  const occurrence = occurrenceOf(failure);
  const ref = failure.plugin.ref;
  if (!state) {
    const now = new Date(input.nowMs).toISOString();
    return {
      fingerprint: input.fingerprint,
      grouping: input.grouping ?? "v1",
      repo: failure.target.repo,
      sample: failure,
      settings: input.settings,
      latest: { occurredAt: failure.occurredAt, message: failure.message, status: failure.status },
      recent: [occurrence],
      refs: ref ? [ref] : [],
      total: count,
      reflected: 0,
      commentedTotal: 0,
      commentedAt: now,
      windowStartMs: input.nowMs,
      firstSeen: failure.occurredAt,
      lastSeen: failure.occurredAt,
      lastEventMs: input.nowMs,
      issue: null,
      lastWriteMs: 0,
      lastRefreshMs: 0,
      pendingReopenComment: false,
      lease: null,
      createAttempts: 0,
      createStartedMs: null,
      commentStartedMs: null,
      blocked: null,
      flushRequestedMs: 0,
      reassertAfterMs: null,
      reporters: withReporter([], input.reporter),
      autofix: null,
      stepFailures: 0,
      retryAfterMs: null,
      digest: null,
      ...withBrokenBetween(brokenBetweenWith(undefined, failure)),
      lifecycle: recordOccurrence(emptyLifecycle(), failure, count, lifecycleSettings(input.settings).fileAfter),
    };
  }
  const newest = Date.parse(failure.occurredAt) >= Date.parse(state.lastSeen);
  const settings = input.shapesSettings === false ? state.settings : input.settings;
  return {
    ...state,
    settings,
    lifecycle: recordOccurrence(lifecycleOf(state.lifecycle), failure, count, lifecycleSettings(settings).fileAfter),
    reporters: withReporter(state.reporters ?? [], input.reporter),
    latest: newest ? { occurredAt: failure.occurredAt, message: failure.message, status: failure.status } : state.latest,
    recent: [...state.recent, occurrence].sort((a, b) => Date.parse(a.at) - Date.parse(b.at)).slice(-MAX_RECENT),
    refs: ref && !state.refs.includes(ref) ? [...state.refs, ref].slice(-10) : state.refs,
    total: state.total + count,
    lastEventMs: Math.max(state.lastEventMs, input.nowMs),
    firstSeen: earlier(state.firstSeen, failure.occurredAt),
    lastSeen: later(state.lastSeen, failure.occurredAt),
    ...withBrokenBetween(brokenBetweenWith(state.brokenBetween, failure)),
  };
}

const withBrokenBetween = (between: BrokenBetween | undefined) => (between ? { brokenBetween: between } : {});

export type Decision = { kind: PlanKind } | { wakeAtMs: number } | null;

/** Closed as not planned or as a duplicate: stays closed, only counted. */
export function isSilenced(issue: IssueState): boolean {
  return issue.state === "closed" && (issue.stateReason === "not_planned" || issue.stateReason === "duplicate");
}

/**
 * What the cluster needs written next, if anything (pure). Create when there is no issue; reopen an issue
 * closed as completed when the failure recurred after it was closed; keep one closed as not planned closed
 * (re-reading it once per window while it recurs, in case a maintainer reopened it); otherwise one comment
 * per window and body edits at most every `updateIntervalSeconds`.
 */
export function decide(state: ClusterState, nowMs: number): Decision {
  // Refused for good, for a window: then try again (a count update still owed is finished then).
  if (state.blocked && state.blocked.untilMs > nowMs) return { wakeAtMs: state.blocked.untilMs };
  if (state.lease && state.lease.untilMs > nowMs) return { wakeAtMs: state.lease.untilMs };
  const retryAfter = state.retryAfterMs ?? null;
  if (retryAfter !== null && nowMs < retryAfter) return { wakeAtMs: retryAfter };
  if (!state.issue) {
    // fileAfter: no issue until the failure was seen often enough within its window (every occurrence still counted).
    if (!lifecycleOf(state.lifecycle).fileDue) return null;
    const digest = state.digest ?? null;
    // In a digest: counted there — unless it recurred on a later UTC day, which may give it an issue of its own.
    if (digest && utcDay(state.lastEventMs) <= digest.day) return state.total > digest.reported ? { kind: "digest" } : null;
    // A create GitHub may still apply late: look for its issue only once it can no longer land.
    const notBefore = state.reassertAfterMs ?? null;
    return notBefore !== null && nowMs < notBefore ? { wakeAtMs: notBefore } : { kind: "create" };
  }
  const windowMs = state.settings.windowMinutes * 60_000;
  const stale = state.total > state.reflected;
  if (state.issue.state === "closed") {
    if (isSilenced(state.issue)) {
      if (!stale) return null;
      const due = state.lastRefreshMs + windowMs;
      return nowMs >= due ? { kind: "refresh" } : { wakeAtMs: due };
    }
    // Closed as completed: reopen when the failure came back after the close on a version new since then (an
    // occurrence from before the close that arrives late does not reopen it); a re-run of an old version is counted
    // and mentioned once per window, not reopened.
    const recurrence = recurrenceOf(state);
    if (recurrence.kind === "regression") return { kind: "reopen" };
    if (recurrence.kind === "old") {
      const mentioned = lifecycleOf(state.lifecycle).mentioned;
      if (state.total <= mentioned.total) return null;
      const due = mentioned.atMs + windowMs;
      return nowMs >= due ? { kind: "mention" } : { wakeAtMs: due };
    }
    return null;
  }
  if (state.pendingReopenComment) return { kind: "comment" };
  if (state.lifecycle?.resolve) return { kind: "resolve" };
  if (wantsAutofix(state, nowMs)) return { kind: "pr" };
  const reassert = state.reassertAfterMs ?? null;
  if (reassert !== null) return nowMs >= reassert ? { kind: "update" } : { wakeAtMs: reassert };
  if (!stale) return null;
  if (nowMs >= state.windowStartMs + windowMs && state.total > state.commentedTotal) return { kind: "comment" };
  const at = updateAt(state);
  return nowMs >= at ? { kind: "update" } : { wakeAtMs: at };
}

/**
 * When the body may next be edited: not before `updateIntervalSeconds` after the last write, and — while events
 * keep coming — after a lull of half that interval (at most 30 s), so a storm ends in one edit, not one per
 * interval; but never later than ten intervals after the last write, so a failure that never stops still shows.
 */
export function updateAt(state: ClusterState): number {
  const intervalMs = state.settings.updateIntervalSeconds * 1000;
  const earliest = state.lastWriteMs + intervalMs;
  const lull = state.lastEventMs + Math.min(intervalMs / 2, 30_000);
  const latest = state.lastWriteMs + Math.max(intervalMs * 10, intervalMs);
  return Math.max(earliest, Math.min(lull, latest));
}

/** How the failure came back after its issue was closed (see shared/lifecycle/lifecycle.ts). */
export function recurrenceOf(state: ClusterState): Recurrence {
  const closedAt = state.issue?.closedAt ? Date.parse(state.issue.closedAt) : 0;
  // Stored before issue 15 (no versions): any occurrence after the close reopens, as it always did.
  if (!state.lifecycle) return Date.parse(state.lastSeen) > closedAt ? { kind: "regression", version: null } : { kind: "none" };
  return recurrenceAfterClose(state.lifecycle, closedAt);
}

/**
 * A passing run of the cluster's workflow on its branch: the open issue is to be closed (a `resolve` step), unless
 * `greenRefusal` says why not. Pure; returns the state and the reason nothing changed, if so.
 */
export function withGreen(state: ClusterState, green: { run: CiCommit; workflow: string; branch?: string }): { state: ClusterState; refused: string | null } {
  const lc = lifecycleOf(state.lifecycle);
  const refused = greenRefusal({ lc, issueOpen: state.issue?.state === "open", autoClose: lifecycleSettings(state.settings).autoClose, isCi: state.sample.ci !== undefined, run: green.run });
  if (refused) return { state, refused };
  const resolve: Resolution = { by: "green", run: green.run, workflow: green.workflow, ...(green.branch !== undefined ? { branch: green.branch } : {}) };
  return { state: { ...state, lifecycle: { ...lc, resolve, greenAt: green.run.at } }, refused: null };
}

/**
 * GitHub's state of the cluster's issue, as an `issues.closed` / `issues.reopened` event told it: taken at once
 * (closed as not planned → silenced, reopened → active). Another issue's event changes nothing. Pure.
 */
export function withMirroredIssue(state: ClusterState, issue: IssueState): { state: ClusterState; changed: boolean } {
  if (!state.issue || state.issue.number !== issue.number) return { state, changed: false };
  const lc = lifecycleOf(state.lifecycle);
  if (issue.state === "open") return { state: { ...state, issue, lifecycle: { ...lc, closure: null, resolve: null } }, changed: true };
  const closure = issue.stateReason === "completed" ? closureOnClose(lc, "person") : lc.closure;
  return { state: { ...state, issue, pendingReopenComment: false, lifecycle: { ...lc, resolve: null, closure } }, changed: true };
}

/**
 * The auto-fix step is due for this open issue (issue 17): PR mode is on, or a fix proposer is configured (its
 * root-cause note); the cluster reached `riskPolicy.minOccurrences`; and nothing was decided yet — or the daily cap
 * (or the repo leaving `prRepos`) stopped it on an earlier day.
 */
export function wantsAutofix(state: ClusterState, nowMs: number): boolean {
  if (!state.settings.modes?.includes("pr") && state.settings.proposer !== true) return false;
  if (state.total < (state.settings.riskPolicy.minOccurrences ?? 3)) return false;
  const autofix = state.autofix ?? null;
  if (autofix === null) return true;
  return (autofix.status === "cap_reached" || autofix.status === "not_allowed") && autofix.day !== new Date(nowMs).toISOString().slice(0, 10);
}

/** What a GitHub step did, reported back by the consumer. */
export type StepResult = IssueStepResult | DigestedStepResult;

export interface IssueStepResult {
  wrote: "created" | "found" | "updated" | "commented" | "reopened" | "refreshed" | "autofixed" | "resolved" | "mentioned";
  issue: IssueState;
  autofix?: Autofix;
}

/** No issue: the repo had its new issues for `day`, so the failure was counted into that day's digest. */
export interface DigestedStepResult {
  wrote: "digested";
  day: string;
  /** The cluster total the digest's count starts from (see `ClusterState.digest`). */
  base: number;
}

/**
 * For a create or digest step (spike protection): the UTC day it counts for — today for a create, which claims one
 * of today's new issues, the digest's own day for a digest step — and the total the day's digest count starts
 * from. A failure moving to a later day's digest starts from what the earlier one was told: nothing counts twice.
 */
export function digestBaseOf(state: ClusterState, kind: PlanKind, nowMs: number): { day: string; base: number } | undefined {
  const digest = state.digest ?? null;
  if (kind === "digest" && digest) return { day: digest.day, base: digest.base };
  if (kind === "create") return { day: utcDay(nowMs), base: digest?.reported ?? 0 };
  return undefined;
}

/** Applies a finished step to the cluster (pure). `reflects` is the total the step wrote. */
/** A re-assertion is still owed unless this write was begun after any late write could have landed. */
function stillSuspect(state: ClusterState, leaseIssuedMs: number): number | null {
  const reassert = state.reassertAfterMs ?? null;
  return reassert !== null && leaseIssuedMs < reassert ? reassert : null;
}

/** The lifecycle after a step: a close remembered (ours, or a person's that a step read back), an owed close done. */
function lifecycleAfter(state: ClusterState, result: IssueStepResult, nowMs: number): Lifecycle | null {
  if (!state.lifecycle) return null;
  const lc = state.lifecycle;
  switch (result.wrote) {
    case "resolved": {
      const resolve = lc.resolve;
      const closure = resolve?.by === "green" ? { by: "green" as const, version: resolve.run.sha, commitAt: resolve.run.at, ...(resolve.run.url ? { url: resolve.run.url } : {}) } : { ...closureOnClose(lc, "quiet"), by: "quiet" as const };
      return { ...lc, resolve: null, closure };
    }
    case "mentioned":
      return { ...lc, mentioned: { total: state.total, atMs: nowMs } };
    case "reopened": {
      const recurrence = recurrenceOf(state);
      const version = recurrence.kind === "regression" ? recurrence.version : null;
      return { ...lc, closure: null, resolve: null, regression: { version: version?.value ?? null, ...(version?.url ? { url: version.url } : {}) } };
    }
  }
  const wasClosed = state.issue?.state === "closed";
  if (result.issue.state === "closed" && !wasClosed) return { ...lc, resolve: null, closure: result.issue.stateReason === "completed" ? closureOnClose(lc, "person") : lc.closure };
  if (result.issue.state === "open" && wasClosed) return { ...lc, closure: null };
  return lc;
}

export function applyStep(state: ClusterState, result: StepResult, reflects: number, nowMs: number, leaseIssuedMs = nowMs): ClusterState {
  if (result.wrote === "digested") {
    // No issue was made: a later create starts afresh (no earlier attempt to look for).
    return { ...state, digest: { day: result.day, base: result.base, reported: reflects }, createAttempts: 0, createStartedMs: null, reassertAfterMs: null };
  }
  const now = new Date(nowMs).toISOString();
  const next: ClusterState = { ...state, issue: result.issue, lifecycle: lifecycleAfter(state, result, nowMs) };
  switch (result.wrote) {
    case "created":
      return { ...next, reflected: reflects, lastWriteMs: nowMs, windowStartMs: nowMs, commentedTotal: reflects, commentedAt: now, createStartedMs: null, reassertAfterMs: null };
    case "found":
      // The issue a crashed attempt created: its body's counts are unknown, so it is brought up to date next.
      return { ...next, reflected: 0, lastWriteMs: 0, windowStartMs: nowMs, commentedTotal: reflects, commentedAt: now, createStartedMs: null, reassertAfterMs: null };
    case "updated":
      return { ...next, reflected: reflects, lastWriteMs: nowMs, reassertAfterMs: stillSuspect(state, leaseIssuedMs) };
    case "resolved":
      return { ...next, reflected: reflects, lastWriteMs: nowMs, commentStartedMs: null, pendingReopenComment: false, reassertAfterMs: stillSuspect(state, leaseIssuedMs) };
    case "mentioned":
      return { ...next, issue: state.issue ?? result.issue, commentStartedMs: null };
    case "reopened":
      return { ...next, reflected: reflects, lastWriteMs: nowMs, pendingReopenComment: true, reassertAfterMs: stillSuspect(state, leaseIssuedMs) };
    case "commented":
      return { ...next, issue: state.issue ?? result.issue, pendingReopenComment: false, windowStartMs: nowMs, commentedTotal: state.total, commentedAt: now, commentStartedMs: null };
    case "refreshed":
      return { ...next, lastRefreshMs: nowMs };
    case "autofixed":
      return { ...next, issue: state.issue ?? result.issue, autofix: result.autofix ?? null };
  }
}
