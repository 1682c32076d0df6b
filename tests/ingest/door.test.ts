import { runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { signPayload } from "@ubiquity-os/plugin-sdk/signature";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import * as v from "valibot";
import { describe, expect, it } from "vitest";
import type { IngestAnswer } from "../../shared/ingest-output";
import { DEFAULT_MANIFEST_SHORT_NAME } from "../../shared/manifest";
import { Settings } from "../../shared/settings";
import type { UnconvertedEvent } from "../../shared/unconverted-event";
import { storeDeadLetter } from "../../workers/dead-letters/store";
import { type ParkedEvents, RESEND_AFTER_MS } from "../../workers/durable/parked-events";
import type { ErrorBody } from "../../workers/errors";
import { dashboardData } from "../../workers/ops/dashboard-data";
import { kernelPluginError } from "../helpers/events";
import { eventually, github } from "../helpers/github";
import { AUTH_TOKEN_CANARY, jsonRequest, postToWorker, postWith, RecordingQueue, signAsKernel } from "../helpers/kernel";
import { pluginRepo, sendFailure, unique } from "../helpers/send";

// Issue 13: the kernel never retries — whatever daemon-hotfix answers other than 2xx, the event is gone.

const BASE = "https://daemon-hotfix.example.test";
const admin = (path: string, init: RequestInit = {}) =>
  exports.default.fetch(new Request(`${BASE}${path}`, { ...init, headers: { authorization: `Bearer ${env.ADMIN_TOKEN}`, "content-type": "application/json" } }));

const counter = async (name: string, labelsLike = "%") =>
  (await env.DB.prepare(`SELECT COALESCE(SUM(value), 0) AS n FROM counters WHERE name = ? AND labels LIKE ?`).bind(name, labelsLike).first<{ n: number }>())?.n ?? 0;

/** A workflow plugin's failure in `repo`, triggered in `triggerRepo`. */
// Reported by the plugin repo's own owner unless a test says otherwise (issue 12 files other owners' failures elsewhere).
const failureIn = (repo: string, triggerRepo = `${repo.split("/")[0]}/app`, message = "HTTP 500: Unexpected error") => {
  const [owner, name] = repo.split("/");
  return kernelPluginError({ requestId: unique(), plugin: { type: "workflow", id: `${repo}:compute.yml@main`, owner, repo: name }, error: { message, category: "workflow" }, trigger: { repo: triggerRepo } });
};

async function answerOf(res: Response): Promise<IngestAnswer> {
  expect(res.status, await res.clone().text()).toBe(200);
  return res.json<IngestAnswer>();
}

describe("settings never lose an event", () => {
  it("answers 200 queued with a warning for the prototype's maxBodyChars, and files the issue (done-when)", async () => {
    const repo = pluginRepo("lenient");
    const answer = await sendFailure(repo, { settings: { maxBodyChars: 5000 } });
    expect(answer.output).toMatchObject({ status: "queued", warnings: ["settings.maxBodyChars: unknown setting, ignored"] });
    const issues = await eventually(() => github.issues(repo), (list) => list.length === 1);
    expect(issues[0]?.body).toContain(`daemon-hotfix:fingerprint=${answer.output.fingerprint}`);
  });

  it("counts each warning by key (and by org), exposes it in /metrics and lists it on the dashboard", async () => {
    const org = `warn-${unique()}`;
    const settings = { maxBodyChars: 5000, windowMinutes: "sixty" };
    for (let i = 0; i < 2; i++) {
      const inputs = await signAsKernel(failureIn(pluginRepo("warned"), `${org}/app`), { settings });
      expect((await answerOf(await postWith(jsonRequest(inputs), { EVENTS: new RecordingQueue() }))).output.warnings).toHaveLength(2);
    }
    expect(await counter("settings_warnings", `%"owner":"${org}"%`)).toBe(4);

    const families = parsePrometheusTextFormat(await (await admin("/metrics")).text()) as Array<{ name: string; type: string; metrics: Array<{ labels?: Record<string, string>; value?: string }> }>;
    const warnings = families.find((f) => f.name === "daemon_hotfix_settings_warnings_total");
    expect(warnings?.type).toBe("COUNTER");
    expect(Number(warnings?.metrics.find((m) => m.labels?.["key"] === "maxBodyChars")?.value)).toBeGreaterThanOrEqual(2);
    expect(Number(warnings?.metrics.find((m) => m.labels?.["key"] === "windowMinutes")?.value)).toBeGreaterThanOrEqual(2);
    expect(warnings?.metrics.every((m) => Object.keys(m.labels ?? {}).join() === "key")).toBe(true);

    const data = await dashboardData(env);
    expect(data.door.settingsWarnings.filter((w) => w.owner === org)).toEqual([
      { owner: org, key: "maxBodyChars", count: 2 },
      { owner: org, key: "windowMinutes", count: 2 },
    ]);
    const html = await (await admin("/dashboard")).text();
    expect(html).toContain(org);
    expect(html).toContain("maxBodyChars");
  });
});

describe("an unconvertible signed event", () => {
  const deadLetter = (id: string) => env.DB.prepare(`SELECT * FROM dead_letters WHERE id = ?`).bind(id).first<{ id: string; queue: string; reason: string; body: string; plugin: string | null }>();
  const lettersLike = (pattern: string) => env.DB.prepare(`SELECT * FROM dead_letters WHERE queue = 'ingest' AND body LIKE ?`).bind(pattern).all<{ id: string; reason: string; body: string }>();

  it("is answered 400 invalid_event_payload and kept as a dead letter with that reason, redacted", async () => {
    const marker = `unconvertible-${unique()}`;
    const inputs = await signAsKernel({ event: "kernel.plugin_error", plugin: { type: "http", id: `https://${marker}.deno.dev` }, error: { message: 42, note: AUTH_TOKEN_CANARY } });
    const res = await postToWorker(jsonRequest(inputs));
    expect(res.status).toBe(400);
    expect(await res.json<ErrorBody>()).toMatchObject({ error: "invalid_event_payload", issues: [{ path: "eventPayload.error.message" }] });

    const letters = (await lettersLike(`%${marker}%`)).results;
    expect(letters).toHaveLength(1);
    const letter = letters[0];
    expect(letter?.reason).toMatch(/^invalid_event_payload: eventPayload\.error\.message: /);
    expect(letter?.body).not.toContain(AUTH_TOKEN_CANARY);
    const body = JSON.parse(letter?.body ?? "{}") as UnconvertedEvent;
    expect(body).toMatchObject({ version: 1, type: "unconverted", eventName: "kernel.plugin_error", kernelStateId: inputs.stateId, payload: { plugin: { id: `https://${marker}.deno.dev` } } });
    expect(await counter("dead_letters", '%"reason":"invalid_event_payload"%')).toBeGreaterThanOrEqual(1);

    // Listed for on-call, and — with today's code, which still cannot convert it — not replayable, saying why.
    const listed = await (await admin(`/admin/dead-letters?plugin=${encodeURIComponent(`https://${marker}.deno.dev`)}`)).json<{ deadLetters: Array<{ id: string; reason: string }> }>();
    expect(listed.deadLetters.map((d) => d.id)).toEqual([letter?.id]);
    const replay = await (await admin(`/admin/dead-letters/${letter?.id}/replay`, { method: "POST" })).json<{ status: string; reason: string }>();
    expect(replay).toMatchObject({ status: "not_replayable", reason: expect.stringMatching(/^still not convertible: eventPayload\.error\.message/) });

    // The same input again is kept once.
    expect((await postToWorker(jsonRequest(inputs))).status).toBe(400);
    expect((await lettersLike(`%${marker}%`)).results).toHaveLength(1);
  });

  it("is kept (without its undecodable payload) when the eventPayload is not brotli+base64", async () => {
    const signed = await signAsKernel(kernelPluginError());
    const { signature: _old, ...fields } = { ...signed, eventPayload: btoa(`not brotli ${unique()}`).replace(/=+$/, "") };
    const inputs = { ...fields, signature: await signPayload(JSON.stringify(fields), env.TEST_KERNEL_PRIVATE_KEY) };
    const res = await postToWorker(jsonRequest(inputs));
    expect(res.status).toBe(400);
    expect(await res.json<ErrorBody>()).toMatchObject({ error: "invalid_event_payload" });
    const letter = (await lettersLike(`%${inputs.stateId}%`)).results[0];
    expect(letter?.reason).toMatch(/^invalid_event_payload: eventPayload: /);
    expect(JSON.parse(letter?.body ?? "{}")).toMatchObject({ type: "unconverted", payloadMissing: expect.stringContaining("not decodable") });
  });

  it("is replayed into an issue once the code converts it (a letter an older version left: sourceRepo as a number)", async () => {
    const org = `replay-${unique()}`;
    const plugin = `https://${org}.deno.dev`;
    const payload = kernelPluginError({ requestId: unique(), plugin: { id: plugin, settings: { with: { sourceRepo: 5 } } }, error: { message: `HTTP (target: ${plugin}) 500: boom` }, trigger: { repo: `${org}/app` } });
    const id = `ingest:${unique()}`;
    const body: UnconvertedEvent = {
      version: 1,
      type: "unconverted",
      eventName: "kernel.plugin_error",
      kernelStateId: "k-replay",
      receivedAt: new Date().toISOString(),
      settings: v.parse(Settings, { updateIntervalSeconds: 1 }),
      issues: [{ path: "eventPayload.plugin.settings.with.sourceRepo", message: "Invalid type: Expected string but received 5" }],
      payload,
    };
    await storeDeadLetter(env.DB, { id, queue: "ingest", reason: "invalid_event_payload: eventPayload.plugin.settings.with.sourceRepo: Invalid type", attempts: 0, body, plugin });
    const replay = await (await admin(`/admin/dead-letters/${encodeURIComponent(id)}/replay`, { method: "POST" })).json<{ status: string; eventId: string }>();
    expect(replay).toMatchObject({ status: "replayed", eventId: expect.stringMatching(/^[0-9a-f]{32}$/) });
    expect((await deadLetter(id))?.reason).toContain("invalid_event_payload");
    const issues = await eventually(() => github.issues(`${org}/.ubiquity-os`), (list) => list.length === 1);
    expect(issues[0]?.title).toContain(`${org}.deno.dev`);
  });
});

describe("the queue refusing an accepted event", () => {
  const parked = (key: string) => env.PARKED_EVENTS.getByName(key);
  /** Swaps the object's EVENTS binding (the DurableObject base class keeps `env` as a plain field). */
  const useQueue = (instance: ParkedEvents, queue: unknown) => ((instance as unknown as { env: Env }).env = { ...env, EVENTS: queue as Queue });

  it("parks the event, answers 200 queued, counts it; the alarm sends it again until the queue takes it", async () => {
    const repo = pluginRepo("parked");
    const down = new RecordingQueue();
    down.refuse = true;
    const parkedBefore = await counter("events_parked");
    const inputs = await signAsKernel(failureIn(repo), { settings: { updateIntervalSeconds: 1 } });
    const answer = await answerOf(await postWith(jsonRequest(inputs), { EVENTS: down }));
    expect(answer.output).toMatchObject({ status: "queued", eventId: expect.stringMatching(/^[0-9a-f]{32}$/), reason: expect.stringContaining("parked") });
    expect(await counter("events_parked")).toBe(parkedBefore + 1);
    expect(await counter("events_received", `%"outcome":"queued"%"repo":"${repo}"%`)).toBe(1);

    await runInDurableObject(parked(`repo:${repo}`), async (instance: ParkedEvents, state) => {
      // The test drives the alarm itself.
      await state.storage.deleteAlarm();
      expect(instance.stats()).toMatchObject({ waiting: 1 });

      // Still down: kept, and asked again in RESEND_AFTER_MS.
      useQueue(instance, down);
      const before = Date.now();
      await instance.alarm();
      expect(instance.stats().waiting).toBe(1);
      const next = (await state.storage.getAlarm()) ?? 0;
      expect(next - before).toBeGreaterThanOrEqual(RESEND_AFTER_MS - 1_000);
      expect(next - before).toBeLessThanOrEqual(RESEND_AFTER_MS + 1_000);

      // Back: sent, exactly as accepted, and forgotten.
      const up = new RecordingQueue();
      useQueue(instance, up);
      await instance.alarm();
      expect(up.sent).toEqual([expect.objectContaining({ version: 1, type: "failure", failure: expect.objectContaining({ eventId: answer.output.eventId }) })]);
      expect(instance.stats().waiting).toBe(0);
    });
    expect(await counter("events_unparked")).toBeGreaterThanOrEqual(1);
  });

  it("loses nothing end to end: the parked event reaches its issue through the real queue", async () => {
    const repo = pluginRepo("parked-e2e");
    const down = new RecordingQueue();
    down.refuse = true;
    const inputs = await signAsKernel(failureIn(repo), { settings: { updateIntervalSeconds: 1 } });
    await answerOf(await postWith(jsonRequest(inputs), { EVENTS: down }));
    await runInDurableObject(parked(`repo:${repo}`), async (instance: ParkedEvents, state) => {
      await state.storage.deleteAlarm();
      await instance.alarm();
      expect(instance.stats().waiting).toBe(0);
    });
    const issues = await eventually(() => github.issues(repo), (list) => list.length === 1);
    expect(issues[0]?.body).toMatch(/\| Occurrences \| \*\*1\*\* \|/);
  });

  it("keeps the event as a replayable dead letter when parking fails too", async () => {
    const repo = pluginRepo("unparkable");
    const down = new RecordingQueue();
    down.refuse = true;
    const noParking = { getByName: () => ({ park: () => Promise.reject(new Error("parking unavailable")) }) } as unknown as Env["PARKED_EVENTS"];
    const inputs = await signAsKernel(failureIn(repo));
    const answer = await answerOf(await postWith(jsonRequest(inputs), { EVENTS: down, PARKED_EVENTS: noParking }));
    expect(answer.output).toMatchObject({ status: "queued", reason: expect.stringContaining("dead letter") });
    const letter = await env.DB.prepare(`SELECT * FROM dead_letters WHERE id = ?`).bind(`parked:${answer.output.eventId}`).first<{ reason: string; repo: string; event_id: string }>();
    expect(letter).toMatchObject({ reason: "queue_unavailable: queue unavailable", repo, event_id: answer.output.eventId });
  });
});

describe("daemon-hotfix's own failures", () => {
  const self = (id: string, extra: Record<string, string>, triggerRepo: string) =>
    kernelPluginError({ requestId: unique(), plugin: { id, ...extra }, error: { message: `HTTP (target: ${BASE}) 400: {"error":"invalid_settings"}`, category: extra["type"] ?? "http" }, trigger: { repo: triggerRepo } });

  it.each<[string, string, Record<string, string>]>([
    ["keyed by its GitHub repo (the required setup)", "acme/daemon-hotfix:compute.yml@https://daemon-hotfix.example.test", { type: "workflow", owner: "acme", repo: "daemon-hotfix", ref: BASE }],
    ["keyed by a repo of another name, reached at its own URL", "acme/hotfixer:compute.yml@https://daemon-hotfix.example.test", { type: "workflow", owner: "acme", repo: "hotfixer", ref: BASE }],
    ["keyed by its URL", BASE, { type: "http" }],
  ])("are never filed but counted and shown on the dashboard: %s", async (_name, id, extra) => {
    const org = `self-${unique()}`;
    const before = await counter("self_failures");
    const inputs = await signAsKernel(self(id, extra, `${org}/app`));
    const answer = await answerOf(await postToWorker(jsonRequest(inputs)));
    expect(answer.output).toMatchObject({ status: "suppressed", reason: expect.stringContaining("daemon-hotfix itself") });
    await eventually(() => counter("self_failures"), (n) => n === before + 1);
    const data = await eventually(() => dashboardData(env), (d) => d.door.selfFailures.latest.some((f) => f.triggerRepo === `${org}/app`));
    expect(data.door.selfFailures.latest.find((f) => f.triggerRepo === `${org}/app`)).toMatchObject({ plugin: id, status: 400, message: expect.stringContaining("invalid_settings") });
    expect(data.door.selfFailures.last24h).toBeGreaterThanOrEqual(1);
    const calls = await github.calls(extra["owner"] && extra["repo"] ? `${extra["owner"]}/${extra["repo"]}` : `${org}/.ubiquity-os`);
    expect(calls.filter((c) => c.method === "POST")).toEqual([]);
  });

  it("does not count other loops (its own bot's events) as its own failures", async () => {
    const before = await counter("self_failures");
    const inputs = await signAsKernel(kernelPluginError({ requestId: unique(), trigger: { actor: "daemon-hotfix[bot]" } }));
    expect((await answerOf(await postToWorker(jsonRequest(inputs)))).output.status).toBe("suppressed");
    expect(await counter("self_failures")).toBe(before);
  });
});

describe("the manifest", () => {
  const manifestOf = async (overrides: Partial<Env>) => {
    const res = await postWith(new Request(`${BASE}/manifest.json`), overrides as never);
    return res.json<Record<string, unknown>>();
  };

  it("takes short_name from MANIFEST_SHORT_NAME, and falls back (named by /healthz) when it is not owner/repo@ref", async () => {
    expect((await manifestOf({ MANIFEST_SHORT_NAME: "acme/daemon-hotfix@main" }))["short_name"]).toBe("acme/daemon-hotfix@main");
    expect((await manifestOf({ MANIFEST_SHORT_NAME: "" }))["short_name"]).toBe(DEFAULT_MANIFEST_SHORT_NAME);
    expect((await manifestOf({ MANIFEST_SHORT_NAME: "not a repo" }))["short_name"]).toBe(DEFAULT_MANIFEST_SHORT_NAME);
    const health = await postWith(new Request(`${BASE}/healthz`), { MANIFEST_SHORT_NAME: "not a repo" } as never);
    expect(await health.json()).toMatchObject({ problems: [expect.stringContaining("MANIFEST_SHORT_NAME")] });
  });
});
