/**
 * Issue 18: a grouping upgrade never splits an ongoing failure. The real ingest makes the queue messages, the real
 * consumer counts them into real cluster Durable Objects and files issues in the GitHub double; the grouping version
 * in use and the clock are injected (before the upgrade: v1 only; during its transition: v2 and v1; after it: v2).
 */
import { createMessageBatch } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { afterAll, describe, expect, it } from "vitest";
import { fingerprint } from "../../shared/fingerprint";
import type { GroupingUpgrade } from "../../shared/grouping/transition";
import type { FailureMessage } from "../../shared/queue-message";
import type { ClusterObject } from "../../workers/durable/cluster";
import { consumeFailures } from "../../workers/consumer/queue";
import type { GroupingOptions } from "../../workers/grouping/batch";
import { kernelPluginError } from "../helpers/events";
import { eventually, github } from "../helpers/github";
import { jsonRequest, postWith, RecordingQueue, signAsKernel } from "../helpers/kernel";
import { pluginRepo, unique } from "../helpers/send";

const DAY_MS = 86_400_000;
const UPGRADED_AT = Date.parse("2026-12-01T00:00:00.000Z");
const V1_ONLY: GroupingUpgrade = { version: "v1", previous: null, startedAtMs: 0 };
const V2_AFTER_V1: GroupingUpgrade = { version: "v2", previous: "v1", startedAtMs: UPGRADED_AT };
const beforeUpgrade: GroupingOptions = { upgrade: V1_ONLY, nowMs: () => UPGRADED_AT - DAY_MS };
const daysAfter = (days: number): GroupingOptions => ({ upgrade: V2_AFTER_V1, nowMs: () => UPGRADED_AT + days * DAY_MS });
const fast = { updateIntervalSeconds: 1 };
const occurrences = (body: string | null) => Number(/\| Occurrences \| \*\*(\d+)\*\* \|/.exec(body ?? "")?.[1] ?? NaN);

afterAll(async () => {
  expect(await github.violations()).toEqual([]);
});

/** What ingest puts on the queue for a failure of `repo`'s workflow plugin with this message. */
async function queued(repo: string, message: string, settings: Record<string, unknown> = {}): Promise<FailureMessage> {
  const [owner, name] = repo.split("/");
  const queue = new RecordingQueue();
  const payload = kernelPluginError({ plugin: { type: "workflow", id: `${repo}:compute.yml@main`, owner, repo: name, workflowId: "compute.yml" }, error: { message, status: null, category: "workflow" }, trigger: { repo: `${owner}/app` }, requestId: `req-${unique()}`, timestamp: new Date().toISOString() });
  const res = await postWith(jsonRequest(await signAsKernel(payload, { settings: { ...fast, ...settings } })), { EVENTS: queue, GATHER_SECONDS: "0" });
  expect(res.status, await res.clone().text()).toBe(200);
  return queue.sent[0] as FailureMessage;
}

async function consume(messages: FailureMessage[], options: GroupingOptions, target: Env = env): Promise<void> {
  const batch = createMessageBatch("daemon-hotfix-events", messages.map((body) => ({ id: `m-${unique()}`, timestamp: new Date(), attempts: 1, body })));
  await consumeFailures(batch, target, options);
}

/** The cluster namespace, counting which fingerprints were asked for. */
function countingClusters(asked: string[]): Env["CLUSTER"] {
  return { getByName: (name: string) => (asked.push(name), env.CLUSTER.getByName(name)) } as unknown as DurableObjectNamespace<ClusterObject>;
}

const crash = (ray: string) => `TypeError: Cannot read properties of undefined (reading 'id') at handleComment (worker.js:1234:17) cf-ray ${ray}`;

