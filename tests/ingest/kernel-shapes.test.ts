import { describe, expect, it } from "vitest";
import type { IngestAnswer } from "../../shared/ingest-output";
import type { FailureMessage } from "../../shared/queue-message";
import { kernelPluginError } from "../helpers/events";
import { jsonRequest, postWith, RecordingQueue, signAsKernel } from "../helpers/kernel";

const unique = () => crypto.randomUUID().slice(0, 8);

/** Signs the event with the kernel's own client (plugin-sdk), posts it, and returns the answer and what was enqueued. */
async function deliver(payload: Record<string, unknown>) {
  const queue = new RecordingQueue();
  const res = await postWith(jsonRequest(await signAsKernel(payload)), { EVENTS: queue });
  expect(res.status, await res.clone().text()).toBe(200);
  const answer = await res.json<IngestAnswer>();
  expect(answer.output.status).toBe("queued");
  expect(queue.sent).toHaveLength(1);
  return { answer, failure: (queue.sent[0] as FailureMessage).failure };
}

/** Shapes the real kernel (ubiquity-os-kernel main, plugin-sdk 3.12.8) sends that were refused before issue 13. */
describe("kernel shapes (issue 13)", () => {
  it.each([
    ["a number", 42],
    ["an object", { owner: "o", repo: "r" }],
    ["an array", ["o/r"]],
    ["a boolean", true],
    ["null", null],
  ])("plugin.settings.with.sourceRepo as %s: accepted, and the repo found another way", async (_name, sourceRepo) => {
    const plugin = `https://shape-${unique()}.deno.dev`;
    const { failure } = await deliver(
      kernelPluginError({ requestId: unique(), plugin: { id: plugin, settings: { with: { sourceRepo, sourceRef: { raw: 1 }, other: [1] } } }, error: { message: `HTTP (target: ${plugin}) 500: x` } }),
    );
    expect(failure.target).toEqual({ repo: "ubiquity/.ubiquity-os", resolvedBy: "org_config_repo", manifestUrl: `${plugin}/manifest.json` });
  });

  it("plugin.settings.with.sourceRepo as owner/repo is still used (a claim the consumer verifies, issue 12)", async () => {
    const { failure } = await deliver(kernelPluginError({ requestId: unique(), plugin: { settings: { with: { sourceRepo: "o/source", sourceRef: 7 } } }, trigger: { repo: "o/app" } }));
    expect(failure.target).toEqual({ repo: "o/.ubiquity-os", resolvedBy: "org_config_repo", manifestUrl: "https://command-start-stop-main.deno.dev/manifest.json", claims: [{ repo: "o/source", by: "source_repo" }] });
  });

  it.each([
    ["its worker URL", "https://shape-worker.example.dev"],
    ["its worker URL with a path", "https://shape-worker.example.dev/api/"],
  ])("a GitHub-keyed worker plugin (id owner/repo:compute.yml@<url>, type workflow) at %s is an HTTP failure of that repo's worker", async (_name, url) => {
    const repo = `worker-${unique()}`;
    const { failure } = await deliver(
      kernelPluginError({
        requestId: unique(),
        plugin: { type: "workflow", id: `acme/${repo}:compute.yml@${url}`, owner: "acme", repo, workflowId: "compute.yml", ref: url },
        error: { message: `HTTP (target: ${url}) 502: Bad Gateway`, status: null, category: "workflow" },
        trigger: { repo: "acme/app" }, // the reporter owns the plugin's repo (issue 12)
      }),
    );
    expect(failure).toMatchObject({
      category: "http",
      status: 502,
      target: { repo: `acme/${repo}`, resolvedBy: "plugin_repo" },
      plugin: { type: "workflow", id: `acme/${repo}:compute.yml@${url}`, owner: "acme", repo, workflowId: "compute.yml", ref: url },
    });
  });

  it("a GitHub-keyed plugin without owner/repo fields is read from its id, worker URL ref included", async () => {
    const repo = `bare-${unique()}`;
    const url = "https://bare-worker.example.dev";
    const { failure } = await deliver(
      kernelPluginError({ requestId: unique(), plugin: { type: "workflow", id: `acme/${repo}:compute.yml@${url}`, ref: undefined }, error: { message: `HTTP (target: ${url}) 500: boom`, category: "workflow" }, trigger: { repo: "acme/app" } }),
    );
    expect(failure).toMatchObject({ category: "http", status: 500, target: { repo: `acme/${repo}`, resolvedBy: "plugin_repo" }, plugin: { owner: "acme", repo, workflowId: "compute.yml", ref: url } });
  });

  it("a workflow failure that is not a worker's HTTP answer stays a workflow failure", async () => {
    const repo = `dispatch-${unique()}`;
    const { failure } = await deliver(
      kernelPluginError({
        requestId: unique(),
        plugin: { type: "workflow", id: `acme/${repo}:compute.yml@main`, owner: "acme", repo, ref: "main" },
        error: { message: "Not Found - https://docs.github.com/rest/actions/workflows#create-a-workflow-dispatch-event", status: 404, category: "workflow" },
      }),
    );
    expect(failure).toMatchObject({ category: "workflow", status: 404 });
  });

  it("an empty ref (id ending in @) parses as the plugin's repo, without a ref", async () => {
    const repo = `noref-${unique()}`;
    const { failure } = await deliver(
      kernelPluginError({ requestId: unique(), plugin: { type: "workflow", id: `acme/${repo}:compute.yml@`, ref: "" }, error: { message: "Resource not accessible by integration", status: 403, category: "workflow" }, trigger: { repo: "acme/app" } }),
    );
    expect(failure.target).toEqual({ repo: `acme/${repo}`, resolvedBy: "plugin_repo" });
    expect(failure.plugin).toMatchObject({ owner: "acme", repo, workflowId: "compute.yml" });
    expect(failure.plugin).not.toHaveProperty("ref");
  });

  it("finds the kernel's error line anywhere in the trail, and keeps the trail's head", async () => {
    const error = 'ERROR Error processing plugin; skipping | plugin=https://x.deno.dev err="HTTP (target: https://x.deno.dev) 500: late"';
    const lines = [...Array.from({ length: 45 }, (_, i) => `INFO step ${i}`), error, "DEBUG after"];
    const { failure } = await deliver(kernelPluginError({ requestId: unique(), logLines: lines }));
    expect(failure.logTrail).toEqual(lines.slice(0, 40));
    expect(failure.logErrorLine).toBe(error);
  });

  it("has no error line when the kernel's first 40 lines hold none", async () => {
    const { failure } = await deliver(kernelPluginError({ requestId: unique(), logLines: Array.from({ length: 40 }, (_, i) => `INFO step ${i}`) }));
    expect(failure.logTrail).toHaveLength(40);
    expect(failure).not.toHaveProperty("logErrorLine");
  });

  it("takes the last error-level line when the kernel's own line is missing", async () => {
    const { failure } = await deliver(kernelPluginError({ requestId: unique(), logLines: ["INFO a", "ERROR first", "WARN b", "ERROR second", "INFO c"] }));
    expect(failure.logErrorLine).toBe("ERROR second");
  });
});
