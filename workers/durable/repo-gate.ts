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

/** How soon the bucket and the outcome counts, kept in memory, are written after they change. */
export const STATS_PERSIST_MS = 1_000;

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

interface StatsRow extends Record<string, SqlStorageValue> {
  admitted: number;
  duplicates: number;
  rate_limited: number;
  tokens: number | null;
  updated_ms: number | null;
  gathered_to: number | null;
}

/**
 * One per target repo: the per-repo rate limit (a token bucket, serialised by the object), the memory of
 * deliveries already enqueued, and the events it shed or gathered, aggregated per fingerprint and forwarded to
 * their clusters every SHED_INTERVAL_MS (so they are counted although not enqueued one by one). One RPC per
 * event decides all three.
 *
 * An admitted event costs one row: its delivery (which also says which open aggregate it was gathered into, so
 * the aggregate's count is read off the deliveries when it is forwarded — durable before the answer, like the
 * delivery). The bucket and the outcome counts live in memory and are written within STATS_PERSIST_MS; after a
 * crash the bucket forgets at most that long's admissions (the repo may admit that many more), never an event.
 */
export class RepoGate extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private alarmAtMs: number | null = null;
  /** When the oldest remembered delivery is due to be forgotten (null: not known yet — cleaned at the next alarm). */
  private cleanupAtMs: number | null = null;
  /** Failures (gather keys) this gate has seen lately, by when it last did: a known one's events are gathered. */
  private readonly known = new Map<string, number>();
  /** The bucket, read once; written with the counts within STATS_PERSIST_MS of a change. */
  private bucket: { tokens: number; updatedMs: number } | null = null;
  /** Outcome counts since the gate was made (the stats row, read once, written with the bucket). */
  private counts = { admitted: 0, duplicates: 0, rateLimited: 0 };
  /** Whether the bucket or the counts changed since they were last written. */
  private dirty = false;
  /** The open gathered aggregates: key → its gather_open rowid, which its events' deliveries carry. */
  private readonly openGathers = new Map<string, number>();
  /** The last delivery (rowid) whose gathered event was forwarded: later ones are in the open aggregates. */
  private gatheredTo = 0;

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
      // A gathered event's delivery names its open aggregate (the rowid of its gather_open row): counted from there.
      if (!this.sql.exec(`SELECT * FROM deliveries LIMIT 0`).columnNames.includes("gather_id")) this.sql.exec(`ALTER TABLE deliveries ADD COLUMN gather_id INTEGER`);
      // Shed events not yet forwarded: open aggregates (one per key), then closed ones waiting to be sent.
      this.sql.exec(`CREATE TABLE IF NOT EXISTS shed_open (key TEXT PRIMARY KEY, count INTEGER NOT NULL, first_at TEXT NOT NULL, sample TEXT NOT NULL)`);
      this.sql.exec(`CREATE TABLE IF NOT EXISTS shed_outbox (id TEXT PRIMARY KEY, body TEXT NOT NULL)`);
      // Admitted events of known failures gathered for their next forward (issue 14): like shed_open.
      this.sql.exec(`CREATE TABLE IF NOT EXISTS gather_open (key TEXT PRIMARY KEY, count INTEGER NOT NULL, first_at TEXT NOT NULL, sample TEXT NOT NULL)`);
      this.sql.exec(`CREATE TABLE IF NOT EXISTS shed_seq (id INTEGER PRIMARY KEY CHECK (id = 1), next INTEGER NOT NULL)`);
      this.sql.exec(`CREATE TABLE IF NOT EXISTS stats (id INTEGER PRIMARY KEY CHECK (id = 1), admitted INTEGER NOT NULL, duplicates INTEGER NOT NULL, rate_limited INTEGER NOT NULL)`);
      this.sql.exec(`INSERT OR IGNORE INTO stats (id, admitted, duplicates, rate_limited) VALUES (1, 0, 0, 0)`);
      // The bucket lives in the stats row (written with the tallies); an older gate's bucket row is read once.
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
      if (!this.sql.exec(`SELECT * FROM stats LIMIT 0`).columnNames.includes("gathered_to")) this.sql.exec(`ALTER TABLE stats ADD COLUMN gathered_to INTEGER`);
      const row = this.sql.exec<StatsRow>(`SELECT admitted, duplicates, rate_limited, tokens, updated_ms, gathered_to FROM stats WHERE id = 1`).one();
      this.bucket = row.tokens !== null && row.updated_ms !== null ? { tokens: row.tokens, updatedMs: row.updated_ms } : null;
      this.counts = { admitted: row.admitted, duplicates: row.duplicates, rateLimited: row.rate_limited };
      this.gatheredTo = row.gathered_to ?? 0;
      for (const open of this.sql.exec<{ id: number; key: string }>(`SELECT rowid AS id, key FROM gather_open`)) this.openGathers.set(open.key, open.id);
      this.alarmAtMs = await ctx.storage.getAlarm();
    });
  }

  /** Admits an event unless it was already admitted (duplicate) or the repo's bucket is empty (rate limited). */
  admit(request: AdmitRequest): AdmitResult {
    const refillPerMs = request.perMinute / 60_000;
    const tokens = this.refilled(request.nowMs, request.burst, refillPerMs);
    if (tokens < 1) return this.refuse(request, tokens, refillPerMs);
    const { gather: asked, sample } = request;
    const gather = asked && sample && asked.gatherMs > 0 && this.isKnown(asked.key, request.nowMs) ? asked : null;
    // A gathered event is counted by its delivery's row: the aggregate it names is opened first (once per interval).
    const open = gather ? this.openGathers.get(gather.key) : undefined;
    const opened = gather && sample && open === undefined ? this.openGather({ key: gather.key, ...sample }, request.nowMs) : null;
    // Remembered at once: one statement decides duplicate or new (and, gathered, counts it).
    if (this.sql.exec(`INSERT INTO deliveries (event_id, seen_ms, gather_id) VALUES (?, ?, ?) ON CONFLICT (event_id) DO NOTHING`, request.eventId, request.nowMs, open ?? opened).rowsWritten === 0) {
      if (opened !== null && gather) {
        this.sql.exec(`DELETE FROM gather_open WHERE rowid = ?`, opened);
        this.openGathers.delete(gather.key);
      }
      return this.tally("duplicate", request.nowMs);
    }
    this.bucket = { tokens: tokens - 1, updatedMs: request.nowMs };
    this.tally("admitted", request.nowMs);
    this.wakeAt(request.nowMs + DELIVERY_MEMORY_MS + 60_000);
    if (gather) {
      this.wakeAt(request.nowMs + gather.gatherMs);
      return { outcome: "admitted", gathered: true };
    }
    return { outcome: "admitted" };
  }

  /** The bucket is empty: counted into its shed aggregate (remembered as a delivery, so a retry counts it once), or not. */
  private refuse(request: AdmitRequest, tokens: number, refillPerMs: number): AdmitResult {
    const { shedKey, sample } = request;
    if (shedKey !== undefined && sample !== undefined) {
      if (this.sql.exec(`INSERT INTO deliveries (event_id, seen_ms) VALUES (?, ?) ON CONFLICT (event_id) DO NOTHING`, request.eventId, request.nowMs).rowsWritten === 0) return this.tally("duplicate", request.nowMs);
      this.countShed({ key: shedKey, ...sample }, request.nowMs);
      this.wakeAt(request.nowMs + SHED_INTERVAL_MS);
    } else if (this.sql.exec(`SELECT 1 FROM deliveries WHERE event_id = ?`, request.eventId).toArray().length > 0) {
      return this.tally("duplicate", request.nowMs);
    }
    this.bucket = { tokens, updatedMs: request.nowMs };
    this.tally("rateLimited", request.nowMs);
    const retryAfterSeconds = refillPerMs > 0 ? Math.max(1, Math.ceil((1 - tokens) / refillPerMs / 1000)) : 60;
    return { outcome: "rate_limited", retryAfterSeconds };
  }

  /** Opens the sample's key's gathered aggregate with its first event's sample; its events' deliveries will name it. */
  private openGather(sample: ShedSample, nowMs: number): number {
    const id = this.sql.exec<{ id: number }>(`INSERT INTO gather_open (key, count, first_at, sample, first_ms, arrivals) VALUES (?, 0, ?, ?, ?, NULL) RETURNING rowid AS id`, sample.key, sample.receivedAt, sample.message, nowMs).one().id;
    this.openGathers.set(sample.key, id);
    return id;
  }

  /** Counts an outcome (in memory: written by an alarm within STATS_PERSIST_MS); a duplicate's is also its answer. */
  private tally(outcome: "duplicate", nowMs: number): AdmitResult;
  private tally(outcome: "admitted" | "rateLimited", nowMs: number): void;
  private tally(outcome: "duplicate" | "admitted" | "rateLimited", nowMs: number): AdmitResult | void {
    this.counts[outcome === "duplicate" ? "duplicates" : outcome]++;
    this.changed(nowMs);
    return outcome === "duplicate" ? { outcome: "duplicate" } : undefined;
  }

  /**
   * Adds one shed event to its key's open aggregate: a count while it is open (the sample stays the first one's), and
   * one in its arrival step (`{"s<step>": n}`, the step computed from the aggregate's `first_ms`; one statement).
   */
  private countShed(sample: ShedSample, nowMs: number): void {
    // A bound JS number is a REAL in SQLite: the step is cast to an integer (truncated; negative ones are step 0).
    const step = `'$.s' || max(0, min(${ARRIVAL_STEPS - 1}, CAST((? - first_ms) / ${ARRIVAL_STEP_MS} AS INTEGER)))`;
    const counted = this.sql.exec(
      `UPDATE shed_open SET count = count + 1, arrivals = CASE WHEN first_ms IS NULL OR arrivals IS NULL THEN NULL ELSE json_set(arrivals, ${step}, coalesce(json_extract(arrivals, ${step}), 0) + 1) END WHERE key = ?`,
      nowMs,
      nowMs,
      sample.key,
    );
    if (counted.rowsWritten > 0) return;
    this.sql.exec(`INSERT INTO shed_open (key, count, first_at, sample, first_ms, arrivals) VALUES (?, 1, ?, ?, ?, '{"s0":1}')`, sample.key, sample.receivedAt, sample.message, nowMs);
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
    return { ...this.counts, tokens: this.bucket?.tokens ?? -1 };
  }

  /**
   * Forwards the shed and gathered aggregates (one message per key, each with an id of its own, so a redelivery
   * counts once), forgets deliveries older than `DELIVERY_MEMORY_MS` and writes the bucket and the counts;
   * reschedules itself while anything remains.
   */
  override async alarm(): Promise<void> {
    this.alarmAtMs = null;
    const now = Date.now();
    // Aggregates first: the deliveries that count a gathered one are read before any is forgotten.
    this.closeAggregates();
    // Deliveries older than a day are forgotten when the oldest is due (not on every forward): those before the
    // first one still remembered, in arrival order — a read as long as what it forgets, not a scan of the table.
    if (this.cleanupAtMs === null || now >= this.cleanupAtMs) {
      const kept = this.sql.exec<{ id: number }>(`SELECT rowid AS id FROM deliveries WHERE seen_ms >= ? ORDER BY rowid LIMIT 1`, now - DELIVERY_MEMORY_MS).toArray()[0];
      if (kept) this.sql.exec(`DELETE FROM deliveries WHERE rowid < ?`, kept.id);
      else {
        // None within a day (the gathered ones were just closed into the outbox): rowids start again from 1.
        this.sql.exec(`DELETE FROM deliveries`);
        this.gatheredTo = 0;
      }
    }
    this.persist();
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

  /**
   * Closes the open aggregates into the outbox, one message per key: a shed one counted in its row, a gathered one
   * by the deliveries that name it since the last forward (plus any count in its row, from a gate before this
   * design). Read and written with no await between: events counted meanwhile open new aggregates.
   */
  private closeAggregates(): void {
    type OpenRow = { id: number; key: string; count: number; first_at: string; sample: string; arrivals: string | null; first_ms: number | null };
    const columns = `rowid AS id, key, count, first_at, sample, arrivals, first_ms`;
    const gathered = this.sql.exec<OpenRow>(`SELECT ${columns} FROM gather_open`).toArray();
    const logged = new Map<number, { count: number; steps: Map<number, number> }>();
    if (gathered.length > 0) {
      // Each gathered event's step after its aggregate's first (truncated; an earlier one is step 0, a late one the last).
      const step = `max(0, min(${ARRIVAL_STEPS - 1}, CAST((d.seen_ms - g.first_ms) / ${ARRIVAL_STEP_MS} AS INTEGER)))`;
      const rows = this.sql.exec<{ id: number; step: number; n: number }>(
        `SELECT d.gather_id AS id, ${step} AS step, COUNT(*) AS n FROM deliveries d JOIN gather_open g ON g.rowid = d.gather_id WHERE d.rowid > ? GROUP BY d.gather_id, step`,
        this.gatheredTo,
      );
      for (const row of rows) {
        const entry = logged.get(row.id) ?? { count: 0, steps: new Map<number, number>() };
        entry.count += row.n;
        entry.steps.set(row.step, (entry.steps.get(row.step) ?? 0) + row.n);
        logged.set(row.id, entry);
      }
      this.gatheredTo = this.sql.exec<{ last: number | null }>(`SELECT max(rowid) AS last FROM deliveries`).one().last ?? 0;
    }
    const open = [
      ...this.sql.exec<OpenRow>(`SELECT ${columns} FROM shed_open`).toArray().map((row) => ({ row, type: "shed" as const, count: row.count, arrivals: arrivalSteps(row.arrivals) })),
      ...gathered.map((row) => {
        const events = logged.get(row.id);
        // Steps need the aggregate's first time (a row from before `first_ms` has none: its message has no steps).
        const inRow = row.first_ms === null ? undefined : row.count > 0 ? arrivalSteps(row.arrivals) : [];
        const arrivals = inRow === undefined ? undefined : Array.from({ length: ARRIVAL_STEPS }, (_, i) => (inRow[i] ?? 0) + (events?.steps.get(i) ?? 0));
        while (arrivals && arrivals.length > 0 && arrivals[arrivals.length - 1] === 0) arrivals.pop();
        return { row, type: "gathered" as const, count: row.count + (events?.count ?? 0), arrivals };
      }),
    ].filter((aggregate) => aggregate.count > 0);
    if (open.length > 0) {
      let next = this.sql.exec<{ next: number }>(`SELECT next FROM shed_seq WHERE id = 1`).toArray()[0]?.next ?? 1;
      for (const { row, type, count, arrivals } of open) {
        // The message's JSON written around the sample's (an object's text: its fields follow ours), not parsed.
        const id = `${type === "shed" ? "shed" : "gather"}:${this.ctx.id.toString()}:${next++}`;
        const head = JSON.stringify({ version: 1, type, id, count, firstAt: row.first_at, ...(arrivals ? { arrivals } : {}) } satisfies Omit<AggregateMessage, keyof ShedSampleMessage>);
        this.sql.exec(`INSERT INTO shed_outbox (id, body) VALUES (?, ?)`, id, `${head.slice(0, -1)},${row.sample.slice(1)}`);
      }
      this.sql.exec(`INSERT INTO shed_seq (id, next) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET next = excluded.next`, next);
    }
    this.sql.exec(`DELETE FROM shed_open`);
    this.sql.exec(`DELETE FROM gather_open`);
    this.openGathers.clear();
  }

  private refilled(nowMs: number, burst: number, refillPerMs: number): number {
    if (!this.bucket) return burst;
    const elapsed = Math.max(0, nowMs - this.bucket.updatedMs);
    return Math.min(burst, this.bucket.tokens + elapsed * refillPerMs);
  }

  /** The bucket or the counts changed: written by an alarm within STATS_PERSIST_MS. */
  private changed(nowMs: number): void {
    if (this.dirty) return;
    this.dirty = true;
    this.wakeAt(nowMs + STATS_PERSIST_MS);
  }

  /** Writes the bucket, the counts and how far gathered events were forwarded (one statement). */
  private persist(): void {
    this.sql.exec(
      `UPDATE stats SET admitted = ?, duplicates = ?, rate_limited = ?, tokens = ?, updated_ms = ?, gathered_to = ? WHERE id = 1`,
      this.counts.admitted,
      this.counts.duplicates,
      this.counts.rateLimited,
      this.bucket?.tokens ?? null,
      this.bucket?.updatedMs ?? null,
      this.gatheredTo,
    );
    this.dirty = false;
  }

  /** Keeps one alarm at the earliest time anything is due. */
  private wakeAt(ms: number): void {
    if (this.alarmAtMs !== null && this.alarmAtMs <= ms && this.alarmAtMs > Date.now()) return;
    this.alarmAtMs = ms;
    void this.ctx.storage.setAlarm(ms);
  }
}
