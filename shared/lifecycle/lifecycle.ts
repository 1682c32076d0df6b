import * as v from "valibot";
import { CiCommit } from "../ci-context/schema";
import type { FailureEvent } from "../failure-event";
import { Activity, EMPTY_ACTIVITY, recordActivity } from "./activity";
import { type FileAfter, fileAfterMet, withArrivals } from "./file-after";
import { isUnversioned, SeenVersion, withVersions } from "./versions";

/**
 * Issue 15: the failure's life as a cluster keeps it — filed when it matters (`fileAfter`), resolved when CI is
 * green again or a plugin failure stays quiet, GitHub's state mirrored, regressions told apart by version. Pure:
 * the cluster Durable Object stores it (in `ClusterState.lifecycle`) and asks these functions what follows.
 */

/** A close daemon-hotfix owes the issue (performed by the writes queue as a `resolve` step). */
export const Resolution = v.variant("by", [
  v.object({ by: v.literal("green"), run: CiCommit, workflow: v.string(), branch: v.optional(v.string()) }),
  v.object({ by: v.literal("quiet"), ref: v.string(), since: v.string() }),
]);
export type Resolution = v.InferOutput<typeof Resolution>;

/** How the issue was last closed, as far as daemon-hotfix knows (`person`: on GitHub, mirrored or read back). */
export const Closure = v.object({
  by: v.picklist(["green", "quiet", "person"]),
  /** The version current at the close (the passing run's commit; for a person's close, the newest gating version seen). */
  version: v.nullable(v.string()),
  /** For a close by a passing run: its commit's time (an older commit's run is a re-run, never a regression). */
  commitAt: v.optional(v.string()),
  url: v.optional(v.string()),
});
export type Closure = v.InferOutput<typeof Closure>;

export const Lifecycle = v.object({
  /** Occurrence times (ms), sorted, bounded: `fileAfter`'s window. */
  arrivals: v.array(v.number()),
  /** `fileAfter` was met once: the issue may be filed (it stays so). */
  fileDue: v.boolean(),
  activity: Activity,
  versions: v.array(SeenVersion),
  /** The newest occurrence naming no gating version (ISO), if any. */
  unversionedLastSeen: v.nullable(v.string()),
  /** Distinct trigger repos that reported it (lower-cased, bounded): the issue says how many, never which. */
  repos: v.array(v.string()),
  resolve: v.nullable(Resolution),
  closure: v.nullable(Closure),
  /** Re-runs of an old version since the close were last mentioned (one comment) at this total and time. */
  mentioned: v.object({ total: v.number(), atMs: v.number() }),
  /** The last reopen's cause, for its comment: the version it regressed in (null: unknown) and the run that showed it. */
  regression: v.optional(v.nullable(v.object({ version: v.nullable(v.string()), url: v.optional(v.string()) })), null),
  /** The newest passing run taken (its time): the same run told again (a reopen by a person) closes nothing. */
  greenAt: v.optional(v.nullable(v.string()), null),
});
export type Lifecycle = v.InferOutput<typeof Lifecycle>;

export const MAX_REPOS = 100;

export function emptyLifecycle(): Lifecycle {
  return { arrivals: [], fileDue: false, activity: EMPTY_ACTIVITY, versions: [], unversionedLastSeen: null, repos: [], resolve: null, closure: null, mentioned: { total: 0, atMs: 0 }, regression: null, greenAt: null };
}

/**
 * A cluster stored before issue 15 has no lifecycle: it was filed at its first occurrence, so it counts as due.
 */
export function lifecycleOf(stored: Lifecycle | null | undefined): Lifecycle {
  return stored ?? { ...emptyLifecycle(), fileDue: true };
}

const laterIso = (a: string | null, b: string) => (a === null || Date.parse(b) > Date.parse(a) ? b : a);

/** `count` occurrences of `failure` folded in: arrivals, activity, versions, repos; an owed close a newer run cancels. */
export function recordOccurrence(lc: Lifecycle, failure: FailureEvent, count: number, fileAfter: FileAfter): Lifecycle {
  const atMs = Date.parse(failure.occurredAt);
  const arrivals = withArrivals(lc.arrivals, Number.isFinite(atMs) ? atMs : 0, count);
  const repo = failure.trigger.repo?.toLowerCase();
  const repos = repo && !lc.repos.includes(repo) && lc.repos.length < MAX_REPOS ? [...lc.repos, repo] : lc.repos;
  return {
    ...lc,
    arrivals,
    fileDue: lc.fileDue || fileAfterMet(arrivals, fileAfter),
    activity: recordActivity(lc.activity, atMs, count),
    versions: withVersions(lc.versions, failure),
    unversionedLastSeen: isUnversioned(failure) ? laterIso(lc.unversionedLastSeen, failure.occurredAt) : lc.unversionedLastSeen,
    repos,
    resolve: lc.resolve && failsAfter(lc.resolve, failure) ? null : lc.resolve,
  };
}

