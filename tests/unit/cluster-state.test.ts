import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { addOccurrence, applyStep, type ClusterState, decide } from "../../shared/cluster-state";
import { toFailure } from "../../shared/convert";
import type { FailureEvent } from "../../shared/failure-event";
import { Settings } from "../../shared/settings";
import { kernelPluginError } from "../helpers/events";

const settings = { windowMinutes: 60, updateIntervalSeconds: 60, issueLabels: [], notify: [], modes: ["issue" as const], riskPolicy: { autoMerge: false, maxAutofixPerDay: 3, maxRiskTier: "low" as const } };
const T0 = Date.parse("2026-11-24T10:00:00Z");
let n = 0;
function failure(at = T0): FailureEvent {
  const c = toFailure("kernel.plugin_error", kernelPluginError({ requestId: `r${n++}`, timestamp: new Date(at).toISOString() }), {
    kernelStateId: "k",
    receivedAt: new Date(at).toISOString(),
    settings: v.parse(Settings, {}),
  });
  if (c.outcome !== "failure") throw new Error(c.outcome);
  return { ...c.failure, eventId: String(n).padStart(32, "0") };
}
const add = (state: ClusterState | null, at = T0) => addOccurrence(state, { fingerprint: "f".repeat(40), failure: failure(at), settings, nowMs: at });
const open = (number = 1) => ({ number, state: "open" as const, stateReason: null, closedAt: null });

