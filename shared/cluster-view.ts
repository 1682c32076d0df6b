import type { BrokenBetween } from "./ci-context/broken-between";
import type { FailureEvent } from "./failure-event";
import type { SeenVersion } from "./lifecycle/versions";

/** One occurrence's ids, kept for the correlation table. */
export interface Occurrence {
  at: string;
  eventId: string;
  stateId?: string;
  deliveryId?: string;
  requestId?: string;
  runId?: number;
  url?: string;
}

/** Everything an issue, its updates and its comments are rendered from: the cluster as its Durable Object sees it. */
export interface ClusterView {
  fingerprint: string;
  /** The grouping version the fingerprint was computed under (v1, v2, …). */
  grouping: string;
  repo: string;
  /** The first occurrence (redacted). */
  sample: FailureEvent;
  /** The newest occurrence's message and status (they may differ in their normalised-away parts). */
  latest: { occurredAt: string; message: string; status: number | null };
  total: number;
  firstSeen: string;
  lastSeen: string;
  /** Occurrences since the last comment or the creation, and when that span began. */
  sinceComment: number;
  sinceCommentFrom: string;
  /** Newest last, at most `MAX_RECENT`. */
  recent: Occurrence[];
  /** Plugin refs / branches seen. */
  refs: string[];
  /** How many distinct reporters (orgs) reported it (`MAX_REPORTERS` means at least that many); absent: unknown. */
  reporters?: number;
  /** CI failures: "broken between" the last passing commit and the first failing one. */
  brokenBetween?: BrokenBetween;
  /** How many distinct trigger repos reported it (absent: unknown). */
  repos?: number;
  /** Occurrences per hour (the last 24) and per UTC day (the last 14), oldest first: the sparklines. */
  activity?: { hourly: number[]; daily: number[] };
  /** The refs and commits the failure was seen on (issue 15). */
  versions?: SeenVersion[];
}

export const MAX_RECENT = 10;

export function occurrenceOf(failure: FailureEvent): Occurrence {
  const c = failure.correlation;
  return {
    at: failure.occurredAt,
    eventId: failure.eventId,
    ...(c.stateId ? { stateId: c.stateId } : {}),
    ...(c.deliveryId ? { deliveryId: c.deliveryId } : {}),
    ...(c.requestId ? { requestId: c.requestId } : {}),
    ...(c.runId !== undefined ? { runId: c.runId } : {}),
    ...(failure.trigger.url ? { url: failure.trigger.url } : {}),
  };
}
