import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { EVENT_ERRORS_KEPT_DAYS, HOURLY_KEPT_DAYS } from "../../workers/maintenance/housekeeping";
import worker from "../../workers/index";

const DAY = 86_400;
const NOW_MS = Date.parse("2026-11-24T03:17:00Z");
const today = Math.floor(NOW_MS / 1000 / DAY) * DAY;

async function runCron(): Promise<void> {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ scheduledTime: NOW_MS, cron: "17 3 * * *" }), env, ctx);
  await waitOnExecutionContext(ctx);
}

async function rows(labels: string): Promise<Array<{ bucket_start: number; value: number }>> {
  const result = await env.DB.prepare(`SELECT bucket_start, value FROM counters WHERE name = 'events_received' AND labels = ? ORDER BY bucket_start`).bind(labels).all<{ bucket_start: number; value: number }>();
  return result.results;
}

describe("daily housekeeping (cron)", () => {
  it("folds hourly counters older than a week into days, keeping every total, and forgets old error notes", async () => {
    const labels = JSON.stringify({ outcome: "queued", repo: `acme/housekeeping-${crypto.randomUUID().slice(0, 8)}` });
    const old = today - (HOURLY_KEPT_DAYS + 3) * DAY; // a whole day of hourly rows, ten days ago
    const recent = today - 2 * DAY; // within the week: stays hourly
    const seeded = [...Array.from({ length: 24 }, (_, h) => [old + h * 3600, h + 1]), [recent + 3600, 5], [recent + 7200, 7]];
    await env.DB.batch(seeded.map(([at, value]) => env.DB.prepare(`INSERT INTO counters (bucket_start, name, labels, value) VALUES (?, 'events_received', ?, ?)`).bind(at, labels, value)));
    const eventId = crypto.randomUUID();
    await env.DB.batch([
      env.DB.prepare(`INSERT INTO event_errors (event_id, reason, attempts, updated_at) VALUES (?, 'GitHub answered 502', 3, ?)`).bind(`${eventId}-old`, new Date(NOW_MS - (EVENT_ERRORS_KEPT_DAYS + 1) * DAY * 1000).toISOString()),
      env.DB.prepare(`INSERT INTO event_errors (event_id, reason, attempts, updated_at) VALUES (?, 'GitHub answered 502', 3, ?)`).bind(`${eventId}-new`, new Date(NOW_MS - DAY * 1000).toISOString()),
    ]);

    const total = (list: Array<{ value: number }>) => list.reduce((a, r) => a + r.value, 0);
    const before = total(await rows(labels));
    await runCron();
    const folded = await rows(labels);
    // /metrics sums every bucket of a series: its totals do not move.
    expect(total(folded)).toBe(before);
    expect(folded).toEqual([
      { bucket_start: old, value: (24 * 25) / 2 },
      { bucket_start: recent + 3600, value: 5 },
      { bucket_start: recent + 7200, value: 7 },
    ]);
    const notes = await env.DB.prepare(`SELECT event_id FROM event_errors WHERE event_id LIKE ?`).bind(`${eventId}%`).all<{ event_id: string }>();
    expect(notes.results.map((r) => r.event_id)).toEqual([`${eventId}-new`]);

    // Idempotent: a second run (a retried cron) changes nothing.
    await runCron();
    expect(await rows(labels)).toEqual(folded);
  });
});

