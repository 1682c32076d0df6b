import { DurableObject } from "cloudflare:workers";
import { type BudgetLimits, SLOT_LATENESS_MS } from "../config";

export type { BudgetLimits } from "../config";

export type Reservation = { granted: true; atMs: number } | { granted: false; retryAtMs: number };

export interface BudgetStats {
  usedLastMinute: number;
  usedLastHour: number;
  remainingMinute: number;
  remainingHour: number;
  blockedUntilMs: number;
}

const MINUTE = 60_000;
const HOUR = 3_600_000;
/** A create refused a slot is remembered as waiting this long past its slot (it comes back through its cluster). */
const CREATE_WAIT_GRACE_MS = 30_000;
/**
 * A refused create is told to come back this share of its allowed wait before its slot: the way back (its cluster's
 * alarm, the writes queue, the consumer) takes time, and a create that arrives after its slot has passed leaves
 * the slot unused — the creates behind it then come one spacing late each. Back early, it waits in line and is
 * sent at its slot.
 */
export const CREATE_COMEBACK_LEAD = 0.5;

/**
 * What a write is: a new failure's first issue (`create`) is served before everything else (`other`: body
 * edits, comments, reopens, PR steps), so a failure first seen mid-storm gets its issue as soon as GitHub's
 * spacing allows. `requester` names who asks (the cluster), so a create that waits is known until served.
 */
export interface Priority {
  kind: "create" | "other";
  requester?: string;
}
/**
 * The write budget of one GitHub token (later: one installation). Every write asks for a slot first, so all
 * consumers together stay under GitHub's secondary limits, spaced as GitHub advises; an answer from GitHub that
 * says "wait" (retry-after, x-ratelimit-reset) closes the budget until then.
 */
