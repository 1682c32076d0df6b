import { expect } from "vitest";
import type { IngestAnswer } from "../../shared/ingest-output";
import { workflowRun } from "./events";
import { jsonRequest, postToWorker, signAsKernel } from "./kernel";

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
