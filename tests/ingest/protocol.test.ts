import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { ErrorBody } from "../../workers/errors";
import type { IngestAnswer } from "../../shared/ingest-output";
import type { FailureMessage } from "../../shared/queue-message";
import { settingsJsonSchema } from "../../shared/manifest";
import { checkRun, checkSuite, draftPluginError, kernelPluginError, workflowRun } from "../helpers/events";
import { foreignPrivateKey, jsonRequest, postToWorker, postWith, RecordingQueue, signAsKernel } from "../helpers/kernel";

const unique = () => crypto.randomUUID().slice(0, 8);

async function answer(res: Response): Promise<IngestAnswer> {
  expect(res.status, await res.clone().text()).toBe(200);
  return res.json<IngestAnswer>();
}

describe("GET /manifest.json", () => {
  it("serves the UbiquityOS manifest with the settings schema generated from valibot", async () => {
    const res = await postToWorker(new Request("https://daemon-hotfix.example.test/manifest.json"));
    expect(res.status).toBe(200);
    const manifest = await res.json<Record<string, unknown>>();
    expect(manifest).toMatchObject({
      name: "daemon-hotfix",
      "ubiquity:listeners": ["kernel.plugin_error", "workflow_run.completed", "check_run.completed", "check_suite.completed", "issues.closed", "issues.reopened"],
      skipBotEvents: false,
      homepage_url: "https://daemon-hotfix.example.test",
    });
    expect(manifest["configuration"]).toEqual(settingsJsonSchema());
  });
});

describe("POST / with inputs signed by the kernel's own client (plugin-sdk)", () => {
  const allow = { allowWorkflowEvents: true };
  it.each([
    ["kernel.plugin_error (kernel shape)", "kernel.plugin_error", () => kernelPluginError({ requestId: unique() }), {}],
    ["kernel.plugin_error (proposal draft)", "kernel.plugin_error", () => draftPluginError({ error: { message: `HTTP 502: ${unique()}` } }), {}],
    ["workflow_run.completed", "workflow_run.completed", () => workflowRun({ id: Math.floor(Math.random() * 1e9) }), allow],
    ["check_suite.completed", "check_suite.completed", () => checkSuite({ id: Math.floor(Math.random() * 1e9) }), allow],
    ["check_run.completed", "check_run.completed", () => checkRun({ id: Math.floor(Math.random() * 1e9) }), allow],
  ])("queues a failing %s", async (_name, eventName, payload, settings) => {
    const queue = new RecordingQueue();
    const inputs = await signAsKernel(payload(), { eventName, settings });
    const body = await answer(await postWith(jsonRequest(inputs), { EVENTS: queue }));
    expect(body).toEqual({ stateId: inputs.stateId, output: { status: "queued", eventId: expect.stringMatching(/^[0-9a-f]{32}$/), ...(body.output.fingerprint ? { fingerprint: expect.stringMatching(/^[0-9a-f]{40}$/) } : {}) } });
    expect(queue.sent).toHaveLength(1);
  });

  it("answers with the fingerprint when the repo is known without I/O: the reporter's own workflow plugin, not a URL plugin's claim", async () => {
    const own = kernelPluginError({ requestId: unique(), plugin: { type: "workflow", id: "o/known:compute.yml@main", owner: "o", repo: "known" }, trigger: { repo: "o/app" } });
    expect((await answer(await postWith(jsonRequest(await signAsKernel(own)), { EVENTS: new RecordingQueue() }))).output.fingerprint).toMatch(/^[0-9a-f]{40}$/);
    // A sourceRepo is a claim the consumer verifies through GitHub first; a bare URL plugin waits for its manifest.
    const claimed = await signAsKernel(kernelPluginError({ requestId: unique(), plugin: { settings: { with: { sourceRepo: "ubiquity/known" } } } }));
    expect((await answer(await postWith(jsonRequest(claimed), { EVENTS: new RecordingQueue() }))).output).not.toHaveProperty("fingerprint");
    const unknown = await signAsKernel(kernelPluginError({ requestId: unique() }));
    expect((await answer(await postWith(jsonRequest(unknown), { EVENTS: new RecordingQueue() }))).output).not.toHaveProperty("fingerprint");
  });

  it("decodes the brotli+base64 eventPayload inside workerd into the enqueued failure", async () => {
    const queue = new RecordingQueue();
    const requestId = unique();
    const inputs = await signAsKernel(kernelPluginError({ requestId, error: { message: "HTTP (target: https://command-start-stop-main.deno.dev) 502: upstream" } }));
    await answer(await postWith(jsonRequest(inputs), { EVENTS: queue }));
    const message = queue.sent[0] as FailureMessage;
    expect(message.failure).toMatchObject({ status: 502, correlation: { requestId, kernelStateId: inputs.stateId } });
    expect(message.settings.windowMinutes).toBe(60);
    expect(message).not.toHaveProperty("raw");
  });

  it("enqueues through the real queue to the consumer", async () => {
    const plugin = `https://e2e-${unique()}.deno.dev`;
    const inputs = await signAsKernel(kernelPluginError({ plugin: { id: plugin }, error: { message: `HTTP (target: ${plugin}) 503: down` } }));
    await answer(await postToWorker(jsonRequest(inputs)));
    let processed = 0;
    for (let i = 0; i < 100 && processed === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      const row = await env.DB.prepare(`SELECT SUM(value) AS n FROM counters WHERE name = 'events_processed' AND labels LIKE ?`).bind(`%${plugin}%`).first<{ n: number | null }>();
      processed = row?.n ?? 0;
    }
    expect(processed).toBe(1);
  });
});

