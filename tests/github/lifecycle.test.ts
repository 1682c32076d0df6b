import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IngestAnswer } from "../../shared/ingest-output";
import { CI_SETTINGS, runId, sha } from "../helpers/ci";
import { workflowRun } from "../helpers/events";
import { type DoubleIssue, eventually, GITHUB_API, github } from "../helpers/github";
import { jsonRequest, postToWorker, signAsKernel } from "../helpers/kernel";
import { pluginRepo, sendFailure } from "../helpers/send";

// Issue 15: the issue follows the failure's real life — through ingest, the queues, the clusters and the GitHub double.

const BOT = "daemon-hotfix[bot]";
const occurrences = (body: string | null) => Number(/\| Occurrences \| \*\*(\d+)\*\* \|/.exec(body ?? "")?.[1] ?? NaN);
const commentsOf = (issue: DoubleIssue | undefined) => (issue?.comments_list ?? []).map((c) => c.body);

/** Times that move forward: each run of a test is later than the one before (and than any close before it). */
let clock = Date.now();
const later = () => new Date((clock = Math.max(clock + 2_000, Date.now()))).toISOString();

/** A workflow run of `CI` on main, as the kernel sends it, through the real Worker (its queues consume it). */
async function sendRun(repo: string, opts: { id?: number; sha: string; conclusion?: string; attempt?: number; at?: string }, settings: Record<string, unknown> = CI_SETTINGS): Promise<IngestAnswer> {
  const at = opts.at ?? later();
  const payload = workflowRun({ repo, name: "CI", path: ".github/workflows/ci.yml", id: opts.id ?? runId(), sha: opts.sha, createdAt: at, ...(opts.conclusion !== undefined ? { conclusion: opts.conclusion } : {}), ...(opts.attempt ? { attempt: opts.attempt } : {}) });
  (payload["workflow_run"] as Record<string, unknown>)["updated_at"] = at;
  const res = await postToWorker(jsonRequest(await signAsKernel(payload, { eventName: "workflow_run.completed", settings })));
  expect(res.status, await res.clone().text()).toBe(200);
  return res.json<IngestAnswer>();
}

/** A failing run whose `test` job failed at `Run npm test` (the double serves its jobs and annotations). */
async function failRun(repo: string, commit: string, opts: { id?: number; attempt?: number } = {}, settings?: Record<string, unknown>): Promise<IngestAnswer> {
  const id = opts.id ?? runId();
  if (!opts.attempt || opts.attempt === 1) {
    await github.actionsRun({ repo, runId: id, workflowName: "CI", jobs: [{ name: "test", steps: [{ name: "Run npm test", conclusion: "failure" }], annotations: [{ path: "tests/a.test.ts", startLine: 7, message: "AssertionError: expected 1 to be 2" }] }] });
  }
  return sendRun(repo, { id, sha: commit, ...(opts.attempt ? { attempt: opts.attempt } : {}) }, settings);
}

/** An `issues.closed` / `issues.reopened` as GitHub sends it for `issue`, by `sender`. */
async function sendIssueEvent(repo: string, issue: { number: number; body: string | null }, action: "closed" | "reopened", reason: string | null, sender = "maintainer"): Promise<IngestAnswer> {
  const payload = {
    action,
    issue: { number: issue.number, body: issue.body, state: action === "closed" ? "closed" : "open", state_reason: reason, closed_at: action === "closed" ? new Date().toISOString() : null, title: "x", user: { login: BOT } },
    repository: { full_name: repo, name: repo.split("/")[1], owner: { login: repo.split("/")[0] }, default_branch: "main" },
    sender: { login: sender, type: "User" },
  };
  const res = await postToWorker(jsonRequest(await signAsKernel(payload, { eventName: `issues.${action}` })));
  expect(res.status, await res.clone().text()).toBe(200);
  return res.json<IngestAnswer>();
}

const asWorker = (path: string) => fetch(`${GITHUB_API}${path}`, { headers: { authorization: `token ${env.GITHUB_TOKEN}`, "user-agent": "warm-up" } });

