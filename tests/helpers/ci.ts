import { env } from "cloudflare:workers";
import { expect } from "vitest";
import type { IngestAnswer } from "../../shared/ingest-output";
import type { RunSpec } from "../github-double/actions.ts";
import { workflowRun } from "./events";
import { GITHUB_API, github } from "./github";
import { jsonRequest, postToWorker, signAsKernel } from "./kernel";
import { pluginRepo } from "./send";

/** Settings under which CI events are handled, with quick issue updates for tests. */
export const CI_SETTINGS = { allowWorkflowEvents: true, updateIntervalSeconds: 1 };

/** A `workflow_run.completed` for `repo`, signed like the kernel and sent through the real Worker. */
export async function sendWorkflowRun(repo: string, opts: Parameters<typeof workflowRun>[0] = {}, settings: Record<string, unknown> = CI_SETTINGS): Promise<IngestAnswer> {
  const payload = workflowRun({ repo, name: "CI", path: ".github/workflows/ci.yml", ...opts });
  const res = await postToWorker(jsonRequest(await signAsKernel(payload, { eventName: "workflow_run.completed", settings })));
  expect(res.status, await res.clone().text()).toBe(200);
  return res.json<IngestAnswer>();
}

/** A random run id (runs of one test file share the double). */
export const runId = () => 100_000_000 + Math.floor(Math.random() * 800_000_000);

/** A random 40-hex commit SHA. */
export const sha = () => [...crypto.getRandomValues(new Uint8Array(20))].map((b) => b.toString(16).padStart(2, "0")).join("");

/** A run whose `test` job failed at `Run npm test` with one annotation (and `lint` passed). */
export function failingRun(repo: string, id: number, overrides: Partial<RunSpec> = {}): RunSpec {
  return {
    repo,
    runId: id,
    workflowName: "CI",
    jobs: [
      { name: "lint", steps: [{ name: "Run npm run lint" }] },
      {
        name: "test (ubuntu-latest, 20)",
        steps: [{ name: "Checkout", command: "actions/checkout@v4" }, { name: "Run npm test", conclusion: "failure", log: ["> vitest run", " FAIL  tests/a.test.ts > adds", "AssertionError: expected 1 to be 2"] }],
        annotations: [{ path: "tests/a.test.ts", startLine: 12, message: "AssertionError: expected 1 to be 2" }],
      },
    ],
    ...overrides,
  };
}

/**
 * The double compiles its OpenAPI validators on first use of an operation: this uses the Actions and Checks ones
 * (and the issue list) once, with the Worker's token, before the clock of the Worker's 1 s test timeout runs.
 */
export async function warmActions(): Promise<void> {
  const repo = pluginRepo("ci-warm");
  const { jobs } = await github.actionsRun(failingRun(repo, 1, { checkSuiteId: 1 }));
  const job = jobs[1]?.id ?? 0;
  for (const path of [`/repos/${repo}/actions/runs/1/jobs`, `/repos/${repo}/check-runs/${job}/annotations`, `/repos/${repo}/actions/jobs/${job}/logs`, `/repos/${repo}/check-suites/1/check-runs`, `/repos/${repo}/issues`]) {
    const res = await fetch(`${GITHUB_API}${path}`, { headers: { authorization: `token ${env.GITHUB_TOKEN}`, "user-agent": "warm-up" }, redirect: "manual" });
    await res.arrayBuffer();
  }
}