/** A failure newer than the passing run (or quiet spell) a close was owed for: the close is off. */
function failsAfter(resolve: Resolution, failure: FailureEvent): boolean {
  if (resolve.by === "quiet") return true;
  const red = failure.ci?.facts.commit?.at ?? failure.occurredAt;
  return Date.parse(red) > Date.parse(resolve.run.at);
}

/** Why a passing run does not close the issue (null: it does). Pure. */
export function greenRefusal(input: { lc: Lifecycle; issueOpen: boolean; autoClose: boolean; isCi: boolean; run: CiCommit }): string | null {
  if (!input.isCi) return "not a CI failure";
  if (!input.autoClose) return "settings.autoClose is false";
  if (!input.issueOpen) return "no open issue";
  const newestRed = input.lc.versions.filter((s) => s.kind === "commit").reduce<number>((max, s) => Math.max(max, Date.parse(s.commitAt ?? s.lastSeen) || 0), 0);
  if ((Date.parse(input.run.at) || 0) < newestRed) return "the passing run is older than the newest failing one";
  const taken = input.lc.greenAt ?? null;
  if (taken !== null && (Date.parse(input.run.at) || 0) <= Date.parse(taken)) return "this passing run was taken already";
  return null;
}

/** What a recurrence after a close is. */
export type Recurrence = { kind: "none" } | { kind: "regression"; version: SeenVersion | null } | { kind: "old"; version: SeenVersion };

/**
 * Whether the failure came back after the issue was closed at `closedAtMs` (for a close by a passing run: since that
 * run began), and how: on a version new since the close
 * (or naming none) → a regression, reopened; only on versions seen up to the close, the close's own, or a commit no
 * newer than the passing one (a re-run of an old commit) → counted and mentioned, not reopened. Pure.
 */
export function recurrenceAfterClose(lc: Lifecycle, closedAtMs: number): Recurrence {
  const closure = lc.closure;
  // Closed by a passing run: what failed after that run began may be a regression (GitHub's close came later, on GitHub's clock).
  const sinceMs = closure?.by === "green" && closure.commitAt && Number.isFinite(Date.parse(closure.commitAt)) ? Date.parse(closure.commitAt) : closedAtMs;
  const after = (iso: string) => Date.parse(iso) > sinceMs;
  const isOld = (s: SeenVersion) =>
    !after(s.firstSeen) || (closure?.version !== null && closure?.version !== undefined && s.value === closure.version) || (closure?.commitAt !== undefined && s.commitAt !== undefined && Date.parse(s.commitAt) <= Date.parse(closure.commitAt));
  const recurred = lc.versions.filter((s) => s.gating && after(s.lastSeen));
  const fresh = recurred.filter((s) => !isOld(s)).sort((a, b) => Date.parse(a.firstSeen) - Date.parse(b.firstSeen));
  const newest = fresh.at(-1);
  if (newest) return { kind: "regression", version: newest };
  if (lc.unversionedLastSeen !== null && after(lc.unversionedLastSeen)) return { kind: "regression", version: null };
  const old = recurred.sort((a, b) => Date.parse(a.lastSeen) - Date.parse(b.lastSeen)).at(-1);
  return old ? { kind: "old", version: old } : { kind: "none" };
}

/** The newest gating version seen (what was current when a person closed the issue). */
export function currentVersion(lc: Lifecycle): SeenVersion | null {
  return lc.versions.filter((s) => s.gating).sort((a, b) => Date.parse(a.lastSeen) - Date.parse(b.lastSeen)).at(-1) ?? null;
}

/** The closure to remember when the issue is seen closed as completed by someone else (kept when it is ours). */
export function closureOnClose(lc: Lifecycle, by: Closure["by"]): Closure {
  if (lc.closure && by === "person") return lc.closure;
  const current = currentVersion(lc);
  return { by, version: current?.value ?? null };
}

/**
 * A quiet plugin failure: an open issue of a `kernel.plugin_error` cluster whose plugin moved on (a ref or commit
 * other than the failure's newest, seen after its last occurrence) and that has not recurred for `quietDays`.
 * Returns the close owed, or when to look again (null: never, as things stand). Pure.
 */
export function quietResolution(input: { lc: Lifecycle; kind: FailureEvent["kind"]; issueOpen: boolean; lastSeen: string; quietDays: number; pluginVersion: { ref: string; seenAt: string } | null; nowMs: number }): { resolve: Resolution } | { wakeAtMs: number } | null {
  if (input.kind !== "plugin_error" || !input.issueOpen || input.lc.resolve) return null;
  const moved = input.pluginVersion;
  if (!moved) return null;
  const lastRef = input.lc.versions.filter((s) => s.kind === "ref").sort((a, b) => Date.parse(a.lastSeen) - Date.parse(b.lastSeen)).at(-1);
  if (lastRef?.value === moved.ref || Date.parse(moved.seenAt) <= Date.parse(input.lastSeen)) return null;
  const due = Date.parse(input.lastSeen) + input.quietDays * 86_400_000;
  return input.nowMs >= due ? { resolve: { by: "quiet", ref: moved.ref, since: moved.seenAt } } : { wakeAtMs: due };
}
