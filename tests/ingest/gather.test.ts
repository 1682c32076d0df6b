import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { IngestAnswer } from "../../shared/ingest-output";
import type { AggregateMessage, FailureMessage } from "../../shared/queue-message";
import type { RepoGate } from "../../workers/durable/repo-gate";
import { ARRIVAL_STEPS } from "../../shared/arrivals";
import { storeDeadLetter } from "../../workers/dead-letters/store";
import { replayMessage } from "../../workers/ops/replay-message";
import { kernelPluginError } from "../helpers/events";
import { jsonRequest, postWith, RecordingQueue, signAsKernel } from "../helpers/kernel";
import { consumeWith } from "../helpers/queue";
import { unique } from "../helpers/send";

const answer = async (res: Response) => res.json<IngestAnswer>();

function failureOf(repo: string, requestId: string, options: { message?: string; reporter?: string; ref?: string } = {}) {
  const reporter = options.reporter ?? "o";
  return kernelPluginError({
    plugin: { type: "workflow", id: `o/${repo}:compute.yml@${options.ref ?? "main"}`, owner: "o", repo, ref: options.ref ?? "main" },
    trigger: { repo: `${reporter}/app` },
    error: { message: options.message ?? "HTTP 500: Internal Server Error" },
    requestId,
  });
}

/** Runs the repo's gate alarm, catching what it forwards to the events queue. */
async function forward(repo: string, events = new RecordingQueue(), gate = `repo:o/${repo}`): Promise<AggregateMessage[]> {
  await runInDurableObject(env.REPO_GATE.getByName(gate), async (instance: RepoGate) => {
    (instance as unknown as { env: Env }).env = { ...env, EVENTS: events as unknown as Queue };
    await instance.alarm();
  });
  return events.sent as AggregateMessage[];
}

