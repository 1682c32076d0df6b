import { createExecutionContext, createMessageBatch, getQueueResult, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterAll, describe, expect, it } from "vitest";
import type { FailureMessage } from "../../shared/queue-message";
import worker from "../../workers/index";
import { checkRun, kernelPluginError, workflowRun } from "../helpers/events";
import { eventually, github, writes } from "../helpers/github";
import { jsonRequest, postToWorker, postWith, RecordingQueue, signAsKernel } from "../helpers/kernel";
import { pluginRepo, sendFailure, unique } from "../helpers/send";

const fast = { updateIntervalSeconds: 1 };
const oneIssue = (repo: string) => eventually(() => github.issues(repo), (issues) => issues.length === 1);
const occurrences = (body: string | null) => Number(/\| Occurrences \| \*\*(\d+)\*\* \|/.exec(body ?? "")?.[1] ?? NaN);

afterAll(async () => {
  expect(await github.violations()).toEqual([]);
});

describe("exactly one issue per failure", () => {
  it("creates one issue for 40 concurrent identical failures, and its body ends up counting all 40", async () => {
    const repo = pluginRepo();
    const answers = await Promise.all(Array.from({ length: 40 }, () => sendFailure(repo, { settings: fast })));
    expect(new Set(answers.map((a) => a.output.fingerprint)).size).toBe(1);
    const [issue] = await eventually(() => github.issues(repo), (issues) => issues.length === 1 && occurrences(issues[0]?.body ?? null) === 40);
    expect(issue?.body).toContain(`<!-- daemon-hotfix:fingerprint=${answers[0]?.output.fingerprint} -->`);
    expect(issue?.title).toBe(`[daemon-hotfix] ${repo.split("/")[1]}: workflow failure: HTTP 500: Unexpected error`);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await github.issues(repo)).toHaveLength(1);
    const w = await writes(repo);
    expect(w.filter((c) => c.method === "POST" && c.path.endsWith("/issues"))).toHaveLength(1);
    expect(w.length).toBeLessThanOrEqual(6);
  });

  it("files distinct failures as distinct issues: a 500 is not a 502", async () => {
    const repo = pluginRepo();
    await sendFailure(repo, { message: "HTTP 500: Internal Server Error", settings: fast });
    await sendFailure(repo, { message: "HTTP 502: Bad Gateway", settings: fast });
    await sendFailure(repo, { message: "HTTP 500: Internal Server Error", settings: fast });
    const issues = await eventually(() => github.issues(repo), (list) => list.length === 2 && list.some((i) => occurrences(i.body) === 2));
    const name = repo.split("/")[1];
    expect(issues.map((i) => i.title).sort()).toEqual([
      `[daemon-hotfix] ${name}: workflow failure: HTTP 500: Internal Server Error`,
      `[daemon-hotfix] ${name}: workflow failure: HTTP 502: Bad Gateway`,
    ]);
    expect(occurrences(issues.find((i) => i.title.includes("500"))?.body ?? null)).toBe(2);
  });

  it("puts the issue in the plugin's repo with the configured labels, mentioning notify handles once", async () => {
    const repo = pluginRepo();
    await sendFailure(repo, { settings: { ...fast, issueLabels: ["bug", "autofix"], notify: ["@team-bot"] } });
    await sendFailure(repo, { settings: { ...fast, issueLabels: ["bug", "autofix"], notify: ["@team-bot"] } });
    const [issue] = await eventually(() => github.issues(repo), (issues) => issues.length === 1 && occurrences(issues[0]?.body ?? null) === 2);
    expect(issue?.labels.map((l) => l.name).sort()).toEqual(["autofix", "bug"]);
    const bodies = (await github.calls(repo)).filter((c) => c.method !== "GET").map((c) => JSON.stringify(c.requestBody));
    expect(bodies.filter((b) => b.includes("@team-bot"))).toHaveLength(1);
    expect(bodies[0]).toContain("@team-bot");
  });

  it("files a failed workflow run as one issue in that repo, and ignores the cancelled one", async () => {
    const repo = pluginRepo("ci");
    const settings = { allowWorkflowEvents: true, ...fast };
    for (const [id, conclusion] of [[1, "failure"], [2, "failure"], [3, "cancelled"]] as const) {
      const res = await postToWorker(jsonRequest(await signAsKernel(workflowRun({ repo, id: id + Math.floor(Math.random() * 1e6), conclusion }), { eventName: "workflow_run.completed", settings })));
      expect(res.status).toBe(200);
    }
    const res = await postToWorker(jsonRequest(await signAsKernel(checkRun({ repo, id: Math.floor(Math.random() * 1e9), conclusion: "success" }), { eventName: "check_run.completed", settings })));
    // A success is handled, not ignored (issue 15): recorded as the last green run, no occurrence counted.
    expect(((await res.json()) as { output: { status: string; reason?: string } }).output).toMatchObject({ status: "queued", reason: expect.stringMatching(/^success: recorded /) });
    const [issue] = await eventually(() => github.issues(repo), (issues) => issues.length === 1 && occurrences(issues[0]?.body ?? null) === 2);
    expect(issue?.title).toBe(`[daemon-hotfix] ${repo.split("/")[1]}: Workflow "Compute" failed on main`);
  });
});

