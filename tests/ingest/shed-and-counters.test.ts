import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { IngestAnswer } from "../../shared/ingest-output";
import type { FailureMessage, ShedMessage } from "../../shared/queue-message";
import type { RepoGate } from "../../workers/durable/repo-gate";
import { kernelPluginError } from "../helpers/events";
import { jsonRequest, postWith, RecordingQueue, signAsKernel } from "../helpers/kernel";
import { consumeWith } from "../helpers/queue";
import { unique } from "../helpers/send";

const answer = async (res: Response) => res.json<IngestAnswer>();

function failureOf(repo: string, requestId: string, message = "HTTP 500: Internal Server Error") {
  return kernelPluginError({ plugin: { type: "workflow", id: `o/${repo}:compute.yml@main`, owner: "o", repo }, trigger: { repo: "o/app" }, error: { message }, requestId });
}

/** Runs the repo's gate alarm (the shed aggregates' interval), catching what it forwards to the events queue. */
async function forwardShed(repo: string): Promise<ShedMessage[]> {
  const queue = new RecordingQueue();
  await runInDurableObject(env.REPO_GATE.getByName(`repo:o/${repo}`), async (instance: RepoGate) => {
    (instance as unknown as { env: Env }).env = { ...env, EVENTS: queue as unknown as Queue };
    await instance.alarm();
  });
  return queue.sent as ShedMessage[];
}

async function counter(name: string, like: string): Promise<number> {
  const row = await env.DB.prepare(`SELECT SUM(value) AS n FROM counters WHERE name = ? AND labels LIKE ?`).bind(name, like).first<{ n: number | null }>();
  return row?.n ?? 0;
}

describe("events shed by the per-repo limit", () => {
  it("are counted in their failure: aggregated in the gate, forwarded as one message per fingerprint", async () => {
    const repo = `shed-${unique()}`;
    const queue = new RecordingQueue();
    // Gathering off: every admitted event is its own message here (gathering has tests of its own).
    const limits = { EVENTS: queue, RATE_LIMIT_BURST: "3", RATE_LIMIT_PER_MINUTE: "1", GATHER_SECONDS: "0" };
    const statuses: string[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await answer(await postWith(jsonRequest(await signAsKernel(failureOf(repo, `${repo}-${i}`))), limits))).output.status);
    // A second failure of the same repo, shed too: its own aggregate.
    for (let i = 0; i < 2; i++) statuses.push((await answer(await postWith(jsonRequest(await signAsKernel(failureOf(repo, `${repo}-other-${i}`, "HTTP 502: Bad Gateway"))), limits))).output.status);
    expect(statuses).toEqual(["queued", "queued", "queued", ...Array(7).fill("rate_limited")]);
    expect(queue.sent).toHaveLength(3);

    const shed = await forwardShed(repo);
    expect(shed.map((m) => m.count).sort()).toEqual([2, 5]);
    const queued = queue.sent as FailureMessage[];
    const fingerprint = queued[0]?.fingerprint ?? "";
    expect(shed.find((m) => m.count === 5)?.fingerprint).toBe(fingerprint);
    // Nothing more to forward until more events are shed.
    expect(await forwardShed(repo)).toEqual([]);

    // The consumer counts the 3 queued events and the 5 shed ones into one cluster; a redelivered aggregate once.
    await consumeWith(env, [...queued, ...shed, shed[0]], `shed-${unique()}`);
    await consumeWith(env, [shed[0], shed[1]], `shed-again-${unique()}`);
    expect((await env.CLUSTER.getByName(fingerprint).snapshot())?.total).toBe(8);
    const other = shed.find((m) => m.count === 2);
    expect((await env.CLUSTER.getByName(other?.fingerprint ?? "").snapshot())?.total).toBe(2);
    expect(await counter("events_processed", `%o/${repo}"%`)).toBe(10);
  });

  it("counts a shed event once when the kernel sends it again", async () => {
    const repo = `shed-retry-${unique()}`;
    const limits = { EVENTS: new RecordingQueue(), RATE_LIMIT_BURST: "1", RATE_LIMIT_PER_MINUTE: "1" };
    const first = await signAsKernel(failureOf(repo, `${repo}-0`));
    const second = await signAsKernel(failureOf(repo, `${repo}-1`));
    expect((await answer(await postWith(jsonRequest(first), limits))).output.status).toBe("queued");
    expect((await answer(await postWith(jsonRequest(second), limits))).output.status).toBe("rate_limited");
    // The same delivery again: already counted (it is in the aggregate), not counted twice.
    expect((await answer(await postWith(jsonRequest(second), limits))).output.reason).toContain("duplicate delivery");
    const shed = await forwardShed(repo);
    expect(shed.map((m) => m.count)).toEqual([1]);
  });
});

describe("ingest counters", () => {
  it("are gathered in the isolate and written to D1 in one flush, not one write per request", async () => {
    const repo = `flush-${unique()}`;
    const before = await counter("d1_statements", `%"component":"ingest"%`);
    const batched = { EVENTS: new RecordingQueue(), METRICS_FLUSH_SECONDS: "1" };
    const inputs = await Promise.all(Array.from({ length: 20 }, (_, i) => signAsKernel(failureOf(repo, `${repo}-${i}`))));
    const answers = await Promise.all(inputs.map(async (input) => answer(await postWith(jsonRequest(input), batched))));
    expect(answers.every((a) => a.output.status === "queued")).toBe(true);
    // All 20 answers are counted, by one flush: one statement (a multi-row upsert) for all of them.
    expect(await counter("events_received", `%o/${repo}"%`)).toBe(20);
    expect(await counter("do_requests", `%"component":"ingest"%`)).toBeGreaterThanOrEqual(20);
    expect((await counter("d1_statements", `%"component":"ingest"%`)) - before).toBe(1);
  });
});
