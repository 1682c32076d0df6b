import { DurableObject } from "cloudflare:workers";
import { ARRIVAL_STEP_MS, ARRIVAL_STEPS, arrivalSteps } from "../../shared/arrivals";
import type { AggregateMessage, ShedMessage } from "../../shared/queue-message";

/** How long a delivery's id is remembered, so a kernel retry within it is enqueued once. */
export const DELIVERY_MEMORY_MS = 24 * 60 * 60 * 1000;
/** Events shed by the rate limit are forwarded to their clusters as one message per fingerprint this often. */
export const SHED_INTERVAL_MS = 2_000;
/** When the queue refused the shed aggregates: how soon the gate tries again. */
export const SHED_RETRY_MS = 10_000;

/** Bytes of one sendBatch call: Cloudflare Queues take at most 256 KB (and 100 messages) per call. */
const SEND_BATCH_BYTES = 200 * 1024;

/** The outbox's rows in sendBatch-sized chunks (each message is under 128 KB: bounded at ingest). */
function sendable(rows: ReadonlyArray<{ id: string; body: string }>): Array<Array<{ id: string; body: string }>> {
  const chunks: Array<Array<{ id: string; body: string }>> = [];
  let chunk: Array<{ id: string; body: string }> = [];
  let bytes = 0;
  const encoder = new TextEncoder();
  for (const row of rows) {
    const size = encoder.encode(row.body).byteLength + 100;
    if (chunk.length > 0 && (bytes + size > SEND_BATCH_BYTES || chunk.length >= 100)) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(row);
    bytes += size;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

/** What an event is counted as, should it be shed or gathered: its aggregate's key and a sample. */
export interface ShedSample {
  /** Aggregates are kept per key: the fingerprint (or, before the repo is resolved, the provisional one). */
  key: string;
  /**
   * The aggregate's sample, `Pick<ShedMessage, "failure" | "settings" | "fingerprint">` as JSON: sent as text, since
   * it is stored as text and read only when the event is shed (every admission carries it; cloning a string is
   * cheap, an object graph is not).
   */
  message: string;
  /** When the event reached ingest (the sample's `failure.receivedAt`, apart so the gate need not parse the text). */
  receivedAt: string;
}

/** The sample a `ShedSample` carries. */
export type ShedSampleMessage = Pick<ShedMessage, "failure" | "settings" | "fingerprint" | "grouping">;

/** How long a failure stays known to its gate after its last event: its next event within this is gathered. */
export const GATHER_MEMORY_MS = 10 * 60_000;
/** Failures a gate keeps in memory as known (the oldest forgotten first: their next event is sent on its own). */
const GATHER_KNOWN_MAX = 1_000;

export interface AdmitRequest {
  eventId: string;
  nowMs: number;
  perMinute: number;
  burst: number;
  /**
   * The event's sample (sent once: the shed and the gathered aggregate share it). Absent: a shed event is not
   * counted, and nothing is gathered.
   */
  sample?: Pick<ShedSample, "message" | "receivedAt">;
  /** Counted into this key's aggregate should the event be shed (contract: exact counts even when ingest sheds). */
  shedKey?: string;
  /**
   * Admitted, the event may be gathered: counted into its key's open aggregate, forwarded within `gatherMs` as one
   * message with the others — unless its failure is new to the gate (then ingest enqueues it at once, so a new
   * failure is never held back). Absent, or `gatherMs` 0: never gathered.
   */
  gather?: { key: string; gatherMs: number };
}

export type AdmitResult =
  | { outcome: "admitted"; gathered?: true }
  | { outcome: "duplicate" }
  | { outcome: "rate_limited"; retryAfterSeconds: number };

export interface GateStats {
  admitted: number;
  duplicates: number;
  rateLimited: number;
  tokens: number;
}

interface BucketRow extends Record<string, SqlStorageValue> {
  tokens: number | null;
  updated_ms: number | null;
}

/**
 * One per target repo: the exact per-repo rate limit (a token bucket in SQLite, serialised by the object), the
 * memory of deliveries already enqueued, and the events it shed, aggregated per fingerprint and forwarded to
 * their clusters every SHED_INTERVAL_MS (so they are counted although not enqueued one by one). One RPC per
 * event decides all three.
 */
export class RepoGate extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private alarmAtMs: number | null = null;
  /** When the oldest remembered delivery is due to be forgotten (null: not known yet — cleaned at the next alarm). */
  private cleanupAtMs: number | null = null;
  /** Failures (gather keys) this gate has seen lately, by when it last did: a known one's events are gathered. */
  private readonly known = new Map<string, number>();
  /** The bucket's row, read once (the object serialises every change, each written through). */
  private bucket: { tokens: number; updatedMs: number } | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    void ctx.blockConcurrencyWhile(async () => {
      // The bucket row of gates made before it moved into `stats` (read once, below, then no longer written).
      this.sql.exec(`CREATE TABLE IF NOT EXISTS bucket (id INTEGER PRIMARY KEY CHECK (id = 1), tokens REAL NOT NULL, updated_ms INTEGER NOT NULL)`);
      // Deliveries are kept in arrival order (rowid), which is their time order: no index on the time, so an
      // admission writes two B-trees, not three; the old index, where an earlier version made it, is dropped.
      this.sql.exec(`CREATE TABLE IF NOT EXISTS deliveries (event_id TEXT PRIMARY KEY, seen_ms INTEGER NOT NULL)`);
      this.sql.exec(`DROP INDEX IF EXISTS deliveries_seen_ms`);
      // Shed events not yet forwarded: open aggregates (one per key), then closed ones waiting to be sent.
      this.sql.exec(`CREATE TABLE IF NOT EXISTS shed_open (key TEXT PRIMARY KEY, count INTEGER NOT NULL, first_at TEXT NOT NULL, sample TEXT NOT NULL)`);
      this.sql.exec(`CREATE TABLE IF NOT EXISTS shed_outbox (id TEXT PRIMARY KEY, body TEXT NOT NULL)`);
      // Admitted events of known failures gathered for their next forward (issue 14): like shed_open.
      this.sql.exec(`CREATE TABLE IF NOT EXISTS gather_open (key TEXT PRIMARY KEY, count INTEGER NOT NULL, first_at TEXT NOT NULL, sample TEXT NOT NULL)`);
      this.sql.exec(`CREATE TABLE IF NOT EXISTS shed_seq (id INTEGER PRIMARY KEY CHECK (id = 1), next INTEGER NOT NULL)`);
      this.sql.exec(`CREATE TABLE IF NOT EXISTS stats (id INTEGER PRIMARY KEY CHECK (id = 1), admitted INTEGER NOT NULL, duplicates INTEGER NOT NULL, rate_limited INTEGER NOT NULL)`);
      this.sql.exec(`INSERT OR IGNORE INTO stats (id, admitted, duplicates, rate_limited) VALUES (1, 0, 0, 0)`);
      // The bucket lives in the stats row (one UPDATE per admission writes both); an older gate's bucket row is read once.
      if (!this.sql.exec(`SELECT * FROM stats LIMIT 0`).columnNames.includes("tokens")) {
        this.sql.exec(`ALTER TABLE stats ADD COLUMN tokens REAL`);
        this.sql.exec(`ALTER TABLE stats ADD COLUMN updated_ms INTEGER`);
        this.sql.exec(`UPDATE stats SET tokens = (SELECT tokens FROM bucket WHERE id = 1), updated_ms = (SELECT updated_ms FROM bucket WHERE id = 1) WHERE id = 1`);
      }
      this.sql.exec(`CREATE TABLE IF NOT EXISTS autofix_claims (day TEXT NOT NULL, fingerprint TEXT NOT NULL, PRIMARY KEY (day, fingerprint))`);
      // Open aggregates keep their first event's time and their events' arrival steps (shared/arrivals.ts).
      for (const table of ["shed_open", "gather_open"]) {
        if (this.sql.exec(`SELECT * FROM ${table} LIMIT 0`).columnNames.includes("first_ms")) continue;
        this.sql.exec(`ALTER TABLE ${table} ADD COLUMN first_ms INTEGER`);
        this.sql.exec(`ALTER TABLE ${table} ADD COLUMN arrivals TEXT`);
      }
      const row = this.sql.exec<BucketRow>(`SELECT tokens, updated_ms FROM stats WHERE id = 1`).one();
      this.bucket = row.tokens !== null && row.updated_ms !== null ? { tokens: row.tokens, updatedMs: row.updated_ms } : null;
      this.alarmAtMs = await ctx.storage.getAlarm();
    });
  }

  /** Admits an event unless it was already admitted (duplicate) or the repo's bucket is empty (rate limited). */
  admit(request: AdmitRequest): AdmitResult {
    // Remembered at once (one statement decides duplicate or new); forgotten again should it be refused uncounted.
    if (this.sql.exec(`INSERT INTO deliveries (event_id, seen_ms) VALUES (?, ?) ON CONFLICT (event_id) DO NOTHING`, request.eventId, request.nowMs).rowsWritten === 0) {
      this.sql.exec(`UPDATE stats SET duplicates = duplicates + 1 WHERE id = 1`);
      return { outcome: "duplicate" };
    }
    const refillPerMs = request.perMinute / 60_000;
    const tokens = this.refilled(request.nowMs, request.burst, refillPerMs);
    if (tokens < 1) {
      this.setBucket(tokens, request.nowMs, "rate_limited");
      if (request.shedKey !== undefined && request.sample) {
        // Still counted: into its key's open aggregate (remembered as a delivery, so a retry counts it once).
        this.countInto("shed_open", { key: request.shedKey, ...request.sample }, request.nowMs);
        this.wakeAt(request.nowMs + SHED_INTERVAL_MS);
      } else {
        this.sql.exec(`DELETE FROM deliveries WHERE event_id = ?`, request.eventId);
      }
      const retryAfterSeconds = refillPerMs > 0 ? Math.max(1, Math.ceil((1 - tokens) / refillPerMs / 1000)) : 60;
      return { outcome: "rate_limited", retryAfterSeconds };
    }
    this.setBucket(tokens - 1, request.nowMs, "admitted");
    this.wakeAt(request.nowMs + DELIVERY_MEMORY_MS + 60_000);
    if (request.gather && request.sample && request.gather.gatherMs > 0 && this.isKnown(request.gather.key, request.nowMs)) {
      this.countInto("gather_open", { key: request.gather.key, ...request.sample }, request.nowMs);
      this.wakeAt(request.nowMs + request.gather.gatherMs);
      return { outcome: "admitted", gathered: true };
    }
    return { outcome: "admitted" };
  }

  /**
   * Adds one event to its key's open aggregate: a count while it is open (the sample stays the first one's), and one
   * in its arrival step (`{"s<step>": n}`, the step computed from the aggregate's `first_ms`; one statement).
   */
  private countInto(table: "shed_open" | "gather_open", sample: ShedSample, nowMs: number): void {
    // A bound JS number is a REAL in SQLite: the step is cast to an integer (truncated; negative ones are step 0).
    const step = `'$.s' || max(0, min(${ARRIVAL_STEPS - 1}, CAST((? - first_ms) / ${ARRIVAL_STEP_MS} AS INTEGER)))`;
    const counted = this.sql.exec(
      `UPDATE ${table} SET count = count + 1, arrivals = CASE WHEN first_ms IS NULL OR arrivals IS NULL THEN NULL ELSE json_set(arrivals, ${step}, coalesce(json_extract(arrivals, ${step}), 0) + 1) END WHERE key = ?`,
      nowMs,
      nowMs,
      sample.key,
    );
    if (counted.rowsWritten > 0) return;
    this.sql.exec(`INSERT INTO ${table} (key, count, first_at, sample, first_ms, arrivals) VALUES (?, 1, ?, ?, ?, '{"s0":1}')`, sample.key, sample.receivedAt, sample.message, nowMs);
  }

  /** Whether the gate saw this failure within GATHER_MEMORY_MS (and notes that it sees it now). */
  private isKnown(key: string, nowMs: number): boolean {
    const last = this.known.get(key);
    this.known.delete(key);
    if (this.known.size >= GATHER_KNOWN_MAX) {
      const oldest = this.known.keys().next().value;
      if (oldest !== undefined) this.known.delete(oldest);
    }
    this.known.set(key, nowMs);
    return last !== undefined && nowMs - last < GATHER_MEMORY_MS;
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
    return { admitted: row.admitted, duplicates: row.duplicates, rateLimited: row.rate_limited, tokens: this.bucket?.tokens ?? -1 };
  }

  /**
   * Forwards the shed aggregates (one message per key, each with an id of its own, so a redelivery counts once)
   * and forgets deliveries older than `DELIVERY_MEMORY_MS`; reschedules itself while anything remains.
   */
  override async alarm(): Promise<void> {
    this.alarmAtMs = null;
    const now = Date.now();
    // Deliveries older than a day are forgotten when the oldest is due (not on every forward): those before the
    // first one still remembered, in arrival order — a read as long as what it forgets, not a scan of the table.
    if (this.cleanupAtMs === null || now >= this.cleanupAtMs) {
      const kept = this.sql.exec<{ id: number }>(`SELECT rowid AS id FROM deliveries WHERE seen_ms >= ? ORDER BY rowid LIMIT 1`, now - DELIVERY_MEMORY_MS).toArray()[0];
      if (kept) this.sql.exec(`DELETE FROM deliveries WHERE rowid < ?`, kept.id);
      else this.sql.exec(`DELETE FROM deliveries`);
    }
    // Close the open aggregates into the outbox — read and written with no await between (events shed meanwhile
    // open new aggregates, sent next time).
    type OpenRow = { key: string; count: number; first_at: string; sample: string; arrivals: string | null };
    const open = [
      ...this.sql.exec<OpenRow>(`SELECT key, count, first_at, sample, arrivals FROM shed_open`).toArray().map((row) => ({ row, type: "shed" as const })),
      ...this.sql.exec<OpenRow>(`SELECT key, count, first_at, sample, arrivals FROM gather_open`).toArray().map((row) => ({ row, type: "gathered" as const })),
    ];
    if (open.length > 0) {
      let next = this.sql.exec<{ next: number }>(`SELECT next FROM shed_seq WHERE id = 1`).toArray()[0]?.next ?? 1;
      for (const { row, type } of open) {
        // The message's JSON written around the sample's (an object's text: its fields follow ours), not parsed.
        const id = `${type === "shed" ? "shed" : "gather"}:${this.ctx.id.toString()}:${next++}`;
        const arrivals = arrivalSteps(row.arrivals);
        const head = JSON.stringify({ version: 1, type, id, count: row.count, firstAt: row.first_at, ...(arrivals ? { arrivals } : {}) } satisfies Omit<AggregateMessage, keyof ShedSampleMessage>);
        this.sql.exec(`INSERT INTO shed_outbox (id, body) VALUES (?, ?)`, id, `${head.slice(0, -1)},${row.sample.slice(1)}`);
      }
      this.sql.exec(`INSERT INTO shed_seq (id, next) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET next = excluded.next`, next);
      this.sql.exec(`DELETE FROM shed_open`);
      this.sql.exec(`DELETE FROM gather_open`);
    }
    const outbox = this.sql.exec<{ id: string; body: string }>(`SELECT id, body FROM shed_outbox ORDER BY id LIMIT 100`).toArray();
    for (const chunk of sendable(outbox)) {
      try {
        await this.env.EVENTS.sendBatch(chunk.map((row) => ({ body: JSON.parse(row.body) as AggregateMessage, contentType: "json" as const })));
        for (const row of chunk) this.sql.exec(`DELETE FROM shed_outbox WHERE id = ?`, row.id);
      } catch (error) {
        // Kept (same ids): sent again soon; the clusters count each aggregate once should it have gone out.
        console.error(JSON.stringify({ msg: "counted events not forwarded; retrying", aggregates: chunk.length, error: error instanceof Error ? error.message : String(error) }));
        this.wakeAt(Date.now() + SHED_RETRY_MS);
        break;
      }
    }
    const pending = this.sql.exec<{ n: number }>(`SELECT (SELECT COUNT(*) FROM shed_open) + (SELECT COUNT(*) FROM gather_open) + (SELECT COUNT(*) FROM shed_outbox) AS n`).one().n;
    if (pending > 0) this.wakeAt(Date.now() + SHED_INTERVAL_MS);
    const oldest = this.sql.exec<{ seen_ms: number }>(`SELECT seen_ms FROM deliveries ORDER BY rowid LIMIT 1`).toArray()[0]?.seen_ms ?? null;
    this.cleanupAtMs = oldest === null ? null : oldest + DELIVERY_MEMORY_MS;
    if (oldest !== null) this.wakeAt(oldest + DELIVERY_MEMORY_MS + 60_000);
  }

  private refilled(nowMs: number, burst: number, refillPerMs: number): number {
    if (!this.bucket) return burst;
    const elapsed = Math.max(0, nowMs - this.bucket.updatedMs);
    return Math.min(burst, this.bucket.tokens + elapsed * refillPerMs);
  }

  /** Writes the bucket through (its columns of the stats row, with the outcome counted, and the copy read by `refilled`). */
  private setBucket(tokens: number, updatedMs: number, outcome: "admitted" | "rate_limited"): void {
    this.sql.exec(`UPDATE stats SET tokens = ?, updated_ms = ?, ${outcome} = ${outcome} + 1 WHERE id = 1`, tokens, updatedMs);
    this.bucket = { tokens, updatedMs };
  }

  /** Keeps one alarm at the earliest time anything is due. */
  private wakeAt(ms: number): void {
    if (this.alarmAtMs !== null && this.alarmAtMs <= ms && this.alarmAtMs > Date.now()) return;
    this.alarmAtMs = ms;
    void this.ctx.storage.setAlarm(ms);
  }
}
