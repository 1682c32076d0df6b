import { DurableObject } from "cloudflare:workers";
import * as v from "valibot";
import type { ClusterView } from "../../shared/cluster-view";
import type { CiCommit } from "../../shared/ci-context/schema";
import { addOccurrence, applyStep, type ClusterSettings, type OccurrenceInput, ClusterState, clusterView, decide, digestBaseOf, IssueState, lifecycleSettings, type PlanKind, recurrenceOf, type StepResult, withGreen, withMirroredIssue } from "../../shared/cluster-state";
import { lifecycleOf, quietResolution, type Resolution } from "../../shared/lifecycle/lifecycle";
import { movedOnFrom } from "../lifecycle/plugin-versions";
import type { FailureEvent } from "../../shared/failure-event";
import type { ClusterProbe, GroupingKey } from "../../shared/grouping/route";
import { isGroupingVersion } from "../../shared/grouping/versions";
import type { FlushMessage } from "../../shared/queue-message";

/** How long event ids are remembered, so a redelivered or replayed event is counted once. */
export const EVENT_MEMORY_MS = 7 * 24 * 60 * 60 * 1000;
/** When the queue refused a flush: how soon the alarm tries again. */
export const FLUSH_RETRY_MS = 30_000;
/** A flush asked for and not yet served is asked for again only after this long (it may sit in the writes queue). */
export const FLUSH_PENDING_MS = 60_000;
/** One GitHub request of a step at most: the client timeout plus the longest in-line wait for a write slot. */
export const DEFAULT_REQUEST_MS = 15_000;
/**
 * The most GitHub requests one step makes (a create may list 5 pages of issues and close duplicates; a PR step
 * reads the repo — its tree and up to 10 files at the failing commit — asks the proposer twice, posts the root-cause
 * note, writes blobs, a tree, a commit, a branch, the PR, labels, a comment and GraphQL mutations).
 */
export const REQUESTS_PER_STEP: Record<PlanKind, number> = { create: 8, update: 2, reopen: 2, comment: 2, refresh: 1, pr: 45, digest: 1, resolve: 3, mention: 2 };

/** A lease outlives the longest step it covers: every request of the step at its longest, plus a margin. */
export function leaseMsFor(kind: PlanKind, requestMs = DEFAULT_REQUEST_MS): number {
  return REQUESTS_PER_STEP[kind] * requestMs + 30_000;
}

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
  /** For a resolve step: the close owed (the passing run, or the plugin's new ref after a quiet spell). */
  resolution?: Resolution;
  /** For a reopen: the version (a commit or ref) it regressed in and the run that showed it; null version: unknown. */
  regression?: { version: string | null; url?: string };
  /** For a mention: the old version the failure was seen on again (a re-run), not reopened. */
  oldVersion?: { version: string; url?: string };
  /** When the issue was closed (a mention leaves it closed: its state is told back as it was). */
  closedAt?: string | null;
  /** For a create or digest step (spike protection): the UTC day it counts for, and where the digest's count starts. */
  digest?: { day: string; base: number };
}

/** One queue message's worth of occurrences for this cluster. */
export interface RecordEntry {
  /** Counted once: the event's id, or an aggregate's id (events shed at ingest). */
  id: string;
  failure: FailureEvent;
  settings: ClusterSettings;
  /** How many occurrences the entry stands for (an aggregate of shed events); default 1. */
  count?: number;
  /** Tenancy (issue 12): who reported it, and whether its settings may replace the cluster's (see `OccurrenceInput`). */
  reporter?: OccurrenceInput["reporter"];
  shapesSettings?: OccurrenceInput["shapesSettings"];
}

export interface RecordManyInput {
  fingerprint: string;
  /** The grouping version `fingerprint` was computed under (default v1): a new cluster remembers it. */
  grouping?: string;
  entries: RecordEntry[];
  nowMs: number;
  /** An operator replay: forget a permanent refusal and try again. */
  unblock?: boolean;
}

export interface RecordManyResult {
  /** Ids of the entries counted now (the others had been counted before). */
  fresh: string[];
  total: number;
  /** Nothing was recorded: this fingerprint is linked to the cluster its failure joined during a transition. */
  redirect?: GroupingKey;
  /** Set while GitHub refused this cluster for good (e.g. the repo is gone): the events are dead-lettered. */
  blocked?: string;
  /** A GitHub step is due now and no flush was asked for yet: the consumer sends one on the writes queue. */
  flush: boolean;
  /** The cluster's row for the D1 index, when it changed in a way the index must show (new, or blocked). */
  snapshot?: ClusterSnapshot;
}