describe("cluster decisions", () => {
  it("creates an issue for the first occurrence", () => {
    expect(decide(add(null), T0)).toEqual({ kind: "create" });
  });

  it("waits while a step is leased", () => {
    const state = { ...add(null), lease: { id: "l", kind: "create" as const, untilMs: T0 + 60_000, eventId: "e", reflects: 1, issuedMs: T0 } };
    expect(decide(state, T0 + 1000)).toEqual({ wakeAtMs: T0 + 60_000 });
    expect(decide(state, T0 + 60_000)).toEqual({ kind: "create" });
  });

  it("edits the body at most once per update interval, and only when counts changed", () => {
    let state = applyStep(add(null), { wrote: "created", issue: open() }, 1, T0);
    expect(decide(state, T0 + 5_000)).toBeNull();
    state = add(state, T0 + 5_000);
    expect(decide(state, T0 + 5_000)).toEqual({ wakeAtMs: T0 + 60_000 });
    expect(decide(state, T0 + 60_000)).toEqual({ kind: "update" });
    state = applyStep(state, { wrote: "updated", issue: open() }, 2, T0 + 60_000);
    expect(decide(state, T0 + 200_000)).toBeNull();
  });

  it("waits for a lull before editing during a storm, but not longer than ten intervals", () => {
    let state = applyStep(add(null), { wrote: "created", issue: open() }, 1, T0);
    // Events every 10 s for ten minutes: no edit while they keep coming…
    for (let t = 10_000; t < 600_000; t += 10_000) {
      state = add(state, T0 + t);
      expect(decide(state, T0 + t)).not.toEqual({ kind: "update" });
    }
    // …until ten intervals after the last write, when the count must show even though the storm goes on.
    state = add(state, T0 + 600_000);
    expect(decide(state, T0 + 600_000)).toEqual({ kind: "update" });
    state = applyStep(state, { wrote: "updated", issue: open() }, state.total, T0 + 600_000);
    // The storm goes on for five more minutes, then stops: one edit, 30 s (half the interval) after its last event.
    for (let t = 610_000; t <= 900_000; t += 10_000) state = add(state, T0 + t);
    expect(decide(state, T0 + 901_000)).toEqual({ wakeAtMs: T0 + 930_000 });
    expect(decide(state, T0 + 930_000)).toEqual({ kind: "update" });
  });

  it("looks for a create whose outcome is unknown only once it can no longer land late", () => {
    const state = { ...add(null), createAttempts: 1, createStartedMs: T0, reassertAfterMs: T0 + 3_000 };
    expect(decide(state, T0 + 1_000)).toEqual({ wakeAtMs: T0 + 3_000 });
    expect(decide(state, T0 + 3_000)).toEqual({ kind: "create" });
    expect(applyStep(state, { wrote: "found", issue: open() }, 1, T0 + 3_100).reassertAfterMs).toBeNull();
  });

  it("writes the body again after an edit whose outcome is unknown could have landed late", () => {
    let state = applyStep(add(null), { wrote: "created", issue: open() }, 1, T0);
    state = { ...add(state, T0 + 1000), reassertAfterMs: T0 + 5_000 };
    // An update begun before the late write could land does not settle it…
    state = applyStep(state, { wrote: "updated", issue: open() }, 2, T0 + 2_000, T0 + 1_900);
    expect(decide(state, T0 + 3_000)).toEqual({ wakeAtMs: T0 + 5_000 });
    expect(decide(state, T0 + 5_000)).toEqual({ kind: "update" });
    // …one begun after it does.
    state = applyStep(state, { wrote: "updated", issue: open() }, 2, T0 + 5_100, T0 + 5_000);
    expect(state.reassertAfterMs).toBeNull();
    expect(decide(state, T0 + 100_000)).toBeNull();
  });

  it("comments once when a recurrence opens a new window", () => {
    let state = applyStep(add(null), { wrote: "created", issue: open() }, 1, T0);
    state = add(state, T0 + 61 * 60_000);
    expect(decide(state, T0 + 61 * 60_000)).toEqual({ kind: "comment" });
    state = applyStep(state, { wrote: "commented", issue: open() }, 2, T0 + 61 * 60_000);
    expect(state.commentedTotal).toBe(2);
    expect(decide(state, T0 + 61 * 60_000)).toEqual({ kind: "update" });
    state = applyStep(state, { wrote: "updated", issue: open() }, 2, T0 + 61 * 60_000);
    state = add(state, T0 + 62 * 60_000);
    expect(decide(state, T0 + 63 * 60_000)).toEqual({ kind: "update" });
  });

  it("reopens an issue closed as completed when the failure recurs after the close, then comments", () => {
    let state = applyStep(add(null), { wrote: "created", issue: open() }, 1, T0);
    state = add(state, T0 + 120_000);
    state = applyStep(state, { wrote: "updated", issue: { number: 1, state: "closed", stateReason: "completed", closedAt: new Date(T0 + 60_000).toISOString() } }, 1, T0 + 120_000);
    expect(decide(state, T0 + 120_000)).toEqual({ kind: "reopen" });
    state = applyStep(state, { wrote: "reopened", issue: { number: 1, state: "open", stateReason: "reopened", closedAt: null } }, 2, T0 + 121_000);
    expect(decide(state, T0 + 121_000)).toEqual({ kind: "comment" });
  });

  it("does not reopen for an occurrence from before the close that arrives late", () => {
    let state = applyStep(add(null, T0), { wrote: "created", issue: open() }, 1, T0);
    state = applyStep(state, { wrote: "updated", issue: { number: 1, state: "closed", stateReason: "completed", closedAt: new Date(T0 + 60_000).toISOString() } }, 1, T0 + 61_000);
    state = add(state, T0 + 30_000);
    expect(decide(state, T0 + 62_000)).toBeNull();
  });

  it("keeps an issue closed as not planned closed, re-reading it once per window", () => {
    let state = applyStep(add(null), { wrote: "created", issue: open() }, 1, T0);
    state = applyStep(state, { wrote: "refreshed", issue: { number: 1, state: "closed", stateReason: "not_planned", closedAt: new Date(T0).toISOString() } }, 1, T0);
    state = add(add(state, T0 + 1000), T0 + 2000);
    expect(state.total).toBe(3);
    expect(decide(state, T0 + 3000)).toEqual({ wakeAtMs: T0 + 60 * 60_000 });
    expect(decide(state, T0 + 60 * 60_000)).toEqual({ kind: "refresh" });
  });

  it("does nothing while GitHub refused the cluster for good, and wakes when the refusal's window ends", () => {
    const state = { ...add(null), blocked: { reason: "404", untilMs: T0 + 1000 } };
    expect(decide(state, T0)).toEqual({ wakeAtMs: T0 + 1000 });
    expect(decide(state, T0 + 1000)).toEqual({ kind: "create" });
  });

  it("keeps the last 10 correlation ids, the refs seen, and first/last seen in event time", () => {
    let state = add(null, T0 + 5000);
    for (let i = 0; i < 12; i++) state = add(state, T0 + i * 1000);
    expect(state.recent).toHaveLength(10);
    expect(state.firstSeen).toBe(new Date(T0).toISOString());
    expect(state.lastSeen).toBe(new Date(T0 + 11_000).toISOString());
    expect(state.refs).toEqual(["main"]);
  });
});
