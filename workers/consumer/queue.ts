import * as v from "valibot";
import { FailureMessage } from "../../shared/queue-message";
import { toFieldIssues } from "../../shared/validation";
import { incrementCounter } from "../metrics/counters";
import { storeDeadLetter } from "./dead-letters";

/** Retry delay for the n-th attempt: exponential from 2 s, capped at 15 min. */
export function backoffSeconds(attempts: number): number {
  return Math.min(900, 2 ** Math.min(attempts, 10));
}

/**
 * The events queue's consumer. Each message is validated at this trust boundary; an unreadable one is stored as
 * a dead letter at once (retrying cannot fix it). One message never fails the batch.
 * The GitHub writer (clusters, issues) plugs in here: see issue "Exactly one issue per failure".
 */
export async function consumeFailures(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  for (const message of batch.messages) {
    try {
      const parsed = v.safeParse(FailureMessage, message.body);
      if (!parsed.success) {
        const issues = toFieldIssues(parsed.issues).map((i) => `${i.path}: ${i.message}`).join("; ");
        await storeDeadLetter(env.DB, { id: message.id, queue: batch.queue, reason: `unreadable message: ${issues}`, attempts: message.attempts, body: message.body });
        message.ack();
        continue;
      }
      const { failure } = parsed.output;
      await incrementCounter(env.DB, "events_processed", { plugin: failure.plugin.id, repo: failure.target.repo, category: failure.category });
      message.ack();
    } catch (error) {
      console.error(JSON.stringify({ msg: "event processing failed", id: message.id, attempts: message.attempts, error: error instanceof Error ? error.message : String(error) }));
      message.retry({ delaySeconds: backoffSeconds(message.attempts) });
    }
  }
}