beforeAll(async () => {
  // The double compiles its validators on first use of an operation: before the Worker's 1 s timeout runs.
  const repo = pluginRepo("life-warm");
  await github.actionsRun({ repo, runId: 1, jobs: [{ name: "test", steps: [{ name: "Run npm test", conclusion: "failure" }] }] });
  for (const path of [`/repos/${repo}/actions/runs/1/jobs`, `/repos/${repo}/issues`, `/repos/${repo}/issues/1/comments`]) await (await asWorker(path)).arrayBuffer();
}, 60_000);

afterAll(async () => {
  expect(await github.violations()).toEqual([]);
});

describe("resolved when green", () => {
  it("failure → issue → success → closed as completed with one comment naming the run → failure → reopened as a regression", async () => {
    const repo = pluginRepo("life-green");
    const red = sha();
    expect((await failRun(repo, red)).output.status).toBe("queued");
    const [filed] = await eventually(() => github.issues(repo), (issues) => issues.length === 1 && issues[0]?.state === "open");
    expect(filed?.body).toContain(red.slice(0, 12));

    const greenId = runId();
    const green = sha();
    // Answered queued once the stream knows the issue is open; a success just before that still closes it.
    await eventually(() => github.calls(repo), (calls) => calls.some((c) => c.method === "POST" && c.path.endsWith("/issues")));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const answer = await sendRun(repo, { id: greenId, sha: green, conclusion: "success" });
    // (On a loaded machine the stream may hear of the issue only after this run: then the opening issue is told of it.)
    if (answer.output.status === "queued") expect(answer.output.reason).toContain("closes 1 open issue");
    else expect(answer.output.reason).toMatch(/^success: recorded /);
    const [closed] = await eventually(() => github.issues(repo), (issues) => issues[0]?.state === "closed");
    expect(closed?.state_reason).toBe("completed");
    const closing = commentsOf(closed).filter((c) => c.includes("Resolved by daemon-hotfix"));
    expect(closing).toHaveLength(1);
    expect(closing[0]).toContain(`<https://github.com/${repo}/actions/runs/${greenId}>`);
    expect(closing[0]).toContain(green.slice(0, 12));

    // More successes: nothing more (no second comment, no write); once the stream heard of the close, not even a message.
    const writesBefore = (await github.calls(repo)).filter((c) => c.method !== "GET").length;
    const again = await eventually(() => sendRun(repo, { sha: sha(), conclusion: "success" }), (a) => !(a.output.reason ?? "").includes("closes"));
    expect(again.output.status).toBe("queued"); // handled, not ignored (contract "Counting and lifecycle")
    expect(again.output.reason).toMatch(/^success: recorded [0-9a-f]{12} as the last passing commit of \.github\/workflows\/ci\.yml on main$/);
    const writesNow = (await github.calls(repo)).filter((c) => c.method !== "GET");
    expect(writesNow.length, JSON.stringify(writesNow.map((c) => [c.method, c.path, c.requestBody]).slice(writesBefore))).toBe(writesBefore);

    const broke = sha();
    const brokeId = runId();
    await failRun(repo, broke, { id: brokeId });
    const [reopened] = await eventually(() => github.issues(repo), (issues) => issues[0]?.state === "open" && commentsOf(issues[0]).some((c) => c.includes("Reopened by daemon-hotfix")));
    const reopen = commentsOf(reopened).find((c) => c.includes("Reopened by daemon-hotfix")) ?? "";
    expect(reopen).toContain(`regressed in \`${broke.slice(0, 12)}\``);
    expect(reopen).toContain(`<https://github.com/${repo}/actions/runs/${brokeId}>`);
    expect(commentsOf(reopened).filter((c) => c.includes("Resolved by daemon-hotfix"))).toHaveLength(1);
    expect((await github.issues(repo)).length).toBe(1);
  });

  it("a success with no open issue for its workflow and branch makes no GitHub request", async () => {
    const repo = pluginRepo("life-quiet-green");
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await sendRun(repo, { sha: sha(), conclusion: "success" }));
    for (const answer of answers) expect(answer.output).toMatchObject({ status: "queued", reason: expect.stringMatching(/^success: recorded [0-9a-f]{12} as the last passing commit of \.github\/workflows\/ci\.yml on main$/) });
    // Also for a repo that has an issue, but closed: its success costs nothing either.
    const other = pluginRepo("life-closed-green");
    await failRun(other, sha());
    const [issue] = await eventually(() => github.issues(other), (issues) => issues.length === 1);
    await github.close(other, issue?.number ?? 0, "completed");
    await sendIssueEvent(other, { number: issue?.number ?? 0, body: issue?.body ?? null }, "closed", "completed");
    // Quiet: the steps of the filing are done.
    await eventually(() => github.calls(other), (calls) => calls.some((c) => c.method === "POST" && c.path.endsWith("/issues")));
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const before = (await github.calls(other)).length;
    const mirrored = await eventually(() => sendRun(other, { sha: sha(), conclusion: "success" }), (a) => a.output.status === "queued" && !(a.output.reason ?? "").includes("closes"));
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await github.calls(repo)).toEqual([]);
    expect((await github.calls(other)).slice(before)).toEqual([]);
  });

  it("autoClose false keeps the issue open", async () => {
    const repo = pluginRepo("life-keep");
    const settings = { ...CI_SETTINGS, autoClose: false };
    await failRun(repo, sha(), {}, settings);
    await eventually(() => github.issues(repo), (issues) => issues.length === 1);
    await eventually(async () => (await github.calls(repo)).some((c) => c.method === "POST" && c.path.endsWith("/issues")), Boolean);
    const answer = await sendRun(repo, { sha: sha(), conclusion: "success" }, settings);
    expect(answer.output.reason).toContain("settings.autoClose is false");
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await github.issues(repo))[0]?.state).toBe("open");
  });

  it("a recurrence on an old commit after the close is counted and mentioned, not reopened; a newer commit reopens", async () => {
    const repo = pluginRepo("life-old");
    const old = sha();
    const oldRun = runId();
    await failRun(repo, old, { id: oldRun });
    await eventually(() => github.issues(repo), (issues) => issues.length === 1);
    // One passing run: it closes the issue (through the stream's index, or — should it come while the issue is still
    // being filed — when the opening issue is told of it).
    await sendRun(repo, { sha: sha(), conclusion: "success" });
    await eventually(() => github.issues(repo), (issues) => issues[0]?.state === "closed");

    // The old commit's run re-run (attempt 2): the version current before the close.
    await failRun(repo, old, { id: oldRun, attempt: 2 });
    const [mentioned] = await eventually(() => github.issues(repo), (issues) => commentsOf(issues[0]).some((c) => c.includes("Seen again")));
    expect(mentioned?.state).toBe("closed");
    expect(commentsOf(mentioned).find((c) => c.includes("Seen again"))).toContain(`\`${old.slice(0, 12)}\``);
    expect(commentsOf(mentioned).some((c) => c.includes("Reopened"))).toBe(false);
    expect((await github.calls(repo)).some((c) => c.method === "PATCH" && (c.requestBody as { state?: string } | undefined)?.state === "open")).toBe(false);

    const fresh = sha();
    await failRun(repo, fresh);
    const [reopened] = await eventually(() => github.issues(repo), (issues) => issues[0]?.state === "open");
    expect(commentsOf(reopened).find((c) => c.includes("Reopened"))).toContain(`regressed in \`${fresh.slice(0, 12)}\``);
  });
});

