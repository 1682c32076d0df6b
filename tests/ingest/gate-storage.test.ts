import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { DELIVERY_MEMORY_MS, RepoGate } from "../../workers/durable/repo-gate";
import { unique } from "../helpers/send";

describe("the gate's storage", () => {
  it("moves an older gate's bucket into its stats row, and keeps the rate limit where it was", async () => {
    await runInDurableObject(env.REPO_GATE.getByName(`repo:o/old-${unique()}`), async (_instance: RepoGate, state) => {
      const sql = state.storage.sql;
      // The schema before: the bucket in a table of its own, stats without its columns.
      sql.exec(`ALTER TABLE stats DROP COLUMN tokens`);
      sql.exec(`ALTER TABLE stats DROP COLUMN updated_ms`);
      sql.exec(`INSERT INTO bucket (id, tokens, updated_ms) VALUES (1, 2.5, ?)`, Date.now());
      const gate = new RepoGate(state, env);
      await state.blockConcurrencyWhile(async () => {});
      const now = Date.now();
      const outcomes = ["a", "b", "c"].map((id) => gate.admit({ eventId: id, nowMs: now, perMinute: 1, burst: 100 }).outcome);
      expect(outcomes).toEqual(["admitted", "admitted", "rate_limited"]);
      expect(sql.exec(`SELECT admitted, rate_limited, tokens < 1 AS empty FROM stats`).one()).toEqual({ admitted: 2, rate_limited: 1, empty: 1 });
    });
  });

  it("forgets deliveries older than a day, in arrival order, and keeps the rest", async () => {
    await runInDurableObject(env.REPO_GATE.getByName(`repo:o/forget-${unique()}`), async (gate: RepoGate, state) => {
      const now = Date.now();
      const old = now - DELIVERY_MEMORY_MS - 60_000;
      for (const id of ["old-1", "old-2"]) expect(gate.admit({ eventId: id, nowMs: old, perMinute: 600, burst: 120 }).outcome).toBe("admitted");
      expect(gate.admit({ eventId: "new-1", nowMs: now, perMinute: 600, burst: 120 }).outcome).toBe("admitted");
      await gate.alarm();
      expect(state.storage.sql.exec<{ event_id: string }>(`SELECT event_id FROM deliveries ORDER BY rowid`).toArray().map((r) => r.event_id)).toEqual(["new-1"]);
      // Forgotten: the same delivery again is new; the remembered one is still a duplicate.
      expect(gate.admit({ eventId: "old-1", nowMs: now, perMinute: 600, burst: 120 }).outcome).toBe("admitted");
      expect(gate.admit({ eventId: "new-1", nowMs: now, perMinute: 600, burst: 120 }).outcome).toBe("duplicate");
      // The admission writes the delivery's row and its primary key only (no index on the time).
      expect(state.storage.sql.exec(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'deliveries' AND name NOT LIKE 'sqlite_autoindex%'`).toArray()).toEqual([]);
    });
  });
});