describe("recurrences", () => {
  it("counts a redelivered message once", async () => {
    const repo = pluginRepo();
    const queue = new RecordingQueue();
    for (let i = 0; i < 2; i++) {
      const [owner, name] = repo.split("/");
      const payload = kernelPluginError({ plugin: { type: "workflow", id: `${repo}:compute.yml`, owner, repo: name }, trigger: { repo: `${owner}/app` }, requestId: `${repo}-${i}` });
      await postWith(jsonRequest(await signAsKernel(payload, { settings: fast })), { EVENTS: queue });
    }
    const messages = queue.sent as FailureMessage[];
    const deliveries = [messages[0], messages[0], messages[0], messages[1], messages[1]].map((body, i) => ({ id: `m-${unique()}-${i}`, timestamp: new Date(), attempts: i + 1, body }));
    for (const delivery of deliveries) {
      const batch = createMessageBatch("daemon-hotfix-events", [delivery]);
      const ctx = createExecutionContext();
      await worker.queue(batch, env, ctx);
      await waitOnExecutionContext(ctx);
      expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual([delivery.id]);
    }
    const [issue] = await eventually(() => github.issues(repo), (issues) => issues.length === 1 && occurrences(issues[0]?.body ?? null) === 2);
    expect(issue).toBeDefined();
    const row = await eventually(() => env.DB.prepare(`SELECT total FROM clusters WHERE repo = ?`).bind(repo).first<{ total: number }>(), (r) => r?.total === 2);
    expect(row?.total).toBe(2);
  });

  it("reopens an issue closed as completed, with a comment, when the failure comes back", async () => {
    const repo = pluginRepo();
    await sendFailure(repo, { settings: { updateIntervalSeconds: 0 } });
    const [issue] = await oneIssue(repo);
    await github.close(repo, issue?.number ?? 0, "completed");
    await sendFailure(repo, { settings: { updateIntervalSeconds: 0 } });
    const [reopened] = await eventually(() => github.issues(repo), (issues) => issues[0]?.state === "open" && (issues[0]?.comments ?? 0) >= 1);
    expect(reopened?.state_reason).toBe("reopened");
    const comments = (await writes(repo)).filter((c) => c.method === "POST" && c.path.endsWith("/comments"));
    expect(comments).toHaveLength(1);
    expect(JSON.stringify(comments[0]?.requestBody)).toContain("closed as completed");
  });

  it("posts the reopen comment once when GitHub applied it but its answer was lost", async () => {
    const repo = pluginRepo();
    await sendFailure(repo, { settings: { updateIntervalSeconds: 0 } });
    const [issue] = await oneIssue(repo);
    const number = issue?.number ?? 0;
    await github.close(repo, number, "completed");
    await github.fault({ kind: "commit_then_status", status: 502, match: { path: `/repos/${repo}/issues/${number}/comments`, method: "POST" }, times: 1 });
    await sendFailure(repo, { settings: { updateIntervalSeconds: 0 } });
    // The retry looks for the comment by its hidden marker before posting again.
    await eventually(() => github.calls(repo), (calls) => calls.some((c) => c.method === "GET" && c.path.endsWith(`/issues/${number}/comments`) && c.status === 200));
    const [reopened] = await eventually(() => github.issues(repo), (issues) => issues[0]?.state === "open");
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const posts = (await writes(repo)).filter((c) => c.method === "POST" && c.path.endsWith("/comments"));
    expect(posts).toHaveLength(1);
    expect(posts[0]?.committed).toBe(true);
    expect((await github.issues(repo))[0]?.comments).toBe(1);
    expect(String((posts[0]?.requestBody as { body?: string } | undefined)?.body)).toMatch(/^<!-- daemon-hotfix:comment=[0-9a-f]{40}:\d+ -->\nReopened by daemon-hotfix/);
    expect(reopened?.state_reason).toBe("reopened");
  });

  it("leaves an issue closed as not planned closed, and keeps counting", async () => {
    const repo = pluginRepo();
    const first = await sendFailure(repo, { settings: { updateIntervalSeconds: 0 } });
    const [issue] = await oneIssue(repo);
    await github.close(repo, issue?.number ?? 0, "not_planned");
    for (let i = 0; i < 3; i++) await sendFailure(repo, { settings: { updateIntervalSeconds: 0 } });
    const snapshot = await eventually(() => env.CLUSTER.getByName(first.output.fingerprint ?? "").snapshot(), (s) => s?.total === 4 && s.state === "closed");
    expect(snapshot?.stateReason).toBe("not_planned");
    await new Promise((resolve) => setTimeout(resolve, 500));
    const [still] = await github.issues(repo);
    expect(still).toMatchObject({ state: "closed", state_reason: "not_planned", comments: 0 });
  });
});