describe("signature (401)", () => {
  const fields = ["stateId", "eventName", "eventPayload", "settings", "authToken", "ubiquityKernelToken", "ref", "command"] as const;
  it.each(fields)("refuses inputs whose %s was changed after signing", async (field) => {
    const inputs = await signAsKernel(kernelPluginError());
    const tampered: Record<string, unknown> = { ...inputs };
    if (field === "eventPayload") {
      const other = await signAsKernel(kernelPluginError({ error: { message: "HTTP 500: other" } }));
      tampered.eventPayload = other.eventPayload;
    } else if (field === "settings") tampered.settings = JSON.stringify({ enabled: false });
    else if (field === "command") tampered.command = JSON.stringify({ name: "x" });
    else tampered[field] = `${String(inputs[field])}x`;
    const res = await postToWorker(jsonRequest(tampered));
    expect(res.status).toBe(401);
    expect(await res.json<ErrorBody>()).toMatchObject({ error: "invalid_signature" });
  });

  it("refuses inputs signed with a key that is not the kernel's", async () => {
    const inputs = await signAsKernel(kernelPluginError(), { privateKey: await foreignPrivateKey() });
    expect((await postToWorker(jsonRequest(inputs))).status).toBe(401);
  });

  it("refuses a missing, empty or non-base64 signature", async () => {
    const inputs = await signAsKernel(kernelPluginError());
    const { signature: _dropped, ...unsigned } = inputs;
    for (const body of [unsigned, { ...inputs, signature: "" }, { ...inputs, signature: "%%%not base64%%%" }]) {
      const res = await postToWorker(jsonRequest(body));
      expect(res.status).toBe(401);
      expect(await res.json<ErrorBody>()).toMatchObject({ error: "invalid_signature" });
    }
  });

  it("verifies inputs without a ubiquityKernelToken (the SDK leaves it out)", async () => {
    const inputs = await signAsKernel(kernelPluginError({ requestId: unique() }), { ubiquityKernelToken: undefined });
    expect("ubiquityKernelToken" in inputs && inputs.ubiquityKernelToken !== undefined).toBe(false);
    await answer(await postWith(jsonRequest(inputs), { EVENTS: new RecordingQueue() }));
  });
});

