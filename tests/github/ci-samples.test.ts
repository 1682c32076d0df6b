import { beforeAll, describe, expect, it } from "vitest";
import type { RunSpec } from "../github-double/actions.ts";
import failureSample from "../../scripts/samples/workflow-run-failure.json";
import successSample from "../../scripts/samples/workflow-run-success.json";
import sampleRuns from "../../scripts/samples/actions-runs.json";
import type { IngestAnswer } from "../../shared/ingest-output";
import { warmActions } from "../helpers/ci";
import { eventually, github } from "../helpers/github";
import { jsonRequest, postToWorker, signAsKernel } from "../helpers/kernel";
import { lex, liveElements } from "../helpers/markdown";
import { pluginRepo } from "../helpers/send";

// The README's CI samples, as a new user sends them with `npm start` (whose double serves
// scripts/samples/actions-runs.json): `npm run send-sample -- --file scripts/samples/workflow-run-success.json …`, then
// `… --file scripts/samples/workflow-run-failure.json …`, with the README's settings. Only the repo is renamed (the
// double is shared by the test files).

const SAMPLE_OWNER = "ubiquity-os-marketplace";
const SAMPLE_NAME = "command-start-stop";

/** `json` with the sample repo renamed to `repo`. */
function renamed<T>(json: T, repo: string): T {
  const [owner = "", name = ""] = repo.split("/");
  return JSON.parse(JSON.stringify(json).replaceAll(`${SAMPLE_OWNER}/${SAMPLE_NAME}`, repo).replaceAll(SAMPLE_NAME, name).replaceAll(SAMPLE_OWNER, owner)) as T;
}

async function send(payload: Record<string, unknown>): Promise<IngestAnswer> {
  const res = await postToWorker(jsonRequest(await signAsKernel(payload, { eventName: "workflow_run.completed", settings: { allowWorkflowEvents: true } })));
  expect(res.status, await res.clone().text()).toBe(200);
  return res.json<IngestAnswer>();
}

beforeAll(warmActions, 60_000);

describe("the README's workflow_run samples", () => {
  it("a passing run, then the failing one: an issue naming the failed job and step, the annotation, and broken between with a compare link", async () => {
    const repo = pluginRepo("ci-sample");
    for (const run of renamed(sampleRuns, repo) as unknown as RunSpec[]) await github.actionsRun(run);
    const green = successSample.workflow_run.head_sha;
    const red = failureSample.workflow_run.head_sha;
    expect((await send(renamed(successSample, repo))).output).toEqual({ status: "queued", reason: `success: recorded ${green.slice(0, 12)} as the last passing commit of .github/workflows/ci.yml on main` });
    expect((await send(renamed(failureSample, repo))).output).toMatchObject({ status: "queued" });
    const [issue] = await eventually(() => github.issues(repo), (list) => list.length === 1);
    // As the README shows it (`jq -r '.[-1].title'`).
    expect(issue?.title).toBe(`[daemon-hotfix] ${repo.split("/")[1]}: CI / test › Run npm test: tests/start.test.ts:88 — AssertionError: expected 'assigned' to be 'already-assigned' // Object.is equality`);
    const body = issue?.body ?? "";
    expect(body).toMatch(/\| `test \(ubuntu-latest, 20\)` \| `Run npm test` \(step \d+\) \| `failure` \| <https:\/\/github\.com\/[^>]+\/job\/\d+> \|/);
    expect(body).toContain("tests/start.test.ts:88 — tests/start.test.ts > start > refuses a second assignee: AssertionError: expected 'assigned' to be 'already-assigned' // Object.is equality");
    expect(body).toContain(`- Last passing: \`${green.slice(0, 12)}\` \`Bump @ubiquity-os/plugin-sdk to 3.12.5\``);
    expect(body).toContain(`- Compare: <https://github.com/${repo}/compare/${green}...${red}>`);
    expect(liveElements(lex(body))).toEqual([]);
  });
});
