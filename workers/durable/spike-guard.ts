import { DurableObject } from "cloudflare:workers";
import * as v from "valibot";
import { IssueState } from "../../shared/cluster-state";
import { applyDigestStep, decideDigest, DigestEntry, DigestState, type DigestStepKind, type DigestStepResult, newDigest, utcDay } from "../../shared/digest/digest-state";
import type { DigestFlushMessage } from "../../shared/queue-message";
import { leaseMsFor, type StepFailure } from "./cluster";

/** Days of claims, entries and digest state kept (a late report still finds its day's digest). */
export const SPIKE_MEMORY_DAYS = 7;
/** How long a refused digest (a permanent GitHub error) waits before it is tried again. */
export const DIGEST_BLOCK_MS = 60 * 60_000;
const FLUSH_RETRY_MS = 30_000;

/** One GitHub step of a digest issue, performed by the consumer under a lease. */
export interface DigestPlan {
  leaseId: string;
  kind: DigestStepKind;
  repo: string;
  day: string;
  issueNumber: number | null;
  /** After an unconfirmed create: look for the digest by its marker among issues updated since then first. */
  recoverSinceMs: number | null;
  entries: DigestEntry[];
  intervalMs: number;
}

export interface LeaseOptions {
  /** One GitHub request at its longest (the cluster's DEFAULT_REQUEST_MS by default); leases are sized from it. */
  requestMs?: number;
  /** Overrides the lease's length (tests). */
  leaseMs?: number;
}

export interface DigestSnapshot {
  day: string;
  issueNumber: number | null;
  entries: DigestEntry[];
  version: number;
  reflected: number;
}

interface EntryRow extends Record<string, SqlStorageValue> {
  fingerprint: string;
  plugin: string;
  message: string;
  count: number;
  first_seen: string;
}

/**
 * Spike protection, one per target repo: the exact count of new issues per UTC day (`claimIssue`, at most
 * `maxNewIssuesPerRepoPerDay`), and the day's digest issue that counts the failures over that limit. Like a
 * cluster, it decides and leases GitHub steps (create, then bounded body edits) that the consumer performs; it
 * never writes GitHub itself.
 */
