import { DurableObject } from "cloudflare:workers";

/** How long a delivery's id is remembered, so a kernel retry within it is enqueued once. */
export const DELIVERY_MEMORY_MS = 24 * 60 * 60 * 1000;

export interface AdmitRequest {
  eventId: string;
  nowMs: number;
  perMinute: number;
  burst: number;
}

export type AdmitResult =
  | { outcome: "admitted" }
  | { outcome: "duplicate" }
  | { outcome: "rate_limited"; retryAfterSeconds: number };

export interface GateStats {
  admitted: number;
  duplicates: number;
  rateLimited: number;
  tokens: number;
}

interface BucketRow extends Record<string, SqlStorageValue> {
  tokens: number;
  updated_ms: number;
}

/**
 * One per target repo: the exact per-repo rate limit (a token bucket in SQLite, serialised by the object) and
 * the memory of deliveries already enqueued. One RPC per accepted event decides both.
 */
export class RepoGate extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private alarmPending = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    void ctx.blockConcurrencyWhile(async () => {
      this.sql.exec(`CREATE TABLE IF NOT EXISTS bucket (id INTEGER PRIMARY KEY CHECK (id = 1), tokens REAL NOT NULL, updated_ms INTEGER NOT NULL)`);
      this.sql.exec(`CREATE TABLE IF NOT EXISTS deliveries (event_id TEXT PRIMARY KEY, seen_ms INTEGER NOT NULL)`);
      this.sql.exec(`CREATE TABLE IF NOT EXISTS stats (id INTEGER PRIMARY KEY CHECK (id = 1), admitted INTEGER NOT NULL, duplicates INTEGER NOT NULL, rate_limited INTEGER NOT NULL)`);
      this.sql.exec(`INSERT OR IGNORE INTO stats (id, admitted, duplicates, rate_limited) VALUES (1, 0, 0, 0)`);
      this.sql.exec(`CREATE TABLE IF NOT EXISTS autofix_claims (day TEXT NOT NULL, fingerprint TEXT NOT NULL, PRIMARY KEY (day, fingerprint))`);
      this.alarmPending = (await ctx.storage.getAlarm()) !== null;
    });
  }

  /** Admits an event unless it was already admitted (duplicate) or the repo's bucket is empty (rate limited). */
  admit(request: AdmitRequest): AdmitResult {
    const seen = this.sql.exec(`SELECT 1 FROM deliveries WHERE event_id = ?`, request.eventId).toArray();
    if (seen.length > 0) {
      this.sql.exec(`UPDATE stats SET duplicates = duplicates + 1 WHERE id = 1`);
      return { outcome: "duplicate" };
    }
    const refillPerMs = request.perMinute / 60_000;
    const tokens = this.refilled(request.nowMs, request.burst, refillPerMs);
    if (tokens < 1) {
      this.sql.exec(`UPDATE stats SET rate_limited = rate_limited + 1 WHERE id = 1`);
      this.sql.exec(`UPDATE bucket SET tokens = ?, updated_ms = ? WHERE id = 1`, tokens, request.nowMs);
      const retryAfterSeconds = refillPerMs > 0 ? Math.max(1, Math.ceil((1 - tokens) / refillPerMs / 1000)) : 60;
      return { outcome: "rate_limited", retryAfterSeconds };
    }
    this.sql.exec(`UPDATE bucket SET tokens = ?, updated_ms = ? WHERE id = 1`, tokens - 1, request.nowMs);
    this.sql.exec(`INSERT INTO deliveries (event_id, seen_ms) VALUES (?, ?)`, request.eventId, request.nowMs);
    this.sql.exec(`UPDATE stats SET admitted = admitted + 1 WHERE id = 1`);
    this.scheduleSweep(request.nowMs);
    return { outcome: "admitted" };
  }

  /** Undoes an admission whose enqueue failed: the delivery is forgotten and its token given back. */
  release(eventId: string, burst: number): void {
    const removed = this.sql.exec(`DELETE FROM deliveries WHERE event_id = ?`, eventId).rowsWritten;
    if (removed > 0) {
      this.sql.exec(`UPDATE bucket SET tokens = MIN(?, tokens + 1) WHERE id = 1`, burst);
      this.sql.exec(`UPDATE stats SET admitted = admitted - 1 WHERE id = 1`);
    }
  }

  /**
   * Claims one of the repo's `cap` auto-fix PRs for the UTC `day`. Idempotent per fingerprint (a retried step
   * does not claim twice); exact, since the object serialises claims.
   */
  claimAutofix(day: string, fingerprint: string, cap: number): boolean {
    if (this.sql.exec(`SELECT 1 FROM autofix_claims WHERE day = ? AND fingerprint = ?`, day, fingerprint).toArray().length) return true;
    const used = this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM autofix_claims WHERE day = ?`, day).one().n;
    if (used >= cap) return false;
    this.sql.exec(`INSERT INTO autofix_claims (day, fingerprint) VALUES (?, ?)`, day, fingerprint);
    this.sql.exec(`DELETE FROM autofix_claims WHERE day < ?`, new Date(Date.parse(day) - 7 * 86_400_000).toISOString().slice(0, 10));
    return true;
  }

  stats(): GateStats {
    const row = this.sql.exec<{ admitted: number; duplicates: number; rate_limited: number }>(`SELECT admitted, duplicates, rate_limited FROM stats WHERE id = 1`).one();
    const bucket = this.sql.exec<BucketRow>(`SELECT tokens, updated_ms FROM bucket WHERE id = 1`).toArray()[0];
    return { admitted: row.admitted, duplicates: row.duplicates, rateLimited: row.rate_limited, tokens: bucket?.tokens ?? -1 };
  }

  /** Forgets deliveries older than `DELIVERY_MEMORY_MS`; reschedules itself while any remain. */
  override async alarm(): Promise<void> {
    this.alarmPending = false;
    const now = Date.now();
    this.sql.exec(`DELETE FROM deliveries WHERE seen_ms < ?`, now - DELIVERY_MEMORY_MS);
    const oldest = this.sql.exec<{ seen_ms: number | null }>(`SELECT MIN(seen_ms) AS seen_ms FROM deliveries`).one().seen_ms;
    if (oldest !== null) this.scheduleSweep(oldest);
  }

  private refilled(nowMs: number, burst: number, refillPerMs: number): number {
    const row = this.sql.exec<BucketRow>(`SELECT tokens, updated_ms FROM bucket WHERE id = 1`).toArray()[0];
    if (!row) {
      this.sql.exec(`INSERT INTO bucket (id, tokens, updated_ms) VALUES (1, ?, ?)`, burst, nowMs);
      return burst;
    }
    const elapsed = Math.max(0, nowMs - row.updated_ms);
    return Math.min(burst, row.tokens + elapsed * refillPerMs);
  }

  private scheduleSweep(fromMs: number): void {
    if (this.alarmPending) return;
    this.alarmPending = true;
    void this.ctx.storage.setAlarm(fromMs + DELIVERY_MEMORY_MS + 60_000);
  }
}
