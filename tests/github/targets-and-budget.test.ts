import { createExecutionContext, createMessageBatch, getQueueResult, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { FailureMessage } from "../../shared/queue-message";
import { MANIFEST_MAX_BYTES } from "../../workers/consumer/resolve-target";
import type { ClusterObject } from "../../workers/durable/cluster";
import worker from "../../workers/index";
import { kernelPluginError } from "../helpers/events";
import { eventually, github, writes } from "../helpers/github";
import { consumeWith } from "../helpers/queue";
import { jsonRequest, postToWorker, postWith, RecordingQueue, signAsKernel } from "../helpers/kernel";
import { pluginRepo, unique } from "../helpers/send";

/** A URL plugin's failure, triggered in a repo of `reporter` (the owner whose settings these are). */
async function sendUrlPluginFailure(url: string, reporter: string, settings: Record<string, unknown> = {}) {
  const payload = kernelPluginError({ plugin: { type: "http", id: url }, error: { message: `HTTP (target: ${url}) 500: boom` }, trigger: { repo: `${reporter}/app` }, requestId: unique(), timestamp: new Date().toISOString() });
  const res = await postToWorker(jsonRequest(await signAsKernel(payload, { settings })));
  expect(res.status).toBe(200);
}

describe("target repo of a URL plugin", () => {
  it("is the short_name of the plugin's manifest, once the repo's own manifest.json names the plugin's URL", async () => {
    const repo = pluginRepo("from-manifest");
    const url = `https://${repo.split("/")[1]}.deno.dev`;
    await github.manifest(`${url}/manifest.json`, { name: "x", short_name: `${repo}@development` });
    await github.putFile(repo, "manifest.json", JSON.stringify({ name: "x", short_name: `${repo}@development`, homepage_url: url }));
    await sendUrlPluginFailure(url, "acme");
    const [issue] = await eventually(() => github.issues(repo), (issues) => issues.length === 1);
    expect(issue?.body).toContain(`\`${url}\` (http)`);
  });

  it("is fallbackRepo when the manifest is larger than 64 KB, even if it names a repo (issue 13: bounded read)", async () => {
    const named = pluginRepo("huge-manifest");
    const fallback = pluginRepo("huge-fallback");
    const url = `https://${named.split("/")[1]}.deno.dev`;
    await github.manifest(`${url}/manifest.json`, { name: "x", short_name: `${named}@development`, padding: "p".repeat(MANIFEST_MAX_BYTES) });
    await sendUrlPluginFailure(url, "acme", { fallbackRepo: fallback });
    await eventually(() => github.issues(fallback), (issues) => issues.length === 1);
    expect(await github.issues(named)).toEqual([]);
  });

  it("is fallbackRepo (of the reporter's owner) when the manifest does not name one", async () => {
    const fallback = pluginRepo("fallback");
    await sendUrlPluginFailure(`https://no-manifest-${unique()}.deno.dev`, "acme", { fallbackRepo: fallback });
    await eventually(() => github.issues(fallback), (issues) => issues.length === 1);
  });
});

describe("write budget", () => {
  it("writes no more than the budget allows, and gives the rest back to their clusters until it has room", async () => {
    const repo = pluginRepo("budget");
    const [owner, name] = repo.split("/");
    const queue = new RecordingQueue();
    for (let i = 0; i < 5; i++) {
      const payload = kernelPluginError({ plugin: { type: "workflow", id: `${repo}:compute.yml`, owner, repo: name }, trigger: { repo: `${owner}/app` }, error: { message: `HTTP 500: distinct failure kind ${"abcde"[i]}` }, requestId: unique() });
      await postWith(jsonRequest(await signAsKernel(payload)), { EVENTS: queue, GATHER_SECONDS: "0" });
    }
    // A token of its own, so its budget is fresh: 2 writes a minute.
    const budgetEnv = { ...env, GITHUB_TOKEN: `ghp_budget${unique()}000000000000000000000000`, GITHUB_WRITES_PER_MINUTE: "2", GITHUB_WRITE_SPACING_MS: "0" } as Env;
    const { events, writes: flushes } = await consumeWith(budgetEnv, queue.sent, `budget-${unique()}`);
    // Every event is counted and acknowledged on its first delivery: budget waits never touch an event.
    expect(events.result.retryMessages).toEqual([]);
    expect(events.result.explicitAcks).toHaveLength(5);
    expect(flushes).toHaveLength(1);
    expect(flushes[0]?.batch.messages).toHaveLength(5);
    expect(flushes[0]?.result.explicitAcks).toHaveLength(5);
    expect(await writes(repo)).toHaveLength(2);
    expect(await github.issues(repo)).toHaveLength(2);
    // The three clusters without a slot wake when the budget has room again (a minute on), not before.
    const fingerprints = (queue.sent as FailureMessage[]).map((m) => m.fingerprint ?? "");
    const waiting = [];
    for (const fp of fingerprints) {
      const stub = env.CLUSTER.getByName(fp);
      if ((await stub.snapshot())?.issueNumber !== null) continue;
      waiting.push(await runInDurableObject(stub, (_instance, state) => state.storage.getAlarm()));
    }
    expect(waiting).toHaveLength(3);
    for (const alarm of waiting) expect((alarm ?? 0) - Date.now()).toBeGreaterThanOrEqual(55_000);
  });

  it("never dead-letters an event for budget waits, however long they last", async () => {
    const repo = pluginRepo("budget-dl");
    const [owner, name] = repo.split("/");
    const queue = new RecordingQueue();
    const payload = kernelPluginError({ plugin: { type: "workflow", id: `${repo}:compute.yml`, owner, repo: name }, trigger: { repo: `${owner}/app` }, requestId: unique() });
    await postWith(jsonRequest(await signAsKernel(payload)), { EVENTS: queue, GATHER_SECONDS: "0" });
    const message = queue.sent[0] as FailureMessage;
    // A budget that is closed for an hour (GitHub said so): every attempt of the step is refused a slot.
    const token = `ghp_closed${unique()}000000000000000000000000`.slice(0, 40);
    const budgetEnv = { ...env, GITHUB_TOKEN: token } as Env;
    const budgetKey = (await import("../../workers/github/credentials")).repoAuth;
    await env.WRITE_BUDGET.getByName((await budgetKey(budgetEnv, repo)).budgetKey).penalize(Date.now() + 3_600_000);
    // Twelve flushes in a row, more than an event's 8 attempts: each is refused a slot and given back.
    const { events } = await consumeWith(budgetEnv, [message], `budget-dl-${unique()}`);
    expect(events.result.explicitAcks).toHaveLength(1);
    const cluster = env.CLUSTER.getByName(message.fingerprint ?? "");
    for (let attempt = 0; attempt < 12; attempt++) {
      const flush = { id: `budget-dl-${unique()}`, timestamp: new Date(), attempts: attempt + 1, body: { version: 1, type: "flush", fingerprint: message.fingerprint, repo } };
      const batch = createMessageBatch("daemon-hotfix-writes", [flush]);
      const ctx = createExecutionContext();
      // The cluster waits for the budget's time: bring it forward, as its alarm would fire then.
      await runInDurableObject(cluster, (instance: ClusterObject) => {
        (instance as unknown as { state: { retryAfterMs: number | null } | null }).state!.retryAfterMs = null;
      });
      await worker.queue(batch, budgetEnv, ctx);
      await waitOnExecutionContext(ctx);
      expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual([flush.id]);
    }
    expect(await writes(repo)).toEqual([]);
    expect((await cluster.snapshot())?.total).toBe(1);
    const dead = await env.DB.prepare(`SELECT COUNT(*) AS n FROM dead_letters WHERE event_id = ?`).bind(message.failure.eventId).first<{ n: number }>();
    expect(dead?.n).toBe(0);
    const state = await runInDurableObject(cluster, (instance: ClusterObject) => (instance as unknown as { state: { stepFailures: number; retryAfterMs: number | null } }).state);
    // Budget waits are not failures: the back-off did not grow; the cluster asks again when the budget opens.
    expect(state.stepFailures).toBe(0);
    expect((state.retryAfterMs ?? 0) - Date.now()).toBeGreaterThan(3_500_000);
  });
});
