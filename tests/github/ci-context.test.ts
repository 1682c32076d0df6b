import { createExecutionContext, createMessageBatch, getQueueResult, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import worker from "../../workers/index";
import { checkRun as checkRunEvent, checkSuite as checkSuiteEvent, workflowRun } from "../helpers/events";
import { CI_SETTINGS, failingRun, runId, sendWorkflowRun, sha, warmActions } from "../helpers/ci";
import { eventually, github } from "../helpers/github";
import { jsonRequest, postToWorker, postWith, RecordingQueue, signAsKernel } from "../helpers/kernel";
import { lex, liveElements } from "../helpers/markdown";
import { pluginRepo } from "../helpers/send";

// Issue 16: CI failures that say what broke — through the queue, the CI stream and the GitHub double.

const occurrences = (body: string | null) => Number(/\| Occurrences \| \*\*(\d+)\*\* \|/.exec(body ?? "")?.[1] ?? NaN);
const issuesOf = (repo: string, n = 1) => eventually(() => github.issues(repo), (issues) => issues.length === n);
const jobsReads = async (repo: string) => (await github.calls(repo)).filter((c) => c.method === "GET" && /\/actions\/runs\/\d+\/jobs$/.test(c.path));

beforeAll(warmActions, 60_000);

afterAll(async () => {
  expect(await github.violations()).toEqual([]);
});

describe("a failing run's issue says what broke", () => {
  it("names the failed job and step, links the job, and shows the annotation", async () => {
    const repo = pluginRepo("ci");
    const id = runId();
    const { jobs } = await github.actionsRun(failingRun(repo, id));
    const answer = await sendWorkflowRun(repo, { id });
    expect(answer.output).toMatchObject({ status: "queued" });
    const [issue] = await issuesOf(repo);
    expect(issue?.title).toBe(`[daemon-hotfix] ${repo.split("/")[1]}: CI / test › Run npm test: tests/a.test.ts:12 — AssertionError: expected 1 to be 2`);
    const body = issue?.body ?? "";
    expect(body).toContain("### What broke");
    expect(body).toContain("`test (ubuntu-latest, 20)`");
    expect(body).toContain("`Run npm test` (step 3)");
    expect(body).toContain(`<${jobs[1]?.html_url}>`);
    expect(body).toContain("tests/a.test.ts:12 — AssertionError: expected 1 to be 2");
    expect(body).toContain(`gh run rerun ${id} --failed --repo ${repo}`);
    expect(body).not.toContain("`lint`");
    // Tenancy (issue 12): the run's repo owner is the reporter, counted like any failure's.
    expect(body).toContain("| Reported by | affects 1 org / 1 repo |");
    expect(liveElements(lex(body))).toEqual([]);
    // An error annotation said what broke: the log is not read.
    expect((await github.calls(repo)).filter((c) => c.path.endsWith("/logs") || c.path.startsWith("/_actions-logs/"))).toEqual([]);
  });

  it("reads the failed step's log when no annotation says what broke, and shows its last lines", async () => {
    const repo = pluginRepo("ci-log");
    const id = runId();
    await github.actionsRun({ repo, runId: id, jobs: [{ name: "build", steps: [{ name: "Run npm run build", conclusion: "failure", log: ["> tsc -p .", "src/a.ts(3,1): error TS2304: Cannot find name 'x'."] }] }] });
    await sendWorkflowRun(repo, { id });
    const [issue] = await issuesOf(repo);
    expect(issue?.title).toContain("CI / build › Run npm run build: src/a.ts(3,1): error TS2304: Cannot find name 'x'.");
    expect(issue?.body).toContain("### Log excerpt");
    expect(issue?.body).toMatch(/```text\nRun npm run build\nnpm run build\nshell: \/usr\/bin\/bash -e \{0\}\n> tsc -p \.\nsrc\/a\.ts\(3,1\): error TS2304: Cannot find name 'x'\.\n##\[error\]Process completed with exit code 1\.\n```/);
    const logs = (await github.calls(repo)).filter((c) => c.path.endsWith("/logs") || c.path.startsWith("/_actions-logs/"));
    expect(logs.map((c) => c.status)).toEqual([302, 200]);
  });

  it("reads at most 1 MB of a long log: the tail, where the failed step is", async () => {
    const repo = pluginRepo("ci-big");
    const id = runId();
    await github.actionsRun({ repo, runId: id, jobs: [{ name: "e2e", paddingBytes: 1_500_000, steps: [{ name: "Run npm run e2e", conclusion: "failure", log: ["Error: page.goto: net::ERR_CONNECTION_REFUSED at http://localhost:3000/"] }] }] });
    await sendWorkflowRun(repo, { id });
    const [issue] = await issuesOf(repo);
    expect(issue?.body, issue?.body ?? "").toContain("ERR_CONNECTION_REFUSED");
    expect(issue?.title).toContain("CI / e2e › Run npm run e2e: Error: page.goto: net::ERR_CONNECTION_REFUSED");
    expect(issue?.body).toContain("The log was longer than what was read (1 MB): this is from its tail.");
    const logHost = (await github.calls(repo)).filter((c) => c.path.startsWith("/_actions-logs/"));
    expect(logHost.map((c) => [c.status, c.range?.replace(/\d+/, "N")])).toEqual([
      [200, undefined],
      [206, "bytes=N-"],
    ]);
    const start = Number(/bytes=(\d+)-/.exec(logHost[1]?.range ?? "")?.[1]);
    expect(start).toBeGreaterThan(500_000);
  });

  it("files two issues for two different breakages of one workflow", async () => {
    const repo = pluginRepo("ci-two");
    const id = runId();
    await github.actionsRun({
      repo,
      runId: id,
      jobs: [
        { name: "test", steps: [{ name: "Run npm test", conclusion: "failure" }], annotations: [{ path: "tests/a.test.ts", startLine: 3, message: "expected 1 to be 2" }] },
        { name: "lint", steps: [{ name: "Run npm run lint", conclusion: "failure" }], annotations: [{ path: "src/b.ts", startLine: 9, message: "'y' is defined but never used" }] },
      ],
    });
    await sendWorkflowRun(repo, { id });
    const issues = await issuesOf(repo, 2);
    expect(issues.map((i) => i.title.split(": ").slice(1).join(": ")).sort()).toEqual(["CI / lint › Run npm run lint: src/b.ts:9 — 'y' is defined but never used", "CI / test › Run npm test: tests/a.test.ts:3 — expected 1 to be 2"]);
  });

  it("files one issue for one breakage across runs and commits, re-reading GitHub at most once per window", async () => {
    const repo = pluginRepo("ci-same");
    const ids = [runId(), runId(), runId()];
    for (const id of ids) await github.actionsRun(failingRun(repo, id));
    for (const id of ids) await sendWorkflowRun(repo, { id, sha: sha() });
    const [issue] = await eventually(() => github.issues(repo), (list) => list.length === 1 && occurrences(list[0]?.body ?? null) === 3);
    expect(issue?.title).toContain("CI / test › Run npm test");
    expect((await jobsReads(repo)).length).toBe(1);
  });
});

describe("redeliveries", () => {
  it("counts a run once however often its message is delivered, in the same cluster", async () => {
    const repo = pluginRepo("ci-redeliver");
    const id = runId();
    await github.actionsRun(failingRun(repo, id));
    const queue = new RecordingQueue();
    await postWith(jsonRequest(await signAsKernel(workflowRun({ repo, id, name: "CI", path: ".github/workflows/ci.yml" }), { eventName: "workflow_run.completed", settings: CI_SETTINGS })), { EVENTS: queue });
    const message = queue.sent[0];
    for (let attempt = 1; attempt <= 3; attempt++) {
      const batch = createMessageBatch("daemon-hotfix-events", [{ id: `m-${id}-${attempt}`, timestamp: new Date(), attempts: attempt, body: message }]);
      const ctx = createExecutionContext();
      await worker.queue(batch, env, ctx);
      await waitOnExecutionContext(ctx);
      expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual([`m-${id}-${attempt}`]);
    }
    const [issue] = await issuesOf(repo);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(occurrences((await github.issues(repo))[0]?.body ?? null)).toBe(1);
    expect(issue?.title).toContain("CI / test › Run npm test");
    expect((await jobsReads(repo)).length).toBe(1);
  });
});

describe("when GitHub will not tell", () => {
  it.each([
    ["refuses the jobs read (403)", (repo: string, id: number) => github.fault({ kind: "status", status: 403, match: { path: `/repos/${repo}/actions/runs/${id}/jobs` } })],
    ["does not know the run (404)", async () => undefined],
    ["times out", (repo: string, id: number) => github.fault({ kind: "hang", hangMs: 3_000, times: 1, match: { path: `/repos/${repo}/actions/runs/${id}/jobs` } })],
  ] as const)("still files the issue from the event alone when GitHub %s, saying details could not be read", async (name, arrange) => {
    const repo = pluginRepo("ci-dark");
    const id = runId();
    await arrange(repo, id);
    await sendWorkflowRun(repo, { id });
    const [issue] = await issuesOf(repo);
    expect(issue?.title).toBe(`[daemon-hotfix] ${repo.split("/")[1]}: Workflow "CI" failed on main`);
    expect(issue?.body).toContain("could not be read from GitHub, so this issue is filed from the event alone");
    expect(issue?.body).toContain("the run's jobs");
    expect(issue?.body).toContain(name === "times out" ? "the run's jobs: no answer from GitHub" : "the run's jobs: GitHub answered 40");
  });

  it("files from the jobs alone when the annotations and log are refused", async () => {
    const repo = pluginRepo("ci-half");
    const id = runId();
    await github.actionsRun(failingRun(repo, id, { jobs: [{ name: "test", steps: [{ name: "Run npm test", conclusion: "failure" }] }] }));
    await github.fault({ kind: "status", status: 403, match: { path: "/annotations", repo } });
    await github.fault({ kind: "status", status: 404, match: { path: "/logs", repo } });
    await sendWorkflowRun(repo, { id });
    const [issue] = await issuesOf(repo);
    expect(issue?.title).toContain("CI / test › Run npm test");
    expect(issue?.body).toMatch(/Not read: .*annotations of test: GitHub answered 403/);
    expect(issue?.body).toMatch(/log of test: GitHub answered 404/);
  });
});

describe("broken between A and B", () => {
  it("records a success without a GitHub request, then shows both SHAs, their first lines and a compare link on the failure", async () => {
    const repo = pluginRepo("ci-green");
    const green = sha();
    const red = sha();
    const success = await sendWorkflowRun(repo, { id: runId(), conclusion: "success", sha: green, commitMessage: "Bump deps, thanks @octocat\n\nlong body", createdAt: "2026-11-20T09:00:00Z" });
    expect(success.output).toEqual({ status: "queued", reason: `success: recorded ${green.slice(0, 12)} as the last passing commit of .github/workflows/ci.yml on main` });
    expect(await github.calls(repo)).toEqual([]);
    const id = runId();
    await github.actionsRun(failingRun(repo, id, { headSha: red }));
    await sendWorkflowRun(repo, { id, sha: red, commitMessage: "Refactor adder (cc @someone)", createdAt: "2026-11-20T10:00:00Z" });
    const [issue] = await issuesOf(repo);
    const body = issue?.body ?? "";
    expect(body).toContain("### Broken between");
    expect(body).toContain(`<https://github.com/${repo}/compare/${green}...${red}>`);
    expect(body).toContain(`- Last passing: \`${green.slice(0, 12)}\` \`Bump deps, thanks @octocat\``);
    expect(body).toContain(`- First failing: \`${red.slice(0, 12)}\` \`Refactor adder (cc @someone)\``);
    expect(body).not.toContain("long body");
    // Commit lines are inert: the @ in them mentions nobody (only code spans hold them).
    expect(liveElements(lex(body))).toEqual([]);
  });

  it("ignores a PR branch's runs by default, successes included", async () => {
    const repo = pluginRepo("ci-pr");
    const answer = await sendWorkflowRun(repo, { id: runId(), branch: "feature/x" });
    expect(answer.output).toEqual({ status: "ignored", reason: 'branch "feature/x" is not watched: CI is watched on the default branch "main" (settings.ciBranches)' });
    expect((await sendWorkflowRun(repo, { id: runId(), branch: "feature/x", conclusion: "success" })).output.status).toBe("ignored");
    expect(await github.calls(repo)).toEqual([]);
  });
});

describe("budget", () => {
  it("a storm of 200 failing runs of one breakage reads the jobs endpoint at most a handful of times and files one issue counting them all", async () => {
    const repo = pluginRepo("ci-storm");
    const ids = Array.from({ length: 200 }, () => runId());
    await Promise.all(ids.map((id) => github.actionsRun(failingRun(repo, id))));
    // All at once: past the per-repo burst (120 in tests) ingest sheds them — answered rate_limited, still counted.
    const answers = await Promise.all(ids.map((id) => sendWorkflowRun(repo, { id, sha: sha() })));
    expect(answers.every((a) => a.output.status === "queued" || a.output.status === "rate_limited")).toBe(true);
    expect(answers.some((a) => a.output.status === "rate_limited")).toBe(true);
    const [issue] = await eventually(() => github.issues(repo), (list) => list.length === 1 && occurrences(list[0]?.body ?? null) === 200, 60_000);
    expect(issue?.title).toContain("CI / test › Run npm test");
    const reads = await jobsReads(repo);
    expect(reads.length).toBeGreaterThanOrEqual(1);
    expect(reads.length).toBeLessThanOrEqual(3);
    const metrics = await env.DB.prepare(`SELECT SUM(value) AS n FROM counters WHERE name = 'ci_context_reads'`).first<{ n: number }>();
    expect(metrics?.n ?? 0).toBeGreaterThanOrEqual(reads.length);
  }, 120_000);
});

describe("secrets", () => {
  it("log-excerpt canaries never reach GitHub, and the token never reaches the log host", async () => {
    const repo = pluginRepo("ci-canary");
    const id = runId();
    const canaries = [
      "ghp_CANARYlogExcerptToken0123456789abcdefAB",
      "github_pat_CANARY11AAAAAAA_abcdefghijklmnopqrstuvwxyz0123456789",
      "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjYW5hcnkifQ.c2lnbmF0dXJl",
      "AKIAIOSFODNN7CANARY1",
      "hunter2-canary-password",
      // A PEM key's body line: nothing on the line itself says it is secret, only the block around it does.
      "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCanaryPemBody",
    ];
    await github.actionsRun({
      repo,
      runId: id,
      jobs: [
        {
          name: "deploy",
          steps: [
            {
              name: "Run ./deploy.sh",
              conclusion: "failure",
              log: ["deploying with token " + canaries[0], `export GH=${canaries[1]}`, `Authorization: Bearer ${canaries[2]}`, `aws key ${canaries[3]}`, `password=${canaries[4]}`, "-----BEGIN PRIVATE KEY-----", canaries[5] ?? "", "-----END PRIVATE KEY-----", "Error: deploy failed: upstream refused"],
            },
          ],
        },
        {
          name: "publish",
          steps: [{ name: "Run npm publish", conclusion: "failure" }],
          annotations: [{ path: "scripts/publish.sh", startLine: 3, title: `token ${canaries[0]}`, message: `npm ERR! 401 for token ${canaries[1]} (password=${canaries[4]})` }],
        },
      ],
    });
    await sendWorkflowRun(repo, { id });
    await issuesOf(repo, 2);
    const [issue] = (await github.issues(repo)).filter((i) => i.title.includes("deploy"));
    expect((await github.issues(repo)).some((i) => i.body?.includes("scripts/publish.sh:3 — "))).toBe(true);
    expect(issue?.body).toContain("### Log excerpt");
    expect(issue?.body).toContain("Error: deploy failed: upstream refused");
    const sent = JSON.stringify((await github.calls(repo)).filter((c) => c.method !== "GET").map((c) => c.requestBody));
    for (const canary of canaries) expect(sent).not.toContain(canary);
    expect(sent).toContain("[REDACTED]");
    const logHost = (await github.calls(repo)).filter((c) => c.path.startsWith("/_actions-logs/"));
    expect(logHost.length).toBeGreaterThan(0);
    expect(logHost.every((c) => c.token === null)).toBe(true);
  });
});

describe("check runs", () => {
  it("files a failing check run with its annotations", async () => {
    const repo = pluginRepo("ci-check");
    const id = runId();
    await github.checkRun({ repo, id, name: "test (ubuntu-latest)", title: "3 tests failed", annotations: [{ path: "tests/a.test.ts", startLine: 4, message: "expected true to be false" }] });
    const payload = checkRunEvent({ repo, id });
    const res = await postToWorker(jsonRequest(await signAsKernel(payload, { eventName: "check_run.completed", settings: CI_SETTINGS })));
    expect(res.status).toBe(200);
    const [issue] = await issuesOf(repo);
    expect(issue?.title).toBe(`[daemon-hotfix] ${repo.split("/")[1]}: test (ubuntu-latest): tests/a.test.ts:4 — expected true to be false`);
    expect(issue?.body).toContain("tests/a.test.ts:4 — expected true to be false");
  });

  it("files a failing check run without annotations by its output title, the check's own summary of what failed", async () => {
    const repo = pluginRepo("ci-check-title");
    const id = runId();
    await github.checkRun({ repo, id, name: "test (ubuntu-latest)", title: "3 tests failed" });
    const res = await postToWorker(jsonRequest(await signAsKernel(checkRunEvent({ repo, id }), { eventName: "check_run.completed", settings: CI_SETTINGS })));
    expect(res.status).toBe(200);
    const [issue] = await issuesOf(repo);
    expect(issue?.title).toBe(`[daemon-hotfix] ${repo.split("/")[1]}: test (ubuntu-latest): 3 tests failed`);
  });

  it("files a failing check suite by its failed check runs and their annotations", async () => {
    const repo = pluginRepo("ci-suite");
    const suite = runId();
    await github.actionsRun(failingRun(repo, runId(), { checkSuiteId: suite }));
    const res = await postToWorker(jsonRequest(await signAsKernel(checkSuiteEvent({ repo, id: suite }), { eventName: "check_suite.completed", settings: CI_SETTINGS })));
    expect(res.status).toBe(200);
    const [issue] = await issuesOf(repo);
    expect(issue?.title).toBe(`[daemon-hotfix] ${repo.split("/")[1]}: CircleCI Checks / test: tests/a.test.ts:12 — AssertionError: expected 1 to be 2`);
    expect(issue?.body).toContain("`test (ubuntu-latest, 20)`");
  });
});
