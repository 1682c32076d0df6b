import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { DigestEntry } from "../../shared/digest/digest-state";
import { unique } from "../helpers/send";

/** Far ahead of the real clock, so the guard's own alarm (which would enqueue work for the consumer) stays quiet. */
const T0 = Date.now() + 30 * 86_400_000;
const DAY = "2031-01-01";
const INTERVAL_MS = 60_000;
const issue = (number: number) => ({ number, state: "open" as const, stateReason: null, closedAt: null });
const entry = (i: number, count = 1): DigestEntry => ({ fingerprint: i.toString(16).padStart(40, "0"), plugin: "acme/p:compute.yml", message: `HTTP 500: answer ${i}`, count, firstSeen: new Date(T0 + i).toISOString() });

describe("SpikeGuard: the exact daily new-issue count and the digest's steps (issue 12)", () => {
  it("grants exactly maxNewIssuesPerRepoPerDay claims under 40 concurrent creates, once per fingerprint, per UTC day", async () => {
    const repo = `acme/guard-${unique()}`;
    const guard = env.SPIKE_GUARD.getByName(`repo:${repo}`);
    const granted = await Promise.all(Array.from({ length: 40 }, (_, i) => guard.claimIssue(repo, DAY, entry(i).fingerprint, 10)));
    expect(granted.filter(Boolean)).toHaveLength(10);
    // A retried create of a granted failure is granted again without using another of the day's issues.
    const first = entry(granted.indexOf(true)).fingerprint;
    expect(await guard.claimIssue(repo, DAY, first, 10)).toBe(true);
    expect(await guard.claimed(DAY)).toBe(10);
    // Another day has its own limit.
    expect(await guard.claimIssue(repo, "2031-01-02", entry(39).fingerprint, 10)).toBe(true);
  });

  it("edits the digest at most once per interval however many reports a spike brings", async () => {
    const repo = `acme/guard-${unique()}`;
    const guard = env.SPIKE_GUARD.getByName(`repo:${repo}`);
    for (let i = 0; i < 5; i++) await guard.report(repo, DAY, entry(i), INTERVAL_MS, T0);
    const create = await guard.plan(DAY, T0);
    expect(create).toMatchObject({ kind: "create", repo, day: DAY, recoverSinceMs: null });
    expect(create?.entries).toHaveLength(5);
    expect((await guard.confirm(DAY, create?.leaseId ?? "", { wrote: "created", issue: issue(7) }, T0 + 100)).next).toBeNull();
    // Fifty reports within the interval: counts go up, new failures come in — no step is due until it ends.
    for (let n = 0; n < 50; n++) await guard.report(repo, DAY, entry(n % 8, 2 + Math.floor(n / 8)), INTERVAL_MS, T0 + 1_000 + n);
    expect(await guard.plan(DAY, T0 + 1_000)).toBeNull();
    expect(await guard.plan(DAY, T0 + 100 + INTERVAL_MS - 1)).toBeNull();
    const update = await guard.plan(DAY, T0 + 100 + INTERVAL_MS);
    expect(update).toMatchObject({ kind: "update", issueNumber: 7 });
    expect(update?.entries).toHaveLength(8);
    expect(update?.entries.find((e) => e.fingerprint === entry(0).fingerprint)?.count).toBe(8);
    await guard.confirm(DAY, update?.leaseId ?? "", { wrote: "updated", issue: issue(7) }, T0 + 100 + INTERVAL_MS);
    expect(await guard.plan(DAY, T0 + 100 + 3 * INTERVAL_MS)).toBeNull();
    // A report with an older (smaller) count changes nothing: reports carry the cluster's exact total.
    await guard.report(repo, DAY, entry(0, 3), INTERVAL_MS, T0 + 4 * INTERVAL_MS);
    expect((await guard.snapshot(DAY))?.entries.find((e) => e.fingerprint === entry(0).fingerprint)?.count).toBe(8);
    expect(await guard.plan(DAY, T0 + 5 * INTERVAL_MS)).toBeNull();
  });

  it("after a create whose answer was lost, waits until it can no longer land, then looks for the digest by its marker", async () => {
    const repo = `acme/guard-${unique()}`;
    const guard = env.SPIKE_GUARD.getByName(`repo:${repo}`);
    await guard.report(repo, DAY, entry(1), INTERVAL_MS, T0);
    const first = await guard.plan(DAY, T0);
    expect(first).toMatchObject({ kind: "create", recoverSinceMs: null });
    // Another consumer cannot take the step while the lease holds.
    expect(await guard.plan(DAY, T0 + 10)).toBeNull();
    await guard.abandon(DAY, first?.leaseId ?? "", { permanent: false, reason: "no answer", outcomeUnknownUntilMs: T0 + 5_000 }, T0 + 1_000);
    expect(await guard.plan(DAY, T0 + 4_999)).toBeNull();
    expect(await guard.plan(DAY, T0 + 5_000)).toMatchObject({ kind: "create", recoverSinceMs: T0 });
  });

  it("keeps the first digest when two were created, and names it for the other to be closed", async () => {
    const repo = `acme/guard-${unique()}`;
    const guard = env.SPIKE_GUARD.getByName(`repo:${repo}`);
    await guard.report(repo, DAY, entry(1), INTERVAL_MS, T0);
    const stale = await guard.plan(DAY, T0, { leaseMs: 1_000 });
    const taken = await guard.plan(DAY, T0 + 2_000); // the first lease ran out: another consumer took over
    await guard.confirm(DAY, taken?.leaseId ?? "", { wrote: "created", issue: issue(3) }, T0 + 2_100);
    expect(await guard.confirm(DAY, stale?.leaseId ?? "", { wrote: "created", issue: issue(4) }, T0 + 2_200)).toEqual({ next: null, duplicateOf: 3 });
    expect((await guard.snapshot(DAY))?.issueNumber).toBe(3);
  });

  it("lets a confirm that outlived its lease claim no more than was shown before", async () => {
    const repo = `acme/guard-${unique()}`;
    const guard = env.SPIKE_GUARD.getByName(`repo:${repo}`);
    await guard.report(repo, DAY, entry(1), INTERVAL_MS, T0);
    const create = await guard.plan(DAY, T0);
    await guard.confirm(DAY, create?.leaseId ?? "", { wrote: "created", issue: issue(3) }, T0);
    await guard.report(repo, DAY, entry(2), INTERVAL_MS, T0 + 1);
    const stale = await guard.plan(DAY, T0 + INTERVAL_MS, { leaseMs: 1_000 });
    const current = await guard.plan(DAY, T0 + INTERVAL_MS + 2_000);
    expect(current).toMatchObject({ kind: "update" });
    await guard.confirm(DAY, stale?.leaseId ?? "", { wrote: "updated", issue: issue(3) }, T0 + INTERVAL_MS + 2_100);
    expect(await guard.snapshot(DAY)).toMatchObject({ version: 2, reflected: 1 });
    await guard.confirm(DAY, current?.leaseId ?? "", { wrote: "updated", issue: issue(3) }, T0 + INTERVAL_MS + 2_200);
    expect(await guard.snapshot(DAY)).toMatchObject({ version: 2, reflected: 2 });
  });
});