export class SpikeGuard extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private repo: string | null = null;
  private alarmAtMs: number | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    void ctx.blockConcurrencyWhile(async () => {
      this.sql.exec(`CREATE TABLE IF NOT EXISTS meta (id INTEGER PRIMARY KEY CHECK (id = 1), schema_version INTEGER NOT NULL, repo TEXT NOT NULL)`);
      this.sql.exec(`CREATE TABLE IF NOT EXISTS claims (day TEXT NOT NULL, fingerprint TEXT NOT NULL, claimed_ms INTEGER NOT NULL, PRIMARY KEY (day, fingerprint))`);
      this.sql.exec(`CREATE TABLE IF NOT EXISTS entries (day TEXT NOT NULL, fingerprint TEXT NOT NULL, plugin TEXT NOT NULL, message TEXT NOT NULL, count INTEGER NOT NULL, first_seen TEXT NOT NULL, PRIMARY KEY (day, fingerprint))`);
      this.sql.exec(`CREATE TABLE IF NOT EXISTS digests (day TEXT PRIMARY KEY, state TEXT NOT NULL)`);
      this.repo = this.sql.exec<{ repo: string }>(`SELECT repo FROM meta WHERE id = 1`).toArray()[0]?.repo ?? null;
      this.alarmAtMs = await ctx.storage.getAlarm();
    });
  }

  /**
   * Claims one of the repo's `limit` new issues for the UTC `day`. Idempotent per fingerprint (a retried create
   * claims once); exact, since the object serialises claims. False: the failure goes to the day's digest.
   */
  claimIssue(repo: string, day: string, fingerprint: string, limit: number): boolean {
    this.remember(repo);
    if (this.sql.exec(`SELECT 1 FROM claims WHERE day = ? AND fingerprint = ?`, day, fingerprint).toArray().length) return true;
    const used = this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM claims WHERE day = ?`, day).one().n;
    if (used >= limit) return false;
    this.sql.exec(`INSERT INTO claims (day, fingerprint, claimed_ms) VALUES (?, ?, ?)`, day, fingerprint, Date.now());
    this.scheduleSweep();
    return true;
  }

  /** New issues claimed on `day`. */
  claimed(day: string): number {
    return this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM claims WHERE day = ?`, day).one().n;
  }

  /**
   * Counts a failure over the limit into the day's digest: its entry takes the larger count (a cluster reports
   * its own exact count, so a retried report changes nothing), the digest is marked for an edit.
   */
  report(repo: string, day: string, entry: DigestEntry, intervalMs: number, nowMs: number): void {
    this.remember(repo);
    const checked = v.parse(DigestEntry, entry);
    const row = this.sql.exec<EntryRow>(`SELECT fingerprint, plugin, message, count, first_seen FROM entries WHERE day = ? AND fingerprint = ?`, day, checked.fingerprint).toArray()[0];
    const state = this.load(day) ?? newDigest(day, intervalMs);
    const changed = !row || checked.count > row.count || Date.parse(checked.firstSeen) < Date.parse(row.first_seen);
    if (!row) {
      this.sql.exec(`INSERT INTO entries (day, fingerprint, plugin, message, count, first_seen) VALUES (?, ?, ?, ?, ?, ?)`, day, checked.fingerprint, checked.plugin, checked.message, checked.count, checked.firstSeen);
    } else if (changed) {
      const firstSeen = Date.parse(checked.firstSeen) < Date.parse(row.first_seen) ? checked.firstSeen : row.first_seen;
      this.sql.exec(`UPDATE entries SET count = MAX(count, ?), first_seen = ? WHERE day = ? AND fingerprint = ?`, checked.count, firstSeen, day, checked.fingerprint);
    }
    const next = { ...state, intervalMs, version: changed ? state.version + 1 : state.version };
    this.save(next);
    this.wakeFor(next, nowMs);
    this.scheduleSweep();
  }

  /** The digest step due now for `day` (a `digest` flush message asks for it), leased to the caller. */
  plan(day: string, nowMs: number, options: LeaseOptions = {}): DigestPlan | null {
    const state = this.load(day);
    if (!state) return null;
    return this.lease({ ...state, flushRequestedMs: 0 }, nowMs, options);
  }

  /** The consumer finished a step: apply it and hand out the next one if it is due now. */
  confirm(day: string, leaseId: string, result: DigestStepResult, nowMs: number, options: LeaseOptions = {}): { next: DigestPlan | null; duplicateOf?: number } {
    const state = this.require(day);
    // What is stored must be readable again: an answer that is not an issue never reaches the state.
    if (!v.safeParse(IssueState, result.issue).success) throw new Error(`confirm: the digest's ${result.wrote} step's answer is not an issue`);
    const mine = state.lease?.id === leaseId;
    if ((result.wrote === "created" || result.wrote === "found") && state.issue && state.issue.number !== result.issue.number) {
      // A lease outlived its holder and both created a digest: keep the first, close the other.
      this.save({ ...state, lease: mine ? null : state.lease });
      return { next: null, duplicateOf: state.issue.number };
    }
    // A confirm that outlived its lease wrote entries as they were then: it claims nothing more than shown before.
    const reflects = mine && state.lease ? state.lease.reflects : state.reflected;
    const applied = applyDigestStep({ ...state, lease: mine ? null : state.lease }, result, reflects, nowMs);
    return { next: this.lease(applied, nowMs, options) };
  }

  /** The consumer could not finish a step: free the lease; wait as GitHub asked, for a late write, or (refused) an hour. */
  abandon(day: string, leaseId: string, failure: StepFailure, nowMs: number): void {
    const state = this.require(day);
    if (state.lease?.id !== leaseId) return;
    const unsentCreate = failure.unsent === true && state.lease.kind === "create";
    const createAttempts = unsentCreate ? Math.max(0, state.createAttempts - 1) : state.createAttempts;
    const notBeforeMs = Math.max(state.notBeforeMs, failure.permanent ? nowMs + DIGEST_BLOCK_MS : (failure.retryAtMs ?? 0), failure.outcomeUnknownUntilMs ?? 0);
    this.save({ ...state, lease: null, createAttempts, createStartedMs: unsentCreate && createAttempts === 0 ? null : state.createStartedMs, notBeforeMs });
    // Wake when it may be tried again: the time GitHub, the budget or a late write named, else after FLUSH_RETRY_MS.
    this.wakeAt(notBeforeMs > nowMs ? notBeforeMs : nowMs + FLUSH_RETRY_MS);
  }

  /** The day's digest as stored. */
  snapshot(day: string): DigestSnapshot | null {
    const state = this.load(day);
    if (!state) return null;
    return { day, issueNumber: state.issue?.number ?? null, entries: this.entries(day), version: state.version, reflected: state.reflected };
  }

  /** Due digest steps (it enqueues a `digest` flush for the consumer), lease expiry, and forgetting old days. */
  override async alarm(): Promise<void> {
    this.alarmAtMs = null;
    const now = Date.now();
    const oldest = utcDay(now - SPIKE_MEMORY_DAYS * 86_400_000);
    for (const table of ["claims", "entries", "digests"]) this.sql.exec(`DELETE FROM ${table} WHERE day < ?`, oldest);
    if (!this.repo) return;
    let wake: number | null = null;
    const soonest = (ms: number) => (wake = wake === null ? ms : Math.min(wake, ms));
    for (const day of this.sql.exec<{ day: string }>(`SELECT day FROM digests`).toArray().map((r) => r.day)) {
      const state = this.require(day);
      const decision = decideDigest(state.lease && state.lease.untilMs <= now ? { ...state, lease: null } : state, now);
      if (decision && "kind" in decision) {
        if (now - state.flushRequestedMs > 60_000) {
          const message: DigestFlushMessage = { version: 1, type: "digest", repo: this.repo, day };
          this.save({ ...state, flushRequestedMs: now });
          try {
            await this.env.WRITES.send(message, { contentType: "json" });
          } catch (error) {
            this.save({ ...this.require(day), flushRequestedMs: state.flushRequestedMs });
            console.error(JSON.stringify({ msg: "digest flush not sent; retrying", repo: this.repo, day, error: error instanceof Error ? error.message : String(error) }));
            soonest(now + FLUSH_RETRY_MS);
            continue;
          }
        }
        soonest(now + 60_000);
      } else if (decision) soonest(decision.wakeAtMs);
    }
    const hasDays = this.sql.exec(`SELECT 1 FROM claims UNION ALL SELECT 1 FROM digests LIMIT 1`).toArray().length > 0;
    if (hasDays) soonest(Date.parse(`${utcDay(now)}T00:00:00Z`) + 86_400_000 + 60_000);
    if (wake !== null) this.wakeAt(wake);
  }

  private lease(state: DigestState, nowMs: number, options: LeaseOptions): DigestPlan | null {
    const decision = decideDigest(state, nowMs);
    if (!decision || "wakeAtMs" in decision) {
      this.save(state);
      if (decision) this.wakeAt(decision.wakeAtMs);
      return null;
    }
    const { kind } = decision;
    // Sized like a cluster's: a create may list issues and close duplicates, an update is one request.
    const leaseMs = options.leaseMs ?? leaseMsFor(kind, options.requestMs);
    const leaseId = crypto.randomUUID();
    const createAttempts = kind === "create" ? state.createAttempts + 1 : state.createAttempts;
    const createStartedMs = kind === "create" ? (state.createStartedMs ?? nowMs) : state.createStartedMs;
    const leased: DigestState = { ...state, lease: { id: leaseId, kind, untilMs: nowMs + leaseMs, reflects: state.version }, createAttempts, createStartedMs };
    this.save(leased);
    this.wakeAt(nowMs + leaseMs);
    return {
      leaseId,
      kind,
      repo: this.repo ?? "",
      day: state.day,
      issueNumber: state.issue?.number ?? null,
      recoverSinceMs: kind === "create" && createAttempts > 1 ? createStartedMs : null,
      entries: this.entries(state.day),
      intervalMs: state.intervalMs,
    };
  }

  private entries(day: string): DigestEntry[] {
    return this.sql
      .exec<EntryRow>(`SELECT fingerprint, plugin, message, count, first_seen FROM entries WHERE day = ? ORDER BY first_seen, fingerprint`, day)
      .toArray()
      .map((r) => ({ fingerprint: r.fingerprint, plugin: r.plugin, message: r.message, count: r.count, firstSeen: r.first_seen }));
  }

  private remember(repo: string): void {
    if (this.repo === repo) return;
    this.repo = repo;
    this.sql.exec(`INSERT INTO meta (id, schema_version, repo) VALUES (1, 1, ?) ON CONFLICT (id) DO UPDATE SET repo = excluded.repo`, repo);
  }

  private load(day: string): DigestState | null {
    const row = this.sql.exec<{ state: string }>(`SELECT state FROM digests WHERE day = ?`, day).toArray()[0];
    if (!row) return null;
    const parsed = v.safeParse(DigestState, JSON.parse(row.state));
    if (!parsed.success) throw new Error(`digest state unreadable: ${v.summarize(parsed.issues)}`);
    return parsed.output;
  }

  private require(day: string): DigestState {
    const state = this.load(day);
    if (!state) throw new Error(`no digest for ${day}`);
    return state;
  }

  private save(state: DigestState): void {
    this.sql.exec(`INSERT INTO digests (day, state) VALUES (?, ?) ON CONFLICT (day) DO UPDATE SET state = excluded.state`, state.day, JSON.stringify(state));
  }

  private wakeFor(state: DigestState, nowMs: number): void {
    const decision = decideDigest(state, nowMs);
    if (decision) this.wakeAt("kind" in decision ? nowMs : decision.wakeAtMs);
  }

  /** The daily sweep: the alarm forgets days older than `SPIKE_MEMORY_DAYS`. */
  private scheduleSweep(): void {
    if (this.alarmAtMs === null) this.wakeAt(Date.parse(`${utcDay(Date.now())}T00:00:00Z`) + 86_400_000 + 60_000);
  }

  /** Keeps one alarm at the earliest time anything is due. */
  private wakeAt(ms: number): void {
    if (this.alarmAtMs !== null && this.alarmAtMs <= ms && this.alarmAtMs > Date.now()) return;
    this.alarmAtMs = ms;
    void this.ctx.storage.setAlarm(ms);
  }
}
