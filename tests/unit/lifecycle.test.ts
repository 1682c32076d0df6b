import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { addOccurrence, applyStep, type ClusterState, clusterView, decide, type IssueState, withGreen, withMirroredIssue } from "../../shared/cluster-state";
import { toFailure } from "../../shared/convert";
import type { FailureEvent } from "../../shared/failure-event";
import { dailySeries, EMPTY_ACTIVITY, hourlySeries, recordActivity } from "../../shared/lifecycle/activity";
import { fileAfterMet, withArrivals } from "../../shared/lifecycle/file-after";
import { mirroredIssue, IssuesEvent } from "../../shared/lifecycle/issue-event";
import { quietResolution } from "../../shared/lifecycle/lifecycle";
import { sparkline } from "../../shared/lifecycle/sparkline";
import { renderBody } from "../../shared/render/issue";
import { Settings } from "../../shared/settings";
import { kernelPluginError, workflowRun } from "../helpers/events";

// Issue 15: the lifecycle state machine, pure (shared/lifecycle/ and its use in shared/cluster-state.ts).

const base = { windowMinutes: 60, updateIntervalSeconds: 60, issueLabels: [], notify: [], modes: ["issue" as const], riskPolicy: { autoMerge: false, maxAutofixPerDay: 3, maxRiskTier: "low" as const } };
const T0 = Date.parse("2026-11-24T10:00:00Z");
const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();
let n = 0;

/** A failing CI run of `CI` on main at commit `sha`, at `at`. */
function ciFailure(sha: string, at: number, commitAt = at): FailureEvent {
  const payload = workflowRun({ repo: "acme/app", name: "CI", path: ".github/workflows/ci.yml", id: 1000 + n, sha: sha.padEnd(40, "0"), createdAt: iso(commitAt) });
  (payload["workflow_run"] as Record<string, unknown>)["updated_at"] = iso(at);
  const c = toFailure("workflow_run.completed", payload, { kernelStateId: "k", receivedAt: iso(at), settings: v.parse(Settings, { allowWorkflowEvents: true }) });
  if (c.outcome !== "failure") throw new Error(c.outcome);
  return { ...c.failure, eventId: String(n++).padStart(32, "0") };
}

/** A kernel.plugin_error of a plugin at `ref`. */
function pluginFailure(at: number, ref = "main"): FailureEvent {
  const c = toFailure("kernel.plugin_error", kernelPluginError({ requestId: `r${n}`, timestamp: iso(at), plugin: { type: "workflow", id: `acme/app:compute.yml@${ref}`, owner: "acme", repo: "app", workflowId: "compute.yml", ref } }), {
    kernelStateId: "k",
    receivedAt: iso(at),
    settings: v.parse(Settings, {}),
  });
  if (c.outcome !== "failure") throw new Error(c.outcome);
  return { ...c.failure, eventId: String(n++).padStart(32, "0") };
}

const add = (state: ClusterState | null, failure: FailureEvent, settings: Partial<ClusterState["settings"]> = {}) => addOccurrence(state, { fingerprint: "f".repeat(40), failure, settings: { ...base, ...settings }, nowMs: Date.parse(failure.occurredAt) });
const openIssue: IssueState = { number: 1, state: "open", stateReason: null, closedAt: null };
const closed = (at: number, reason = "completed"): IssueState => ({ number: 1, state: "closed", stateReason: reason, closedAt: iso(at) });
const filed = (state: ClusterState, at: number) => applyStep(state, { wrote: "created", issue: openIssue }, state.total, at);
const green = (sha: string, at: number) => ({ run: { sha: sha.padEnd(40, "0"), at: iso(at), runId: 7, url: "https://github.com/acme/app/actions/runs/7" }, workflow: "CI", branch: "main" });

