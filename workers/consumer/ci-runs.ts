import { attributedFailures } from "../../shared/ci-context/attribution";
import type { CiDelivery, PendingRun } from "../../shared/ci-context/stream-messages";
import type { FailureEvent } from "../../shared/failure-event";
import type { FailureMessage, FlushMessage } from "../../shared/queue-message";
import { type BreakageItem, countBreakages, type CountingDeps } from "./breakage-counts";
import { storeDeadLetter } from "../dead-letters/store";

/** A CI failure whose breakage is not known yet: it is counted under its stream first (the run-level key). */
export function isUnresolvedCiRun(failure: FailureEvent): failure is FailureEvent & { ci: NonNullable<FailureEvent["ci"]> } {
  return failure.ci !== undefined && failure.ci.details === undefined;
}

/** The breakages of attributed runs, one item per breakage (a run may break several ways), owned by `ownerOf`. */
export function breakageItems(deliveries: readonly CiDelivery[], ownerOf: (delivery: CiDelivery) => number): BreakageItem[] {
  return deliveries.flatMap((delivery) =>
    attributedFailures(delivery.failure, delivery.attribution).map((failure) => ({
      id: delivery.eventId,
      failure,
      settings: delivery.settings,
      replay: delivery.replay ?? false,
      owner: ownerOf(delivery),
      ...(delivery.count !== undefined ? { count: delivery.count } : {}),
    })),
  );
}

/** A breakage GitHub refuses for good, dead-lettered as its own failure (what broke already read): a replay goes straight to its cluster. */
export async function deadLetterBreakage(db: D1Database, id: string, queue: string, attempts: number, refused: { failure: FailureEvent; settings: FailureMessage["settings"]; reason: string }): Promise<void> {
  const body: FailureMessage = { version: 1, type: "failure", failure: refused.failure, settings: refused.settings };
  await storeDeadLetter(db, { id, queue, reason: `permanent: ${refused.reason}`, attempts, body });
}

export interface CiRun {
  message: Message<unknown>;
  run: PendingRun;
}

export interface CiRunDeps extends CountingDeps {
  queue: string;
  /** A message whose counting failed: retried with back-off (dead-lettered after the consumer's attempts). */
  retry: (message: Message<unknown>, error: unknown) => Promise<void>;
}

/**
 * The counting consumer's part for CI runs: each batch's runs go, one call per stream, to their CI stream, which
 * counts them once and gives back those it can attribute now (a recent read covers them); those are counted into
 * their breakages' clusters, the others wait in the stream for their read (the CI-context queue). No GitHub
 * request. A message is acknowledged once its run is safe: stored in its stream, and counted wherever it was
 * attributed. Returns the flushes the clusters asked for.
 */
export async function countCiRuns(runs: readonly CiRun[], deps: CiRunDeps): Promise<FlushMessage[]> {
  if (runs.length === 0) return [];
  const byStream = new Map<string, number[]>();
  runs.forEach(({ run }, index) => {
    const stream = run.failure.ci?.facts.stream ?? "";
    byStream.set(stream, [...(byStream.get(stream) ?? []), index]);
  });
  const failed = new Set<number>();
  const deliveries: Array<{ delivery: CiDelivery; owner: number }> = [];
  await Promise.all(
    [...byStream.entries()].map(async ([stream, indexes]) => {
      try {
        const result = await deps.env.CI_STREAM.getByName(stream).recordMany(indexes.map((i) => runs[i]?.run as PendingRun), Date.now());
        deps.metrics.inc("do_requests", { component: deps.metrics.component, object: "ci_stream" });
        const ownerOf = new Map(indexes.map((i) => [runs[i]?.run.id ?? runs[i]?.run.failure.eventId ?? "", i]));
        for (const delivery of result.deliveries) deliveries.push({ delivery, owner: ownerOf.get(delivery.eventId) ?? -1 });
      } catch {
        for (const i of indexes) failed.add(i);
      }
    }),
  );
  const owners = new Map(deliveries.map(({ delivery, owner }) => [delivery, owner]));
  const counts = await countBreakages(
    breakageItems(
      deliveries.map((d) => d.delivery),
      (delivery) => owners.get(delivery) ?? -1,
    ),
    deps,
  );
  for (const owner of counts.failed) failed.add(owner);
  for (const [n, refused] of counts.refused.entries()) {
    const run = runs[refused.owner];
    if (run) await deadLetterBreakage(deps.env.DB, `${run.message.id}:${n}`, deps.queue, run.message.attempts, refused);
  }
  for (const [index, { message }] of runs.entries()) {
    if (failed.has(index)) await deps.retry(message, new Error("a CI run could not be counted in its stream or its breakages' clusters"));
    else message.ack();
  }
  return counts.flushes;
}
