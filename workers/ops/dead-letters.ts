import { Hono } from "hono";
import * as v from "valibot";
import { toFieldIssues } from "../../shared/validation";
import { AppError } from "../errors";
import type { AppEnv } from "../app-env";
import { decodeCursor, encodeCursor, pageLimit } from "./pagination";
import { replayMessage } from "./replay-message";

interface DeadLetterRow {
  id: string;
  event_id: string | null;
  repo: string | null;
  plugin: string | null;
  queue: string;
  reason: string;
  attempts: number;
  body: string;
  created_at: string;
  replayed_at: string | null;
}

/** A dead letter as `GET /admin/dead-letters` lists it (the single-letter answer adds `body`). */
export type DeadLetterSummary = ReturnType<typeof summary>;

function summary(row: DeadLetterRow) {
  return {
    id: row.id,
    eventId: row.event_id,
    repo: row.repo,
    plugin: row.plugin,
    queue: row.queue,
    reason: row.reason,
    attempts: row.attempts,
    createdAt: row.created_at,
    replayedAt: row.replayed_at,
  };
}

export type ReplayStatus = "replayed" | "already_replayed" | "not_replayable";

export interface ReplayResult {
  status: ReplayStatus;
  /** Why it could not be replayed. */
  reason?: string;
  /** The replayed event's id (for an event that could not be converted when it came, the id it has now). */
  eventId?: string | null;
}

/**
 * Puts a dead letter's event back on the queue, marked as a replay (its cluster stops waiting out a permanent
 * refusal and tries GitHub again); an event that could not be converted is converted again, by the current code.
 * Idempotent: a letter is replayed once unless forced, and the cluster counts an event id once however often it
 * arrives.
 */
export async function replayDeadLetter(env: Env, row: DeadLetterRow, force: boolean): Promise<ReplayResult> {
  if (row.replayed_at && !force) return { status: "already_replayed", eventId: row.event_id };
  const replay = await replayMessage(env, JSON.parse(row.body) as unknown);
  if ("notReplayable" in replay) return { status: "not_replayable", reason: replay.notReplayable, eventId: row.event_id };
  const claimed = await env.DB.prepare(`UPDATE dead_letters SET replayed_at = ?1 WHERE id = ?2 AND (replayed_at IS NULL OR ?3)`)
    .bind(new Date().toISOString(), row.id, force ? 1 : 0)
    .run();
  if (claimed.meta.changes === 0) return { status: "already_replayed", eventId: row.event_id };
  try {
    await env.EVENTS.send(replay.message, { contentType: "json" });
  } catch (error) {
    await env.DB.prepare(`UPDATE dead_letters SET replayed_at = NULL WHERE id = ?`).bind(row.id).run();
    throw new AppError(503, "unavailable", "the event queue is unavailable; retry later", [], error instanceof Error ? error.message : String(error));
  }
  return { status: "replayed", eventId: replay.message.failure.eventId };
}

const BulkReplay = v.strictObject({
  repo: v.optional(v.string()),
  plugin: v.optional(v.string()),
  ids: v.optional(v.pipe(v.array(v.string()), v.maxLength(500))),
  force: v.optional(v.boolean()),
});

function filters(query: { repo?: string | undefined; plugin?: string | undefined; replayed?: string | undefined }): { where: string[]; binds: string[] } {
  const where: string[] = [];
  const binds: string[] = [];
  if (query.repo) {
    where.push("repo = ?");
    binds.push(query.repo);
  }
  if (query.plugin) {
    where.push("plugin = ?");
    binds.push(query.plugin);
  }
  const replayed = query.replayed ?? "false";
  if (!["true", "false", "all"].includes(replayed)) throw new AppError(400, "invalid_query", "replayed is true, false or all", [{ path: "replayed", message: "true | false | all" }]);
  if (replayed === "false") where.push("replayed_at IS NULL");
  if (replayed === "true") where.push("replayed_at IS NOT NULL");
  return { where, binds };
}

async function find(db: D1Database, id: string): Promise<DeadLetterRow> {
  const row = await db.prepare(`SELECT * FROM dead_letters WHERE id = ?`).bind(id).first<DeadLetterRow>();
  if (!row) throw new AppError(404, "not_found", `no dead letter ${id}`);
  return row;
}

/** The dead-letter admin API: list, show, replay one or many, delete. */
export function deadLetterRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/", async (c) => {
    const limit = pageLimit(c.req.query("limit"));
    const cursor = decodeCursor(c.req.query("cursor"));
    const { where, binds } = filters({ repo: c.req.query("repo"), plugin: c.req.query("plugin"), replayed: c.req.query("replayed") });
    if (cursor) {
      where.push("(created_at < ? OR (created_at = ? AND id < ?))");
      binds.push(cursor[0], cursor[0], cursor[1]);
    }
    const rows = (
      await c.env.DB.prepare(`SELECT * FROM dead_letters ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY created_at DESC, id DESC LIMIT ?`)
        .bind(...binds, limit + 1)
        .all<DeadLetterRow>()
    ).results;
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return c.json({ deadLetters: page.map(summary), nextCursor: rows.length > limit && last ? encodeCursor([last.created_at, last.id]) : null });
  });

  app.post("/replay", async (c) => {
    let body: unknown = {};
    const text = await c.req.text();
    if (text.trim()) {
      try {
        body = JSON.parse(text) as unknown;
      } catch {
        throw new AppError(400, "invalid_json", "body is not valid JSON");
      }
    }
    const parsed = v.safeParse(BulkReplay, body);
    if (!parsed.success) throw new AppError(400, "invalid_body", "bulk replay takes {repo?, plugin?, ids?, force?}", toFieldIssues(parsed.issues));
    const { repo, plugin, ids, force = false } = parsed.output;
    let rows: DeadLetterRow[];
    if (ids) {
      rows = (await Promise.all(ids.map((id) => c.env.DB.prepare(`SELECT * FROM dead_letters WHERE id = ?`).bind(id).first<DeadLetterRow>()))).filter((r): r is DeadLetterRow => r !== null);
    } else {
      const { where, binds } = filters({ repo, plugin, replayed: force ? "all" : "false" });
      rows = (await c.env.DB.prepare(`SELECT * FROM dead_letters ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY created_at LIMIT 500`).bind(...binds).all<DeadLetterRow>()).results;
    }
    const results: Array<{ id: string; status: ReplayStatus; reason?: string }> = [];
    for (const row of rows) {
      const { status, reason } = await replayDeadLetter(c.env, row, force);
      results.push({ id: row.id, status, ...(reason ? { reason } : {}) });
    }
    const replayed = results.filter((r) => r.status === "replayed").length;
    return c.json({ replayed, skipped: results.length - replayed, results });
  });

  app.get("/:id", async (c) => {
    const row = await find(c.env.DB, c.req.param("id"));
    return c.json({ deadLetter: { ...summary(row), body: JSON.parse(row.body) as unknown } });
  });

  app.post("/:id/replay", async (c) => {
    const row = await find(c.env.DB, c.req.param("id"));
    const { status, reason, eventId } = await replayDeadLetter(c.env, row, c.req.query("force") === "true");
    return c.json({ id: row.id, status, eventId: eventId ?? null, ...(reason ? { reason } : {}) });
  });

  app.delete("/:id", async (c) => {
    const id = c.req.param("id");
    const result = await c.env.DB.prepare(`DELETE FROM dead_letters WHERE id = ?`).bind(id).run();
    if (result.meta.changes === 0) throw new AppError(404, "not_found", `no dead letter ${id}`);
    return c.json({ id, deleted: true });
  });
  return app;
}