describe("a grouping upgrade mid-stream", () => {
  it("keeps exactly one issue for a failure seen before and after it (v2 merges what v1 split: two colos)", async () => {
    const repo = pluginRepo("upgrade");
    const before = [await queued(repo, crash("31fdb420ec531fd6-IAD")), await queued(repo, crash("5a1b2c3d4e5f6071-IAD"))];
    const v1 = await fingerprint(before[0]?.failure ?? (undefined as never), [], "v1");
    await consume(before, beforeUpgrade);
    const [filed] = await eventually(() => github.issues(repo), (issues) => issues.length === 1 && occurrences(issues[0]?.body ?? null) === 2);
    expect(filed?.body).toContain(`<!-- daemon-hotfix:fingerprint=${v1} -->`);

    // Deployed: grouping v2, with v1 consulted for 30 days. The same failure, from IAD and (new) from SIN.
    const after = [await queued(repo, crash("0f9e8d7c6b5a4939-IAD")), await queued(repo, crash("8e2f0b1c9a7d3e45-SIN")), await queued(repo, crash("77aa66bb55cc44dd-SIN"))];
    const v2 = await fingerprint(after[0]?.failure ?? (undefined as never), [], "v2");
    expect(v2).not.toBe(v1);
    expect(await fingerprint(after[1]?.failure ?? (undefined as never), [], "v2")).toBe(v2);
    await consume(after.slice(0, 1), daysAfter(1));
    await consume(after.slice(1), daysAfter(2));

    const issues = await eventually(() => github.issues(repo), (list) => occurrences(list[0]?.body ?? null) === 5);
    expect(issues).toHaveLength(1);
    expect(issues[0]?.number).toBe(filed?.number);
    // The v2 fingerprint is linked to the v1 cluster: the admin API finds the failure under either.
    expect(await env.CLUSTER.getByName(v2).probe()).toEqual({ kind: "link", to: { version: "v1", fingerprint: v1 } });
    expect((await env.CLUSTER.getByName(v1).snapshot())?.total).toBe(5);
    expect((await env.CLUSTER.getByName(v1).snapshot())?.grouping).toBe("v1");
    const res = await exports.default.fetch(new Request(`https://daemon-hotfix.example.test/admin/clusters/${v2}`, { headers: { authorization: `Bearer ${env.ADMIN_TOKEN}` } }));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ cluster: { fingerprint: v1, grouping: "v1", total: 5, issueNumber: filed?.number }, linkedFrom: v2 });
  });

  it("files a failure that is new after the upgrade under a v2 fingerprint", async () => {
    const repo = pluginRepo("fresh");
    const messages = [await queued(repo, crash("31fdb420ec531fd6-FRA")), await queued(repo, crash("4d3c2b1a09f8e7d6-NRT"))];
    await consume(messages, daysAfter(3));
    const v2 = await fingerprint(messages[0]?.failure ?? (undefined as never), [], "v2");
    const [issue] = await eventually(() => github.issues(repo), (issues) => issues.length === 1 && occurrences(issues[0]?.body ?? null) === 2);
    expect(issue?.body).toContain(`<!-- daemon-hotfix:fingerprint=${v2} -->`);
    expect(await github.issues(repo)).toHaveLength(1);
    const snapshot = await env.CLUSTER.getByName(v2).snapshot();
    expect(snapshot).toMatchObject({ grouping: "v2", total: 2 });
    expect(await env.CLUSTER.getByName(await fingerprint(messages[0]?.failure ?? (undefined as never), [], "v1")).probe()).toEqual({ kind: "none" });
  });

  it("once the transition ends, old clusters are no longer consulted; links made during it still hold", async () => {
    const repo = pluginRepo("ended");
    const linkedMessage = "Could not resolve to a node with the global id of 'I_kwDOd-nVJDDJVn-d'"; // joined during the transition
    const staleMessage = "Could not resolve to a node with the global id of 'PR_kwDOKx8Zzs5jQ2Ab'"; // not seen during it
    await consume([await queued(repo, linkedMessage), await queued(repo, staleMessage)], beforeUpgrade);
    await eventually(() => github.issues(repo), (issues) => issues.length === 2);
    await consume([await queued(repo, linkedMessage)], daysAfter(29));

    // Day 31 (GROUPING_TRANSITION_DAYS = 30): only v2 keys are computed and asked for.
    const asked: string[] = [];
    const later = [await queued(repo, "Could not resolve to a node with the global id of 'I_kwDOAbCdEf5Kc8xkQ'"), await queued(repo, "Could not resolve to a node with the global id of 'PR_kwDOZz9Yy8Xx7Ww6'")];
    await consume(later, daysAfter(31), { ...env, CLUSTER: countingClusters(asked) });
    const v1Keys = await Promise.all(later.map((m) => fingerprint(m.failure, [], "v1")));
    const v2Keys = await Promise.all(later.map((m) => fingerprint(m.failure, [], "v2")));
    expect(asked.filter((name) => v1Keys.includes(name))).toEqual([]);
    for (const key of v2Keys) expect(asked).toContain(key);

    const issues = await eventually(() => github.issues(repo), (list) => list.length === 3 && list.some((i) => occurrences(i.body) === 3));
    // The issue linked during the transition kept counting; the stale v1 failure got a new, v2 issue.
    expect(issues.map((i) => occurrences(i.body)).sort()).toEqual([1, 1, 3]);
    const staleV2 = v2Keys[1] ?? "";
    expect((await env.CLUSTER.getByName(staleV2).snapshot())?.grouping).toBe("v2");
    expect(issues.find((i) => occurrences(i.body) === 1 && i.body?.includes(staleV2))).toBeDefined();
  });

  it("events of one failure racing in concurrent batches during the transition all join the v1 cluster", async () => {
    const repo = pluginRepo("race");
    await consume([await queued(repo, crash("31fdb420ec531fd6-IAD"))], beforeUpgrade);
    await eventually(() => github.issues(repo), (issues) => issues.length === 1);
    const burst = await Promise.all(Array.from({ length: 6 }, (_, i) => queued(repo, crash(`${String(i).repeat(4)}aaaabbbbcccc-IAD`))));
    await Promise.all(burst.map((message) => consume([message], daysAfter(1))));
    const issues = await eventually(() => github.issues(repo), (list) => occurrences(list[0]?.body ?? null) === 7);
    expect(issues).toHaveLength(1);
  });

  it("a link is made once and never over a cluster: the first link stays, a cluster stays a cluster", async () => {
    const [a, b, c] = ["a", "b", "c"].map((x) => `${x.repeat(8)}${unique()}${"0".repeat(24)}`);
    const linkedOne = env.CLUSTER.getByName(a ?? "");
    expect(await linkedOne.link({ version: "v1", fingerprint: b ?? "" }, Date.now())).toEqual({ kind: "link", to: { version: "v1", fingerprint: b } });
    expect(await linkedOne.link({ version: "v1", fingerprint: c ?? "" }, Date.now())).toEqual({ kind: "link", to: { version: "v1", fingerprint: b } });
    const cluster = env.CLUSTER.getByName(c ?? "");
    const boom = (await queued(pluginRepo("link"), "boom")).failure;
    await cluster.recordMany({ fingerprint: c ?? "", grouping: "v2", entries: [{ id: boom.eventId, failure: boom, settings: { windowMinutes: 60, updateIntervalSeconds: 3600, issueLabels: [], notify: [], modes: ["issue"], riskPolicy: { autoMerge: false, maxAutofixPerDay: 3, maxRiskTier: "low" } } }], nowMs: Date.now() });
    expect(await cluster.link({ version: "v1", fingerprint: b ?? "" }, Date.now())).toEqual({ kind: "cluster" });
    expect(await cluster.probe()).toEqual({ kind: "cluster" });
  });

  it("a custom group (fingerprintRules) keeps its cluster across the upgrade, and is never looked up twice", async () => {
    const repo = pluginRepo("rules");
    const rules = [{ match: { message: "*reading 'id'*" }, group: "reading-id" }];
    const withRules = (message: string) => queued(repo, message, { fingerprintRules: rules });
    const first = await withRules(crash("31fdb420ec531fd6-IAD"));
    await consume([first], beforeUpgrade);
    await eventually(() => github.issues(repo), (issues) => issues.length === 1);
    const asked: string[] = [];
    await consume([await withRules(crash("8e2f0b1c9a7d3e45-SIN"))], daysAfter(1), { ...env, CLUSTER: countingClusters(asked) });
    const group = await fingerprint(first.failure, rules, "v2");
    expect(group).toBe(await fingerprint(first.failure, rules, "v1"));
    expect(asked.every((name) => name === group)).toBe(true);
    const issues = await eventually(() => github.issues(repo), (list) => occurrences(list[0]?.body ?? null) === 2);
    expect(issues).toHaveLength(1);
  });
});