describe("fileAfter", () => {
  const cases: Array<[string, number[], { occurrences: number; withinMinutes: number }, boolean]> = [
    ["the default: the first occurrence", [0], { occurrences: 1, withinMinutes: 60 }, true],
    ["two of three", [0, 1], { occurrences: 3, withinMinutes: 10 }, false],
    ["three within ten minutes", [0, 4, 9], { occurrences: 3, withinMinutes: 10 }, true],
    ["three, but spread over eleven minutes", [0, 5, 11], { occurrences: 3, withinMinutes: 10 }, false],
    ["a later run of three that fits", [0, 30, 35, 39], { occurrences: 3, withinMinutes: 10 }, true],
  ];
  it.each(cases)("%s", (_name, minutes, rule, met) => {
    const arrivals = minutes.reduce<number[]>((all, m) => withArrivals(all, T0 + m * MIN, 1), []);
    expect(fileAfterMet(arrivals, rule)).toBe(met);
  });

  it("no issue before the third occurrence within the window, every occurrence counted; then a create (and it stays due)", () => {
    const rule = { fileAfter: { occurrences: 3, withinMinutes: 10 } };
    let state = add(null, pluginFailure(T0), rule);
    expect(decide(state, T0)).toBeNull();
    state = add(state, pluginFailure(T0 + 12 * MIN), rule);
    expect([state.total, decide(state, T0 + 12 * MIN)]).toEqual([2, null]);
    state = add(state, pluginFailure(T0 + 15 * MIN), rule);
    expect([state.total, decide(state, T0 + 15 * MIN)]).toEqual([3, null]);
    state = add(state, pluginFailure(T0 + 20 * MIN), rule);
    expect([state.total, decide(state, T0 + 20 * MIN)]).toEqual([4, { kind: "create" }]);
    state = add(state, pluginFailure(T0 + 300 * MIN), rule);
    expect(decide(state, T0 + 300 * MIN)).toEqual({ kind: "create" });
  });

  it("an aggregate of shed events counts all its occurrences towards fileAfter", () => {
    const state = addOccurrence(null, { fingerprint: "f".repeat(40), failure: pluginFailure(T0), settings: { ...base, fileAfter: { occurrences: 3, withinMinutes: 10 } }, nowMs: T0, count: 3 });
    expect(decide(state, T0)).toEqual({ kind: "create" });
  });

  it("a cluster stored before fileAfter existed (no lifecycle) is due, as it was", () => {
    const state = { ...add(null, pluginFailure(T0), { fileAfter: { occurrences: 5, withinMinutes: 10 } }), lifecycle: null };
    expect(decide(state, T0)).toEqual({ kind: "create" });
  });
});

