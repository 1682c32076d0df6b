import { DurableObject } from "cloudflare:workers";
import * as v from "valibot";
import { type Attribution, Attribution as AttributionSchema } from "../../shared/ci-context/attribution";
import { lastGreenBefore } from "../../shared/ci-context/broken-between";
import { CiCommit, Breakage } from "../../shared/ci-context/schema";
import { type CiDelivery, PendingRun, type ReadOutcome } from "../../shared/ci-context/stream-messages";
import type { GreenRun } from "../../shared/ci-context/stream-key";
import type { FailureEvent } from "../../shared/failure-event";
import type { CiMessage } from "../../shared/queue-message";

/** Event ids are remembered as long as clusters remember them, so a redelivered run is attributed the same way. */
export const STREAM_EVENT_MEMORY_MS = 7 * 24 * 60 * 60 * 1000;
/** A read not reported in time is taken to have crashed; the alarm asks for it again. */
export const READ_LEASE_MS = 60_000;
/** After GitHub refused a read, runs are grouped by their event alone for this long (at most), then read again. */
export const UNREADABLE_TTL_MS = 5 * 60_000;
/** Attributed runs whose delivery was not confirmed are handed out again after this. */
export const REDELIVER_AFTER_MS = 30_000;
/** Passing commits remembered per stream. */
export const GREENS_KEPT = 20;

const Resolution = v.object({ mode: v.picklist(["read", "unreadable"]), readRunId: v.optional(v.number()), breakages: v.nullable(v.array(Breakage)), reason: v.optional(v.string()) });
type Resolution = v.InferOutput<typeof Resolution>;
const StreamState = v.object({
  stream: v.string(),
  /** The newest resolution and until when runs without their own read are counted into it. */
  current: v.nullable(v.object({ runKey: v.string(), resolvedMs: v.number(), untilMs: v.number() })),
  lease: v.nullable(v.object({ id: v.string(), runKey: v.string(), untilMs: v.number() })),
  flushRequestedMs: v.number(),
});
type StreamState = v.InferOutput<typeof StreamState>;

interface EventRow extends Record<string, SqlStorageValue> {
  event_id: string;
  run_key: string;
  resolved_by: string | null;
  mode: string | null;
  last_green: string | null;
  payload: string | null;
}

/** The run a failing event is about: one per run attempt (workflow runs), check run or check suite. */
export function runKeyOf(failure: FailureEvent): string {
  const c = failure.correlation;
  if (failure.kind === "workflow_run" && c.runId !== undefined) return `run:${c.runId}:${c.runAttempt ?? 1}`;
  if (failure.kind === "check_run" && c.checkRunId !== undefined) return `check_run:${c.checkRunId}`;
  if (failure.kind === "check_suite" && c.checkSuiteId !== undefined) return `check_suite:${c.checkSuiteId}`;
  return `event:${failure.eventId}`;
}

export type LeasedStep = { kind: "read"; leaseId: string; run: PendingRun } | { kind: "deliver"; deliveries: CiDelivery[] };

/**
 * One per CI stream (repo + event kind + workflow or check + branch): where a failing run is first counted, before
 * anything is known of what broke. It decides which runs are read (the first one, then at most one per window:
 * the consumer reads, never this object), attributes every run — to the breakages of its own read, of the newest
 * read (`inferred`), or to its event alone when GitHub refused (`unreadable`) — and remembers that per event id, so
 * a redelivery lands in the same clusters. It also keeps the stream's last passing commits ("broken between").
 */
