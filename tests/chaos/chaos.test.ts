import { createExecutionContext, createMessageBatch, evictAllDurableObjects, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { IngestAnswer } from "../../shared/ingest-output";
import type { FailureMessage } from "../../shared/queue-message";
import type { ClusterObject } from "../../workers/durable/cluster";
import worker from "../../workers/index";
import { kernelPluginError } from "../helpers/events";
import { eventually, type FaultRule, github, type DoubleCall } from "../helpers/github";
import { jsonRequest, postToWorker, postWith, RecordingQueue, signAsKernel } from "../helpers/kernel";
import { prng } from "../github-double/faults.ts";

const SEED = 20261124;
const EVENTS = 2_000;
const REPOS = 10;
const KINDS = ["HTTP 500: Internal Server Error", "HTTP 502: Bad Gateway"] as const; // 2 per repo → 20 fingerprints
const CANARY = "ghp_CHAOScanary000000000000000000000000000";
const BUDGET_PER_MINUTE = 80;
/** Fingerprints whose first create the consumer performs and then dies before the cluster hears of it. */
const CRASHES = 3;
const SETTINGS = { updateIntervalSeconds: 1 };

function failureEvent(repo: string, kind: number, requestId: string) {
  const [owner, name] = repo.split("/");
  return kernelPluginError({
    plugin: { type: "workflow", id: `${repo}:compute.yml@main`, owner, repo: name },
    error: { message: KINDS[kind] ?? "", status: null, category: "workflow" },
    trigger: { repo: `${owner}/app` }, // the reporter owns the plugin repo (issue 12)
    requestId,
    timestamp: new Date().toISOString(),
    logLines: [`DEBUG auth token=${CANARY}`, `ERROR dispatch failed with Bearer ${CANARY}`],
  });
}

/**
 * The cluster namespace as a consumer sees it when its process dies right after GitHub answered a step: the step
 * reaches GitHub, the confirmation never reaches the cluster (nor does anything after it).
 */
function dyingAfterGitHub(namespace: DurableObjectNamespace<ClusterObject>): DurableObjectNamespace<ClusterObject> {
  return {
    getByName: (name: string) => {
      const stub = namespace.getByName(name);
      return {
        recordMany: (...args: Parameters<ClusterObject["recordMany"]>) => stub.recordMany(...args),
        plan: (...args: Parameters<ClusterObject["plan"]>) => stub.plan(...args),
        abandon: (...args: Parameters<ClusterObject["abandon"]>) => stub.abandon(...args),
        snapshot: () => stub.snapshot(),
        confirm: async () => {
          throw new Error("consumer process died before confirming");
        },
      };
    },
  } as unknown as DurableObjectNamespace<ClusterObject>;
}

const occurrences = (body: string | null) => Number(/\| Occurrences \| \*\*(\d+)\*\* \|/.exec(body ?? "")?.[1] ?? NaN);

/** 20 % of GitHub requests to the run's repos fail, in every way GitHub fails (and in the one GitHub hides). */
function faultRules(prefix: string): FaultRule[] {
  const match = { path: `/repos/${prefix}` };
  const each = (kind: FaultRule["kind"], share: number, extra: Partial<FaultRule> = {}): FaultRule & { probability: number } => ({ kind, match, times: 100_000, probability: share, ...extra });
  // Rules are tried in order; each share is of the requests that reach it, so together they fail ≈ 20 %.
  return [
    each("status", 0.03, { status: 500 }),
    each("status", 0.03, { status: 502 }),
    each("status", 0.03, { status: 503 }),
    each("secondary_limit", 0.03, { retryAfterSeconds: 1 }),
    each("status", 0.03, { status: 429 }),
    each("hang", 0.02, { hangMs: 1_500 }),
    each("drop", 0.02),
    // GitHub creates the issue, then the answer is lost: the consumer never confirms the create.
    { kind: "commit_then_status", status: 502, match: { path: `/repos/${prefix}`, method: "POST" }, times: 100_000, probability: 0.03 },
  ] as Array<FaultRule & { probability?: number }>;
}

describe("chaos: a storm under GitHub faults, crashes between create and confirm, and evictions", () => {
  it("files exactly one issue per fingerprint, counts every accepted event once, leaks nothing, stays within budget", async () => {
    const random = prng(SEED);
    const run = `chaos${SEED.toString(36)}`;
    const prefix = `acme/${run}-`;
    const repos = Array.from({ length: REPOS }, (_, i) => `${prefix}${i}`);
    const crashRepos = Array.from({ length: CRASHES }, (_, i) => `acme/${run}crash-${i}`);
    const allRepos = [...repos, ...crashRepos];
    const issuesExpected = (repo: string) => (crashRepos.includes(repo) ? 1 : KINDS.length);
    for (const rule of faultRules(prefix)) await github.fault(rule);

    // A skewed storm: repo i gets weight 1/(i+1); every fingerprint at least once.
    const weights = repos.map((_, i) => 1 / (i + 1));
    const total = weights.reduce((a, b) => a + b, 0);
    const pick = () => {
      let r = random() * total;
      for (let i = 0; i < weights.length; i++) {
        r -= weights[i] ?? 0;
        if (r <= 0) return i;
      }
      return weights.length - 1;
    };
    // Every 40th event goes to a crash repo, whose cluster must carry on from the recovered issue.
    const plan = Array.from({ length: EVENTS }, (_, n) =>
      n < REPOS * KINDS.length ? { repo: n % REPOS, kind: Math.floor(n / REPOS) } : n % 40 === 0 ? { repo: REPOS + ((n / 40) % CRASHES), kind: 0 } : { repo: pick(), kind: random() < 0.7 ? 0 : 1 },
    );

    const accepted = new Map<string, number>();
    const acceptedIds = new Map<string, string[]>();
    const count = (answer: IngestAnswer) => {
      expect(answer.output.status).toBe("queued");
      const fp = answer.output.fingerprint ?? "";
      accepted.set(fp, (accepted.get(fp) ?? 0) + 1);
      acceptedIds.set(fp, [...(acceptedIds.get(fp) ?? []), answer.output.eventId ?? ""]);
    };

    // The consumer dies between GitHub's create and the cluster's confirmation (repos outside the fault rules, so
    // the create surely lands): GitHub has the issue, the cluster holds an unconfirmed create lease, and the queue
    // redelivers the flush, which the dead consumer never acknowledged.
    // The double checks each answer against GitHub's OpenAPI description, compiling a validator on first use: let
    // that happen outside the run (a first create slower than the client's timeout would be no crash at all).
    await fetch(`https://api.github.test/repos/acme/warmup-${run}/issues`, {
      method: "POST",
      headers: { authorization: `token ${env.GITHUB_TOKEN}`, "content-type": "application/json", "user-agent": "chaos-warm-up" },
      body: JSON.stringify({ title: "warm-up", body: "compiles the double's validators" }),
    });
    for (const [i, repo] of crashRepos.entries()) {
      const queue = new RecordingQueue();
      const answer = await (await postWith(jsonRequest(await signAsKernel(failureEvent(repo, 0, `${run}-crash-${i}`), { settings: SETTINGS })), { EVENTS: queue })).json<IngestAnswer>();
      count(answer);
      const message = queue.sent[0] as FailureMessage;
      // The counting consumer counts the event and asks for the create on the writes queue.
      const writesQueue = new RecordingQueue();
      const counting = createExecutionContext();
      await worker.queue(createMessageBatch("daemon-hotfix-events", [{ id: `${run}-crash-${i}`, timestamp: new Date(), attempts: 1, body: message }]), { ...env, WRITES: writesQueue } as unknown as Env, counting);
      await waitOnExecutionContext(counting);
      const flush = { id: `${run}-crash-flush-${i}`, timestamp: new Date(), attempts: 1, body: writesQueue.sent[0] };
      // The crash is staged, so it is the one staged: GitHub's answer reaches the dying consumer. With the suite's 1 s
      // client timeout a loaded machine could cut the create short instead — an unknown outcome, retried only after
      // OUTCOME_SETTLE_MS (tests/consumer/create-settle.test.ts), not the crash this part is about — so the dying
      // consumer (and the one the flush is redelivered to) waits for GitHub as long as a real one would.
      const patient = { GITHUB_TIMEOUT_MS: "30000" };
      // (Should the create not reach GitHub at all, the step goes back to its cluster, which may be asked again
      // after its back-off: until GitHub has the issue.)
      for (let attempt = 0; attempt < 5 && (await github.issues(repo)).length === 0; attempt++) {
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 2_100));
        const ctx = createExecutionContext();
        await worker.queue(createMessageBatch("daemon-hotfix-writes", [flush]), { ...env, ...patient, CLUSTER: dyingAfterGitHub(env.CLUSTER) }, ctx);
        await waitOnExecutionContext(ctx);
      }
      expect(await github.issues(repo)).toHaveLength(1);
      expect((await env.CLUSTER.getByName(answer.output.fingerprint ?? "").snapshot())?.state).toBe("creating");
      // The queue redelivers the flush (same message id): the new consumer takes the lease over, finds the issue.
      const again = createExecutionContext();
      await worker.queue(createMessageBatch("daemon-hotfix-writes", [{ ...flush, attempts: 2 }]), { ...env, ...patient }, again);
      await waitOnExecutionContext(again);
    }

    let sent = 0;
    const evictions = [500, 1_000, 1_500];
    for (let start = 0; start < plan.length; start += 50) {
      const slice = plan.slice(start, start + 50);
      const answers = await Promise.all(
        slice.map(async ({ repo, kind }, j) => {
          const res = await postToWorker(jsonRequest(await signAsKernel(failureEvent(allRepos[repo] ?? "", kind, `${run}-${start + j}`), { settings: SETTINGS })));
          expect(res.status).toBe(200);
          return res.json<IngestAnswer>();
        }),
      );
      for (const answer of answers) count(answer);
      sent += slice.length;
      if (evictions.includes(sent)) await evictAllDurableObjects();
    }
    expect(sent).toBe(EVENTS);
    expect(accepted.size).toBe(REPOS * KINDS.length + CRASHES);

    // Every accepted event is counted exactly once, in its cluster.
    const fingerprints = [...accepted.keys()];
    const countingStarted = Date.now();
    await eventually(
      async () => Promise.all(fingerprints.map((fp) => env.CLUSTER.getByName(fp).snapshot())),
      (snapshots) => snapshots.every((s) => s !== null && s.total === accepted.get(s.fingerprint)),
      // ≈ 9 s after the last send in a full `npm test` on a 2-core machine; the rest is headroom.
      120_000,
    ).catch(async (error: unknown) => {
      // Which clusters fell short, and what the consumer last said about their events.
      const short = [];
      for (const fp of fingerprints) {
        const stub = env.CLUSTER.getByName(fp);
        const snap = await stub.snapshot();
        if (snap?.total === accepted.get(fp)) continue;
        const counted = new Set(await runInDurableObject(stub, (_instance, state) => state.storage.sql.exec<{ event_id: string }>(`SELECT event_id FROM events`).toArray().map((r) => r.event_id)));
        short.push({ fp, sent: accepted.get(fp), total: snap?.total, reflected: snap?.reflected, state: snap?.state, missing: (acceptedIds.get(fp) ?? []).filter((id) => !counted.has(id)) });
      }
      const errors = await env.DB.prepare(`SELECT event_id, reason, attempts FROM event_errors ORDER BY updated_at DESC LIMIT 10`).all();
      const dead = await env.DB.prepare(`SELECT event_id, reason, attempts FROM dead_letters WHERE repo LIKE ?`).bind(`acme/${run}%`).all();
      const gates = await Promise.all(allRepos.map(async (repo) => ({ repo, ...(await runInDurableObject(env.REPO_GATE.getByName(`repo:${repo}`), (_i, state) => state.storage.sql.exec(`SELECT admitted, duplicates, rate_limited FROM stats`).one())) })));
      throw new Error(
        `counting stalled after ${Date.now() - countingStarted} ms: ${error instanceof Error ? error.message.slice(0, 200) : String(error)}\nshort: ${JSON.stringify(short)}\ndead letters: ${JSON.stringify(dead.results)}\ngates: ${JSON.stringify(gates)}\nlast event errors: ${JSON.stringify(errors.results)}`,
      );
    });
    console.log(JSON.stringify({ chaos: { countedAfterMs: Date.now() - countingStarted } }));
    await evictAllDurableObjects();

    // GitHub ends up with exactly one issue per fingerprint, each counting all of its events.
    const explain = async () => {
      const all = (await Promise.all(allRepos.map((r) => github.issues(r)))).flat();
      return JSON.stringify(
        await Promise.all(
          fingerprints.map(async (fp) => {
            const snap = await env.CLUSTER.getByName(fp).snapshot();
            const mine = all.filter((i) => (i.body ?? "").startsWith(`<!-- daemon-hotfix:fingerprint=${fp} -->`));
            return { fp: fp.slice(0, 8), sent: accepted.get(fp), total: snap?.total, reflected: snap?.reflected, issues: mine.map((i) => [i.number, i.state, occurrences(i.body)]) };
          }),
        ),
      );
    };
    const issuesByRepo = await eventually(
      async () => Promise.all(allRepos.map((r) => github.issues(r))),
      (lists) =>
        lists.every((issues, i) => issues.length === issuesExpected(allRepos[i] ?? "")) &&
        fingerprints.every((fp) => {
          const issue = lists.flat().find((i) => (i.body ?? "").startsWith(`<!-- daemon-hotfix:fingerprint=${fp} -->`));
          return issue !== undefined && occurrences(issue.body) === accepted.get(fp);
        }),
      300_000,
    ).catch(async (error: unknown) => {
      throw new Error(`${error instanceof Error ? error.message.slice(0, 300) : String(error)}\nclusters: ${await explain()}`);
    });
    const issues = issuesByRepo.flat();
    expect(issues).toHaveLength(REPOS * KINDS.length + CRASHES);
    const sum = issues.reduce((a, i) => a + occurrences(i.body), 0);
    expect(sum).toBe(EVENTS + CRASHES);

    // Each crash's issue was found again by its marker and carried on, never created a second time.
    for (const repo of crashRepos) {
      expect((await github.calls(repo)).filter((c) => c.method === "POST" && c.path.endsWith("/issues"))).toHaveLength(1);
    }

    // Nothing was lost on the way: no dead letter for this run (every event is reflected in its cluster).
    const dead = await env.DB.prepare(`SELECT reason FROM dead_letters WHERE repo LIKE ?`).bind(`acme/${run}%`).all<{ reason: string }>();
    for (const row of dead.results) expect(row.reason).not.toBe("");
    expect(dead.results).toEqual([]);

    // No planted secret reached GitHub, and the writes stayed within the budget.
    const calls: DoubleCall[] = (await Promise.all(allRepos.map((r) => github.calls(r)))).flat();
    const faulted = calls.filter((c) => c.fault !== undefined && c.fault !== null).length;
    // ≈ 20 % of GitHub's answers were faults (few requests are made: events are counted, not written one by one).
    expect(faulted / calls.length).toBeGreaterThan(0.1);
    expect(faulted / calls.length).toBeLessThan(0.35);
    expect(JSON.stringify(calls.map((c) => c.requestBody))).not.toContain(CANARY);
    const enforced = calls.filter((c) => c.status === 403 && (c.fault === undefined || c.fault === null));
    expect(enforced).toEqual([]);
    const writes = calls.filter((c) => c.method !== "GET").map((c) => c.at).sort((a, b) => a - b);
    let peak = 0;
    for (let i = 0, j = 0; i < writes.length; i++) {
      while ((writes[i] ?? 0) - (writes[j] ?? 0) >= 60_000) j++;
      peak = Math.max(peak, i - j + 1);
    }
    expect(peak).toBeLessThanOrEqual(BUDGET_PER_MINUTE);
    // A handful of writes per cluster, not one per event.
    expect(writes.length).toBeLessThan(EVENTS / 10);
    console.log(JSON.stringify({ chaos: { events: EVENTS + CRASHES, fingerprints: accepted.size, githubRequests: calls.length, faulted, writes: writes.length, peakWritesPerMinute: peak } }));
  });
});
