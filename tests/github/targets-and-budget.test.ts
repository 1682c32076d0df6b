import { createExecutionContext, createMessageBatch, getQueueResult, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { FailureMessage } from "../../shared/queue-message";
import { MANIFEST_MAX_BYTES } from "../../workers/consumer/resolve-target";
import worker from "../../workers/index";
import { kernelPluginError } from "../helpers/events";
import { eventually, github, writes } from "../helpers/github";
import { recordRetryDelays } from "../helpers/queue";
import { jsonRequest, postToWorker, postWith, RecordingQueue, signAsKernel } from "../helpers/kernel";
import { pluginRepo, unique } from "../helpers/send";

async function sendUrlPluginFailure(url: string, settings: Record<string, unknown> = {}) {
  const payload = kernelPluginError({ plugin: { type: "http", id: url }, error: { message: `HTTP (target: ${url}) 500: boom` }, requestId: unique(), timestamp: new Date().toISOString() });
  const res = await postToWorker(jsonRequest(await signAsKernel(payload, { settings })));
  expect(res.status).toBe(200);
}

describe("target repo of a URL plugin", () => {
  it("is the short_name of the plugin's manifest", async () => {
    const repo = pluginRepo("from-manifest");
    const url = `https://${repo.split("/")[1]}.deno.dev`;
    await github.manifest(`${url}/manifest.json`, { name: "x", short_name: `${repo}@development` });
    await sendUrlPluginFailure(url);
    const [issue] = await eventually(() => github.issues(repo), (issues) => issues.length === 1);
    expect(issue?.body).toContain(`\`${url}\` (http)`);
  });

  it("is fallbackRepo when the manifest is larger than 64 KB, even if it names a repo (issue 13: bounded read)", async () => {
    const named = pluginRepo("huge-manifest");
    const fallback = pluginRepo("huge-fallback");
    const url = `https://${named.split("/")[1]}.deno.dev`;
    await github.manifest(`${url}/manifest.json`, { name: "x", short_name: `${named}@development`, padding: "p".repeat(MANIFEST_MAX_BYTES) });
    await sendUrlPluginFailure(url, { fallbackRepo: fallback });
    await eventually(() => github.issues(fallback), (issues) => issues.length === 1);
    expect(await github.issues(named)).toEqual([]);
  });

  it("is fallbackRepo when the manifest does not name one", async () => {
    const fallback = pluginRepo("fallback");
    await sendUrlPluginFailure(`https://no-manifest-${unique()}.deno.dev`, { fallbackRepo: fallback });
    await eventually(() => github.issues(fallback), (issues) => issues.length === 1);
  });
});

describe("write budget", () => {
  it("writes no more than the budget allows, and sends the rest back to the queue until it has room", async () => {
    const repo = pluginRepo("budget");
    const [owner, name] = repo.split("/");
    const queue = new RecordingQueue();
    for (let i = 0; i < 5; i++) {
      const payload = kernelPluginError({ plugin: { type: "workflow", id: `${repo}:compute.yml`, owner, repo: name }, error: { message: `HTTP 500: distinct failure kind ${"abcde"[i]}` }, requestId: unique() });
      await postWith(jsonRequest(await signAsKernel(payload)), { EVENTS: queue });
    }
    // A token of its own, so its budget is fresh: 2 writes a minute.
    const budgetEnv = { ...env, GITHUB_TOKEN: `ghp_budget${unique()}000000000000000000000000`, GITHUB_WRITES_PER_MINUTE: "2", GITHUB_WRITE_SPACING_MS: "0" } as Env;
    const batch = createMessageBatch(
      "daemon-hotfix-events",
      (queue.sent as FailureMessage[]).map((body, i) => ({ id: `budget-${unique()}-${i}`, timestamp: new Date(), attempts: 1, body })),
    );
    const delays = recordRetryDelays(batch);
    const ctx = createExecutionContext();
    await worker.queue(batch, budgetEnv, ctx);
    await waitOnExecutionContext(ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks).toHaveLength(2);
    expect(result.retryMessages).toHaveLength(3);
    expect(delays).toHaveLength(3);
    for (const delay of delays) expect(delay).toBeGreaterThanOrEqual(55);
    expect(await writes(repo)).toHaveLength(2);
    expect(await github.issues(repo)).toHaveLength(2);
  });
});