describe("resolved when green, reopened when red again", () => {
  // [name, what happens, the decision after it]
  type Step = (s: ClusterState) => ClusterState;
  const redA = ciFailure("aaaaaaa", T0);
  const cases: Array<[string, Step[], ReturnType<typeof decide> | "refused"]> = [
    ["a passing run closes the open issue", [(s) => withGreen(s, green("bbbbbbb", T0 + 5 * MIN)).state], { kind: "resolve" }],
    // (The count edit the new failure owes, not a close.)
    ["a passing run older than the newest failure closes nothing", [(s) => add(s, ciFailure("ccccccc", T0 + 10 * MIN)), (s) => withGreen(s, green("bbbbbbb", T0 + 5 * MIN)).state], { kind: "update" }],
    ["autoClose false: nothing", [(s) => ({ ...s, settings: { ...s.settings, autoClose: false } }), (s) => withGreen(s, green("bbbbbbb", T0 + 5 * MIN)).state], null],
    ["a failure after the passing run cancels the close", [(s) => withGreen(s, green("bbbbbbb", T0 + 5 * MIN)).state, (s) => add(s, ciFailure("ccccccc", T0 + 6 * MIN))], { kind: "update" }],
    ["closed by the run: a failure on a new commit reopens it", [(s) => withGreen(s, green("bbbbbbb", T0 + 5 * MIN)).state, resolved(T0 + 6 * MIN), (s) => add(s, ciFailure("ccccccc", T0 + 20 * MIN))], { kind: "reopen" }],
    ["closed by the run: a re-run of the old commit is mentioned, not reopened", [(s) => withGreen(s, green("bbbbbbb", T0 + 5 * MIN)).state, resolved(T0 + 6 * MIN), (s) => add(s, ciFailure("aaaaaaa", T0 + 20 * MIN))], { kind: "mention" }],
    ["closed by the run: a failure of the passing commit itself (a flaky re-run) is not a regression", [(s) => withGreen(s, green("bbbbbbb", T0 + 5 * MIN)).state, resolved(T0 + 6 * MIN), (s) => add(s, ciFailure("bbbbbbb", T0 + 20 * MIN, T0 + 5 * MIN))], { kind: "mention" }],
    ["closed by the run: a commit older than the passing one, first seen red now, is not a regression", [(s) => withGreen(s, green("bbbbbbb", T0 + 5 * MIN)).state, resolved(T0 + 6 * MIN), (s) => add(s, ciFailure("ddddddd", T0 + 20 * MIN, T0 + 2 * MIN))], { kind: "mention" }],
    ["the same passing run told again (a person reopened the issue) closes nothing", [(s) => withGreen(s, green("bbbbbbb", T0 + 5 * MIN)).state, resolved(T0 + 6 * MIN), (s) => withMirroredIssue(s, openIssue).state, (s) => withGreen(s, green("bbbbbbb", T0 + 5 * MIN)).state], null],
  ];
  function resolved(at: number): Step {
    return (s) => applyStep(s, { wrote: "resolved", issue: closed(at) }, s.total, at);
  }
  it.each(cases)("%s", (_name, steps, expected) => {
    let state = filed(add(null, redA), T0 + MIN);
    for (const step of steps) state = step(state);
    expect(decide(state, T0 + 30 * MIN)).toEqual(expected);
  });

  it("the reopen remembers the version it regressed in, for its comment", () => {
    let state = filed(add(null, redA), T0 + MIN);
    state = withGreen(state, green("bbbbbbb", T0 + 5 * MIN)).state;
    state = applyStep(state, { wrote: "resolved", issue: closed(T0 + 6 * MIN) }, state.total, T0 + 6 * MIN);
    expect(state.lifecycle?.closure).toMatchObject({ by: "green", version: "bbbbbbb".padEnd(40, "0") });
    state = add(state, ciFailure("ccccccc", T0 + 20 * MIN));
    state = applyStep(state, { wrote: "reopened", issue: openIssue }, state.total, T0 + 21 * MIN);
    expect(state.lifecycle?.regression).toEqual({ version: "ccccccc".padEnd(40, "0"), url: `https://github.com/acme/app/actions/runs/${state.recent.at(-1)?.runId}` });
    expect(decide(state, T0 + 21 * MIN)).toEqual({ kind: "comment" });
  });

  it("a mention is made once per window, while old-version re-runs keep coming", () => {
    let state = filed(add(null, redA), T0 + MIN);
    state = withGreen(state, green("bbbbbbb", T0 + 5 * MIN)).state;
    state = applyStep(state, { wrote: "resolved", issue: closed(T0 + 6 * MIN) }, state.total, T0 + 6 * MIN);
    state = add(state, ciFailure("aaaaaaa", T0 + 20 * MIN));
    state = applyStep(state, { wrote: "mentioned", issue: closed(T0 + 6 * MIN) }, state.total, T0 + 20 * MIN);
    expect(decide(state, T0 + 21 * MIN)).toBeNull();
    state = add(state, ciFailure("aaaaaaa", T0 + 30 * MIN));
    expect(decide(state, T0 + 30 * MIN)).toEqual({ wakeAtMs: T0 + 80 * MIN });
    expect(decide(state, T0 + 80 * MIN)).toEqual({ kind: "mention" });
  });
});

