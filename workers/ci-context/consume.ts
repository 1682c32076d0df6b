import * as v from "valibot";
import { CiMessage, type FlushMessage } from "../../shared/queue-message";
import { toFieldIssues } from "../../shared/validation";
import { ConfigError, configOf } from "../config";
import { breakageItems, deadLetterBreakage } from "../consumer/ci-runs";
import { countBreakages, type CountingDeps } from "../consumer/breakage-counts";
import { settingsFor } from "../consumer/effective-settings";
import { backoffSeconds, clusterSettings } from "../consumer/queue";
import { batchGrouping } from "../grouping/batch";
import { MetricsBuffer } from "../metrics/buffer";
import { runCiStep } from "./step";

/** Retries of one `ci` message before it is dropped: its stream's alarm asks again while it has work. */
const MAX_CI_ATTEMPTS = 3;

/**
 * The CI-context queue's consumer (the write path of CI failures, apart from counting and from writes): each `ci`
 * message runs its stream's step — GitHub read for one waiting run, what broke told to the stream — and counts the
 * runs the stream attributes into their breakages' clusters, whose flushes go on the writes queue. A slow or
 * refused read holds up neither counting nor any write.
 */
export async function consumeCiContext(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const metrics = new MetricsBuffer("ci_context");
  const pending: Promise<void>[] = [];
  const flushes: FlushMessage[] = [];
  const route = batchGrouping(env);
  const deps: CountingDeps = {
    env,
    metrics,
    pending,
    route: (failure, rules) => route(failure, rules),
    clusterSettings: (settings, failure) => clusterSettings(settingsFor(env, settings, failure), env),
  };
  const seen = new Set<string>();
  await Promise.all(
    batch.messages.map(async (message) => {
      const parsed = v.safeParse(CiMessage, message.body);
      if (!parsed.success) {
        console.error(JSON.stringify({ msg: "unreadable CI-context message dropped", id: message.id, issues: toFieldIssues(parsed.issues) }));
        message.ack();
        return;
      }
      // Two asks of one stream in a batch: one step (the stream leases one read at a time).
      if (seen.has(parsed.output.stream)) {
        message.ack();
        return;
      }
      seen.add(parsed.output.stream);
      try {
        await runCiStep(parsed.output.stream, {
          env,
          metrics,
          windowMinutes: (run) => settingsFor(env, run.settings, run.failure).windowMinutes,
          count: async (deliveries) => {
            const counts = await countBreakages(breakageItems(deliveries, () => 0), deps);
            flushes.push(...counts.flushes);
            for (const [n, refused] of counts.refused.entries()) await deadLetterBreakage(env.DB, `${message.id}:${refused.failure.eventId}:${n}`, batch.queue, message.attempts, refused);
            // Not confirmed to the stream: it hands the attributions out again.
            if (counts.failed.size > 0) throw new Error("attributed CI runs could not be counted into their clusters");
          },
        });
        message.ack();
      } catch (error) {
        if (error instanceof ConfigError) {
          console.error(JSON.stringify({ msg: "misconfigured: cannot read GitHub", error: error.message, stream: parsed.output.stream }));
          metrics.inc("config_errors", { reason: "github_credentials" });
        }
        if (message.attempts >= MAX_CI_ATTEMPTS) {
          console.error(JSON.stringify({ msg: "CI-context step dropped; its stream asks again", stream: parsed.output.stream, error: error instanceof Error ? error.message : String(error) }));
          message.ack();
          return;
        }
        message.retry({ delaySeconds: backoffSeconds(message.attempts, configOf(env).retryBaseSeconds) });
      }
    }),
  );
  if (flushes.length > 0) {
    try {
      await env.WRITES.sendBatch(flushes.map((body) => ({ body, contentType: "json" as const })));
    } catch (error) {
      console.error(JSON.stringify({ msg: "flushes not sent; the clusters will ask again", flushes: flushes.length, error: error instanceof Error ? error.message : String(error) }));
    }
  }
  pending.push(metrics.flush(env.DB, env.ANALYTICS));
  const settled = await Promise.allSettled(pending);
  for (const s of settled) if (s.status === "rejected") console.error(JSON.stringify({ msg: "bookkeeping write failed", error: String(s.reason) }));
}
