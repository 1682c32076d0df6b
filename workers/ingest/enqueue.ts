import type { FailureMessage } from "../../shared/queue-message";
import { storeDeadLetter } from "../dead-letters/store";
import { AppError } from "../errors";
import type { MetricsBuffer } from "../metrics/buffer";

export interface Enqueued {
  via: "queue" | "parked" | "dead_letter";
  /** Said in the answer when the event did not go straight onto the queue. */
  reason?: string;
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Puts an accepted event on the queue. The kernel never retries, so a refusal is not passed on: the event is parked
 * in its `ParkedEvents` object, whose alarm sends it again. Should parking fail too, it becomes a dead letter (the
 * admin replay puts it back). Only when all three fail is the request answered 503.
 */
export async function enqueue(env: Env, message: FailureMessage, parkKey: string, metrics: MetricsBuffer): Promise<Enqueued> {
  let queueError: string;
  try {
    await env.EVENTS.send(message, { contentType: "json" });
    return { via: "queue" };
  } catch (error) {
    queueError = errorText(error);
  }
  const eventId = message.failure.eventId;
  try {
    await env.PARKED_EVENTS.getByName(parkKey).park(message, Date.now());
    metrics.inc("events_parked");
    console.warn(JSON.stringify({ msg: "queue refused an event; parked", eventId, parkKey, error: queueError }));
    return { via: "parked", reason: "parked: the queue refused it; it is sent again shortly" };
  } catch (parkError) {
    console.error(JSON.stringify({ msg: "queue and parking refused an event; dead-lettering it", eventId, queueError, parkError: errorText(parkError) }));
  }
  try {
    await storeDeadLetter(env.DB, { id: `parked:${eventId}`, queue: "ingest", reason: `queue_unavailable: ${queueError}`, attempts: 0, body: message });
    return { via: "dead_letter", reason: "kept as a dead letter: the queue refused it (replay it from the dead letters)" };
  } catch (error) {
    throw new AppError(503, "unavailable", "the event queue, its parking and the dead letters are unavailable", [], `${queueError}; ${errorText(error)}`);
  }
}
