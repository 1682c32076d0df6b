import * as v from "valibot";
import { FailureMessage } from "../../shared/queue-message";
import { storeDeadLetter } from "../dead-letters/store";

/** Remembers why an event's last attempt failed, for the dead letter should its retries run out. */
export async function recordEventError(db: D1Database, eventId: string, reason: string, attempts: number): Promise<void> {
  await db
    .prepare(
      `INSERT INTO event_errors (event_id, reason, attempts, updated_at) VALUES (?1, ?2, ?3, ?4)
       ON CONFLICT (event_id) DO UPDATE SET reason = excluded.reason, attempts = excluded.attempts, updated_at = excluded.updated_at`,
    )
    .bind(eventId, reason, attempts, new Date().toISOString())
    .run();
}

async function lastError(db: D1Database, body: unknown): Promise<string | null> {
  const parsed = v.safeParse(FailureMessage, body);
  if (!parsed.success) return null;
  const row = await db.prepare(`SELECT reason FROM event_errors WHERE event_id = ?`).bind(parsed.output.failure.eventId).first<{ reason: string }>();
  return row?.reason ?? null;
}

/** The dead-letter queue's consumer: every message lands in D1 with its reason, then is acknowledged. */
export async function consumeDeadLetters(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  for (const message of batch.messages) {
    try {
      await storeDeadLetter(env.DB, {
        id: message.id,
        queue: batch.queue,
        reason: `retries exhausted: ${(await lastError(env.DB, message.body)) ?? "the event could not be processed"}`,
        attempts: message.attempts,
        body: message.body,
      });
      message.ack();
    } catch (error) {
      console.error(JSON.stringify({ msg: "dead letter not stored", id: message.id, error: error instanceof Error ? error.message : String(error) }));
      message.retry({ delaySeconds: 30 });
    }
  }
}
