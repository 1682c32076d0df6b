import { createRedactor } from "../../shared/redact";
import type { CiDelivery, PendingRun, ReadOutcome } from "../../shared/ci-context/stream-messages";
import type { FailureEvent } from "../../shared/failure-event";
import { ConfigError, configOf } from "../config";
import { createOctokit } from "../github/client";
import { repoAuth } from "../github/credentials";
import { GitHubFailure } from "../github/failure";
import type { MetricsBuffer } from "../metrics/buffer";
import { readRun } from "./read-run";

export interface CiStepDeps {
  env: Env;
  metrics: MetricsBuffer;
  /** Counts attributed runs into their breakages' clusters (the consumer's counting, no GitHub call). */
  count: (deliveries: CiDelivery[]) => Promise<void>;
  /** The clustering window the run is handled under (its settings under the operator's floors): one read per window. */
  windowMinutes: (run: PendingRun) => number;
}

const redactor = createRedactor();

/**
 * Reads a run with the installation token of its repo. Whatever goes wrong — the App not installed, a refusal, a
 * timeout — the run is `unreadable` and filed from its event alone; only missing credentials (nothing could be
 * filed either) are thrown, so the step waits for the operator.
 */
async function readWithToken(env: Env, failure: FailureEvent, metrics: MetricsBuffer): Promise<ReadOutcome> {
  let auth;
  try {
    auth = await repoAuth(env, failure.target.repo);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const reason = error instanceof GitHubFailure ? error.message : `no installation token for ${failure.target.repo}`;
    return { resolution: "unreadable", reason: redactor.string(reason).slice(0, 300) };
  }
  const octokit = createOctokit(env, auth, metrics);
  return readRun({ octokit, timeoutMs: configOf(env).github.timeoutMs, redact: redactor.string }, failure);
}

/**
 * The consumer's CI-context step for one stream (the write path: a `ci` message its stream's alarm sent): read the
 * waiting run GitHub-side once, tell the stream what broke, and count every run it attributes into its clusters —
 * or deliver runs attributed earlier whose counting was never confirmed. Reads happen here only, never while
 * counting, and never wait for the write budget.
 */
export async function runCiStep(stream: string, deps: CiStepDeps): Promise<void> {
  const stub = deps.env.CI_STREAM.getByName(stream);
  const step = await stub.lease(Date.now());
  if (!step) return;
  if (step.kind === "deliver") {
    await deps.count(step.deliveries);
    await stub.delivered(step.deliveries.map((d) => d.eventId));
    return;
  }
  let outcome: ReadOutcome;
  try {
    outcome = await readWithToken(deps.env, step.run.failure, deps.metrics);
  } catch (error) {
    await stub.abandon(step.leaseId, Date.now(), Date.now() + 300_000);
    throw error;
  }
  deps.metrics.inc("ci_context_reads", { resolution: outcome.resolution });
  if (outcome.resolution === "unreadable") console.warn(JSON.stringify({ msg: "CI run details could not be read; filing from the event", stream, reason: outcome.reason }));
  const deliveries = await stub.resolve(step.leaseId, outcome, deps.windowMinutes(step.run), Date.now());
  await deps.count(deliveries);
  await stub.delivered(deliveries.map((d) => d.eventId));
}
