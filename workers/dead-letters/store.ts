import * as v from "valibot";
import { CountedMessage } from "../../shared/queue-message";
import { createRedactor } from "../../shared/redact";
import { incrementCounter } from "../metrics/counters";

/**
 * One dead letter: an event that could not be processed (consumer), could not be converted (ingest), or could not
 * be parked (ingest, the queue and parking both down). Stored in D1 `dead_letters`, listed and replayed by the
 * admin API.
 */
export interface DeadLetterInput {
  id: string;
  queue: string;
  reason: string;
  attempts: number;
  body: unknown;
  /** For a body that is not a failure message (an event that could not be converted): what is known of it. */
  repo?: string | null;
  plugin?: string | null;
}

/** Stores one dead letter (idempotent on the message id), redacting the body once more on the way in. */
export async function storeDeadLetter(db: D1Database, letter: DeadLetterInput, now = new Date()): Promise<void> {
  const parsed = v.safeParse(CountedMessage, letter.body);
  const failure = parsed.success ? parsed.output.failure : undefined;
  const body = JSON.stringify(createRedactor().value(letter.body)) ?? "null";
  const result = await db
    .prepare(
      `INSERT INTO dead_letters (id, event_id, repo, plugin, queue, reason, attempts, body, created_at)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (id) DO NOTHING`,
    )
    .bind(letter.id, failure?.eventId ?? null, failure?.target.repo ?? letter.repo ?? null, failure?.plugin.id ?? letter.plugin ?? null, letter.queue, letter.reason, letter.attempts, body, now.toISOString())
    .run();
  if (result.meta.changes > 0) await incrementCounter(db, "dead_letters", { reason: letter.reason.split(":")[0] });
}

