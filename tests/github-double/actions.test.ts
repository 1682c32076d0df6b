/**
 * The double's Actions and Checks endpoints (issue 16): jobs, annotations, the job-log redirect and a log host with
 * realistic Actions log lines. Every answer is validated against GitHub's OpenAPI description by the double itself.
 */
import assert from "node:assert/strict";
import { beforeAll, beforeEach, describe, test } from "vitest";
import { GitHubDouble } from "./index.ts";

const API = "https://api.github.com";
const REPO = "acme/widgets";
let double: GitHubDouble;

async function get(path: string, init: { headers?: Record<string, string>; token?: string | null } = {}): Promise<Response> {
  const headers: Record<string, string> = { "user-agent": "actions-test", ...init.headers };
  if (init.token !== null) headers.authorization = `token ${init.token ?? "ghp_devtoken"}`;
  return double.handle(new Request(path.startsWith("http") ? path : `${API}${path}`, { headers, redirect: "manual" }));
}

const failingRun = {
  repo: REPO,
  runId: 9001,
  headSha: "acb5820ced9479c074f688cc328bf03f341a511d",
  workflowName: "CI",
  checkSuiteId: 555,
  jobs: [
    { name: "lint", steps: [{ name: "Run npm run lint" }] },
    {
      name: "test (ubuntu-latest, 20)",
      steps: [{ name: "Checkout", command: "actions/checkout@v4" }, { name: "Run npm test", conclusion: "failure" as const, log: ["> vitest run", " FAIL  tests/a.test.ts > adds", "AssertionError: expected 1 to be 2"] }, { name: "Upload coverage" }],
      annotations: [{ path: "tests/a.test.ts", startLine: 12, message: "AssertionError: expected 1 to be 2" }],
    },
  ],
};

beforeAll(() => new GitHubDouble().warmUp(), 60_000);

beforeEach(() => {
  double = new GitHubDouble({ logOrigin: "https://results-receiver.actions.githubusercontent.test" });
});

describe("workflow run jobs", () => {
  test("lists the latest attempt's jobs with steps, failed ones marked, as the spec describes", async () => {
    double.addWorkflowRun(failingRun);
    const res = await get(`/repos/${REPO}/actions/runs/9001/jobs?filter=latest&per_page=100`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as { total_count: number; jobs: Array<{ id: number; name: string; conclusion: string; html_url: string; check_run_url: string; steps: Array<{ name: string; number: number; conclusion: string }> }> };
    assert.equal(body.total_count, 2);
    const test = body.jobs[1];
    assert.equal(test?.conclusion, "failure");
    assert.deepEqual(test?.steps.map((s) => [s.number, s.name, s.conclusion]), [[1, "Set up job", "success"], [2, "Checkout", "success"], [3, "Run npm test", "failure"], [4, "Upload coverage", "skipped"], [5, "Complete job", "success"]]);
    assert.equal(test?.html_url, `https://github.com/${REPO}/actions/runs/9001/job/${test?.id}`);
    assert.ok(test?.check_run_url.endsWith(`/check-runs/${test?.id}`));
    assert.deepEqual(double.violations, []);
  });

  test("answers 404 for a run it does not know", async () => {
    assert.equal((await get(`/repos/${REPO}/actions/runs/1/jobs`)).status, 404);
  });

  test("serves a job's annotations, its own and the runner's generic one", async () => {
    const [, job] = double.addWorkflowRun(failingRun);
    const res = await get(`/repos/${REPO}/check-runs/${String(job?.id)}/annotations`);
    assert.equal(res.status, 200);
    const list = (await res.json()) as Array<{ path: string; start_line: number; annotation_level: string; message: string }>;
    assert.deepEqual(list.map((a) => [a.path, a.start_line, a.annotation_level, a.message]), [["tests/a.test.ts", 12, "failure", "AssertionError: expected 1 to be 2"], [".github", 1, "failure", "Process completed with exit code 1."]]);
    assert.deepEqual(double.violations, []);
  });

  test("lists a check suite's check runs", async () => {
    double.addWorkflowRun(failingRun);
    const res = await get(`/repos/${REPO}/check-suites/555/check-runs?filter=latest`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as { total_count: number; check_runs: Array<{ name: string; conclusion: string }> };
    assert.deepEqual(body.check_runs.map((r) => [r.name, r.conclusion]), [["lint", "success"], ["test (ubuntu-latest, 20)", "failure"]]);
    assert.deepEqual(double.violations, []);
  });
});

describe("job logs", () => {
  test("redirect to a signed URL on the log host, which serves Actions log lines", async () => {
    const [, job] = double.addWorkflowRun(failingRun);
    const redirect = await get(`/repos/${REPO}/actions/jobs/${String(job?.id)}/logs`);
    assert.equal(redirect.status, 302);
    const location = redirect.headers.get("location") ?? "";
    assert.match(location, /^https:\/\/results-receiver\.actions\.githubusercontent\.test\/_actions-logs\/.+\/signedlogcontent\?urlExpires=.+&urlSignature=/);
    const log = await get(location, { token: null });
    assert.equal(log.status, 200);
    const bytes = new Uint8Array(await log.arrayBuffer());
    assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], "a byte-order mark first, as Actions writes it");
    const lines = new TextDecoder().decode(bytes).trimEnd().split("\n");
    assert.ok(lines.every((line) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}Z /.test(line)), "every line is timestamped");
    const bodies = lines.map((line) => line.slice(29));
    assert.ok(bodies.includes("##[group]Run npm test"));
    assert.ok(bodies.includes("##[error]Process completed with exit code 1."));
    assert.ok(bodies.indexOf("AssertionError: expected 1 to be 2") < bodies.indexOf("##[error]Process completed with exit code 1."));
    assert.ok(!bodies.includes("##[group]Run Upload coverage"), "a skipped step has no section");
    assert.equal(bodies.at(-1), "Cleaning up orphan processes");
    assert.deepEqual(double.violations, []);
  });

  test("the log host honours Range: bytes=start- (206 with Content-Range) and refuses a stale or forged signature", async () => {
    const [, job] = double.addWorkflowRun(failingRun);
    const location = (await get(`/repos/${REPO}/actions/jobs/${String(job?.id)}/logs`)).headers.get("location") ?? "";
    const whole = await (await get(location, { token: null })).arrayBuffer();
    const tail = await get(location, { token: null, headers: { range: `bytes=${whole.byteLength - 100}-` } });
    assert.equal(tail.status, 206);
    assert.equal(tail.headers.get("content-range"), `bytes ${whole.byteLength - 100}-${whole.byteLength - 1}/${whole.byteLength}`);
    assert.equal((await tail.arrayBuffer()).byteLength, 100);
    assert.equal((await get(location.replace(/urlSignature=[^&]+/, "urlSignature=forged"), { token: null })).status, 403);
  });

  test("a request to the log host that carries a token is a violation (the token must never go there)", async () => {
    const [, job] = double.addWorkflowRun(failingRun);
    const location = (await get(`/repos/${REPO}/actions/jobs/${String(job?.id)}/logs`)).headers.get("location") ?? "";
    await get(location, { token: "ghs_installationToken" });
    assert.equal(double.violations.length, 1);
    assert.match(double.violations[0] ?? "", /Authorization/);
  });
});