describe("GitHub faults never lose an accepted event", () => {
  it.each([
    ["502s", { kind: "status", status: 502, times: 2 }],
    ["a 403 secondary limit with retry-after", { kind: "secondary_limit", retryAfterSeconds: 1, times: 1 }],
    ["429s", { kind: "status", status: 429, times: 2 }],
    ["timeouts", { kind: "hang", hangMs: 3000, times: 1 }],
    ["dropped connections", { kind: "drop", times: 2 }],
  ] as const)("eventually files one issue through %s", async (_name, fault) => {
    const repo = pluginRepo("faulty");
    await github.fault({ ...fault, match: { repo, method: "POST" } });
    await sendFailure(repo, { settings: fast });
    // A 502 or a dropped connection on a create is an unknown outcome: each waits OUTCOME_SETTLE_MS (10 s) before the look-up.
    await eventually(() => github.issues(repo), (issues) => issues.length === 1, 50_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await github.issues(repo)).toHaveLength(1);
  }, 60_000);

  it("waits out retry-after before writing again", async () => {
    const repo = pluginRepo("patient");
    await github.fault({ kind: "secondary_limit", retryAfterSeconds: 2, times: 1, match: { repo, method: "POST" } });
    await sendFailure(repo, { settings: fast });
    await oneIssue(repo);
    const posts = (await github.calls(repo)).filter((c) => c.method === "POST");
    expect(posts[0]?.status).toBe(403);
    expect((posts[1]?.at ?? 0) - (posts[0]?.at ?? 0)).toBeGreaterThanOrEqual(2000);
  });

  it("still files one issue when GitHub created it but the answer was lost (crash between create and confirm)", async () => {
    const repo = pluginRepo("lost");
    await github.fault({ kind: "commit_then_status", status: 502, times: 1, match: { repo, method: "POST", path: "/issues" } });
    await sendFailure(repo, { settings: fast });
    await sendFailure(repo, { settings: fast });
    const [issue] = await eventually(() => github.issues(repo), (issues) => issues.length === 1 && occurrences(issues[0]?.body ?? null) === 2);
    expect(issue?.number).toBe(1);
    expect((await writes(repo)).filter((c) => c.method === "POST" && c.path.endsWith("/issues"))).toHaveLength(1);
  });

  it("still files one issue when the consumer died after GitHub created it (the redelivered flush takes over)", async () => {
    const repo = pluginRepo("crash");
    const queue = new RecordingQueue();
    const [owner, name] = repo.split("/");
    await postWith(jsonRequest(await signAsKernel(kernelPluginError({ plugin: { type: "workflow", id: `${repo}:compute.yml`, owner, repo: name }, trigger: { repo: `${owner}/app` }, requestId: unique() }))), { EVENTS: queue });
    const message = queue.sent[0] as FailureMessage;
    const fingerprint = message.fingerprint ?? "";
    const cluster = env.CLUSTER.getByName(fingerprint);
    const settings = { windowMinutes: 60, updateIntervalSeconds: 1, issueLabels: [], notify: [], modes: ["issue" as const], riskPolicy: { autoMerge: false, maxAutofixPerDay: 3, maxRiskTier: "low" as const } };
    expect((await cluster.recordMany({ fingerprint, entries: [{ id: message.failure.eventId, failure: message.failure, settings }], nowMs: Date.now() })).flush).toBe(true);
    // The consumer of the flush gets the create step and GitHub creates the issue — then the consumer dies.
    const flushId = `flush-${unique()}`;
    expect((await cluster.plan(Date.now(), { holder: `flush:${flushId}` }))?.kind).toBe("create");
    const created = await fetch(`https://api.github.test/repos/${repo}/issues`, {
      method: "POST",
      headers: { authorization: `token ${env.GITHUB_TOKEN}`, "content-type": "application/json", "user-agent": "test" },
      body: JSON.stringify({ title: "crashed create", body: `<!-- daemon-hotfix:fingerprint=${fingerprint} -->\ncreated before the crash` }),
    });
    expect(created.status).toBe(201);
    // The queue redelivers the flush (same message id): it takes the lease over at once, finds the issue, carries on.
    const batch = createMessageBatch("daemon-hotfix-writes", [{ id: flushId, timestamp: new Date(), attempts: 2, body: { version: 1, type: "flush", fingerprint, repo } }]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    await waitOnExecutionContext(ctx);
    expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual([flushId]);
    const [issue] = await eventually(() => github.issues(repo), (issues) => occurrences(issues[0]?.body ?? null) === 1);
    expect(await github.issues(repo)).toHaveLength(1);
    expect(issue?.number).toBe(1);
  });

  it("dead-letters the events of a repo GitHub does not know, with the reason", async () => {
    const repo = pluginRepo("gone");
    await github.missing(repo);
    const answer = await sendFailure(repo);
    const row = await eventually(
      () => env.DB.prepare(`SELECT reason, body FROM dead_letters WHERE event_id = ?`).bind(answer.output.eventId).first<{ reason: string; body: string }>(),
      (r) => r !== null,
    );
    expect(row?.reason).toMatch(/^permanent: POST \/repos\/acme\/gone-[0-9a-f]+\/issues: GitHub answered 404/);
    const second = await sendFailure(repo);
    const blocked = await eventually(() => env.DB.prepare(`SELECT reason FROM dead_letters WHERE event_id = ?`).bind(second.output.eventId).first<{ reason: string }>(), (r) => r !== null);
    expect(blocked?.reason).toContain("404");
    expect(await github.issues(repo)).toHaveLength(0);
  });
});