describe("mirrored from GitHub, and a person's close of a plugin failure", () => {
  const cases: Array<[string, IssueState, ReturnType<typeof decide>]> = [
    ["closed as not planned: silenced (a recurrence is only counted, GitHub re-read once per window)", closed(T0 + 2 * MIN, "not_planned"), { wakeAtMs: T0 + 2 * MIN + 0 + 60 * MIN - 2 * MIN }],
    ["closed as completed: a recurrence of an unversioned plugin failure reopens", closed(T0 + 2 * MIN), { kind: "reopen" }],
  ];
  it.each(cases)("%s", (_name, issue, expected) => {
    let state = filed(add(null, pluginFailure(T0)), T0 + MIN);
    state = { ...withMirroredIssue(state, issue).state, lastRefreshMs: T0 };
    state = add(state, pluginFailure(T0 + 10 * MIN));
    expect(decide(state, T0 + 10 * MIN)).toEqual(expected);
  });

  it("another issue's number changes nothing; a reopen makes the cluster active", () => {
    const state = filed(add(null, pluginFailure(T0)), T0 + MIN);
    expect(withMirroredIssue(state, { ...closed(T0), number: 2 }).changed).toBe(false);
    const silenced = withMirroredIssue(state, closed(T0 + 2 * MIN, "not_planned")).state;
    const active = withMirroredIssue(silenced, openIssue).state;
    expect(active.issue).toEqual(openIssue);
    expect(decide(add(active, pluginFailure(T0 + 3 * MIN)), T0 + 3 * MIN)).toEqual({ wakeAtMs: T0 + 3 * MIN + 30_000 });
  });

  it("a plugin failure closed as completed at commit ref A: a recurrence at A is mentioned, at a new commit ref B reopens", () => {
    const a = "1234567abc";
    let state = filed(add(null, pluginFailure(T0, a)), T0 + MIN);
    state = withMirroredIssue(state, closed(T0 + 2 * MIN)).state;
    expect(decide(add(state, pluginFailure(T0 + 10 * MIN, a)), T0 + 10 * MIN)).toEqual({ kind: "mention" });
    expect(decide(add(state, pluginFailure(T0 + 10 * MIN, "89abcdef01")), T0 + 10 * MIN)).toEqual({ kind: "reopen" });
  });

  const events: Array<[string, unknown, unknown]> = [
    ["closed as not planned, with the marker", { action: "closed", issue: { number: 3, body: `<!-- daemon-hotfix:fingerprint=${"a".repeat(40)} -->\nbody`, state_reason: "not_planned", closed_at: iso(T0) }, repository: { full_name: "acme/app" }, sender: { login: "jane" } }, { fingerprint: "a".repeat(40), repo: "acme/app", issue: { number: 3, state: "closed", stateReason: "not_planned", closedAt: iso(T0) }, actor: "jane" }],
    ["reopened, with the marker", { action: "reopened", issue: { number: 3, body: `<!-- daemon-hotfix:fingerprint=${"a".repeat(40)} -->` }, repository: { full_name: "acme/app" } }, { fingerprint: "a".repeat(40), repo: "acme/app", issue: { number: 3, state: "open", stateReason: "reopened", closedAt: null }, actor: null }],
    ["no marker", { action: "closed", issue: { number: 3, body: "a bug" }, repository: { full_name: "acme/app" } }, "not an issue daemon-hotfix filed (no marker)"],
    ["the marker not at the start", { action: "closed", issue: { number: 3, body: `quoting <!-- daemon-hotfix:fingerprint=${"a".repeat(40)} -->` }, repository: { full_name: "acme/app" } }, "not an issue daemon-hotfix filed (no marker)"],
    ["a digest issue", { action: "closed", issue: { number: 3, body: "<!-- daemon-hotfix:digest=2026-11-24 -->" }, repository: { full_name: "acme/app" } }, "not an issue daemon-hotfix filed (no marker)"],
    ["edited", { action: "edited", issue: { number: 3, body: `<!-- daemon-hotfix:fingerprint=${"a".repeat(40)} -->` }, repository: { full_name: "acme/app" } }, 'action "edited" of an issue is not mirrored'],
  ];
  it.each(events)("issues event: %s", (_name, payload, expected) => {
    const found = mirroredIssue(v.parse(IssuesEvent, payload));
    expect("mirror" in found ? found.mirror : found.ignored).toEqual(expected);
  });
});

describe("the picture of the failure", () => {
  const lines: Array<[number[], string]> = [
    [[0, 0, 0], "···"],
    [[1, 2, 3, 4, 5, 6, 7, 8], "▁▂▃▄▅▆▇█"],
    [[0, 1, 100], "·▁█"],
    [[5, 5], "██"],
  ];
  it.each(lines)("sparkline(%j) = %s", (values, line) => {
    expect(sparkline(values)).toBe(line);
  });

  it("counts by hour (24) and by day (14), late events where they happened, older buckets dropped", () => {
    let activity = EMPTY_ACTIVITY;
    activity = recordActivity(activity, T0, 2);
    activity = recordActivity(activity, T0 - 3 * 3_600_000, 1);
    activity = recordActivity(activity, T0 - 3 * 86_400_000, 4);
    activity = recordActivity(activity, T0 - 30 * 86_400_000, 9);
    const hourly = hourlySeries(activity, T0);
    expect(hourly).toHaveLength(24);
    expect([hourly[23], hourly[20], hourly.reduce((a, b) => a + b, 0)]).toEqual([2, 1, 3]);
    const daily = dailySeries(activity, T0);
    expect(daily).toHaveLength(14);
    expect([daily[13], daily[10], daily.reduce((a, b) => a + b, 0)]).toEqual([3, 4, 7]);
  });

  it("the issue shows both sparklines and how many orgs and repos it affects", () => {
    let state = addOccurrence(null, { fingerprint: "f".repeat(40), failure: { ...pluginFailure(T0 - 86_400_000), trigger: { repo: "acme/one" } }, settings: base, nowMs: T0, reporter: "acme" });
    state = addOccurrence(state, { fingerprint: state.fingerprint, failure: { ...pluginFailure(T0), trigger: { repo: "beta/two" } }, settings: base, nowMs: T0, reporter: "beta" });
    state = addOccurrence(state, { fingerprint: state.fingerprint, failure: { ...pluginFailure(T0), trigger: { repo: "beta/three" } }, settings: base, nowMs: T0, reporter: "beta", count: 2 });
    const body = renderBody(clusterView(state, T0), { windowMinutes: 60, updateIntervalSeconds: 60, isNew: true });
    expect(body).toContain("| Reported by | affects 2 orgs / 3 repos |");
    expect(body).toContain("| Last 14 days | `············▃█` 4 (peak 3 per day; oldest left) |");
    expect(body).toContain("| Last 24 hours | `·······················█` 3 (peak 3 per hour; oldest left) |");
  });
});