describe("mirrored from GitHub at once", () => {
  it("closed as not planned: silenced at once, and the next recurrence neither reopens nor comments", async () => {
    const repo = pluginRepo("life-mirror");
    await sendFailure(repo, { settings: { updateIntervalSeconds: 1, windowMinutes: 1 } });
    const [issue] = await eventually(() => github.issues(repo), (issues) => issues.length === 1);
    await github.close(repo, issue?.number ?? 0, "not_planned");
    const answer = await sendIssueEvent(repo, { number: issue?.number ?? 0, body: issue?.body ?? null }, "closed", "not_planned");
    expect(answer.output).toMatchObject({ status: "queued", reason: `issue #${issue?.number} closed as not_planned: its cluster takes the state` });
    // The admin API shows the mirrored state before any recurrence: it was taken at once.
    const fingerprint = /daemon-hotfix:fingerprint=([0-9a-f]{40})/.exec(issue?.body ?? "")?.[1] ?? "";
    await eventually(
      async () => (await postToWorker(new Request(`https://daemon-hotfix.example.test/admin/clusters/${fingerprint}`, { headers: { authorization: "Bearer test-admin-token" } }))).json<{ cluster?: { state: string; stateReason: string | null } }>(),
      (body) => body.cluster?.state === "closed" && body.cluster.stateReason === "not_planned",
    );
    const before = await github.calls(repo);
    await sendFailure(repo, { settings: { updateIntervalSeconds: 1, windowMinutes: 1 } });
    await sendFailure(repo, { settings: { updateIntervalSeconds: 1, windowMinutes: 1 } });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const after = (await github.calls(repo)).slice(before.length);
    expect(after.filter((c) => c.method !== "GET")).toEqual([]);
    const [still] = await github.issues(repo);
    expect(still?.state).toBe("closed");
    expect(still?.comments).toBe(0);
  });

  it("reopened by a person: active again at once; events of issues daemon-hotfix did not file cost nothing", async () => {
    const repo = pluginRepo("life-reopen");
    await sendFailure(repo, { settings: { updateIntervalSeconds: 1 } });
    const [issue] = await eventually(() => github.issues(repo), (issues) => issues.length === 1);
    await github.close(repo, issue?.number ?? 0, "not_planned");
    await sendIssueEvent(repo, { number: issue?.number ?? 0, body: issue?.body ?? null }, "closed", "not_planned");
    await fetch(`${GITHUB_API}/_double/issues/${repo}/${issue?.number}/reopen`, { method: "POST" });
    await sendIssueEvent(repo, { number: issue?.number ?? 0, body: issue?.body ?? null }, "reopened", null);
    const fingerprint = /daemon-hotfix:fingerprint=([0-9a-f]{40})/.exec(issue?.body ?? "")?.[1] ?? "";
    await eventually(
      async () => (await postToWorker(new Request(`https://daemon-hotfix.example.test/admin/clusters/${fingerprint}`, { headers: { authorization: "Bearer test-admin-token" } }))).json<{ cluster?: { state: string } }>(),
      (body) => body.cluster?.state === "open",
    );
    // The marker pasted into an issue of another repo (same number): the cluster takes nothing from it.
    const elsewhere = pluginRepo("life-elsewhere");
    await sendIssueEvent(elsewhere, { number: issue?.number ?? 0, body: issue?.body ?? null }, "closed", "not_planned");
    await new Promise((resolve) => setTimeout(resolve, 500));
    const still = await postToWorker(new Request(`https://daemon-hotfix.example.test/admin/clusters/${fingerprint}`, { headers: { authorization: "Bearer test-admin-token" } })).then((r) => r.json<{ cluster?: { state: string } }>());
    expect(still.cluster?.state).toBe("open");
    // Another issue (no marker), and daemon-hotfix's own close: ignored at the door, nothing queued.
    const foreign = await sendIssueEvent(repo, { number: 99, body: "Some bug report" }, "closed", "completed");
    expect(foreign.output).toEqual({ status: "ignored", reason: "not an issue daemon-hotfix filed (no marker)" });
    const own = await sendIssueEvent(repo, { number: issue?.number ?? 0, body: issue?.body ?? null }, "closed", "completed", BOT);
    expect(own.output.status).toBe("ignored");
  });
});

