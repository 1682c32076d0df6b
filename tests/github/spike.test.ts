import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { utcDay } from "../../shared/digest/digest-state";
import { digestMarker } from "../../shared/digest/render-digest";
import type { FailureMessage } from "../../shared/queue-message";
import { marker } from "../../shared/render/issue";
import { configOf } from "../../workers/config";
import { runPlan } from "../../workers/consumer/run-plan";
import { spikeGuardOf } from "../../workers/digest/overflow";
import { createOctokit } from "../../workers/github/client";
import { repoAuth } from "../../workers/github/credentials";
import { GitHubWriter } from "../../workers/github/writer";
import { MetricsBuffer } from "../../workers/metrics/buffer";
import { kernelPluginError } from "../helpers/events";
import { consumeWith } from "../helpers/queue";
import { type DoubleIssue, eventually, github } from "../helpers/github";
import { jsonRequest, postWith, RecordingQueue, signAsKernel } from "../helpers/kernel";
import { pluginRepo, unique } from "../helpers/send";

const LIMIT = 10; // HOTFIX_POLICY.maxNewIssuesPerRepoPerDay, the default
const settings = { updateIntervalSeconds: 0 };

/** A failure of `repo` whose answer body (the attacker-controlled part of the message) is `word`: a cluster of its own. */
function failureOf(repo: string, word: string) {
  const [owner, name] = repo.split("/");
  return kernelPluginError({
    plugin: { type: "workflow", id: `${repo}:compute.yml`, owner, repo: name },
    error: { message: `HTTP 500: plugin answered ${word}`, status: null, category: "workflow" },
    trigger: { repo: `${owner}/app` },
    requestId: unique(),
    timestamp: new Date().toISOString(),
  });
}

/** Signs the events like the kernel, then has the consumer count them as one batch and perform the steps asked for. */
async function deliver(repo: string, words: string[]): Promise<{ messages: FailureMessage[]; fingerprints: string[] }> {
  const queue = new RecordingQueue();
  const fingerprints: string[] = [];
  for (const word of words) {
    const res = await postWith(jsonRequest(await signAsKernel(failureOf(repo, word), { settings })), { EVENTS: queue, GATHER_SECONDS: "0" });
    fingerprints.push(((await res.json()) as { output: { fingerprint: string } }).output.fingerprint);
  }
  const messages = queue.sent as FailureMessage[];
  await consumeWith(env, messages, `spike-${unique()}`);
  return { messages, fingerprints };
}

