import { createExecutionContext, createMessageBatch, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { ClusterState } from "../../shared/cluster-state";
import type { FailureMessage } from "../../shared/queue-message";
import worker from "../../workers/index";
import { kernelPluginError } from "../helpers/events";
import { eventually, github } from "../helpers/github";
import { jsonRequest, postWith, RecordingQueue, signAsKernel } from "../helpers/kernel";
import { pluginRepo, unique } from "../helpers/send";

/** The operator's policy as deployed without HOTFIX_POLICY: its defaults (floors 60 s / 15 min, ≤ 5 mentions, ≤ 3 PRs a day). */
const defaultPolicy = { ...env, HOTFIX_POLICY: "{}" } as Env;

/** One failure of `repo` with the given `with:` block, counted by the consumer under `workerEnv`; its fingerprint. */
async function deliver(repo: string, settings: Record<string, unknown>, workerEnv: Env): Promise<string> {
  const queue = new RecordingQueue();
  const [owner, name] = repo.split("/");
  const payload = kernelPluginError({
    plugin: { type: "workflow", id: `${repo}:compute.yml`, owner, repo: name },
    error: { message: "HTTP 500: Internal Server Error", status: null, category: "workflow" },
    trigger: { repo: `${owner}/app` },
    requestId: unique(),
    timestamp: new Date().toISOString(),
  });
  const res = await postWith(jsonRequest(await signAsKernel(payload, { settings })), { EVENTS: queue });
  const fp = ((await res.json()) as { output: { fingerprint: string } }).output.fingerprint;
  const batch = createMessageBatch("daemon-hotfix-events", (queue.sent as FailureMessage[]).map((body, i) => ({ id: `ceil-${unique()}-${i}`, timestamp: new Date(), attempts: 1, body })));
  const ctx = createExecutionContext();
  await worker.queue(batch, workerEnv, ctx);
  await waitOnExecutionContext(ctx);
  return fp;
}

/** The settings the cluster stored (what decides its cadence, mentions and PRs). */
const storedSettings = (fp: string) =>
  runInDurableObject(env.CLUSTER.getByName(fp), async (_instance, state) => (JSON.parse(state.storage.sql.exec<{ state: string }>(`SELECT state FROM cluster`).one().state) as ClusterState).settings);

describe("HOTFIX_POLICY: floors and ceilings no with: block can raise (issue 12)", () => {
  it("raises updateIntervalSeconds and windowMinutes to the floors, lowers riskPolicy.maxAutofixPerDay to the ceiling", async () => {
    const repo = pluginRepo("ceil");
    const fp = await deliver(repo, { updateIntervalSeconds: 0, windowMinutes: 1, riskPolicy: { maxAutofixPerDay: 100 } }, defaultPolicy);
    expect(await storedSettings(fp)).toMatchObject({ updateIntervalSeconds: 60, windowMinutes: 15, riskPolicy: { maxAutofixPerDay: 3 } });
    const [issue] = await eventually(() => github.issues(repo), (issues) => issues.length === 1);
    expect(issue?.body).toContain("at most every 60s");
  });

  it("applies the operator's own floors when HOTFIX_POLICY sets them, and leaves stricter settings alone", async () => {
    const strict = { ...env, HOTFIX_POLICY: JSON.stringify({ minUpdateIntervalSeconds: 300, minWindowMinutes: 120, maxAutofixPerDay: 1 }) } as Env;
    const fp = await deliver(pluginRepo("ceilop"), { updateIntervalSeconds: 60, windowMinutes: 240, riskPolicy: { maxAutofixPerDay: 2 } }, strict);
    expect(await storedSettings(fp)).toMatchObject({ updateIntervalSeconds: 300, windowMinutes: 240, riskPolicy: { maxAutofixPerDay: 1 } });
  });

  it("mentions at most maxNotify handles in a new issue, the first ones", async () => {
    const repo = pluginRepo("ceilnotify");
    const handles = Array.from({ length: 20 }, (_, i) => `notified-user${i}`);
    await deliver(repo, { notify: handles }, defaultPolicy);
    const [issue] = await eventually(() => github.issues(repo), (issues) => issues.length === 1);
    const mentioned = [...(issue?.body ?? "").matchAll(/@(notified-user\d+)/g)].map((m) => m[1]);
    expect(mentioned).toEqual(handles.slice(0, 5));
  });
});
