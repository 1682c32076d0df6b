import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { AggregateMessage } from "../../shared/queue-message";
import { DELIVERY_MEMORY_MS, RepoGate, STATS_PERSIST_MS, type AdmitRequest } from "../../workers/durable/repo-gate";
import { RecordingQueue } from "../helpers/kernel";
import { unique } from "../helpers/send";

/** Rows SQLite changed since the object's database was opened (INSERT, UPDATE, DELETE). */
const changes = (sql: SqlStorage) => sql.exec<{ n: number }>(`SELECT total_changes() AS n`).one().n;

/** Runs the gate's alarm with the events queue recorded: what it forwarded. */
async function forward(gate: RepoGate): Promise<AggregateMessage[]> {
  const events = new RecordingQueue();
  (gate as unknown as { env: Env }).env = { ...env, EVENTS: events as unknown as Queue };
  await gate.alarm();
  return events.sent as AggregateMessage[];
}

const gathered = (id: string, nowMs: number, key = "k"): AdmitRequest => ({
  eventId: id,
  nowMs,
  perMinute: 6000,
  burst: 1000,
  sample: { message: '{"failure":{}}', receivedAt: new Date(nowMs).toISOString() },
  gather: { key, gatherMs: 1000 },
});

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
      expect(gate.stats()).toMatchObject({ admitted: 2, duplicates: 0, rateLimited: 1 });
      await forward(gate);
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

  it("an admitted event changes one row, its delivery, also when gathered; the aggregate's count is read off the deliveries", async () => {
    await runInDurableObject(env.REPO_GATE.getByName(`repo:o/one-row-${unique()}`), async (gate: RepoGate, state) => {
      const sql = state.storage.sql;
      const now = Date.now();
      // The failure's first event (sent on its own), then the first gathered one opens the aggregate (its row, once);
      // the gathered ones 0, 300, …, 1500 ms after it are in steps 0–4 and 6.
      expect(gate.admit(gathered("first", now))).toEqual({ outcome: "admitted" });
      expect(gate.admit(gathered("g0", now))).toEqual({ outcome: "admitted", gathered: true });
      for (let i = 1; i <= 5; i++) {
        const before = changes(sql);
        expect(gate.admit(gathered(`g${i}`, now + i * 300))).toEqual({ outcome: "admitted", gathered: true });
        expect(changes(sql) - before).toBe(1);
      }
      // A duplicate changes nothing and is not counted.
      const before = changes(sql);
      expect(gate.admit(gathered("g3", now + 2000))).toEqual({ outcome: "duplicate" });
      expect(changes(sql) - before).toBe(0);
      expect(sql.exec(`SELECT count FROM gather_open`).one().count).toBe(0);
      const sent = await forward(gate);
      expect(sent).toHaveLength(1);
      expect(sent[0]).toMatchObject({ type: "gathered", count: 6, firstAt: new Date(now).toISOString(), arrivals: [1, 1, 1, 1, 1, 0, 1] });
      // Forwarded once: the next alarm sends nothing more; the next events open a new aggregate, counted from zero.
      expect(await forward(gate)).toEqual([]);
      expect(gate.admit(gathered("h0", now + 3000))).toEqual({ outcome: "admitted", gathered: true });
      expect(await forward(gate)).toMatchObject([{ type: "gathered", count: 1 }]);
    });
  });

  it("writes the bucket and the counts within STATS_PERSIST_MS, and a restarted gate goes on from them", async () => {
    await runInDurableObject(env.REPO_GATE.getByName(`repo:o/persist-${unique()}`), async (gate: RepoGate, state) => {
      const now = Date.now();
      const limit = { perMinute: 1, burst: 2 };
      expect(gate.admit({ eventId: "a", nowMs: now, ...limit }).outcome).toBe("admitted");
      const alarm = await state.storage.getAlarm();
      expect(alarm).not.toBeNull();
      expect(alarm ?? Infinity).toBeLessThanOrEqual(now + STATS_PERSIST_MS);
      expect(gate.admit({ eventId: "a", nowMs: now, ...limit }).outcome).toBe("duplicate");
      await forward(gate);
      expect(state.storage.sql.exec(`SELECT admitted, duplicates, rate_limited FROM stats`).one()).toEqual({ admitted: 1, duplicates: 1, rate_limited: 0 });
      // A new instance over the same storage (a restart): one token left, then empty.
      const restarted = new RepoGate(state, env);
      await state.blockConcurrencyWhile(async () => {});
      expect(restarted.stats()).toMatchObject({ admitted: 1, duplicates: 1 });
      expect([restarted.admit({ eventId: "b", nowMs: now, ...limit }).outcome, restarted.admit({ eventId: "c", nowMs: now, ...limit }).outcome]).toEqual(["admitted", "rate_limited"]);
    });
  });

  it("counts gathered events again from the first delivery once every delivery was forgotten (rowids start over)", async () => {
    await runInDurableObject(env.REPO_GATE.getByName(`repo:o/rowids-${unique()}`), async (gate: RepoGate, state) => {
      const old = Date.now() - DELIVERY_MEMORY_MS - 60_000;
      for (const id of ["o0", "o1", "o2", "o3"]) gate.admit(gathered(id, old));
      // Forwarded (three gathered), then all four forgotten: the table is empty.
      expect(await forward(gate)).toMatchObject([{ type: "gathered", count: 3 }]);
      expect(state.storage.sql.exec(`SELECT COUNT(*) AS n FROM deliveries`).one().n).toBe(0);
      const now = Date.now();
      for (const id of ["n0", "n1", "n2"]) gate.admit(gathered(id, now, "k2"));
      expect(await forward(gate)).toMatchObject([{ type: "gathered", count: 2 }]);
    });
  });

  it("an aggregate a gate counted in its row before (an earlier design) is forwarded with both counts", async () => {
    await runInDurableObject(env.REPO_GATE.getByName(`repo:o/legacy-${unique()}`), async (_instance: RepoGate, state) => {
      const now = Date.now();
      state.storage.sql.exec(`INSERT INTO gather_open (key, count, first_at, sample, first_ms, arrivals) VALUES ('k', 4, ?, '{"failure":{}}', ?, '{"s0":3,"s1":1}')`, new Date(now).toISOString(), now);
      const gate = new RepoGate(state, env);
      await state.blockConcurrencyWhile(async () => {});
      gate.admit(gathered("first", now));
      expect(gate.admit(gathered("e1", now + 600))).toEqual({ outcome: "admitted", gathered: true });
      expect(await forward(gate)).toMatchObject([{ type: "gathered", count: 5, arrivals: [3, 1, 1] }]);
    });
  });
});
