import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { ClusterSettings } from "../../shared/cluster-state";
import type { FailureEvent } from "../../shared/failure-event";
import type { FlushMessage } from "../../shared/queue-message";
import { type ClusterObject, FLUSH_RETRY_MS } from "../../workers/durable/cluster";
import { workflowFailureIn } from "../helpers/failures";

const settings: ClusterSettings = { windowMinutes: 60, updateIntervalSeconds: 60, issueLabels: [], notify: [], modes: ["issue"], riskPolicy: { autoMerge: false, maxAutofixPerDay: 3, maxRiskTier: "low" } };

/** A repo of this file's own: a flush that reaches the real queue after the test files nobody else's issue. */
const repo = `alarm-${crypto.randomUUID().slice(0, 8)}`;

const failure = (): FailureEvent => workflowFailureIn(repo);

/** A queue whose sends wait until released (or fail), standing in for the cluster's WRITES binding. */
function heldQueue(outcome: "sent" | "fails" = "sent") {
  const sent: FlushMessage[] = [];
  let release = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const queue = {
    send: async (message: FlushMessage) => {
      await released;
      if (outcome === "fails") throw new Error("queue unavailable");
      sent.push(message);
    },
  };
  return { queue: queue as unknown as Queue, sent, release };
}

/** Swaps the object's WRITES binding (the DurableObject base class keeps `env` as a plain field). */
function useQueue(instance: ClusterObject, queue: Queue): void {
  (instance as unknown as { env: Env }).env = { ...env, WRITES: queue };
}

function record(instance: ClusterObject, fingerprint: string, nowMs: number) {
  const f = failure();
  return instance.recordMany({ fingerprint, entries: [{ id: f.eventId, failure: f, settings }], nowMs });
}

/** A cluster whose first event's create lease has already run out, so its alarm asks the consumer to act. */
function withExpiredLease(instance: ClusterObject, fingerprint: string): void {
  expect(record(instance, fingerprint, Date.now() - 10_000).flush).toBe(true);
  expect(instance.plan(Date.now() - 10_000, { leaseMs: 1 })?.kind).toBe("create");
}

describe("cluster alarm", () => {
  it("never undoes events recorded while it is sending a flush", async () => {
    const fingerprint = `alarm-race-${crypto.randomUUID()}`;
    const stub = env.CLUSTER.getByName(fingerprint);
    await runInDurableObject(stub, async (instance: ClusterObject, state) => {
      withExpiredLease(instance, fingerprint);
      const held = heldQueue();
      useQueue(instance, held.queue);

      const alarm = instance.alarm();
      // While the flush is on its way, three more occurrences arrive.
      for (let i = 0; i < 3; i++) record(instance, fingerprint, Date.now());
      held.release();
      await alarm;

      expect(held.sent).toEqual([{ version: 1, type: "flush", fingerprint, repo: expect.any(String) }]);
      expect(instance.snapshot()?.total).toBe(4);
      const stored = JSON.parse(state.storage.sql.exec<{ state: string }>(`SELECT state FROM cluster`).one().state) as { total: number };
      expect(stored.total).toBe(4);
    });
  });

  it("asks again soon, on its own, when the queue refused the flush", async () => {
    const fingerprint = `alarm-retry-${crypto.randomUUID()}`;
    const stub = env.CLUSTER.getByName(fingerprint);
    await runInDurableObject(stub, async (instance: ClusterObject, state) => {
      withExpiredLease(instance, fingerprint);
      const failing = heldQueue("fails");
      useQueue(instance, failing.queue);
      failing.release();
      const before = Date.now();
      // Handled, not thrown: the runtime's alarm retries are few, this one keeps coming back.
      await instance.alarm();
      const next = await state.storage.getAlarm();
      expect(next).not.toBeNull();
      expect((next ?? 0) - before).toBeGreaterThanOrEqual(FLUSH_RETRY_MS - 1_000);
      expect((next ?? 0) - before).toBeLessThanOrEqual(FLUSH_RETRY_MS + 1_000);

      const working = heldQueue();
      useQueue(instance, working.queue);
      working.release();
      await instance.alarm();
      expect(working.sent).toHaveLength(1);
    });
  });
});
