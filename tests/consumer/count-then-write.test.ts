import { createExecutionContext, createMessageBatch, getQueueResult, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { FailureMessage } from "../../shared/queue-message";
import type { ClusterObject } from "../../workers/durable/cluster";
import { repoAuth } from "../../workers/github/credentials";
import worker from "../../workers/index";
import { kernelPluginError } from "../helpers/events";
import { github } from "../helpers/github";
import { jsonRequest, postWith, RecordingQueue, signAsKernel } from "../helpers/kernel";
import { pluginRepo, unique } from "../helpers/send";

/** `n` accepted failure messages of `repo`, spread over `kinds` distinct failures (one fingerprint each). */
async function accepted(repo: string, n: number, kinds: number): Promise<FailureMessage[]> {
  const queue = new RecordingQueue();
  const [owner, name] = repo.split("/");
  await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const payload = kernelPluginError({ plugin: { type: "workflow", id: `${repo}:compute.yml`, owner, repo: name }, trigger: { repo: `${owner}/app` }, error: { message: `HTTP 500: failure kind ${"abcdefgh"[i % kinds]}` }, requestId: unique() });
      await postWith(jsonRequest(await signAsKernel(payload, { settings: { updateIntervalSeconds: 1 } })), { EVENTS: queue, GATHER_SECONDS: "0" });
    }),
  );
  return queue.sent as FailureMessage[];
}

/** The cluster namespace, counting the calls made to its objects, by method. */
function countingClusters(namespace: DurableObjectNamespace<ClusterObject>, calls: Map<string, number>): DurableObjectNamespace<ClusterObject> {
  const count = (method: string) => calls.set(method, (calls.get(method) ?? 0) + 1);
  return {
    getByName: (name: string) => {
      const stub = namespace.getByName(name);
      return {
        recordMany: (...args: Parameters<ClusterObject["recordMany"]>) => (count("recordMany"), stub.recordMany(...args)),
        plan: (...args: Parameters<ClusterObject["plan"]>) => (count("plan"), stub.plan(...args)),
        confirm: (...args: Parameters<ClusterObject["confirm"]>) => (count("confirm"), stub.confirm(...args)),
        abandon: (...args: Parameters<ClusterObject["abandon"]>) => (count("abandon"), stub.abandon(...args)),
        snapshot: () => (count("snapshot"), stub.snapshot()),
      };
    },
  } as unknown as DurableObjectNamespace<ClusterObject>;
}

async function runBatch(queue: string, bodies: unknown[], workerEnv: Env): Promise<{ acked: number; retried: number }> {
  const batch = createMessageBatch(queue, bodies.map((body, i) => ({ id: `${queue}-${unique()}-${i}`, timestamp: new Date(), attempts: 1, body })));
  const ctx = createExecutionContext();
  await worker.queue(batch, workerEnv, ctx);
  await waitOnExecutionContext(ctx);
  const result = await getQueueResult(batch, ctx);
  return { acked: result.explicitAcks.length, retried: result.retryMessages.length };
}

describe("count, then write", () => {
  it("counts a batch of 100 messages for 3 fingerprints with 3 cluster calls, and acknowledges them all", async () => {
    const repo = pluginRepo("batch");
    const messages = await accepted(repo, 100, 3);
    expect(new Set(messages.map((m) => m.fingerprint)).size).toBe(3);
    const calls = new Map<string, number>();
    const writes = new RecordingQueue();
    const result = await runBatch("daemon-hotfix-events", messages, { ...env, CLUSTER: countingClusters(env.CLUSTER, calls), WRITES: writes } as unknown as Env);
    expect(result).toEqual({ acked: 100, retried: 0 });
    expect(Object.fromEntries(calls)).toEqual({ recordMany: 3 });
    // Each cluster counted its own, and asked once for its first issue (on the writes queue, not performed here).
    for (const fp of new Set(messages.map((m) => m.fingerprint ?? ""))) {
      const snapshot = await env.CLUSTER.getByName(fp).snapshot();
      expect(snapshot?.total).toBe(messages.filter((m) => m.fingerprint === fp).length);
    }
    expect(writes.sent).toHaveLength(3);
    expect(await github.calls(repo)).toEqual([]);
  });

  it("counts the same event once, however often it is in a batch or redelivered", async () => {
    const repo = pluginRepo("dedupe");
    const [message] = await accepted(repo, 1, 1);
    const writes = new RecordingQueue();
    const workerEnv = { ...env, WRITES: writes } as unknown as Env;
    await runBatch("daemon-hotfix-events", [message, message, message], workerEnv);
    await runBatch("daemon-hotfix-events", [message], workerEnv);
    expect((await env.CLUSTER.getByName(message?.fingerprint ?? "").snapshot())?.total).toBe(1);
    const processed = await env.DB.prepare(`SELECT SUM(value) AS n FROM counters WHERE name = 'events_processed' AND labels LIKE ?`).bind(`%${repo}"%`).first<{ n: number }>();
    expect(processed?.n).toBe(1);
  });

  it("keeps counting while a write waits for the budget, and never asks the budget while counting", async () => {
    const repo = pluginRepo("waiting");
    const [first, ...rest] = await accepted(repo, 51, 1);
    const fingerprint = first?.fingerprint ?? "";
    // A token whose next write slot is 4 s away (a write was just granted, 4 s spacing).
    const slowEnv = { ...env, GITHUB_TOKEN: `ghp_wait${unique()}`.padEnd(40, "0").slice(0, 40), GITHUB_WRITE_SPACING_MS: "4000" } as Env;
    const budget = env.WRITE_BUDGET.getByName((await repoAuth(slowEnv, repo)).budgetKey);
    expect((await budget.reserve(Date.now(), { perMinute: 80, perHour: 500, spacingMs: 4000 }, 0, { kind: "create" })).granted).toBe(true);
    await runBatch("daemon-hotfix-events", [first], { ...env, WRITES: new RecordingQueue() } as unknown as Env);

    // The flush performing the create waits in line for its slot…
    let writeDone = false;
    const writing = runBatch("daemon-hotfix-writes", [{ version: 1, type: "flush", fingerprint, repo }], slowEnv).then((r) => {
      writeDone = true;
      return r;
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    // …while 50 more events of the same failure are counted, by a consumer that has no write budget at all.
    const noBudget = { get: () => ({}), getByName: () => new Proxy({}, { get: () => () => Promise.reject(new Error("counting asked the write budget")) }) };
    const counted = await runBatch("daemon-hotfix-events", rest, { ...env, WRITE_BUDGET: noBudget, WRITES: new RecordingQueue() } as unknown as Env);
    expect(counted).toEqual({ acked: 50, retried: 0 });
    expect(writeDone).toBe(false);
    expect((await env.CLUSTER.getByName(fingerprint).snapshot())?.total).toBe(51);
    expect(await writing).toEqual({ acked: 1, retried: 0 });
    expect(await github.issues(repo)).toHaveLength(1);
  });
});