describe("bad input: clear 4xx, cheapest check first", () => {
  it("415 when the body is not declared JSON", async () => {
    for (const contentType of [null, "text/plain", "application/x-www-form-urlencoded"]) {
      const res = await postToWorker(jsonRequest("{}", { contentType }));
      expect(res.status).toBe(415);
      expect(await res.json<ErrorBody>()).toMatchObject({ error: "unsupported_media_type" });
    }
  });

  it("accepts application/json with parameters", async () => {
    const res = await postToWorker(jsonRequest("{}", { contentType: "application/json; charset=utf-8" }));
    expect(res.status).toBe(400);
  });

  it("413 for a body over 1 MiB, declared or streamed, before parsing or crypto", async () => {
    const big = "x".repeat(1024 * 1024 + 1);
    const declared = await postToWorker(jsonRequest(big));
    expect(declared.status).toBe(413);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 20; i++) controller.enqueue(new TextEncoder().encode("y".repeat(64 * 1024)));
        controller.close();
      },
    });
    const streamed = await postToWorker(new Request("https://daemon-hotfix.example.test/", { method: "POST", headers: { "content-type": "application/json" }, body: stream }));
    expect(streamed.status).toBe(413);
    expect(await streamed.json<ErrorBody>()).toMatchObject({ error: "payload_too_large" });
  });

  it("400 for a body that is not JSON", async () => {
    const res = await postToWorker(jsonRequest("{not json"));
    expect(res.status).toBe(400);
    expect(await res.json<ErrorBody>()).toMatchObject({ error: "invalid_json" });
  });

  it("400 naming the missing and mistyped fields of the plugin inputs", async () => {
    const res = await postToWorker(jsonRequest({ stateId: 5, eventPayload: "x" }));
    expect(res.status).toBe(400);
    const body = await res.json<ErrorBody>();
    expect(body.error).toBe("invalid_body");
    expect(body.issues?.map((i) => i.path)).toEqual(expect.arrayContaining(["stateId", "eventName", "settings", "authToken", "ref", "command"]));
  });

  it("never refuses settings: a typo and a wrong type are named in the 200 answer's warnings (issue 13)", async () => {
    const inputs = await signAsKernel(kernelPluginError({ requestId: unique() }), { settings: { windowMinutes: "sixty", issueLables: ["bug"] } });
    const queue = new RecordingQueue();
    const body = await answer(await postWith(jsonRequest(inputs), { EVENTS: queue }));
    expect(body.output.status).toBe("queued");
    expect(body.output.warnings).toEqual([expect.stringMatching(/^settings\.windowMinutes: .*the default is used$/), "settings.issueLables: unknown setting, ignored"]);
    expect((queue.sent[0] as FailureMessage).settings.windowMinutes).toBe(60);
  });

  it("says what the operator's policy changed: a floor applied, PR mode refused (issue 12)", async () => {
    // The test operator's HOTFIX_POLICY: maxNotify 5 (its default), PR mode only in acme/fix*.
    const handles = ["a", "b", "c", "d", "e", "f"];
    const plugin = { type: "workflow", id: "acme/plugin:compute.yml", owner: "acme", repo: "plugin" };
    const inputs = await signAsKernel(kernelPluginError({ requestId: unique(), plugin, trigger: { repo: "acme/app" } }), { settings: { notify: handles, modes: ["issue", "pr"] } });
    const body = await answer(await postWith(jsonRequest(inputs), { EVENTS: new RecordingQueue() }));
    expect(body.output.status).toBe("queued");
    expect(body.output.warnings).toEqual([
      "settings.notify: 6 handles → 5 (HOTFIX_POLICY.maxNotify): the operator's policy applies",
      expect.stringMatching(/^settings\.modes: PR mode refused: .* is not in HOTFIX_POLICY\.prRepos; issues only$/),
    ]);
  });

  it("400 naming the eventPayload field at fault", async () => {
    const inputs = await signAsKernel({ event: "kernel.plugin_error", plugin: { type: "http" }, error: { message: 42 } });
    const res = await postToWorker(jsonRequest(inputs));
    expect(res.status).toBe(400);
    const body = await res.json<ErrorBody>();
    expect(body.error).toBe("invalid_event_payload");
    expect(body.issues?.map((i) => i.path)).toEqual(expect.arrayContaining(["eventPayload.plugin.id", "eventPayload.error.message"]));
  });

  it("404 and 405 as JSON", async () => {
    const missing = await postToWorker(new Request("https://daemon-hotfix.example.test/nope"));
    expect(missing.status).toBe(404);
    expect(await missing.json<ErrorBody>()).toMatchObject({ error: "not_found" });
    const wrongMethod = await postToWorker(new Request("https://daemon-hotfix.example.test/", { method: "GET" }));
    expect(wrongMethod.status).toBe(405);
  });
});