describe("filed when it matters", () => {
  it("fileAfter {occurrences: 3, withinMinutes: 10} files on the third occurrence, not before, counting every one", async () => {
    const repo = pluginRepo("life-file-after");
    const settings = { updateIntervalSeconds: 1, fileAfter: { occurrences: 3, withinMinutes: 10 } };
    const first = await sendFailure(repo, { settings });
    await sendFailure(repo, { settings });
    const fingerprint = first.output.fingerprint ?? "";
    const admin = () => postToWorker(new Request(`https://daemon-hotfix.example.test/admin/clusters/${fingerprint}`, { headers: { authorization: "Bearer test-admin-token" } })).then((r) => r.json<{ cluster?: { state: string; stateReason: string | null; total: number } }>());
    const waiting = await eventually(admin, (body) => body.cluster?.total === 2);
    expect(waiting.cluster).toMatchObject({ state: "waiting", stateReason: "waiting to file: 2 of 3 occurrences within 10 min" });
    const dashboard = await (await postToWorker(new Request("https://daemon-hotfix.example.test/dashboard", { headers: { authorization: "Bearer test-admin-token" } }))).text();
    expect(dashboard).toContain(`<span class="state waiting">waiting to file</span>`);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await github.calls(repo)).toEqual([]);
    await sendFailure(repo, { settings });
    const [issue] = await eventually(() => github.issues(repo), (issues) => issues.length === 1 && occurrences(issues[0]?.body ?? null) === 3);
    expect(issue?.state).toBe("open");
  });
});