export class CiStream extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private state: StreamState = { stream: "", current: null, lease: null, flushRequestedMs: 0 };
  private alarmAtMs: number | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    void ctx.blockConcurrencyWhile(async () => {
      this.sql.exec(`CREATE TABLE IF NOT EXISTS meta (id INTEGER PRIMARY KEY CHECK (id = 1), schema_version INTEGER NOT NULL, state TEXT NOT NULL)`);
      this.sql.exec(`CREATE TABLE IF NOT EXISTS runs (run_key TEXT PRIMARY KEY, resolved_ms INTEGER NOT NULL, resolution TEXT NOT NULL)`);
      this.sql.exec(
        `CREATE TABLE IF NOT EXISTS events (event_id TEXT PRIMARY KEY, seen_ms INTEGER NOT NULL, run_key TEXT NOT NULL, resolved_by TEXT, mode TEXT, last_green TEXT, attributed_ms INTEGER, delivered INTEGER NOT NULL DEFAULT 0, payload TEXT)`,
      );
      this.sql.exec(`CREATE TABLE IF NOT EXISTS greens (run_key TEXT PRIMARY KEY, at_ms INTEGER NOT NULL, commit_json TEXT NOT NULL)`);
      // Issue 15: the clusters of this stream whose issue is open, so a passing run asks only those (none: no cost).
      this.sql.exec(`CREATE TABLE IF NOT EXISTS open_issues (fingerprint TEXT PRIMARY KEY, issue_number INTEGER NOT NULL, updated_ms INTEGER NOT NULL)`);
      const row = this.sql.exec<{ state: string }>(`SELECT state FROM meta WHERE id = 1`).toArray()[0];
      if (row) {
        const parsed = v.safeParse(StreamState, JSON.parse(row.state));
        if (!parsed.success) throw new Error(`CI stream state unreadable: ${v.summarize(parsed.issues)}`);
        this.state = parsed.output;
      }
      this.alarmAtMs = await ctx.storage.getAlarm();
    });
  }

  /**
   * Counts failing runs once (by event id). A run already attributed, or one the newest read still covers, comes
   * back at once as a delivery; the others wait for a read (the alarm asks the consumer for it) and are stored.
   */
  recordMany(items: readonly PendingRun[], nowMs: number): { deliveries: CiDelivery[]; pending: string[] } {
    const deliveries: CiDelivery[] = [];
    const pending: string[] = [];
    for (const item of items) {
      if (!this.state.stream) this.state = { ...this.state, stream: item.failure.ci?.facts.stream ?? "" };
      const id = item.id ?? item.failure.eventId;
      const seen = this.sql.exec<EventRow>(`SELECT event_id, run_key, resolved_by, mode, last_green, payload FROM events WHERE event_id = ?`, id).toArray()[0];
      if (seen) {
        const attribution = seen.resolved_by && seen.mode ? this.attributionOf(seen.resolved_by, seen.mode, seen.last_green) : null;
        if (attribution) deliveries.push(this.delivery(id, item, attribution));
        else pending.push(id);
        continue;
      }
      const runKey = runKeyOf(item.failure);
      const by = this.coveringResolution(runKey, nowMs);
      if (by) {
        const lastGreen = this.lastGreenFor(item.failure);
        this.sql.exec(
          `INSERT INTO events (event_id, seen_ms, run_key, resolved_by, mode, last_green, attributed_ms, delivered) VALUES (?, ?, ?, ?, ?, ?, ?, 1)`,
          id, nowMs, runKey, by.runKey, by.mode, lastGreen ? JSON.stringify(lastGreen) : null, nowMs,
        );
        const attribution = this.attributionOf(by.runKey, by.mode, lastGreen ? JSON.stringify(lastGreen) : null);
        if (attribution) deliveries.push(this.delivery(id, item, attribution));
        continue;
      }
      this.sql.exec(`INSERT INTO events (event_id, seen_ms, run_key, delivered, payload) VALUES (?, ?, ?, 0, ?)`, id, nowMs, runKey, JSON.stringify(item));
      pending.push(id);
    }
    this.save();
    if (pending.length > 0) this.wakeAt(nowMs);
    this.scheduleSweep(nowMs);
    return { deliveries, pending };
  }

  /**
   * The stream's due step for the consumer: a read of the oldest waiting run (under a lease, one at a time), or
   * runs attributed earlier whose delivery into their clusters was never confirmed. Null when nothing is due.
   */
  lease(nowMs: number): LeasedStep | null {
    // The step message was taken: the alarm may ask again as soon as something new is due.
    if (this.state.flushRequestedMs !== 0) {
      this.state = { ...this.state, flushRequestedMs: 0 };
      this.save();
    }
    const undelivered = this.sql
      .exec<EventRow>(`SELECT event_id, run_key, resolved_by, mode, last_green, payload FROM events WHERE delivered = 0 AND resolved_by IS NOT NULL AND attributed_ms <= ?`, nowMs - REDELIVER_AFTER_MS)
      .toArray();
    if (undelivered.length > 0) return { kind: "deliver", deliveries: this.deliveriesOf(undelivered, nowMs) };
    if (this.state.lease && this.state.lease.untilMs > nowMs) return null;
    const waiting = this.sql.exec<EventRow>(`SELECT event_id, run_key, resolved_by, mode, last_green, payload FROM events WHERE resolved_by IS NULL ORDER BY seen_ms LIMIT 1`).toArray()[0];
    if (!waiting?.payload) return null;
    const run = v.parse(PendingRun, JSON.parse(waiting.payload));
    const leaseId = crypto.randomUUID();
    this.state = { ...this.state, lease: { id: leaseId, runKey: waiting.run_key, untilMs: nowMs + READ_LEASE_MS } };
    this.save();
    this.wakeAt(nowMs + READ_LEASE_MS);
    return { kind: "read", leaseId, run };
  }

  /**
   * The consumer read a run (or GitHub refused): remember it for that run, make it the stream's newest resolution,
   * and attribute every waiting run — the read one `read`, the others `inferred` (or `unreadable`) — as deliveries.
   */
  resolve(leaseId: string, outcome: ReadOutcome, windowMinutes: number, nowMs: number): CiDelivery[] {
    const lease = this.state.lease;
    if (!lease || lease.id !== leaseId) return [];
    const resolution: Resolution =
      outcome.resolution === "read"
        ? { mode: "read", breakages: outcome.breakages, ...(outcome.readRunId !== undefined ? { readRunId: outcome.readRunId } : {}) }
        : { mode: "unreadable", breakages: null, reason: outcome.reason, ...(outcome.readRunId !== undefined ? { readRunId: outcome.readRunId } : {}) };
    this.sql.exec(`INSERT INTO runs (run_key, resolved_ms, resolution) VALUES (?, ?, ?) ON CONFLICT (run_key) DO UPDATE SET resolved_ms = excluded.resolved_ms, resolution = excluded.resolution`, lease.runKey, nowMs, JSON.stringify(resolution));
    const ttl = resolution.mode === "read" ? windowMinutes * 60_000 : Math.min(windowMinutes * 60_000, UNREADABLE_TTL_MS);
    this.state = { ...this.state, lease: null, current: { runKey: lease.runKey, resolvedMs: nowMs, untilMs: nowMs + ttl } };
    const waiting = this.sql.exec<EventRow>(`SELECT event_id, run_key, resolved_by, mode, last_green, payload FROM events WHERE resolved_by IS NULL`).toArray();
    for (const row of waiting) {
      const by = this.coveringResolution(row.run_key, nowMs);
      if (!by) continue;
      const failure = row.payload ? v.parse(PendingRun, JSON.parse(row.payload)).failure : null;
      const lastGreen = failure ? this.lastGreenFor(failure) : undefined;
      this.sql.exec(`UPDATE events SET resolved_by = ?, mode = ?, last_green = ?, attributed_ms = ? WHERE event_id = ?`, by.runKey, by.mode, lastGreen ? JSON.stringify(lastGreen) : null, nowMs, row.event_id);
    }
    this.save();
    const attributed = this.sql.exec<EventRow>(`SELECT event_id, run_key, resolved_by, mode, last_green, payload FROM events WHERE delivered = 0 AND resolved_by IS NOT NULL`).toArray();
    return this.deliveriesOf(attributed, nowMs);
  }

  /** The consumer could not read (no credentials yet): free the lease so the next attempt reads. */
  abandon(leaseId: string, nowMs: number, retryAtMs?: number): void {
    if (this.state.lease?.id !== leaseId) return;
    this.state = { ...this.state, lease: null };
    this.save();
    this.wakeAt(retryAtMs ?? nowMs + 30_000);
  }

  /** The deliveries were counted into their clusters: their stored events are no longer needed. */
  delivered(eventIds: readonly string[]): void {
    for (const id of eventIds) this.sql.exec(`UPDATE events SET delivered = 1, payload = NULL WHERE event_id = ? AND resolved_by IS NOT NULL`, id);
  }

  /**
   * A passing run: the stream's newest green commits, `GREENS_KEPT` of them, and (issue 15) the clusters of this
   * stream with an open issue, which the run is to close.
   */
  green(run: GreenRun): { lastGreen: v.InferOutput<typeof CiCommit> | null; open: string[] } {
    if (!this.state.stream) {
      this.state = { ...this.state, stream: run.stream };
      this.save();
    }
    const key = run.commit.runId !== undefined ? `run:${run.commit.runId}` : `sha:${run.commit.sha}:${run.commit.at}`;
    const atMs = Date.parse(run.commit.at) || 0;
    this.sql.exec(`INSERT INTO greens (run_key, at_ms, commit_json) VALUES (?, ?, ?) ON CONFLICT (run_key) DO UPDATE SET at_ms = excluded.at_ms, commit_json = excluded.commit_json`, key, atMs, JSON.stringify(run.commit));
    this.sql.exec(`DELETE FROM greens WHERE run_key NOT IN (SELECT run_key FROM greens ORDER BY at_ms DESC LIMIT ?)`, GREENS_KEPT);
    const open = this.sql.exec<{ fingerprint: string }>(`SELECT fingerprint FROM open_issues ORDER BY updated_ms LIMIT 100`).toArray().map((row) => row.fingerprint);
    return { lastGreen: this.greens()[0] ?? null, open };
  }

  /** Issue 15: a cluster of this stream told its issue's state (open: a passing run closes it; closed: forgotten). */
  trackIssue(fingerprint: string, issueNumber: number | null, open: boolean, nowMs: number): { lastGreen: v.InferOutput<typeof CiCommit> | null } {
    // An issue opening answers the newest passing run: one that came while it was being filed still closes it.
    if (open && issueNumber !== null) this.sql.exec(`INSERT INTO open_issues (fingerprint, issue_number, updated_ms) VALUES (?, ?, ?) ON CONFLICT (fingerprint) DO UPDATE SET issue_number = excluded.issue_number, updated_ms = excluded.updated_ms`, fingerprint, issueNumber, nowMs);
    else this.sql.exec(`DELETE FROM open_issues WHERE fingerprint = ?`, fingerprint);
    return { lastGreen: open ? (this.greens()[0] ?? null) : null };
  }

  /** The passing commits remembered, newest first. */
  greens(): Array<v.InferOutput<typeof CiCommit>> {
    return this.sql
      .exec<{ commit_json: string }>(`SELECT commit_json FROM greens ORDER BY at_ms DESC`)
      .toArray()
      .flatMap((row) => {
        const parsed = v.safeParse(CiCommit, JSON.parse(row.commit_json));
        return parsed.success ? [parsed.output] : [];
      });
  }

  /** Asks the consumer (via the queue) for the due step; forgets old events and run reads. */
  override async alarm(): Promise<void> {
    this.alarmAtMs = null;
    const now = Date.now();
    // Only delivered events are forgotten: one still waiting for its read or its delivery is never dropped.
    this.sql.exec(`DELETE FROM events WHERE seen_ms < ? AND delivered = 1`, now - STREAM_EVENT_MEMORY_MS);
    this.sql.exec(`DELETE FROM runs WHERE resolved_ms < ?`, now - STREAM_EVENT_MEMORY_MS - 86_400_000);
    const due = this.dueAtMs(now);
    if (due !== null && due <= now) {
      if (now - this.state.flushRequestedMs > 10_000) {
        this.state = { ...this.state, flushRequestedMs: now };
        this.save();
        const message: CiMessage = { version: 1, type: "ci", stream: this.state.stream };
        try {
          await this.env.CI_CONTEXT.send(message, { contentType: "json" });
        } catch (error) {
          this.state = { ...this.state, flushRequestedMs: 0 };
          this.save();
          console.error(JSON.stringify({ msg: "CI stream step not sent; retrying", stream: this.state.stream, error: error instanceof Error ? error.message : String(error) }));
        }
      }
      this.wakeAt(now + REDELIVER_AFTER_MS);
      return;
    }
    if (due !== null) this.wakeAt(due);
    else this.scheduleSweep(now);
  }

  /** When the next step is due: a waiting run (now, or when a live lease runs out), an unconfirmed delivery. */
  private dueAtMs(nowMs: number): number | null {
    const waiting = this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM events WHERE resolved_by IS NULL`).one().n;
    const undelivered = this.sql.exec<{ at: number | null }>(`SELECT MIN(attributed_ms) AS at FROM events WHERE delivered = 0 AND resolved_by IS NOT NULL`).one().at;
    const times: number[] = [];
    if (waiting > 0) times.push(this.state.lease && this.state.lease.untilMs > nowMs ? this.state.lease.untilMs : nowMs);
    if (undelivered !== null) times.push(undelivered + REDELIVER_AFTER_MS);
    return times.length ? Math.min(...times) : null;
  }

  /** The resolution a run is counted into: its own read, else the newest one while it is fresh. */
  private coveringResolution(runKey: string, nowMs: number): { runKey: string; mode: Attribution["resolution"] } | null {
    const own = this.resolutionOf(runKey);
    if (own) return { runKey, mode: own.mode };
    const current = this.state.current;
    if (!current || current.untilMs <= nowMs) return null;
    const newest = this.resolutionOf(current.runKey);
    if (!newest) return null;
    return { runKey: current.runKey, mode: newest.mode === "read" ? "inferred" : "unreadable" };
  }

  private resolutionOf(runKey: string): Resolution | null {
    const row = this.sql.exec<{ resolution: string }>(`SELECT resolution FROM runs WHERE run_key = ?`, runKey).toArray()[0];
    if (!row) return null;
    const parsed = v.safeParse(Resolution, JSON.parse(row.resolution));
    return parsed.success ? parsed.output : null;
  }

  private attributionOf(resolvedBy: string, mode: string, lastGreen: string | null): Attribution | null {
    const resolution = this.resolutionOf(resolvedBy);
    if (!resolution) return null;
    const green = lastGreen ? v.safeParse(CiCommit, JSON.parse(lastGreen)) : null;
    const parsed = v.safeParse(AttributionSchema, {
      resolution: mode,
      breakages: resolution.breakages,
      ...(resolution.readRunId !== undefined ? { readRunId: resolution.readRunId } : {}),
      ...(resolution.reason ? { reason: resolution.reason } : {}),
      ...(green?.success ? { lastGreen: green.output } : {}),
    });
    return parsed.success ? parsed.output : null;
  }

  private deliveriesOf(rows: readonly EventRow[], nowMs: number): CiDelivery[] {
    const out: CiDelivery[] = [];
    for (const row of rows) {
      if (!row.payload || !row.resolved_by || !row.mode) continue;
      const run = v.parse(PendingRun, JSON.parse(row.payload));
      const attribution = this.attributionOf(row.resolved_by, row.mode, row.last_green);
      if (!attribution) continue;
      this.sql.exec(`UPDATE events SET attributed_ms = ? WHERE event_id = ?`, nowMs, row.event_id);
      out.push(this.delivery(row.event_id, run, attribution));
    }
    // The run that was read first: its details become a new cluster's sample.
    return out.sort((a, b) => Number(b.attribution.resolution === "read") - Number(a.attribution.resolution === "read"));
  }

  private delivery(id: string, run: PendingRun, attribution: Attribution): CiDelivery {
    return { eventId: id, failure: run.failure, settings: run.settings, ...(run.replay ? { replay: true } : {}), ...(run.count !== undefined ? { count: run.count } : {}), attribution };
  }

  private lastGreenFor(failure: FailureEvent): v.InferOutput<typeof CiCommit> | undefined {
    return lastGreenBefore(this.greens(), failure.ci?.facts.commit?.at ?? failure.occurredAt);
  }

  private save(): void {
    this.sql.exec(`INSERT INTO meta (id, schema_version, state) VALUES (1, 1, ?) ON CONFLICT (id) DO UPDATE SET state = excluded.state`, JSON.stringify(this.state));
  }

  private scheduleSweep(nowMs: number): void {
    if (this.alarmAtMs !== null) return;
    this.wakeAt(nowMs + STREAM_EVENT_MEMORY_MS + 60_000);
  }

  /** Keeps one alarm at the earliest time anything is due. */
  private wakeAt(ms: number): void {
    if (this.alarmAtMs !== null && this.alarmAtMs <= ms && this.alarmAtMs > Date.now()) return;
    this.alarmAtMs = ms;
    void this.ctx.storage.setAlarm(ms);
  }
}