describe("policy outcomes are 200s", () => {
  it("disabled by the event's settings or by HOTFIX_CONFIG", async () => {
    const off = await signAsKernel(kernelPluginError(), { settings: { enabled: false } });
    expect((await answer(await postToWorker(jsonRequest(off)))).output).toEqual({ status: "disabled", reason: "settings.enabled is false" });
    const inputs = await signAsKernel(kernelPluginError());
    const byOperator = await postWith(jsonRequest(inputs), { HOTFIX_CONFIG: JSON.stringify({ enabled: false }) });
    expect((await answer(byOperator)).output.status).toBe("disabled");
  });

  it("ignored: workflow events while allowWorkflowEvents is off; a successful run is handled once it is on (issue 15)", async () => {
    const off = await signAsKernel(workflowRun(), { eventName: "workflow_run.completed" });
    expect((await answer(await postToWorker(jsonRequest(off)))).output).toMatchObject({ status: "ignored", reason: expect.stringContaining("allowWorkflowEvents") });
    const successOff = await signAsKernel(workflowRun({ conclusion: "success" }), { eventName: "workflow_run.completed" });
    expect((await answer(await postToWorker(jsonRequest(successOff)))).output.status).toBe("ignored");
    const success = await signAsKernel(workflowRun({ conclusion: "success" }), { eventName: "workflow_run.completed", settings: { allowWorkflowEvents: true } });
    expect((await answer(await postToWorker(jsonRequest(success)))).output).toMatchObject({ status: "queued", reason: expect.stringMatching(/^success: recorded [0-9a-f]{12} as the last passing commit of /) });
  });

  it("suppressed: daemon-hotfix's own failure, its own bot's events", async () => {
    const queue = new RecordingQueue();
    const own = await signAsKernel(kernelPluginError({ plugin: { type: "http", id: "ubiquity-os-marketplace/daemon-hotfix" } }));
    expect((await answer(await postWith(jsonRequest(own), { EVENTS: queue }))).output.status).toBe("suppressed");
    const byBot = await signAsKernel(kernelPluginError({ trigger: { actor: "daemon-hotfix[bot]" } }));
    expect((await answer(await postWith(jsonRequest(byBot), { EVENTS: queue }))).output.status).toBe("suppressed");
    expect(queue.sent).toHaveLength(0);
  });

  it("HOTFIX_CONFIG defaults apply to events that carry no settings", async () => {
    const queue = new RecordingQueue();
    const inputs = await signAsKernel(kernelPluginError({ requestId: unique() }), { settings: null });
    await answer(await postWith(jsonRequest(inputs), { EVENTS: queue, HOTFIX_CONFIG: JSON.stringify({ issueLabels: ["from-operator"] }) }));
    expect((queue.sent[0] as FailureMessage).settings.issueLabels).toEqual(["from-operator"]);
  });

  it("an invalid HOTFIX_CONFIG costs no event: its usable part applies (/healthz names the problem)", async () => {
    const queue = new RecordingQueue();
    const inputs = await signAsKernel(kernelPluginError({ requestId: unique() }));
    const res = await postWith(jsonRequest(inputs), { EVENTS: queue, HOTFIX_CONFIG: JSON.stringify({ windowMinutes: -5, issueLabels: ["from-operator"] }) });
    expect((await answer(res)).output.status).toBe("queued");
    expect((queue.sent[0] as FailureMessage).settings).toMatchObject({ windowMinutes: 60, issueLabels: ["from-operator"] });
  });
});

