import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import * as v from "valibot";
import { describe, expect, it } from "vitest";
import type { Breakage } from "../../shared/ci-context/schema";
import type { PendingRun } from "../../shared/ci-context/stream-messages";
import { toFailure } from "../../shared/convert";
import type { CiMessage } from "../../shared/queue-message";
import { createRedactor } from "../../shared/redact";
import { Settings } from "../../shared/settings";
import { type CiStream, GREENS_KEPT, READ_LEASE_MS, REDELIVER_AFTER_MS, UNREADABLE_TTL_MS } from "../../workers/durable/ci-stream";
import { workflowRun } from "../helpers/events";

// Issue 16: the CI stream — where a failing run is first counted (run-level key) before anything is known of what
// broke — decides reads and attributes every run exactly once, the same way on every redelivery.

const settings = v.parse(Settings, { allowWorkflowEvents: true, windowMinutes: 60 });
const T0 = Date.parse("2026-11-20T10:00:00Z");
const MIN = 60_000;

function run(id: number, repo: string, createdAt = "2026-11-20T10:00:00Z"): PendingRun {
  const c = toFailure("workflow_run.completed", workflowRun({ repo, id, createdAt, sha: id.toString(16).padStart(40, "a") }), { kernelStateId: "k", receivedAt: createdAt, settings, redactor: createRedactor() });
  if (c.outcome !== "failure") throw new Error(c.outcome);
  return { failure: { ...c.failure, eventId: id.toString(16).padStart(32, "0") }, settings };
}

const breakage = (job: string): Breakage => ({ key: { job, step: "Run npm test", error: "boom" }, jobs: [], annotations: [] });

/** A fresh stream; its alarm is taken out at the end so the real queue never sees a step. */
async function inStream(test: (stream: CiStream, repo: string) => void | Promise<void>): Promise<void> {
  const repo = `acme/stream-${crypto.randomUUID().slice(0, 8)}`;
  const stub = env.CI_STREAM.getByName(`workflow_run:${repo}:.github/workflows/compute.yml@main`);
  await runInDurableObject(stub, async (instance: CiStream, state) => {
    await test(instance, repo);
    await state.storage.deleteAlarm();
  });
}