describe("control API", () => {
  test("POST /_double/actions/runs puts a run in place; bad specs are refused with the reason", async () => {
    const ok = await double.handle(new Request("http://127.0.0.1:8789/_double/actions/runs", { method: "POST", body: JSON.stringify(failingRun) }));
    assert.equal(ok.status, 201);
    assert.equal(((await ok.json()) as { jobs: unknown[] }).jobs.length, 2);
    const bad = await double.handle(new Request("http://127.0.0.1:8789/_double/actions/runs", { method: "POST", body: JSON.stringify({ repo: REPO, runId: 1, jobs: [{ name: "x", steps: [{ name: "y", conclusion: "exploded" }] }] }) }));
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { message: string }).message, /conclusion must be one of/);
  });
});

describe("the npm start samples", () => {
  test("the double knows the sample workflow run's jobs, annotation and log (npm run send-sample -- --file scripts/samples/workflow-run-failure.json)", async () => {
    const { readFileSync } = await import("node:fs");
    const { runSpecFromJson } = await import("./actions-control.ts");
    const event = JSON.parse(readFileSync("scripts/samples/workflow-run-failure.json", "utf8")) as { workflow_run: { id: number; head_sha: string }; repository: { full_name: string } };
    const runs = JSON.parse(readFileSync("scripts/samples/actions-runs.json", "utf8")) as Array<Record<string, unknown>>;
    const specs = runs.map((raw) => runSpecFromJson(raw));
    const spec = specs.find((s) => typeof s !== "string" && s.runId === event.workflow_run.id);
    assert.ok(spec && typeof spec !== "string", `scripts/samples/actions-runs.json has the sample's run ${event.workflow_run.id}: ${JSON.stringify(specs)}`);
    assert.equal(spec.repo, event.repository.full_name);
    assert.equal(spec.headSha, event.workflow_run.head_sha);
    double.addWorkflowRun(spec);
    const res = await get(`/repos/${spec.repo}/actions/runs/${spec.runId}/jobs?filter=latest`);
    const { jobs } = (await res.json()) as { jobs: Array<{ id: number; name: string; conclusion: string }> };
    const failed = jobs.find((j) => j.conclusion === "failure");
    assert.ok(failed);
    const annotations = (await (await get(`/repos/${spec.repo}/check-runs/${failed.id}/annotations`)).json()) as Array<{ path: string }>;
    assert.ok(annotations.some((a) => a.path.startsWith("tests/")));
    assert.deepEqual(double.violations, []);
  });
});