const words = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}${String.fromCharCode(97 + i)}word`);
const isDigest = (issue: DoubleIssue, day: string) => (issue.body ?? "").startsWith(digestMarker(day));
const digestRow = (issue: DoubleIssue | undefined, fp: string) => (issue?.body ?? "").split("\n").find((line) => line.includes(fp.slice(0, 12)));

describe("spike protection: at most maxNewIssuesPerRepoPerDay new issues per repo per UTC day (issue 12)", () => {
  it("files 10 issues for 14 distinct failures of one repo, and one digest that counts and lists the other 4", async () => {
    const repo = pluginRepo("spike");
    const day = utcDay(Date.now());
    const { fingerprints } = await deliver(repo, words(14, "x"));
    const issues = await eventually(
      () => github.issues(repo),
      (list) => {
        const digest = list.find((i) => isDigest(i, day));
        return list.length === LIMIT + 1 && digest !== undefined && /\*\*4\*\* failures/.test(digest.body ?? "");
      },
    );
    const filed = issues.filter((i) => !isDigest(i, day));
    const digests = issues.filter((i) => isDigest(i, day));
    expect(filed).toHaveLength(LIMIT);
    expect(digests).toHaveLength(1);
    const withIssue = fingerprints.filter((fp) => filed.some((i) => (i.body ?? "").startsWith(marker(fp))));
    const overflowed = fingerprints.filter((fp) => !withIssue.includes(fp));
    expect(withIssue).toHaveLength(LIMIT);
    expect(overflowed).toHaveLength(4);
    const [digest] = digests;
    expect(digest?.title).toBe(`[daemon-hotfix] Digest ${day}: new failures over the daily issue limit`);
    for (const fp of overflowed) {
      const row = digestRow(digest, fp);
      expect(row, `digest lists ${fp}`).toBeDefined();
      expect(row).toMatch(/\| 1 \| \d{4}-\d{2}-\d{2}T/); // count, first seen
      expect(row).toContain(`${repo}:compute.yml`); // plugin
      expect(row).toMatch(/plugin answered x[a-n]word/); // message
      const snapshot = await env.CLUSTER.getByName(fp).snapshot();
      expect(snapshot).toMatchObject({ state: "digested", issueNumber: null, total: 1 });
    }
    // No mention, link or heading from the events: the digest's rows are inline code.
    expect(digest?.body).not.toMatch(/@\w/);
  });

  it("keeps counting an overflowed failure in the digest, exactly once per event", async () => {
    const repo = pluginRepo("spikecount");
    const day = utcDay(Date.now());
    const all = words(LIMIT + 1, "c");
    const first = await deliver(repo, all);
    const states = await Promise.all(first.fingerprints.map(async (fp) => (await env.CLUSTER.getByName(fp).snapshot())?.state));
    expect(states.filter((state) => state === "digested")).toHaveLength(1);
    const index = states.indexOf("digested");
    const overflowedFp = first.fingerprints[index] ?? "";
    await eventually(() => github.issues(repo), (list) => list.some((i) => isDigest(i, day)));
    const again = await deliver(repo, [all[index] ?? "", all[index] ?? ""]);
    // A redelivery of one of them is not counted again.
    await consumeWith(env, [again.messages[0]], `spike-again-${unique()}`);
    const issues = await eventually(() => github.issues(repo), (list) => / \| 3 \| /.test(digestRow(list.find((i) => isDigest(i, day)), overflowedFp) ?? ""));
    expect(issues.filter((i) => isDigest(i, day))).toHaveLength(1);
    expect(issues).toHaveLength(LIMIT + 1);
    expect((await env.CLUSTER.getByName(overflowedFp).snapshot())?.total).toBe(3);
    expect((await spikeGuardOf(env, repo).claimed(day))).toBe(LIMIT);
  });

  it("files one digest when GitHub's answer to its create is lost (found again by its marker)", async () => {
    const repo = pluginRepo("spikelost");
    const day = utcDay(Date.now());
    await deliver(repo, words(LIMIT, "l"));
    await eventually(() => github.issues(repo), (list) => list.length === LIMIT);
    await github.fault({ kind: "commit_then_status", status: 502, times: 1, match: { repo, method: "POST", path: "/issues" } });
    const { fingerprints } = await deliver(repo, ["overflowword"]);
    const guard = spikeGuardOf(env, repo);
    const digest = await eventually(() => guard.snapshot(day), (s) => s !== null && s.issueNumber !== null && s.reflected >= s.version && s.version > 0);
    const issues = await github.issues(repo);
    expect(issues.filter((i) => isDigest(i, day))).toHaveLength(1);
    expect(issues.find((i) => isDigest(i, day))?.number).toBe(digest?.issueNumber);
    expect(digestRow(issues.find((i) => isDigest(i, day)), fingerprints[0] ?? "")).toMatch(/ \| 1 \| /);
    const lost = (await github.calls(repo)).filter((c) => c.fault === "commit_then_status");
    expect(lost).toHaveLength(1);
  });

  it("gives a failure from an earlier day's digest its own issue when it recurs on a later day under the limit", async () => {
    const repo = pluginRepo("spikeday");
    const day = utcDay(Date.now());
    const { messages, fingerprints } = await deliver(repo, words(LIMIT + 1, "d"));
    const states = await Promise.all(fingerprints.map(async (fp) => (await env.CLUSTER.getByName(fp).snapshot())?.state));
    const index = states.indexOf("digested");
    const fp = fingerprints[index] ?? "";
    const message = messages[index] as FailureMessage;
    await eventually(() => github.issues(repo), (list) => list.some((i) => isDigest(i, day)));

    // The same failure again, counted by its cluster at this time tomorrow (the cluster's clock is its input).
    const tomorrow = Date.now() + 86_400_000;
    const cluster = env.CLUSTER.getByName(fp);
    const recurrence = { ...message.failure, eventId: crypto.randomUUID().replace(/-/g, ""), occurredAt: new Date(tomorrow).toISOString() };
    const settingsNow = { windowMinutes: 60, updateIntervalSeconds: 0, issueLabels: [], notify: [], modes: ["issue" as const], riskPolicy: { autoMerge: false, maxAutofixPerDay: 3, maxRiskTier: "low" as const } };
    const recorded = await cluster.recordMany({ fingerprint: fp, entries: [{ id: recurrence.eventId, failure: recurrence, settings: settingsNow }], nowMs: tomorrow });
    expect(recorded).toMatchObject({ fresh: [recurrence.eventId], total: 2, flush: true });
    const plan = await cluster.plan(tomorrow);
    expect(plan).toMatchObject({ kind: "create", digest: { day: utcDay(tomorrow), base: 1 } });
    const auth = await repoAuth(env, repo);
    const writer = new GitHubWriter(createOctokit(env, auth, new MetricsBuffer("writes")), env.WRITE_BUDGET.getByName(auth.budgetKey), configOf(env).github.writeBudget);
    const outcome = await runPlan(plan ?? expect.unreachable(), cluster, async () => writer, env);
    expect(outcome.steps[0]).toBe("created");
    const issues = await github.issues(repo);
    expect(issues.filter((i) => (i.body ?? "").startsWith(marker(fp)))).toHaveLength(1);
    expect(issues).toHaveLength(LIMIT + 2);
    expect((await cluster.snapshot())?.state).toBe("open");
  });
});
