import { env } from "cloudflare:workers";
import type { Octokit } from "@octokit/core";
import { describe, expect, it } from "vitest";
import type { FailureMessage } from "../../shared/queue-message";
import { marker } from "../../shared/render/issue";
import { configOf } from "../../workers/config";
import { OUTCOME_SETTLE_MS, runPlan, stepFailure } from "../../workers/consumer/run-plan";
import { createOctokit } from "../../workers/github/client";
import { repoAuth } from "../../workers/github/credentials";
import { GitHubFailure, GitHubWriter } from "../../workers/github/writer";
import { MetricsBuffer } from "../../workers/metrics/buffer";
import { kernelPluginError } from "../helpers/events";
import { github } from "../helpers/github";
import { jsonRequest, postWith, RecordingQueue, signAsKernel } from "../helpers/kernel";
import { pluginRepo, unique } from "../helpers/send";

const SETTINGS = { windowMinutes: 60, updateIntervalSeconds: 1, issueLabels: [], notify: [], modes: ["issue" as const], riskPolicy: { autoMerge: false, maxAutofixPerDay: 3, maxRiskTier: "low" as const } };

async function accepted(repo: string): Promise<FailureMessage> {
  const queue = new RecordingQueue();
  const [owner, name] = repo.split("/");
  await postWith(jsonRequest(await signAsKernel(kernelPluginError({ plugin: { type: "workflow", id: `${repo}:compute.yml`, owner, repo: name }, trigger: { repo: `${owner}/app` }, requestId: unique() }))), { EVENTS: queue });
  return queue.sent[0] as FailureMessage;
}

/**
 * The chaos suite's "crash repo" race, made deterministic (each time is an input of the cluster, nothing waits):
 * a create's answer never came (client timeout on a loaded machine), GitHub applied it later, and a retry that
 * looked for the issue before it landed created a second one. GitHub gives up on a request after 10 s, so the retry —
 * and its look-up by marker — comes only once the lost create can no longer land (OUTCOME_SETTLE_MS), whatever the
 * client's own timeout (1 s in tests: twice that plus 1 s was all the old wait).
 */
describe("a create whose answer was lost", () => {
  it("is retried only once GitHub can no longer apply it, and the retry finds the issue GitHub applied late: one issue", async () => {
    const repo = pluginRepo("settle");
    const message = await accepted(repo);
    const fingerprint = message.fingerprint ?? "";
    const cluster = env.CLUSTER.getByName(fingerprint);
    const t0 = Date.now();
    expect((await cluster.recordMany({ fingerprint, entries: [{ id: message.failure.eventId, failure: message.failure, settings: SETTINGS }], nowMs: t0 })).flush).toBe(true);
    const first = await cluster.plan(t0, { holder: "flush:first" });
    expect(first).toMatchObject({ kind: "create", recoverSinceMs: null });

    // The create went out; no answer came within the client's timeout.
    const failure = stepFailure(new GitHubFailure({ kind: "transient", reason: "POST issues: no answer from GitHub (TimeoutError)", outcomeUnknown: true }), env);
    expect(configOf(env).github.timeoutMs).toBe(1000);
    expect(failure.outcomeUnknownUntilMs ?? 0).toBeGreaterThanOrEqual(t0 + OUTCOME_SETTLE_MS);
    await cluster.abandon(first?.leaseId ?? "", failure, t0);

    // While GitHub may still apply it, nothing is tried — not even the look-up, which would miss a late issue.
    for (const later of [1_000, 2 * 1_000 + 1_000 + 1, 5_000, OUTCOME_SETTLE_MS - 1]) expect(await cluster.plan(t0 + later, { holder: `flush:early-${later}` })).toBeNull();
    expect((await cluster.snapshot())?.state).toBe("pending");

    // GitHub applies the lost create late (the marker is the body's first line, as the consumer writes it).
    const late = await fetch(`https://api.github.test/repos/${repo}/issues`, {
      method: "POST",
      headers: { authorization: `token ${env.GITHUB_TOKEN}`, "content-type": "application/json", "user-agent": "test" },
      body: JSON.stringify({ title: "the lost create", body: `${marker(fingerprint)}\napplied after its answer was lost` }),
    });
    expect(late.status).toBe(201);

    // Once it can no longer land, the retry looks by marker first and carries on with that issue.
    const retryAt = failure.outcomeUnknownUntilMs ?? 0;
    const retry = await cluster.plan(retryAt, { holder: "flush:retry" });
    expect(retry).toMatchObject({ kind: "create", recoverSinceMs: t0 });
    const auth = await repoAuth(env, repo);
    const writer = new GitHubWriter(createOctokit(env, auth, new MetricsBuffer("writes")), env.WRITE_BUDGET.getByName(auth.budgetKey), configOf(env).github.writeBudget);
    const outcome = await runPlan(retry ?? expect.unreachable(), cluster, async () => writer, env);
    expect(outcome.steps[0]).toBe("found");
    const issues = await github.issues(repo);
    expect(issues).toHaveLength(1);
    expect(issues[0]?.number).toBe(1);
    expect((await github.calls(repo)).filter((c) => c.method === "POST" && c.path.endsWith("/issues"))).toHaveLength(1);
    expect((await cluster.snapshot())?.issueNumber).toBe(1);
  });

  it("is not filed again on a look-up whose answer was cut short: an unreadable list is no answer, not an empty one", async () => {
    // GitHub's answer read past the client's timeout (seen in the bench's shed storm on a loaded machine): a 200
    // whose body is not the list. Read as "no issue with the marker", the retry would create a second issue.
    const cutShort = { request: async () => ({ status: 200, headers: {}, url: "", data: '[{"number":1,"state":"open","body":"<!-- daemon-hotfix:finger' }) } as unknown as Octokit;
    const repo = pluginRepo("cutshort");
    const auth = await repoAuth(env, repo);
    const writer = new GitHubWriter(cutShort, env.WRITE_BUDGET.getByName(auth.budgetKey), configOf(env).github.writeBudget);
    await expect(writer.findByMarker(repo, marker("f".repeat(40)), Date.now())).rejects.toBeInstanceOf(GitHubFailure);
    await expect(writer.hasComment(repo, 1, "<!-- daemon-hotfix:comment -->", Date.now())).rejects.toBeInstanceOf(GitHubFailure);
    // …so the create step is given back to its cluster (transient: the next attempt looks again), never performed.
    const failure = stepFailure(await writer.findByMarker(repo, marker("f".repeat(40)), Date.now()).catch((error: unknown) => error), env);
    expect(failure).toMatchObject({ permanent: false });
  });
});