export interface PlanOptions {
  /** Who asks (a flush message's id): asking again while holding the lease means the last attempt died. */
  holder?: string;
  /** One GitHub request at its longest (see DEFAULT_REQUEST_MS); leases are sized from it. */
  requestMs?: number;
  /** Overrides the lease's length (tests). */
  leaseMs?: number;
}

export interface StepFailure {
  permanent: boolean;
  reason: string;
  retryAtMs?: number;
  unsent?: boolean;
  outcomeUnknownUntilMs?: number;
  /** The write budget had no slot: not a failure of GitHub's, so the back-off does not grow. */
  budget?: boolean;
  /** Back-off base (RETRY_BASE_SECONDS): the n-th failure in a row waits base ** n seconds (≤ 15 min). */
  retryBaseSeconds?: number;
}

export interface AbandonResult {
  snapshot: ClusterSnapshot | null;
  /** A permanent refusal: what the consumer dead-letters for it (the cluster's first event, its settings). */
  refused?: { sample: FailureEvent; settings: ClusterSettings };
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
  /** CI failures: the CI stream whose passing runs close this issue (it keeps the index of open issues). */
  stream?: string;
}

/** A passing run as the consumer hands it to a cluster of its stream. */
export interface GreenInput {
  run: CiCommit;
  /** The workflow (or check) and branch, as the comment names them (default: the cluster's own). */
  workflow?: string;
  branch?: string;
  nowMs: number;
}

export interface LifecycleResult {
  /** Why nothing changed (e.g. no open issue), when so. */
  refused?: string;
  /** A GitHub step is due now and no flush was asked for yet: the caller sends one on the writes queue. */
  flush: boolean;
  snapshot: ClusterSnapshot | null;
}

/** What a reopen or a mention says: the version the failure came back on, and the run that showed it. */
function lifecycleNotes(state: ClusterState, kind: PlanKind): Pick<Plan, "regression" | "oldVersion"> {
  // The reopen's comment (the step after the reopen) names what the reopen found.
  const regression = state.lifecycle?.regression ?? null;
  if (kind === "comment" && state.pendingReopenComment && regression) return { regression: { version: regression.version, ...(regression.url ? { url: regression.url } : {}) } };
  if (kind !== "mention") return {};
  const recurrence = recurrenceOf(state);
  if (kind === "mention" && recurrence.kind === "old") return { oldVersion: { version: recurrence.version.value, ...(recurrence.version.url ? { url: recurrence.version.url } : {}) } };
  return {};
}

/** When an open issue of a plugin failure has been quiet for `resolveAfterQuietDays` (null: not such a cluster). */
function quietDueMs(state: ClusterState): number | null {
  if (state.sample.kind !== "plugin_error" || state.issue?.state !== "open" || state.lifecycle?.resolve || !state.lifecycle) return null;
  return Date.parse(state.lastSeen) + lifecycleSettings(state.settings).resolveAfterQuietDays * 86_400_000;
}

