/**
 * Ingest: pre-signed kernel.plugin_error inputs POSTed at a fixed concurrency (closed loop, keep-alive
 * connections opened before the clock starts) → events/s, latency percentiles, answers that were not 200 queued.
 * `GET /healthz` at the same concurrency is the floor: what the local stack (wrangler dev's proxy, workerd, this
 * client) costs for a request that does no work.
 */
import type { Agent } from "node:http";
import { answerKey } from "./answers.ts";
import { agent, closedLoop, get, postJson } from "./http.ts";
import * as cpu from "./procstat.ts";
import { type LatencySummary, summarize } from "./stats.ts";

export interface LevelResult {
  concurrency: number;
  requests: number;
  wallMs: number;
  eventsPerSecond: number;
  latency: LatencySummary;
  non200: number;
  /** Answers by `status output.status` (e.g. "200 queued", "200 queued (duplicate)": bench/answers.ts). */
  answers: Record<string, number>;
  /** Fingerprints the service answered (`output.fingerprint`): the clusters these events went to. */
  fingerprints: string[];
  cpu: cpu.CpuUse | null;
}

/** One round of the alternating concurrency-50 measurement: the floor, then ingest, back to back. */
export interface IngestRound {
  floor: FloorResult;
  ingest: LevelResult;
}

export interface FloorResult {
  concurrency: number;
  requests: number;
  requestsPerSecond: number;
  latency: LatencySummary;
  cpu: cpu.CpuUse | null;
}

async function openConnections(url: URL, via: Agent, concurrency: number): Promise<void> {
  await closedLoop(concurrency * 2, concurrency, () => get(new URL("/healthz", url), via));
}

export async function runLevel(baseUrl: string, bodies: readonly string[], concurrency: number): Promise<LevelResult> {
  const url = new URL("/", baseUrl);
  const via = agent(concurrency);
  try {
    await openConnections(url, via, concurrency);
    const before = cpu.available() ? cpu.sample() : null;
    const started = performance.now();
    const results = await closedLoop(bodies.length, concurrency, (i) => postJson(url, bodies[i] ?? "", via));
    const wallMs = performance.now() - started;
    const after = before ? cpu.sample() : null;
    const answers: Record<string, number> = {};
    const fingerprints = new Set<string>();
    for (const r of results) {
      const { key, fingerprint } = answerKey(r.status, r.body);
      if (fingerprint) fingerprints.add(fingerprint);
      answers[key] = (answers[key] ?? 0) + 1;
    }
    return {
      concurrency,
      requests: bodies.length,
      wallMs,
      eventsPerSecond: (bodies.length / wallMs) * 1000,
      latency: summarize(results.map((r) => r.ms)),
      non200: results.filter((r) => r.status !== 200).length,
      answers,
      fingerprints: [...fingerprints],
      cpu: before && after ? cpu.between(before, after) : null,
    };
  } finally {
    via.destroy();
  }
}

export async function runFloor(baseUrl: string, requests: number, concurrency: number): Promise<FloorResult> {
  const url = new URL("/healthz", baseUrl);
  const via = agent(concurrency);
  try {
    await openConnections(url, via, concurrency);
    const before = cpu.available() ? cpu.sample() : null;
    const started = performance.now();
    const results = await closedLoop(requests, concurrency, () => get(url, via));
    const wallMs = performance.now() - started;
    const after = before ? cpu.sample() : null;
    return { concurrency, requests, requestsPerSecond: (requests / wallMs) * 1000, latency: summarize(results.map((r) => r.ms)), cpu: before && after ? cpu.between(before, after) : null };
  } finally {
    via.destroy();
  }
}