describe("the events listened to", () => {
  it("converts issues.closed and issues.reopened only (other issue actions are not listened to)", () => {
    const ctx = { kernelStateId: "k", receivedAt: iso(T0), settings: v.parse(Settings, {}) };
    const payload = { action: "closed", issue: { number: 3, body: `<!-- daemon-hotfix:fingerprint=${"a".repeat(40)} -->` }, repository: { full_name: "acme/app" } };
    expect(toFailure("issues.closed", payload, ctx)).toMatchObject({ outcome: "mirror" });
    expect(toFailure("issues.reopened", { ...payload, action: "reopened" }, ctx)).toMatchObject({ outcome: "mirror" });
    expect(toFailure("issues.opened", payload, ctx)).toEqual({ outcome: "ignored", reason: 'event "issues.opened" is not one daemon-hotfix handles' });
    expect(toFailure("issues.closed", { action: "closed" }, ctx)).toMatchObject({ outcome: "invalid" });
  });
});

describe("quiet plugin failures", () => {
  const DAY = 86_400_000;
  const lastSeen = iso(T0);
  const lc = () => add(null, pluginFailure(T0, "v1.0.0")).lifecycle ?? undefined;
  const cases: Array<[string, Partial<Parameters<typeof quietResolution>[0]>, ReturnType<typeof quietResolution>]> = [
    ["moved on and quiet for 7 days: closed, naming the new ref and when it was seen", { pluginVersion: { ref: "v1.1.0", seenAt: iso(T0 + DAY) }, nowMs: T0 + 7 * DAY }, { resolve: { by: "quiet", ref: "v1.1.0", since: iso(T0 + DAY) } }],
    ["moved on, quiet for 3 days: look again at day 7", { pluginVersion: { ref: "v1.1.0", seenAt: iso(T0 + DAY) }, nowMs: T0 + 3 * DAY }, { wakeAtMs: T0 + 7 * DAY }],
    ["not moved on: nothing", { pluginVersion: null, nowMs: T0 + 30 * DAY }, null],
    ["the other ref was seen before the last occurrence (the failure went on after it): nothing", { pluginVersion: { ref: "v0.9.0", seenAt: iso(T0 - DAY) }, nowMs: T0 + 30 * DAY }, null],
    ["the same ref: nothing", { pluginVersion: { ref: "v1.0.0", seenAt: iso(T0 + DAY) }, nowMs: T0 + 30 * DAY }, null],
    ["a CI failure: nothing", { kind: "workflow_run", pluginVersion: { ref: "v1.1.0", seenAt: iso(T0 + DAY) }, nowMs: T0 + 30 * DAY }, null],
    ["no open issue: nothing", { issueOpen: false, pluginVersion: { ref: "v1.1.0", seenAt: iso(T0 + DAY) }, nowMs: T0 + 30 * DAY }, null],
  ];
  it.each(cases)("%s", (_name, input, expected) => {
    const lifecycle = lc();
    if (!lifecycle) throw new Error("no lifecycle");
    expect(quietResolution({ lc: lifecycle, kind: "plugin_error", issueOpen: true, lastSeen, quietDays: 7, pluginVersion: null, nowMs: T0, ...input })).toEqual(expected);
  });
});