describe("issue 14: a known failure's events are gathered at its repo's gate", () => {
  it("sends a failure's first event at once, gathers the rest into one counted message, and the cluster counts them all", async () => {
    const repo = `gather-${unique()}`;
    const queue = new RecordingQueue();
    const vars = { EVENTS: queue, GATHER_SECONDS: "1" };
    const answers: IngestAnswer[] = [];
    for (let i = 0; i < 12; i++) answers.push(await answer(await postWith(jsonRequest(await signAsKernel(failureOf(repo, `${repo}-${i}`))), vars)));
    // Every event is answered queued, with its cluster: the kernel sees no difference.
    expect(answers.map((a) => a.output.status)).toEqual(Array(12).fill("queued"));
    const fingerprint = answers[0]?.output.fingerprint;
    expect(fingerprint).toMatch(/^[0-9a-f]{40}$/);
    expect(new Set(answers.map((a) => a.output.fingerprint))).toEqual(new Set([fingerprint]));
    // A new failure is never held back: its first event went straight to the queue; the other 11 wait in the gate.
    expect(queue.sent).toHaveLength(1);
    expect((queue.sent[0] as FailureMessage).failure.correlation.requestId).toBe(`${repo}-0`);

    const gathered = await forward(repo);
    expect(gathered).toHaveLength(1);
    expect(gathered[0]).toMatchObject({ type: "gathered", count: 11, fingerprint });
    expect(gathered[0]?.failure.correlation.requestId).toBe(`${repo}-1`);
    expect(await forward(repo)).toEqual([]);

    // Counted exactly: 1 + 11, a redelivered aggregate once.
    await consumeWith(env, [queue.sent[0], gathered[0]], `gather-${unique()}`);
    await consumeWith(env, [gathered[0]], `gather-again-${unique()}`);
    expect((await env.CLUSTER.getByName(fingerprint ?? "").snapshot())?.total).toBe(12);
  });

  it("keeps apart what the cluster reads from each event: the reporter, the plugin's ref", async () => {
    const repo = `gather-apart-${unique()}`;
    // Another org's report of o's plugin is filed in that org's own .ubiquity-os (issue 12): its own gate.
    const other = `other-${unique()}`;
    const queue = new RecordingQueue();
    const vars = { EVENTS: queue, GATHER_SECONDS: "1", HOTFIX_POLICY: JSON.stringify({ minUpdateIntervalSeconds: 0, minWindowMinutes: 1, targetOwners: [] }) };
    const send = async (requestId: string, options: Parameters<typeof failureOf>[2]) => answer(await postWith(jsonRequest(await signAsKernel(failureOf(repo, requestId, options))), vars));
    for (let i = 0; i < 3; i++) await send(`${repo}-o-${i}`, {});
    for (let i = 0; i < 3; i++) await send(`${repo}-ref-${i}`, { ref: "v2" });
    for (let i = 0; i < 3; i++) await send(`${repo}-other-${i}`, { reporter: other });
    // Each (reporter, ref) is new to its gate once: its first event is sent at once, the next two gathered.
    expect(queue.sent).toHaveLength(3);
    const gathered = [...(await forward(repo)), ...(await forward(repo, new RecordingQueue(), `repo:${other}/.ubiquity-os`))];
    expect(gathered.map((m) => m.count)).toEqual([2, 2, 2]);
    expect(new Set(gathered.map((m) => `${m.failure.trigger.repo} ${m.failure.plugin.ref}`))).toEqual(new Set(["o/app main", "o/app v2", `${other}/app main`]));
  });

  it("a duplicate delivery of a gathered event is counted once", async () => {
    const repo = `gather-dup-${unique()}`;
    const vars = { EVENTS: new RecordingQueue(), GATHER_SECONDS: "1" };
    const second = await signAsKernel(failureOf(repo, `${repo}-1`));
    await postWith(jsonRequest(await signAsKernel(failureOf(repo, `${repo}-0`))), vars);
    expect((await answer(await postWith(jsonRequest(second), vars))).output.status).toBe("queued");
    expect((await answer(await postWith(jsonRequest(second), vars))).output.reason).toContain("duplicate delivery");
    expect((await forward(repo)).map((m) => m.count)).toEqual([1]);
  });

  it("GATHER_SECONDS=0: every event is its own queue message", async () => {
    const repo = `gather-off-${unique()}`;
    const queue = new RecordingQueue();
    for (let i = 0; i < 4; i++) await postWith(jsonRequest(await signAsKernel(failureOf(repo, `${repo}-${i}`))), { EVENTS: queue, GATHER_SECONDS: "0" });
    expect(queue.sent).toHaveLength(4);
    expect(await forward(repo)).toEqual([]);
  });

  it("aggregates the queue refused are kept and forwarded by the next alarm, counted once", async () => {
    const repo = `gather-refused-${unique()}`;
    const vars = { EVENTS: new RecordingQueue(), GATHER_SECONDS: "1" };
    for (let i = 0; i < 5; i++) await postWith(jsonRequest(await signAsKernel(failureOf(repo, `${repo}-${i}`))), vars);
    const refusing = new RecordingQueue();
    refusing.refuse = true;
    expect(await forward(repo, refusing)).toEqual([]);
    const later = await forward(repo);
    expect(later.map((m) => m.count)).toEqual([4]);
    expect(await forward(repo)).toEqual([]);
  });

  it("a gathered aggregate kept as a dead letter names its event and repo, and replays as itself (counted once, its cluster unblocked)", async () => {
    const repo = `gather-dead-${unique()}`;
    const vars = { EVENTS: new RecordingQueue(), GATHER_SECONDS: "1" };
    for (let i = 0; i < 3; i++) await postWith(jsonRequest(await signAsKernel(failureOf(repo, `${repo}-${i}`))), vars);
    const [aggregate] = await forward(repo);
    expect(aggregate?.count).toBe(2);
    await storeDeadLetter(env.DB, { id: `dead-${repo}`, queue: "daemon-hotfix-events", reason: "permanent: test", attempts: 1, body: aggregate });
    const row = await env.DB.prepare(`SELECT event_id, repo FROM dead_letters WHERE id = ?`).bind(`dead-${repo}`).first<{ event_id: string; repo: string }>();
    expect(row).toEqual({ event_id: aggregate?.failure.eventId, repo: `o/${repo}` });
    const replay = await replayMessage(env, aggregate);
    expect(replay).toEqual({ message: { ...aggregate, replay: true } });
  });

  it("an aggregate says when its events arrived, per 250 ms after the first, and each is counted from its own arrival", async () => {
    const repo = `gather-arrivals-${unique()}`;
    const gate = env.REPO_GATE.getByName(`repo:o/${repo}`);
    const t0 = Date.now();
    await runInDurableObject(gate, (instance: RepoGate) => {
      const admit = (id: string, at: number) =>
        instance.admit({ eventId: id, nowMs: at, perMinute: 600, burst: 120, sample: { message: '{"failure":{}}', receivedAt: new Date(at).toISOString() }, gather: { key: "k", gatherMs: 1000 } });
      // The failure's first event is sent on its own; the next four are gathered, 0, 100, 300 and 800 ms after the first of them.
      expect(admit("first", t0 - 10)).toEqual({ outcome: "admitted" });
      for (const [i, at] of [t0, t0 + 100, t0 + 300, t0 + 800].entries()) expect(admit(`e${i}`, at)).toEqual({ outcome: "admitted", gathered: true });
      // Out of order (another isolate's clock) counts in the first step; very late, in the last one kept.
      for (const [i, at] of [t0 - 50, t0 + 20_000].entries()) expect(admit(`x${i}`, at)).toEqual({ outcome: "admitted", gathered: true });
    });
    const events = new RecordingQueue();
    await runInDurableObject(gate, async (instance: RepoGate) => {
      (instance as unknown as { env: Env }).env = { ...env, EVENTS: events as unknown as Queue };
      await instance.alarm();
    });
    expect(events.sent).toHaveLength(1);
    expect(events.sent[0]).toMatchObject({ type: "gathered", count: 6, firstAt: new Date(t0).toISOString(), arrivals: [3, 1, 0, 1, ...Array<number>(ARRIVAL_STEPS - 5).fill(0), 1] });

    // Counted: each event's lag from its own step — here 3 events 2.5 s after the first, 3 s ago.
    const lagBuckets = async () =>
      Object.fromEntries(
        (await env.DB.prepare(`SELECT labels, SUM(value) AS n FROM counters WHERE name = 'counting_lag_seconds_bucket' GROUP BY labels`).all<{ labels: string; n: number }>()).results.map((r) => [(JSON.parse(r.labels) as { le: string }).le, r.n]),
      );
    const before = await lagBuckets();
    // A real failure as the aggregate's sample (the one above is a stand-in), its events 3 s old in steps 0 and 10.
    const queue = new RecordingQueue();
    await postWith(jsonRequest(await signAsKernel(failureOf(`${repo}-lag`, `${repo}-lag-0`))), { EVENTS: queue, GATHER_SECONDS: "0" });
    const sample = queue.sent[0] as FailureMessage;
    const aggregate: AggregateMessage = { version: 1, type: "gathered", id: `gather:${repo}:1`, count: 4, firstAt: new Date(Date.now() - 3_000).toISOString(), arrivals: [1, ...Array<number>(9).fill(0), 3], failure: sample.failure, settings: sample.settings, ...(sample.fingerprint ? { fingerprint: sample.fingerprint, grouping: sample.grouping } : {}) };
    await consumeWith(env, [aggregate], `gather-lag-${unique()}`);
    const after = await lagBuckets();
    const added = (le: string) => (after[le] ?? 0) - (before[le] ?? 0);
    expect(added("1")).toBe(3);
    expect(added("5")).toBe(1);
  });
});
