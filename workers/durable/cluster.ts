import { DurableObject } from "cloudflare:workers";
import * as v from "valibot";
import type { ClusterView } from "../../shared/cluster-view";
import { addOccurrence, applyStep, type ClusterSettings, ClusterState, clusterView, decide, type PlanKind, type StepResult } from "../../shared/cluster-state";
import type { FailureEvent } from "../../shared/failure-event";
import type { ClusterProbe, GroupingKey } from "../../shared/grouping/route";
import { isGroupingVersion } from "../../shared/grouping/versions";
import type { FlushMessage } from "../../shared/queue-message";

/** How long event ids are remembered, so a redelivered or replayed event is counted once. */
export const EVENT_MEMORY_MS = 7 * 24 * 60 * 60 * 1000;
/** A lease not confirmed in time is taken to have crashed (alarm backstop; a redelivery takes over sooner). */
export const DEFAULT_LEASE_MS = 60_000;
/** When the queue refused a flush: how soon the alarm tries again. */
export const FLUSH_RETRY_MS = 30_000;

/** One GitHub step the consumer is to perform for a cluster, under a lease. */
export interface Plan {
  leaseId: string;
  kind: PlanKind;
  fingerprint: string;
  repo: string;
  issueNumber: number | null;
  /**
   * After an unconfirmed attempt (GitHub may have applied it): for a create, look for an issue with the marker
   * updated since then first; for a comment, for the comment with its marker posted since then.
   */
  recoverSinceMs: number | null;
  /** For a comment: identifies it across retries (its hidden marker carries it). */
  commentKey?: number;
  view: ClusterView;
  settings: ClusterSettings;
  /** The total this step writes. */
  reflects: number;
  /** For a comment: which one. */
  comment?: "recurrence" | "reopen";
}

export interface RecordInput {
  fingerprint: string;
  /** The grouping version `fingerprint` was computed under (default v1): a new cluster remembers it. */
  grouping?: string;
  failure: FailureEvent;
  settings: ClusterSettings;
  nowMs: number;
  leaseMs?: number;
  /** An operator replay: forget a permanent refusal and try again. */
  unblock?: boolean;
}

export interface RecordResult {
  duplicate: boolean;
  total: number;
  /** Nothing was recorded: this fingerprint is linked to the cluster its failure joined during a transition. */
  redirect?: GroupingKey;
  /** Set while GitHub refused this cluster for good (e.g. the repo is gone): the event is dead-lettered. */
  blocked?: string;
  plan: Plan | null;
}

export interface ConfirmResult {
  next: Plan | null;
  /** An issue the step created although the cluster already had one (a lease outlived): close it as a duplicate. */
  duplicateOf?: number;
  state: ClusterSnapshot | null;
}

export interface ClusterSnapshot {
  fingerprint: string;
  /** The grouping version the cluster was made under. */
  grouping: string;
  repo: string;
  plugin: string;
  category: string;
  issueNumber: number | null;
  state: string;
  stateReason: string | null;
  total: number;
  reflected: number;
  firstSeen: string;
  lastSeen: string;
  blocked: string | null;
}

/**
 * One per fingerprint: serialises everything about one failure. It counts occurrences exactly once, decides
 * what GitHub should see next and hands that out as a leased plan; the consumer performs it and confirms. A
 * create whose confirmation never came is retried only after looking for the issue it may have made.
 */