describe("duplicate delivery", () => {
  it("enqueues the same delivery once when the kernel sends it again", async () => {
    const queue = new RecordingQueue();
    const repo = `redelivered-${unique()}`;
    const event = kernelPluginError({ plugin: { type: "workflow", id: `o/${repo}:compute.yml@main`, owner: "o", repo }, trigger: { repo: "o/app" }, requestId: unique() });
    const first = await answer(await postWith(jsonRequest(await signAsKernel(event)), { EVENTS: queue }));
    const again = await answer(await postWith(jsonRequest(await signAsKernel(event)), { EVENTS: queue }));
    expect(first.output.status).toBe("queued");
    expect(again.output).toEqual({ status: "queued", reason: "duplicate delivery: already queued", eventId: first.output.eventId });
    expect(queue.sent).toHaveLength(1);
    // Counted apart, so events_received{outcome="queued"} is the number of events enqueued.
    const counted = await env.DB.prepare(`SELECT labels, SUM(value) AS n FROM counters WHERE name = 'events_received' AND labels LIKE ? GROUP BY labels`)
      .bind(`%o/${repo}"%`)
      .all<{ labels: string; n: number }>();
    expect(Object.fromEntries(counted.results.map((r) => [(JSON.parse(r.labels) as { outcome: string }).outcome, r.n]))).toEqual({ queued: 1, duplicate: 1 });
  });

  it("treats a redelivered workflow run as the same, and a re-run attempt as new", async () => {
    const queue = new RecordingQueue();
    const id = Math.floor(Math.random() * 1e9);
    const send = async (attempt: number) =>
      answer(await postWith(jsonRequest(await signAsKernel(workflowRun({ id, attempt }), { eventName: "workflow_run.completed", settings: { allowWorkflowEvents: true } })), { EVENTS: queue }));
    await send(1);
    await send(1);
    await send(2);
    expect(queue.sent).toHaveLength(2);
  });

  it("parks an event the queue refused and answers queued; the same delivery again is a duplicate (issue 13)", async () => {
    const queue = new RecordingQueue();
    queue.failNext = true;
    const inputs = await signAsKernel(kernelPluginError({ requestId: unique() }));
    const refused = await answer(await postWith(jsonRequest(inputs), { EVENTS: queue }));
    expect(refused.output).toMatchObject({ status: "queued", reason: expect.stringContaining("parked") });
    const again = await answer(await postWith(jsonRequest(inputs), { EVENTS: queue }));
    expect(again.output).toMatchObject({ status: "queued", reason: "duplicate delivery: already queued", eventId: refused.output.eventId });
    expect(queue.sent).toHaveLength(0);
  });
});

describe("per-repo rate limit", () => {
  it("is exact: a burst of 3 admits 3 events of one repo, answers the rest rate_limited and counts them", async () => {
    const queue = new RecordingQueue();
    const repo = `limited-${unique()}`;
    const limits = { EVENTS: queue, RATE_LIMIT_BURST: "3", RATE_LIMIT_PER_MINUTE: "1", GATHER_SECONDS: "0" };
    const statuses: string[] = [];
    for (let i = 0; i < 5; i++) {
      const event = kernelPluginError({ plugin: { type: "workflow", id: `o/${repo}:compute.yml@main`, owner: "o", repo }, trigger: { repo: "o/app" }, requestId: `${repo}-${i}` });
      statuses.push((await answer(await postWith(jsonRequest(await signAsKernel(event)), limits))).output.status);
    }
    expect(statuses).toEqual(["queued", "queued", "queued", "rate_limited", "rate_limited"]);
    expect(queue.sent).toHaveLength(3);
    const counted = await env.DB.prepare(`SELECT SUM(value) AS n FROM counters WHERE name = 'events_received' AND labels LIKE ? AND labels LIKE '%"outcome":"rate_limited"%'`)
      .bind(`%o/${repo}"%`)
      .first<{ n: number }>();
    expect(counted?.n).toBe(2);
    const other = kernelPluginError({ plugin: { type: "workflow", id: `o/${repo}-other:compute.yml@main`, owner: "o", repo: `${repo}-other` }, trigger: { repo: "o/app" } });
    expect((await answer(await postWith(jsonRequest(await signAsKernel(other)), limits))).output.status).toBe("queued");
  });

  it("admits exactly the burst under 40 concurrent events for one repo", async () => {
    const queue = new RecordingQueue();
    const repo = `concurrent-${unique()}`;
    const limits = { EVENTS: queue, RATE_LIMIT_BURST: "10", RATE_LIMIT_PER_MINUTE: "1", GATHER_SECONDS: "0" };
    const bodies = await Promise.all(
      Array.from({ length: 40 }, (_, i) => signAsKernel(kernelPluginError({ plugin: { type: "workflow", id: `o/${repo}:compute.yml`, owner: "o", repo }, trigger: { repo: "o/app" }, requestId: `${repo}-${i}` }))),
    );
    const answers = await Promise.all(bodies.map(async (inputs) => answer(await postWith(jsonRequest(inputs), limits))));
    expect(answers.filter((a) => a.output.status === "queued")).toHaveLength(10);
    expect(answers.filter((a) => a.output.status === "rate_limited")).toHaveLength(30);
    expect(queue.sent).toHaveLength(10);
  });
});
