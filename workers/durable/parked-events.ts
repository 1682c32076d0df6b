import { DurableObject } from "cloudflare:workers";
import * as v from "valibot";
import { FailureMessage } from "../../shared/queue-message";
import { storeDeadLetter } from "../dead-letters/store";
import { incrementCounter } from "../metrics/counters";

/** How soon the alarm tries the queue again after it refused (the first try too: the queue was down a moment ago). */
export const RESEND_AFTER_MS = 30_000;
/** Events sent per alarm run; more wait for the next run, right after. */
const PER_RUN = 50;

export interface ParkedStats {
  waiting: number;
  oldestMs: number | null;
}

/**
 * Accepted events the queue refused at the door, kept here until it takes them (one object per ingest gate key).
 * The kernel never retries, so ingest parks an event it could not enqueue and answers `queued`; the alarm sends
 * parked events again, oldest first, for as long as it takes. An event id is parked once.
 */
export class ParkedEvents extends DurableObject<Env> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    void ctx.blockConcurrencyWhile(async () => {
      this.sql.exec(`CREATE TABLE IF NOT EXISTS parked (event_id TEXT PRIMARY KEY, body TEXT NOT NULL, parked_ms INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT)`);
    });
  }

  /** Keeps a queue message until the queue takes it; the alarm is set when none is. */
  async park(message: FailureMessage, nowMs: number): Promise<void> {
    this.sql.exec(`INSERT INTO parked (event_id, body, parked_ms) VALUES (?, ?, ?) ON CONFLICT (event_id) DO NOTHING`, message.failure.eventId, JSON.stringify(message), nowMs);
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(nowMs + RESEND_AFTER_MS);
  }

  stats(): ParkedStats {
    const row = this.sql.exec<{ n: number; oldest: number | null }>(`SELECT COUNT(*) AS n, MIN(parked_ms) AS oldest FROM parked`).one();
    return { waiting: row.n, oldestMs: row.oldest };
  }

  /** Sends parked events, oldest first; stops at the first refusal and tries again in `RESEND_AFTER_MS`. */
  override async alarm(): Promise<void> {
    const rows = this.sql.exec<{ event_id: string; body: string; attempts: number }>(`SELECT event_id, body, attempts FROM parked ORDER BY parked_ms, event_id LIMIT ?`, PER_RUN).toArray();
    let sent = 0;
    for (const row of rows) {
      const parsed = v.safeParse(FailureMessage, JSON.parse(row.body) as unknown);
      if (!parsed.success) {
        // Parked by another version of the code and unreadable now: kept as a dead letter, not retried for ever.
        await storeDeadLetter(this.env.DB, { id: `parked:${row.event_id}`, queue: "ingest", reason: `unreadable parked event: ${v.summarize(parsed.issues)}`, attempts: row.attempts, body: JSON.parse(row.body) as unknown });
        this.sql.exec(`DELETE FROM parked WHERE event_id = ?`, row.event_id);
        continue;
      }
      try {
        await this.env.EVENTS.send(parsed.output, { contentType: "json" });
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        this.sql.exec(`UPDATE parked SET attempts = attempts + 1, last_error = ? WHERE event_id = ?`, reason.slice(0, 500), row.event_id);
        console.error(JSON.stringify({ msg: "parked events not sent; retrying", waiting: this.stats().waiting, error: reason }));
        await this.flushCount(sent);
        await this.ctx.storage.setAlarm(Date.now() + RESEND_AFTER_MS);
        return;
      }
      this.sql.exec(`DELETE FROM parked WHERE event_id = ?`, row.event_id);
      sent++;
    }
    await this.flushCount(sent);
    if (this.stats().waiting > 0) await this.ctx.storage.setAlarm(Date.now());
  }

  private async flushCount(sent: number): Promise<void> {
    if (sent === 0) return;
    try {
      await incrementCounter(this.env.DB, "events_unparked", {}, sent);
    } catch (error) {
      console.error(JSON.stringify({ msg: "events_unparked not counted", sent, error: error instanceof Error ? error.message : String(error) }));
    }
  }
}