/** "waiting to file: 2 of 3 occurrences within 10 min" (fileAfter), for the index and the dashboard. */
function waitingReason(state: ClusterState): string {
  const rule = lifecycleSettings(state.settings).fileAfter;
  const arrivals = lifecycleOf(state.lifecycle).arrivals;
  const newest = arrivals.at(-1) ?? 0;
  const inWindow = arrivals.filter((at) => at >= newest - rule.withinMinutes * 60_000).length;
  return `waiting to file: ${Math.min(inWindow, rule.occurrences)} of ${rule.occurrences} occurrences within ${rule.withinMinutes} min`;
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
      // Auto-fix (issue 17): the cluster's analysis — context read at the failing commit, the proposal, whether its note is posted.
      this.sql.exec(`CREATE TABLE IF NOT EXISTS autofix_analysis (id INTEGER PRIMARY KEY CHECK (id = 1), analysis TEXT NOT NULL, updated_ms INTEGER NOT NULL)`);
      // Every alarm forgets old ids by time and asks for the oldest: without this index, a scan of every id.
      this.sql.exec(`CREATE INDEX IF NOT EXISTS events_seen_ms ON events (seen_ms)`);
      const row = this.sql.exec<{ state: string }>(`SELECT state FROM cluster WHERE id = 1`).toArray()[0];
      if (row) {
        const parsed = v.safeParse(ClusterState, JSON.parse(row.state));
        if (!parsed.success) throw new Error(`cluster state unreadable: ${v.summarize(parsed.issues)}`);
        this.state = parsed.output;
      }
      this.alarmAtMs = await ctx.storage.getAlarm();
    });
  }

  /**
   * Counts a batch's occurrences of this failure, each once (by id, also within the batch), and says whether a
   * GitHub step is due — never performs or waits for one: the consumer acks at once and asks for the step on the
   * writes queue. Synchronous from the first read to the last write, so nothing interleaves.
   */
  recordMany(input: RecordManyInput): RecordManyResult {
    // Linked (a grouping transition): nothing is counted here, the consumer records where the link says.
    const linked = this.state ? null : this.linkedTo();
    if (linked) return { fresh: [], total: 0, flush: false, redirect: linked };
    let state = this.state;
    const isNew = state === null;
    const wasDue = state ? lifecycleOf(state.lifecycle).fileDue : false;
    const fresh: string[] = [];
    for (const entry of input.entries) {
      if (this.sql.exec(`SELECT 1 FROM events WHERE event_id = ?`, entry.id).toArray().length > 0) continue;
      state = addOccurrence(state, { fingerprint: input.fingerprint, grouping: input.grouping ?? "v1", failure: entry.failure, settings: entry.settings, nowMs: input.nowMs, count: entry.count ?? 1, reporter: entry.reporter, shapesSettings: entry.shapesSettings });
      this.sql.exec(`INSERT INTO events (event_id, seen_ms) VALUES (?, ?)`, entry.id, input.nowMs);
      fresh.push(entry.id);
    }
    if (!state) return { fresh, total: 0, flush: false };
    if (input.unblock && state.blocked) state = { ...state, blocked: null };
    if (state.blocked && state.blocked.untilMs > input.nowMs) {
      this.save(state);
      this.wakeAt(state.blocked.untilMs);
      const snapshot = this.snapshot();
      return { fresh, total: state.total, blocked: state.blocked.reason, flush: false, ...(snapshot ? { snapshot } : {}) };
    }
    const decision = decide(state, input.nowMs);
    let flush = false;
    if (decision && "kind" in decision) {
      if (input.nowMs - state.flushRequestedMs > FLUSH_PENDING_MS) {
        flush = true;
        state = { ...state, flushRequestedMs: input.nowMs };
      }
      // The backstop: should the flush never arrive (not sent, lost), the alarm asks again.
      this.wakeAt(state.flushRequestedMs + FLUSH_PENDING_MS + 1_000);
    } else if (decision) {
      this.wakeAt(decision.wakeAtMs);
    }
    this.save(state);
    this.wakeForQuiet(input.nowMs);
    // While it waits to be filed (fileAfter), the index shows its count as it grows.
    const waitedOrWaits = !state.issue && fresh.length > 0 && (!wasDue || !lifecycleOf(state.lifecycle).fileDue);
    const snapshot = isNew || waitedOrWaits ? this.snapshot() : null;
    return { fresh, total: state.total, flush, ...(snapshot ? { snapshot } : {}) };
  }

  /**
   * The auto-fix analysis made for this cluster (JSON of `AutofixAnalysis`), or null: made once per cluster, so a
   * retried PR step reuses its context and proposal and the root-cause note is posted once. Storage only: the
   * consumer does the reading and the writing.
   */
  autofixAnalysis(): string | null {
    return this.sql.exec<{ analysis: string }>(`SELECT analysis FROM autofix_analysis WHERE id = 1`).toArray()[0]?.analysis ?? null;
  }

  storeAutofixAnalysis(analysis: string, nowMs: number): void {
    this.sql.exec(`INSERT INTO autofix_analysis (id, analysis, updated_ms) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET analysis = excluded.analysis, updated_ms = excluded.updated_ms`, analysis, nowMs);
  }

  /**
   * A passing run of this CI failure's workflow on its branch (issue 15): its open issue is to be closed as completed
   * with one comment naming the run (`autoClose`), unless the run is older than the newest failure. No GitHub request
   * here: a `resolve` step is asked for on the writes queue.
   */
  green(input: GreenInput): LifecycleResult {
    const state = this.state;
    if (!state) return { refused: "no such cluster", flush: false, snapshot: null };
    const facts = state.sample.ci?.facts;
    const workflow = input.workflow ?? facts?.workflowName ?? facts?.workflow ?? state.sample.plugin.id;
    const branch = input.branch ?? facts?.branch;
    const { state: next, refused } = withGreen(state, { run: input.run, workflow, ...(branch !== undefined ? { branch } : {}) });
    if (refused) return { refused, flush: false, snapshot: this.snapshot() };
    return this.afterChange(next, input.nowMs);
  }

  /**
   * GitHub's state of this cluster's issue (an \`issues.closed\` / \`issues.reopened\` event of the issue with its
   * marker), taken at once: closed as not planned → silenced, reopened → active. Another repo or issue number: nothing.
   */
  mirror(repo: string, issue: IssueState, nowMs: number): LifecycleResult {
    const state = this.state;
    if (!state) return { refused: "no such cluster", flush: false, snapshot: null };
    // The marker is text anyone can paste: only the cluster's own repo and issue number count.
    if (state.repo.toLowerCase() !== repo.toLowerCase()) return { refused: `an issue of ${repo}, not of this cluster's repo`, flush: false, snapshot: null };
    const parsed = v.safeParse(IssueState, issue);
    if (!parsed.success) return { refused: "not an issue state", flush: false, snapshot: this.snapshot() };
    const { state: next, changed } = withMirroredIssue(state, parsed.output);
    if (!changed) return { refused: `issue #${issue.number} is not this cluster's (#${state.issue?.number ?? "none"})`, flush: false, snapshot: null };
    return this.afterChange(next, nowMs);
  }

  /** Saves a changed state and says whether a step is due now (the caller sends the flush), else arms the alarm. */
  private afterChange(changed: ClusterState, nowMs: number): LifecycleResult {
    let state = changed;
    const decision = decide(state, nowMs);
    let flush = false;
    if (decision && "kind" in decision) {
      if (nowMs - state.flushRequestedMs > FLUSH_PENDING_MS) {
        flush = true;
        state = { ...state, flushRequestedMs: nowMs };
      }
      this.wakeAt(state.flushRequestedMs + FLUSH_PENDING_MS + 1_000);
    } else if (decision) this.wakeAt(decision.wakeAtMs);
    this.save(state);
    return { flush, snapshot: this.snapshot() };
  }

  /** The step due now, for a flush message; null when none is due (or another holder has it in hand). */
  plan(nowMs: number, options: PlanOptions = {}): Plan | null {
    if (!this.state) return null;
    let state: ClusterState = { ...this.state, flushRequestedMs: 0 };
    // The same flush again while it holds the lease: a redelivery, its consumer died mid-step: take over now.
    if (options.holder && state.lease?.eventId === options.holder) state = { ...state, lease: null };
    return this.lease(state, nowMs, options.holder ?? `flush:${crypto.randomUUID()}`, options);
  }

  /**
   * The consumer finished a step: apply what GitHub answered, and hand out the next step if one is due.
   * `written` is the total the step wrote: a confirm whose lease is no longer current (it outlived its lease)
   * never marks more as shown than it wrote, nor more than was shown before it.
   */
  confirm(leaseId: string, result: StepResult, nowMs: number, options: PlanOptions & { written?: number } = {}): ConfirmResult {
    const state = this.requireState();
    // What is stored must be readable again: an answer that is not an issue never reaches the state.
    const issue = result.wrote === "digested" ? null : v.safeParse(IssueState, result.issue);
    if (issue && !issue.success) throw new Error(`confirm: the ${result.wrote} step's answer is not an issue: ${JSON.stringify(result).slice(0, 300)}`);
    const ours = state.lease?.id === leaseId;
    const written = ours ? (state.lease?.reflects ?? state.total) : Math.min(options.written ?? state.reflected, state.total);
    let duplicateOf: number | undefined;
    if ((result.wrote === "created" || result.wrote === "found") && state.issue && state.issue.number !== result.issue.number) {
      // A lease outlived its holder and both created an issue: keep the first, close the other.
      duplicateOf = state.issue.number;
      const kept = { ...state, lease: ours ? null : state.lease };
      this.save(kept);
      return { next: null, duplicateOf, state: this.snapshot() };
    }
    const issuedMs = ours ? (state.lease?.issuedMs ?? 0) : 0;
    let applied = applyStep({ ...state, lease: ours ? null : state.lease }, result, written, nowMs, issuedMs);
    // A stale body write may have landed after a newer one: GitHub may show the older count, so claim no more.
    if (!ours && applied.reflected !== state.reflected) applied = { ...applied, reflected: Math.min(written, state.issue ? state.reflected : 0) };
    applied = { ...applied, stepFailures: 0, retryAfterMs: null };
    const next = this.lease(applied, nowMs, state.lease?.eventId ?? `confirm:${leaseId}`, options);
    return { next, state: this.snapshot() };
  }

  /**
   * The consumer could not finish a step: free the lease and wake when it may be tried again (GitHub's advised
   * time, the budget's next slot, or a back-off growing with the failures in a row). A permanent refusal blocks
   * the cluster for a window, after which it tries again — a count update still owed is finished then.
   */
  abandon(leaseId: string, failure: StepFailure, nowMs: number): AbandonResult {
    const state = this.requireState();
    if (state.lease?.id !== leaseId) return { snapshot: this.snapshot() };
    const blocked = failure.permanent ? { reason: failure.reason, untilMs: nowMs + state.settings.windowMinutes * 60_000 } : state.blocked;
    // A create that never reached GitHub does not count as an attempt: the next one need not look for its issue.
    const unsentCreate = failure.unsent === true && state.lease.kind === "create";
    const createAttempts = unsentCreate ? Math.max(0, state.createAttempts - 1) : state.createAttempts;
    const createStartedMs = unsentCreate && createAttempts === 0 ? null : state.createStartedMs;
    // An edit GitHub may still apply late: write the body again once it no longer can.
    const lateWrite = failure.outcomeUnknownUntilMs !== undefined && state.lease.kind !== "comment" && state.lease.kind !== "refresh" && state.lease.kind !== "pr" && state.lease.kind !== "digest";
    const reassertAfterMs = lateWrite ? Math.max(state.reassertAfterMs ?? 0, failure.outcomeUnknownUntilMs ?? 0) : (state.reassertAfterMs ?? null);
    const stepFailures = failure.budget || failure.permanent ? state.stepFailures : state.stepFailures + 1;
    const backoffMs = failure.budget ? 0 : Math.min(900, (failure.retryBaseSeconds ?? 2) ** Math.min(stepFailures, 12)) * 1000;
    const retryAfterMs = failure.permanent ? null : Math.max(failure.retryAtMs ?? 0, nowMs + backoffMs, nowMs + 100);
    this.save({ ...state, lease: null, blocked, createAttempts, createStartedMs, reassertAfterMs, stepFailures, retryAfterMs, flushRequestedMs: 0 });
    // The step's own alarm (its lease, the flush's backstop) is done with: wake exactly when it may be tried again.
    const wake = failure.permanent && blocked ? blocked.untilMs : (retryAfterMs ?? nowMs);
    // (A late write's re-assertion is decided from then on: decide() waits for reassertAfterMs itself.)
    this.rearm(wake);
    const snapshot = this.snapshot();
    return { snapshot, ...(failure.permanent ? { refused: { sample: state.sample, settings: state.settings } } : {}) };
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
    const waiting = !s.issue && !lifecycleOf(s.lifecycle).fileDue;
    return {
      fingerprint: s.fingerprint,
      grouping: s.grouping,
      repo: s.repo,
      plugin: s.sample.plugin.id,
      category: s.sample.category,
      issueNumber: s.issue?.number ?? null,
      state: s.blocked && s.blocked.untilMs > Date.now() ? "blocked" : s.issue ? s.issue.state : s.lease?.kind === "create" ? "creating" : s.digest ? "digested" : waiting ? "waiting" : "pending",
      stateReason: s.issue?.stateReason ?? (waiting ? waitingReason(s) : null),
      total: s.total,
      reflected: s.reflected,
      firstSeen: s.firstSeen,
      lastSeen: s.lastSeen,
      blocked: s.blocked && s.blocked.untilMs > Date.now() ? s.blocked.reason : null,
      ...(s.sample.ci?.facts.stream ? { stream: s.sample.ci.facts.stream } : {}),
    };
  }

  /** Lease expiry, due updates and forgetting old event ids: asks the consumer (via the queue) to act. */
  override async alarm(): Promise<void> {
    this.alarmAtMs = null;
    const now = Date.now();
    this.sql.exec(`DELETE FROM events WHERE seen_ms < ?`, now - EVENT_MEMORY_MS);
    if (!this.state) return;
    const quietDue = quietDueMs(this.state);
    if (quietDue !== null && now >= quietDue) await this.quietCheck(now);
    const state = this.state;
    if (!state) return;
    const decision = decide(state.lease && state.lease.untilMs <= now ? { ...state, lease: null } : state, now);
    if (decision && "kind" in decision) {
      if (now - state.flushRequestedMs > FLUSH_PENDING_MS) {
        const message: FlushMessage = { version: 1, type: "flush", fingerprint: state.fingerprint, repo: state.repo };
        // Saved before the send, from the state as it is then: events recorded while the send is awaited (it is not
        // storage I/O, so the input gate lets them in) must not be overwritten by a copy read before it.
        this.save({ ...state, flushRequestedMs: now });
        try {
          await this.env.WRITES.send(message, { contentType: "json" });
        } catch (error) {
          // Not sent (the queue is down): ask again soon, for as long as it takes — the runtime's own alarm
          // retries give up after a few attempts, and nothing else would wake a cluster that gets no events.
          this.save({ ...this.requireState(), flushRequestedMs: state.flushRequestedMs });
          console.error(JSON.stringify({ msg: "flush not sent; retrying", fingerprint: state.fingerprint, error: error instanceof Error ? error.message : String(error) }));
          this.wakeAt(now + FLUSH_RETRY_MS);
          return;
        }
      }
      this.wakeAt(now + FLUSH_PENDING_MS + 1_000);
    } else if (decision) {
      this.wakeAt(decision.wakeAtMs);
    } else {
      const oldest = this.sql.exec<{ seen_ms: number | null }>(`SELECT MIN(seen_ms) AS seen_ms FROM events`).one().seen_ms;
      if (oldest !== null) this.wakeAt(oldest + EVENT_MEMORY_MS);
    }
    this.wakeForQuiet(now);
  }

  /**
   * Issue 15: an open issue of a `kernel.plugin_error` quiet for `resolveAfterQuietDays` since its last occurrence,
   * whose plugin was seen at another ref after it (D1 \`plugin_versions\`), is to be closed as completed ("no
   * recurrence since <ref> on <date>"): a `resolve` step, its flush sent from here. Otherwise it looks again a
   * day later (the plugin may move on yet). `nowMs` is the alarm's time (tests pass a later one).
   */
  async quietCheck(nowMs: number): Promise<{ resolving: boolean; reason: string }> {
    const state = this.state;
    if (!state) return { resolving: false, reason: "no cluster" };
    const lc = lifecycleOf(state.lifecycle);
    const days = lifecycleSettings(state.settings).resolveAfterQuietDays;
    const lastRef = state.sample.plugin.ref !== undefined ? ([...lc.versions].reverse().find((version) => version.kind === "ref")?.value ?? state.sample.plugin.ref) : undefined;
    if (state.sample.kind !== "plugin_error" || state.issue?.state !== "open" || lc.resolve || lastRef === undefined) return { resolving: false, reason: "not an open plugin failure's issue" };
    const moved = await movedOnFrom(this.env.DB, state.sample, lastRef, state.lastSeen);
    const current = this.state ?? state;
    const verdict = quietResolution({ lc: lifecycleOf(current.lifecycle), kind: current.sample.kind, issueOpen: current.issue?.state === "open", lastSeen: current.lastSeen, quietDays: days, pluginVersion: moved, nowMs });
    if (!verdict || !("resolve" in verdict)) {
      this.wakeAt(Math.max(verdict && "wakeAtMs" in verdict ? verdict.wakeAtMs : 0, Date.now() + 86_400_000));
      return { resolving: false, reason: moved ? "not quiet long enough" : "the plugin was not seen at another ref since" };
    }
    const next: ClusterState = { ...current, lifecycle: { ...lifecycleOf(current.lifecycle), resolve: verdict.resolve }, flushRequestedMs: Date.now() };
    this.save(next);
    const message: FlushMessage = { version: 1, type: "flush", fingerprint: next.fingerprint, repo: next.repo };
    try {
      await this.env.WRITES.send(message, { contentType: "json" });
    } catch (error) {
      this.save({ ...this.requireState(), flushRequestedMs: 0 });
      console.error(JSON.stringify({ msg: "flush not sent; retrying", fingerprint: next.fingerprint, error: error instanceof Error ? error.message : String(error) }));
    }
    this.wakeAt(Date.now() + FLUSH_PENDING_MS + 1_000);
    return { resolving: true, reason: `no recurrence since ${verdict.resolve.by === "quiet" ? verdict.resolve.ref : ""}` };
  }

  /** Keeps the alarm no later than when a quiet plugin failure is to be looked at. */
  private wakeForQuiet(nowMs: number): void {
    const due = this.state ? quietDueMs(this.state) : null;
    if (due !== null) this.wakeAt(Math.max(due, nowMs + 1_000));
  }

  /** Decides, and when a step is due, stores a lease for it and returns it as a plan. Always saves `state`. */
  private lease(state: ClusterState, nowMs: number, eventId: string, options: PlanOptions = {}): Plan | null {
    const decision = decide(state, nowMs);
    if (!decision || "wakeAtMs" in decision) {
      this.save(state);
      if (decision) this.wakeAt(decision.wakeAtMs);
      this.wakeForQuiet(nowMs);
      return null;
    }
    const { kind } = decision;
    this.wakeForQuiet(nowMs);
    const leaseMs = options.leaseMs ?? leaseMsFor(kind, options.requestMs);
    const leaseId = crypto.randomUUID();
    const createAttempts = kind === "create" ? state.createAttempts + 1 : state.createAttempts;
    const createStartedMs = kind === "create" ? (state.createStartedMs ?? nowMs) : state.createStartedMs;
    const commenting = kind === "comment" || kind === "resolve" || kind === "mention";
    const commentStartedMs = commenting ? (state.commentStartedMs ?? nowMs) : state.commentStartedMs;
    const leased: ClusterState = { ...state, lease: { id: leaseId, kind, untilMs: nowMs + leaseMs, eventId, reflects: state.total, issuedMs: nowMs }, createAttempts, createStartedMs, commentStartedMs };
    this.save(leased);
    this.wakeAt(nowMs + leaseMs);
    const digest = digestBaseOf(leased, kind, nowMs);
    return {
      leaseId,
      kind,
      fingerprint: leased.fingerprint,
      repo: leased.repo,
      issueNumber: leased.issue?.number ?? null,
      recoverSinceMs: kind === "create" && createAttempts > 1 ? createStartedMs : commenting ? state.commentStartedMs : null,
      view: clusterView(leased, nowMs),
      settings: leased.settings,
      reflects: leased.total,
      ...(kind === "comment" ? { comment: leased.pendingReopenComment ? ("reopen" as const) : ("recurrence" as const), commentKey: commentStartedMs ?? nowMs } : {}),
      ...(kind === "resolve" || kind === "mention" ? { commentKey: commentStartedMs ?? nowMs } : {}),
      ...(kind === "resolve" && leased.lifecycle?.resolve ? { resolution: leased.lifecycle.resolve } : {}),
      ...lifecycleNotes(leased, kind),
      ...(kind === "mention" ? { closedAt: leased.issue?.closedAt ?? null } : {}),
      ...(digest ? { digest } : {}),
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

  /** Sets the one alarm to `ms`, whatever it was (the caller knows nothing is due before then). */
  private rearm(ms: number): void {
    this.alarmAtMs = ms;
    void this.ctx.storage.setAlarm(ms);
  }

  /** Keeps one alarm at the earliest time anything is due. */
  private wakeAt(ms: number): void {
    if (this.alarmAtMs !== null && this.alarmAtMs <= ms && this.alarmAtMs > Date.now()) return;
    this.alarmAtMs = ms;
    void this.ctx.storage.setAlarm(ms);
  }
}