export class WriteBudget extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  /** Granted slot times of the last hour, ascending. */
  private slots: number[] = [];
  private blockedUntilMs = 0;
  /** Creates refused a slot, by requester: until when they are taken to be waiting (in memory: best effort). */
  private readonly waitingCreates = new Map<string, number>();
  /** Times refused writes were told to come back, ascending (creates and others apart). */
  private readonly deferredCreates: number[] = [];
  private readonly deferredOthers: number[] = [];

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    void ctx.blockConcurrencyWhile(async () => {
      this.sql.exec(`CREATE TABLE IF NOT EXISTS slots (at_ms INTEGER NOT NULL)`);
      this.sql.exec(`CREATE TABLE IF NOT EXISTS blocked (id INTEGER PRIMARY KEY CHECK (id = 1), until_ms INTEGER NOT NULL)`);
      const horizon = Date.now() - HOUR;
      this.sql.exec(`DELETE FROM slots WHERE at_ms < ?`, horizon);
      this.slots = this.sql.exec<{ at_ms: number }>(`SELECT at_ms FROM slots ORDER BY at_ms`).toArray().map((r) => r.at_ms);
      this.blockedUntilMs = this.sql.exec<{ until_ms: number }>(`SELECT until_ms FROM blocked WHERE id = 1`).toArray()[0]?.until_ms ?? 0;
    });
  }

  /**
   * The earliest slot at or after now that keeps within the limits. Granted (and taken) when it is at most
   * `maxWaitMs` away; otherwise nothing is taken and the caller is told when to come back (a time of its own,
   * one spacing after the others told to come back, so refused writes do not all return at once). Creates
   * first: no other write is granted while a refused create is still waiting for its slot (and the writer lets
   * other writes wait only briefly in line, so no queue of edits builds up ahead of a create).
   */
  reserve(nowMs: number, limits: BudgetLimits, maxWaitMs: number, priority: Priority = { kind: "other" }): Reservation {
    this.prune(nowMs);
    for (const [requester, untilMs] of this.waitingCreates) if (untilMs <= nowMs) this.waitingCreates.delete(requester);
    for (const list of [this.deferredCreates, this.deferredOthers]) while ((list[0] ?? Infinity) < nowMs) list.shift();
    const at = this.earliest(nowMs, limits);
    const lastCreate = this.deferredCreates.at(-1);
    if (priority.kind === "create") {
      if (at - nowMs <= maxWaitMs) {
        if (priority.requester) this.waitingCreates.delete(priority.requester);
      } else {
        // Refused: a slot of its own, one spacing after the creates already told to come back — and told to come
        // back ahead of it, so it is in line when the slot comes.
        const slotMs = lastCreate !== undefined && lastCreate >= at ? lastCreate + limits.spacingMs : at;
        this.deferredCreates.push(slotMs);
        if (priority.requester) this.waitingCreates.set(priority.requester, slotMs + CREATE_WAIT_GRACE_MS);
        return { granted: false, retryAtMs: Math.max(nowMs, slotMs - Math.floor(maxWaitMs * CREATE_COMEBACK_LEAD)) };
      }
    } else if (this.waitingCreates.size > 0 || at - nowMs > maxWaitMs) {
      // Behind every create that waits, and spread one spacing apart, so refused edits do not come back at once.
      const base = Math.max(at, lastCreate !== undefined && this.waitingCreates.size > 0 ? lastCreate + limits.spacingMs : at);
      const lastOther = this.deferredOthers.at(-1);
      const retryAtMs = lastOther !== undefined && lastOther >= base ? lastOther + limits.spacingMs : base;
      this.deferredOthers.push(retryAtMs);
      return { granted: false, retryAtMs };
    }
    this.slots.push(at);
    this.slots.sort((a, b) => a - b);
    this.sql.exec(`INSERT INTO slots (at_ms) VALUES (?)`, at);
    return { granted: true, atMs: at };
  }

  /** GitHub said to wait until `untilMs`: no writes before then. */
  penalize(untilMs: number): void {
    if (untilMs <= this.blockedUntilMs) return;
    this.blockedUntilMs = untilMs;
    this.sql.exec(`INSERT INTO blocked (id, until_ms) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET until_ms = excluded.until_ms`, untilMs);
  }

  stats(nowMs: number, limits: BudgetLimits): BudgetStats {
    this.prune(nowMs);
    const usedLastMinute = this.slots.filter((t) => t > nowMs - MINUTE && t <= nowMs).length;
    const usedLastHour = this.slots.filter((t) => t <= nowMs).length;
    return {
      usedLastMinute,
      usedLastHour,
      remainingMinute: Math.max(0, limits.perMinute - usedLastMinute),
      remainingHour: Math.max(0, limits.perHour - usedLastHour),
      blockedUntilMs: this.blockedUntilMs,
    };
  }

  private earliest(nowMs: number, limits: BudgetLimits): number {
    const last = this.slots.at(-1);
    let at = Math.max(nowMs, this.blockedUntilMs, last !== undefined ? last + limits.spacingMs : nowMs);
    for (let guard = 0; guard < 1000; guard++) {
      const moved = this.fitWindow(at, MINUTE, limits.perMinute) ?? this.fitWindow(at, HOUR, limits.perHour);
      if (moved === undefined) return at;
      at = moved;
    }
    return at;
  }

  /**
   * When the window ending at `at` (widened by the lateness a write may have) already holds `limit` slots: the
   * time the oldest of them leaves it.
   */
  private fitWindow(at: number, windowMs: number, limit: number): number | undefined {
    const span = windowMs + SLOT_LATENESS_MS;
    const inWindow = this.slots.filter((t) => t > at - span && t <= at);
    if (inWindow.length < limit) return undefined;
    const leaving = inWindow[inWindow.length - limit];
    return leaving === undefined ? undefined : leaving + span + 1;
  }

  private prune(nowMs: number): void {
    const horizon = nowMs - HOUR;
    if (this.slots.length && (this.slots[0] ?? horizon) < horizon) {
      this.slots = this.slots.filter((t) => t >= horizon);
      this.sql.exec(`DELETE FROM slots WHERE at_ms < ?`, horizon);
    }
  }
}