export class ClusterObject extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private state: ClusterState | null = null;
  private alarmAtMs: number | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    void ctx.blockConcurrencyWhile(async () => {
      this.sql.exec(`CREATE TABLE IF NOT EXISTS cluster (id INTEGER PRIMARY KEY CHECK (id = 1), schema_version INTEGER NOT NULL, state TEXT NOT NULL)`);
      this.sql.exec(`CREATE TABLE IF NOT EXISTS events (event_id TEXT PRIMARY KEY, seen_ms INTEGER NOT NULL)`);
      // Grouping upgrades: this fingerprint's failure was already a cluster under the previous version (issue 18).
      this.sql.exec(`CREATE TABLE IF NOT EXISTS link (id INTEGER PRIMARY KEY CHECK (id = 1), fingerprint TEXT NOT NULL, grouping TEXT NOT NULL, linked_ms INTEGER NOT NULL)`);
      const row = this.sql.exec<{ state: string }>(`SELECT state FROM cluster WHERE id = 1`).toArray()[0];
      if (row) {
        const parsed = v.safeParse(ClusterState, JSON.parse(row.state));
        if (!parsed.success) throw new Error(`cluster state unreadable: ${v.summarize(parsed.issues)}`);
        this.state = parsed.output;
      }
      this.alarmAtMs = await ctx.storage.getAlarm();
    });
  }

  /** Counts an occurrence once (by event id) and returns the step due now, if any; or says where it is linked to. */
  record(input: RecordInput): RecordResult {
    const linked = this.state ? null : this.linkedTo();
    if (linked) return { duplicate: false, total: 0, redirect: linked, plan: null };
    const seen = this.sql.exec(`SELECT 1 FROM events WHERE event_id = ?`, input.failure.eventId).toArray().length > 0;
    let state = this.state;
    if (!seen) {
      state = addOccurrence(state, { ...input, grouping: input.grouping ?? "v1" });
      this.sql.exec(`INSERT INTO events (event_id, seen_ms) VALUES (?, ?)`, input.failure.eventId, input.nowMs);
    } else if (state) {
      // The same event again: a redelivery. If it held the lease, its consumer died mid-step: take over now.
      if (state.lease?.eventId === input.failure.eventId) state = { ...state, lease: null };
    }
    if (!state) throw new Error("cluster has no state after recording");
    if (input.unblock && state.blocked) state = { ...state, blocked: null };
    if (state.blocked && state.blocked.untilMs > input.nowMs) {
      this.save(state);
      return { duplicate: seen, total: state.total, blocked: state.blocked.reason, plan: null };
    }
    const plan = this.lease(state, input.nowMs, input.failure.eventId, input.leaseMs);
    return { duplicate: seen, total: (this.state ?? state).total, plan };
  }

  /** The step due now, for a flush (alarm-initiated) message. */
  plan(nowMs: number, leaseMs?: number): Plan | null {
    if (!this.state) return null;
    return this.lease({ ...this.state, flushRequestedMs: 0 }, nowMs, `flush:${crypto.randomUUID()}`, leaseMs);
  }

  /** The consumer finished a step: apply what GitHub answered, and hand out the next step if one is due. */
  confirm(leaseId: string, result: StepResult, nowMs: number, leaseMs?: number): ConfirmResult {
    const state = this.requireState();
    const reflects = state.lease?.id === leaseId ? state.lease.reflects : state.total;
    let duplicateOf: number | undefined;
    if ((result.wrote === "created" || result.wrote === "found") && state.issue && state.issue.number !== result.issue.number) {
      // A lease outlived its holder and both created an issue: keep the first, close the other.
      duplicateOf = state.issue.number;
      const kept = { ...state, lease: state.lease?.id === leaseId ? null : state.lease };
      this.save(kept);
      return { next: null, duplicateOf, state: this.snapshot() };
    }
    const issuedMs = state.lease?.id === leaseId ? (state.lease.issuedMs ?? 0) : 0;
    const applied = applyStep({ ...state, lease: state.lease?.id === leaseId ? null : state.lease }, result, reflects, nowMs, issuedMs);
    const next = this.lease(applied, nowMs, state.lease?.eventId ?? `confirm:${leaseId}`, leaseMs);
    return { next, state: this.snapshot() };
  }

  /** The consumer could not finish a step: free the lease; a permanent refusal blocks the cluster for a window. */
  abandon(leaseId: string, failure: { permanent: boolean; reason: string; retryAtMs?: number; unsent?: boolean; outcomeUnknownUntilMs?: number }, nowMs: number): ClusterSnapshot | null {
    const state = this.requireState();
    if (state.lease?.id !== leaseId) return this.snapshot();
    const blocked = failure.permanent ? { reason: failure.reason, untilMs: nowMs + state.settings.windowMinutes * 60_000 } : state.blocked;
    // A create that never reached GitHub does not count as an attempt: the next one need not look for its issue.
    const unsentCreate = failure.unsent === true && state.lease.kind === "create";
    const createAttempts = unsentCreate ? Math.max(0, state.createAttempts - 1) : state.createAttempts;
    const createStartedMs = unsentCreate && createAttempts === 0 ? null : state.createStartedMs;
    // An edit GitHub may still apply late: write the body again once it no longer can.
    const lateWrite = failure.outcomeUnknownUntilMs !== undefined && state.lease.kind !== "comment" && state.lease.kind !== "refresh" && state.lease.kind !== "pr";
    const reassertAfterMs = lateWrite ? Math.max(state.reassertAfterMs ?? 0, failure.outcomeUnknownUntilMs ?? 0) : (state.reassertAfterMs ?? null);
    this.save({ ...state, lease: null, blocked, createAttempts, createStartedMs, reassertAfterMs });
    if (lateWrite) this.wakeAt(reassertAfterMs ?? nowMs);
    if (!failure.permanent) this.wakeAt(failure.retryAtMs ?? nowMs + 30_000);
    return this.snapshot();
  }

  /** What this fingerprint holds: a cluster, a link to the cluster its failure joined, or nothing (yet). */
  probe(): ClusterProbe {
    if (this.state) return { kind: "cluster" };
    const linked = this.linkedTo();
    return linked ? { kind: "link", to: linked } : { kind: "none" };
  }

  /**
   * Links this fingerprint to the cluster `to` (a failure that started under the previous grouping version), unless
   * it is a cluster itself by now (then it stays one) or is linked already (the first link stays). Answers what it
   * holds afterwards: the caller records where that says.
   */
  link(to: GroupingKey, nowMs: number): ClusterProbe {
    const held = this.probe();
    if (held.kind !== "none") return held;
    this.sql.exec(`INSERT INTO link (id, fingerprint, grouping, linked_ms) VALUES (1, ?, ?, ?)`, to.fingerprint, to.version, nowMs);
    return { kind: "link", to };
  }

  /** The cluster as the index and the admin API show it; null before its first event. */
  snapshot(): ClusterSnapshot | null {
    const s = this.state;
    if (!s) return null;
    return {
      fingerprint: s.fingerprint,
      grouping: s.grouping,
      repo: s.repo,
      plugin: s.sample.plugin.id,
      category: s.sample.category,
      issueNumber: s.issue?.number ?? null,
      state: s.blocked && s.blocked.untilMs > Date.now() ? "blocked" : s.issue ? s.issue.state : s.lease?.kind === "create" ? "creating" : "pending",
      stateReason: s.issue?.stateReason ?? null,
      total: s.total,
      reflected: s.reflected,
      firstSeen: s.firstSeen,
      lastSeen: s.lastSeen,
      blocked: s.blocked && s.blocked.untilMs > Date.now() ? s.blocked.reason : null,
    };
  }

  /** Lease expiry, due updates and forgetting old event ids: asks the consumer (via the queue) to act. */
  override async alarm(): Promise<void> {
    this.alarmAtMs = null;
    const now = Date.now();
    this.sql.exec(`DELETE FROM events WHERE seen_ms < ?`, now - EVENT_MEMORY_MS);
    const state = this.state;
    if (!state) return;
    const decision = decide(state.lease && state.lease.untilMs <= now ? { ...state, lease: null } : state, now);
    if (decision && "kind" in decision) {
      if (now - state.flushRequestedMs > 60_000) {
        const message: FlushMessage = { version: 1, type: "flush", fingerprint: state.fingerprint, repo: state.repo };
        // Saved before the send, from the state as it is then: events recorded while the send is awaited (it is not
        // storage I/O, so the input gate lets them in) must not be overwritten by a copy read before it.
        this.save({ ...state, flushRequestedMs: now });
        try {
          await this.env.EVENTS.send(message, { contentType: "json" });
        } catch (error) {
          // Not sent (the queue is down): ask again soon, for as long as it takes — the runtime's own alarm
          // retries give up after a few attempts, and nothing else would wake a cluster that gets no events.
          this.save({ ...this.requireState(), flushRequestedMs: state.flushRequestedMs });
          console.error(JSON.stringify({ msg: "flush not sent; retrying", fingerprint: state.fingerprint, error: error instanceof Error ? error.message : String(error) }));
          this.wakeAt(now + FLUSH_RETRY_MS);
          return;
        }
      }
      this.wakeAt(now + 60_000);
    } else if (decision) {
      this.wakeAt(decision.wakeAtMs);
    } else {
      const oldest = this.sql.exec<{ seen_ms: number | null }>(`SELECT MIN(seen_ms) AS seen_ms FROM events`).one().seen_ms;
      if (oldest !== null) this.wakeAt(oldest + EVENT_MEMORY_MS);
    }
  }

  /** Decides, and when a step is due, stores a lease for it and returns it as a plan. Always saves `state`. */
  private lease(state: ClusterState, nowMs: number, eventId: string, leaseMs = DEFAULT_LEASE_MS): Plan | null {
    const decision = decide(state, nowMs);
    if (!decision || "wakeAtMs" in decision) {
      this.save(state);
      if (decision) this.wakeAt(decision.wakeAtMs);
      return null;
    }
    const { kind } = decision;
    const leaseId = crypto.randomUUID();
    const createAttempts = kind === "create" ? state.createAttempts + 1 : state.createAttempts;
    const createStartedMs = kind === "create" ? (state.createStartedMs ?? nowMs) : state.createStartedMs;
    const commentStartedMs = kind === "comment" ? (state.commentStartedMs ?? nowMs) : state.commentStartedMs;
    const leased: ClusterState = { ...state, lease: { id: leaseId, kind, untilMs: nowMs + leaseMs, eventId, reflects: state.total, issuedMs: nowMs }, createAttempts, createStartedMs, commentStartedMs };
    this.save(leased);
    this.wakeAt(nowMs + leaseMs);
    return {
      leaseId,
      kind,
      fingerprint: leased.fingerprint,
      repo: leased.repo,
      issueNumber: leased.issue?.number ?? null,
      recoverSinceMs: kind === "create" && createAttempts > 1 ? createStartedMs : kind === "comment" ? state.commentStartedMs : null,
      view: clusterView(leased),
      settings: leased.settings,
      reflects: leased.total,
      ...(kind === "comment" ? { comment: leased.pendingReopenComment ? ("reopen" as const) : ("recurrence" as const), commentKey: commentStartedMs ?? nowMs } : {}),
    };
  }

  private linkedTo(): GroupingKey | null {
    const row = this.sql.exec<{ fingerprint: string; grouping: string }>(`SELECT fingerprint, grouping FROM link WHERE id = 1`).toArray()[0];
    return row && isGroupingVersion(row.grouping) ? { fingerprint: row.fingerprint, version: row.grouping } : null;
  }

  private save(state: ClusterState): void {
    this.state = state;
    this.sql.exec(`INSERT INTO cluster (id, schema_version, state) VALUES (1, 1, ?) ON CONFLICT (id) DO UPDATE SET state = excluded.state`, JSON.stringify(state));
  }

  private requireState(): ClusterState {
    if (!this.state) throw new Error("cluster has no state");
    return this.state;
  }

  /** Keeps one alarm at the earliest time anything is due. */
  private wakeAt(ms: number): void {
    if (this.alarmAtMs !== null && this.alarmAtMs <= ms && this.alarmAtMs > Date.now()) return;
    this.alarmAtMs = ms;
    void this.ctx.storage.setAlarm(ms);
  }
}