describe("quiet plugin failures resolve too", () => {
  const DAY = 86_400_000;
  it("closes as completed, with one comment, a failure quiet for resolveAfterQuietDays after its plugin moved to another ref; a recurrence reopens it", async () => {
    const repo = pluginRepo("life-quiet");
    const at = (ref: string) => ({ plugin: { id: `${repo}:compute.yml@${ref}`, ref } });
    const settings = { updateIntervalSeconds: 1, resolveAfterQuietDays: 7 };
    const first = await sendFailure(repo, { ...at("v1.0.0"), message: "TypeError: cannot read properties of undefined (reading 'assignee')", settings });
    const fingerprint = first.output.fingerprint ?? "";
    await eventually(() => github.issues(repo), (issues) => issues.length === 1);
    // GitHub's closed_at is whole seconds: the close comes in a later second than this failure (else it would look
    // like a recurrence after the close).
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const cluster = env.CLUSTER.getByName(fingerprint);
    // The plugin has not moved on yet: nothing, however long it stays quiet.
    expect(await cluster.quietCheck(Date.now() + 30 * DAY)).toEqual({ resolving: false, reason: "the plugin was not seen at another ref since" });
    // Another failure of the same plugin, at its new ref: the plugin moved on (its own issue).
    await sendFailure(repo, { ...at("v1.1.0"), message: "HTTP 502: Bad Gateway", settings });
    await eventually(() => github.issues(repo), (issues) => issues.length === 2);
    // Quiet for two days only: not yet.
    const early = await eventually(() => cluster.quietCheck(Date.now() + 2 * DAY), (r) => r.reason !== "the plugin was not seen at another ref since");
    expect(early).toEqual({ resolving: false, reason: "not quiet long enough" });
    expect(await cluster.quietCheck(Date.now() + 8 * DAY)).toEqual({ resolving: true, reason: "no recurrence since v1.1.0" });
    const quiet = await eventually(() => github.issues(repo), (issues) => issues.find((i) => i.title.includes("assignee"))?.state === "closed");
    const closed = quiet.find((i) => i.title.includes("assignee"));
    expect(closed?.state_reason).toBe("completed");
    const comments = commentsOf(closed).filter((c) => c.includes("Resolved by daemon-hotfix"));
    expect(comments).toHaveLength(1);
    expect(comments[0]).toMatch(/no recurrence since `v1\.1\.0` on \d{4}-\d{2}-\d{2}T/);
    // The other failure (still failing at the new ref) stays open.
    expect(quiet.find((i) => i.title.includes("502"))?.state).toBe("open");
    // It comes back (in a later second than the close: GitHub's closed_at is whole seconds): reopened.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await sendFailure(repo, { ...at("v1.1.0"), message: "TypeError: cannot read properties of undefined (reading 'assignee')", settings });
    await eventually(() => github.issues(repo), (issues) => issues.find((i) => i.title.includes("assignee"))?.state === "open");
  });
});