describe("CI stream", () => {
  it("counts a run once and attributes a redelivery the same way", async () => {
    await inStream((stream, repo) => {
      const a = run(1, repo);
      expect(stream.recordMany([a], T0)).toEqual({ deliveries: [], pending: [a.failure.eventId] });
      const step = stream.lease(T0);
      if (step?.kind !== "read") throw new Error("expected a read");
      expect(step.run.failure.eventId).toBe(a.failure.eventId);
      const [delivered, ...others] = stream.resolve(step.leaseId, { resolution: "read", readRunId: 1, breakages: [breakage("test"), breakage("lint")] }, 60, T0);
      expect(others).toEqual([]);
      expect(delivered?.attribution).toMatchObject({ resolution: "read", readRunId: 1, breakages: [{ key: { job: "test" } }, { key: { job: "lint" } }] });
      stream.delivered([a.failure.eventId]);
      // The queue redelivers the run's message: the same attribution, nothing new to read.
      const again = stream.recordMany([a], T0 + MIN);
      expect(again.pending).toEqual([]);
      expect(again.deliveries[0]?.attribution).toEqual(delivered?.attribution);
      expect(stream.lease(T0 + MIN)).toBeNull();
    });
  });

  it("reads one run at a time: runs arriving meanwhile wait, then are counted into its breakages (inferred)", async () => {
    await inStream((stream, repo) => {
      const [a, b, c] = [run(11, repo), run(12, repo), run(13, repo)];
      stream.recordMany([a], T0);
      const step = stream.lease(T0);
      if (step?.kind !== "read") throw new Error("expected a read");
      expect(stream.recordMany([b, c], T0 + 1_000).pending).toHaveLength(2);
      expect(stream.lease(T0 + 1_000)).toBeNull();
      const deliveries = stream.resolve(step.leaseId, { resolution: "read", readRunId: 11, breakages: [breakage("test")] }, 60, T0 + 2_000);
      expect(deliveries.map((d) => [d.eventId, d.attribution.resolution, d.attribution.readRunId])).toEqual([
        [a.failure.eventId, "read", 11],
        [b.failure.eventId, "inferred", 11],
        [c.failure.eventId, "inferred", 11],
      ]);
    });
  });

  it("attributes runs at once while the newest read is younger than the window, and reads again after it", async () => {
    await inStream((stream, repo) => {
      stream.recordMany([run(21, repo)], T0);
      const step = stream.lease(T0);
      if (step?.kind !== "read") throw new Error("expected a read");
      stream.delivered(stream.resolve(step.leaseId, { resolution: "read", readRunId: 21, breakages: [breakage("test")] }, 60, T0).map((d) => d.eventId));
      const soon = stream.recordMany([run(22, repo)], T0 + 59 * MIN);
      expect(soon.deliveries.map((d) => d.attribution.resolution)).toEqual(["inferred"]);
      const later = stream.recordMany([run(23, repo)], T0 + 61 * MIN);
      expect(later.pending).toHaveLength(1);
      const reread = stream.lease(T0 + 61 * MIN);
      expect(reread?.kind === "read" && reread.run.failure.correlation.runId).toBe(23);
    });
  });

  it("after GitHub refused a read, groups runs by their event for at most five minutes", async () => {
    await inStream((stream, repo) => {
      stream.recordMany([run(31, repo)], T0);
      const step = stream.lease(T0);
      if (step?.kind !== "read") throw new Error("expected a read");
      const [first] = stream.resolve(step.leaseId, { resolution: "unreadable", reason: "GitHub answered 403" }, 60, T0);
      expect(first?.attribution).toMatchObject({ resolution: "unreadable", breakages: null, reason: "GitHub answered 403" });
      expect(stream.recordMany([run(32, repo)], T0 + UNREADABLE_TTL_MS - 1).deliveries[0]?.attribution.resolution).toBe("unreadable");
      expect(stream.recordMany([run(33, repo)], T0 + UNREADABLE_TTL_MS + 1).pending).toHaveLength(1);
    });
  });

  it("hands out again runs whose counting was never confirmed, and a read whose reader died", async () => {
    await inStream((stream, repo) => {
      const a = run(41, repo);
      stream.recordMany([a], T0);
      const dead = stream.lease(T0);
      expect(dead?.kind).toBe("read");
      // The reader died: after its lease the read is handed out again.
      expect(stream.lease(T0 + READ_LEASE_MS - 1)).toBeNull();
      const step = stream.lease(T0 + READ_LEASE_MS + 1);
      if (step?.kind !== "read") throw new Error("expected the read again");
      if (dead?.kind === "read") expect(stream.resolve(dead.leaseId, { resolution: "read", breakages: [] }, 60, T0)).toEqual([]);
      stream.resolve(step.leaseId, { resolution: "read", breakages: [breakage("test")] }, 60, T0 + READ_LEASE_MS + 2);
      // Resolved, but the consumer died before counting: handed out again after a while, until confirmed.
      const redo = stream.lease(T0 + READ_LEASE_MS + 2 + REDELIVER_AFTER_MS);
      expect(redo?.kind === "deliver" && redo.deliveries.map((d) => d.eventId)).toEqual([a.failure.eventId]);
      stream.delivered([a.failure.eventId]);
      expect(stream.lease(T0 + READ_LEASE_MS + 2 + 2 * REDELIVER_AFTER_MS)).toBeNull();
    });
  });

  it("keeps the newest passing commits and gives each run the last one before it", async () => {
    await inStream((stream, repo) => {
      for (let i = 0; i < GREENS_KEPT + 5; i++) {
        stream.green({ stream: "s", repo, workflow: ".github/workflows/compute.yml", branch: "main", commit: { sha: i.toString(16).padStart(40, "b"), at: new Date(T0 - (30 - i) * MIN).toISOString(), runId: 500 + i } });
      }
      expect(stream.greens()).toHaveLength(GREENS_KEPT);
      // A failing run created between green #10 and #11.
      const red = run(51, repo, new Date(T0 - (30 - 10) * MIN + 30_000).toISOString());
      stream.recordMany([red], T0);
      const step = stream.lease(T0);
      if (step?.kind !== "read") throw new Error("expected a read");
      const [d] = stream.resolve(step.leaseId, { resolution: "read", breakages: [breakage("test")] }, 60, T0);
      expect(d?.attribution.lastGreen?.runId).toBe(510);
    });
  });

  it("never forgets a run still waiting for its read", async () => {
    await inStream(async (stream, repo) => {
      const old = run(61, repo);
      stream.recordMany([old], Date.now() - 8 * 24 * 60 * MIN);
      (stream as unknown as { env: Env }).env = { ...env, CI_CONTEXT: { send: async () => undefined } as unknown as Queue };
      await stream.alarm();
      const step = stream.lease(Date.now());
      expect(step?.kind === "read" && step.run.failure.eventId).toBe(old.failure.eventId);
    });
  });

  it("asks the consumer for its step with a ci message from its alarm", async () => {
    await inStream(async (stream, repo) => {
      const sent: CiMessage[] = [];
      (stream as unknown as { env: Env }).env = { ...env, CI_CONTEXT: { send: async (m: CiMessage) => void sent.push(m) } as unknown as Queue };
      stream.recordMany([run(71, repo)], Date.now());
      await stream.alarm();
      expect(sent).toEqual([{ version: 1, type: "ci", stream: `workflow_run:${repo}:.github/workflows/compute.yml@main` }]);
    });
  });
});
