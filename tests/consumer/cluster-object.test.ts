import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { ClusterSettings } from "../../shared/cluster-state";
import type { FailureEvent } from "../../shared/failure-event";
import { type ClusterObject, DEFAULT_REQUEST_MS, leaseMsFor, REQUESTS_PER_STEP } from "../../workers/durable/cluster";
import { workflowFailureIn } from "../helpers/failures";

const settings: ClusterSettings = { windowMinutes: 60, updateIntervalSeconds: 0, issueLabels: [], notify: [], modes: ["issue"], riskPolicy: { autoMerge: false, maxAutofixPerDay: 3, maxRiskTier: "low" } };
const repo = `object-${crypto.randomUUID().slice(0, 8)}`;
const open = { number: 7, state: "open" as const, stateReason: null, closedAt: null };

const failure = (): FailureEvent => workflowFailureIn(repo);

function record(instance: ClusterObject, fingerprint: string, n: number, nowMs = Date.now()) {
  return instance.recordMany({ fingerprint, entries: Array.from({ length: n }, () => failure()).map((f) => ({ id: f.eventId, failure: f, settings })), nowMs });
}

/** A cluster whose issue exists and shows its first occurrence. */
function withIssue(instance: ClusterObject, fingerprint: string): void {
  record(instance, fingerprint, 1);
  const create = instance.plan(Date.now());
  expect(create?.kind).toBe("create");
  instance.confirm(create?.leaseId ?? "", { wrote: "created", issue: open }, Date.now(), { written: 1 });
  expect(instance.snapshot()?.reflected).toBe(1);
}

describe("cluster object", () => {
  it("never lets a stale confirm mark counts as shown that were not", async () => {
    const fingerprint = `stale-${crypto.randomUUID()}`;
    await runInDurableObject(env.CLUSTER.getByName(fingerprint), (instance: ClusterObject) => {
      withIssue(instance, fingerprint);
      record(instance, fingerprint, 2);
      // Update A (writing 3) outlives its lease; update B (writing 5) is handed out and confirmed.
      const a = instance.plan(Date.now(), { leaseMs: 1 });
      expect(a).toMatchObject({ kind: "update", reflects: 3 });
      record(instance, fingerprint, 2, Date.now() + 5);
      const b = instance.plan(Date.now() + 10);
      expect(b).toMatchObject({ kind: "update", reflects: 5 });
      instance.confirm(b?.leaseId ?? "", { wrote: "updated", issue: open }, Date.now() + 20, { written: 5 });
      expect(instance.snapshot()?.reflected).toBe(5);
      // A's answer comes last: GitHub may show its older 3 — so the cluster must not think 5 is shown.
      const late = instance.confirm(a?.leaseId ?? "", { wrote: "updated", issue: open }, Date.now() + 30, { written: 3 });
      expect(instance.snapshot()?.reflected).toBe(3);
      expect(late.next).toMatchObject({ kind: "update", reflects: 5 });
    });
  });

  it("holds a lease as long as the longest step it covers can take", async () => {
    // A PR step makes up to 30 requests, each up to the client timeout plus a wait for its write slot.
    expect(leaseMsFor("pr")).toBeGreaterThan(REQUESTS_PER_STEP.pr * DEFAULT_REQUEST_MS);
    expect(leaseMsFor("pr")).toBeGreaterThan(60_000);
    const fingerprint = `lease-${crypto.randomUUID()}`;
    await runInDurableObject(env.CLUSTER.getByName(fingerprint), (instance: ClusterObject) => {
      record(instance, fingerprint, 1);
      const now = Date.now();
      const plan = instance.plan(now, { requestMs: 11_000 });
      const lease = (instance as unknown as { state: { lease: { untilMs: number } } }).state.lease;
      expect(plan?.kind).toBe("create");
      expect(lease.untilMs - now).toBe(leaseMsFor("create", 11_000));
      expect(lease.untilMs - now).toBeGreaterThanOrEqual(REQUESTS_PER_STEP.create * 11_000);
    });
  });

  it("finishes its pending count update after GitHub refused it for a window", async () => {
    const fingerprint = `blocked-${crypto.randomUUID()}`;
    await runInDurableObject(env.CLUSTER.getByName(fingerprint), async (instance: ClusterObject, state) => {
      withIssue(instance, fingerprint);
      record(instance, fingerprint, 3);
      const update = instance.plan(Date.now());
      expect(update?.kind).toBe("update");
      const now = Date.now();
      const abandoned = instance.abandon(update?.leaseId ?? "", { permanent: true, reason: "PATCH: GitHub answered 403" }, now);
      expect(abandoned.refused?.sample.target.repo).toBe(`acme/${repo}`);
      const until = now + settings.windowMinutes * 60_000;
      // Refused: nothing is due while the window lasts, and the object wakes when it ends …
      expect(instance.plan(until - 1)).toBeNull();
      expect(await state.storage.getAlarm()).toBe(until);
      // … and then writes the count it still owes (a window later, the recurrence comment carries it first).
      const due = instance.plan(until);
      expect(due?.reflects).toBe(4);
      expect(["update", "comment"]).toContain(due?.kind);
    });
  });

  it("keeps an index on the time of the event ids it remembers (every alarm reads them by time)", async () => {
    const fingerprint = `index-${crypto.randomUUID()}`;
    await runInDurableObject(env.CLUSTER.getByName(fingerprint), (instance: ClusterObject, state) => {
      record(instance, fingerprint, 3);
      const plan = state.storage.sql.exec<{ detail: string }>(`EXPLAIN QUERY PLAN SELECT MIN(seen_ms) FROM events`).toArray().map((r) => r.detail).join(" ");
      expect(plan).toMatch(/USING (COVERING )?INDEX events_seen_ms/);
      const sweep = state.storage.sql.exec<{ detail: string }>(`EXPLAIN QUERY PLAN DELETE FROM events WHERE seen_ms < 5`).toArray().map((r) => r.detail).join(" ");
      expect(sweep).toMatch(/INDEX events_seen_ms/);
    });
  });
});
