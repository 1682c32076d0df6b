import * as v from "valibot";
import { CiCommit } from "./ci-context/schema";
import { FailureEvent } from "./failure-event";
import { ARRIVAL_STEPS } from "./arrivals";
import { Settings } from "./settings";

/** A cluster's key: 40 hex digits (shared/fingerprint.ts). */
const FingerprintHex = v.pipe(v.string(), v.regex(/^[0-9a-f]{40}$/));

/** What ingest puts on the events queue: one redacted failure and the settings it was accepted under. */
export const FailureMessage = v.object({
  version: v.literal(1),
  type: v.literal("failure"),
  failure: FailureEvent,
  settings: Settings,
  /**
   * The failure's cluster, computed once at ingest (absent while the target repo still has to come from the
   * plugin's manifest: the consumer computes it after resolving the repo).
   */
  fingerprint: v.optional(FingerprintHex),
  /** The grouping version `fingerprint` was computed under (shared/grouping/versions.ts). */
  grouping: v.optional(v.string()),
  /** The redacted event payload, only when `settings.keepRawPayload` is true. */
  raw: v.optional(v.unknown()),
  /** Put back by an operator from the dead letters: the cluster tries GitHub again even if it was refused. */
  replay: v.optional(v.boolean()),
});
export type FailureMessage = v.InferOutput<typeof FailureMessage>;

/**
 * Events ingest answered `rate_limited`, still counted in their failure: the per-repo gate aggregates them and
 * forwards one message per fingerprint per interval, never one per shed event. `id` names the aggregate, so a
 * redelivered one is counted once; `failure` is the newest shed event (its sample), `count` how many it stands for.
 */
export const ShedMessage = v.object({
  version: v.literal(1),
  type: v.literal("shed"),
  id: v.pipe(v.string(), v.minLength(1), v.maxLength(200)),
  failure: FailureEvent,
  settings: Settings,
  fingerprint: v.optional(FingerprintHex),
  grouping: v.optional(v.string()),
  count: v.pipe(v.number(), v.integer(), v.minValue(1)),
  /** When the first of the events arrived at ingest. */
  firstAt: v.string(),
  /**
   * How many of them arrived in each ARRIVAL_STEP_MS after the first (shared/arrivals.ts): each event's counting lag
   * is measured from its own step. Absent (an older gate's aggregate): all are measured from `firstAt`.
   */
  arrivals: v.optional(v.pipe(v.array(v.pipe(v.number(), v.integer(), v.minValue(0))), v.maxLength(ARRIVAL_STEPS))),
  /** Put back by an operator from the dead letters: counted once already, its cluster tries GitHub again. */
  replay: v.optional(v.boolean()),
});
export type ShedMessage = v.InferOutput<typeof ShedMessage>;

/**
 * Admitted events of a failure already known to its repo's gate, gathered there and forwarded as one message per
 * interval (`GATHER_SECONDS`): counted like a shed aggregate — `id` names it, `count` is how many events it stands
 * for, `failure` the first of them (its sample). A failure's first event is never gathered: it is its own message.
 */
export const GatheredMessage = v.object({ ...ShedMessage.entries, type: v.literal("gathered") });
export type GatheredMessage = v.InferOutput<typeof GatheredMessage>;

/** An aggregate of events counted at ingest's gate: shed (answered rate_limited) or gathered (answered queued). */
export type AggregateMessage = ShedMessage | GatheredMessage;

/** A message carrying failures: one event, or an aggregate of them (what a dead letter of the events queue holds). */
export const CountedMessage = v.variant("type", [FailureMessage, ShedMessage, GatheredMessage]);
export type CountedMessage = v.InferOutput<typeof CountedMessage>;

/** A cluster asking the consumer to bring its issue up to date (sent on the writes queue). */
export const FlushMessage = v.object({
  version: v.literal(1),
  type: v.literal("flush"),
  fingerprint: FingerprintHex,
  repo: v.string(),
});
export type FlushMessage = v.InferOutput<typeof FlushMessage>;

/** A repo's spike guard asking for the next step of the day's digest issue (sent on the writes queue). */
export const DigestFlushMessage = v.object({
  version: v.literal(1),
  type: v.literal("digest"),
  repo: v.pipe(v.string(), v.regex(/^[^/\s]+\/[^/\s]+$/)),
  day: v.pipe(v.string(), v.regex(/^\d{4}-\d{2}-\d{2}$/)),
});
export type DigestFlushMessage = v.InferOutput<typeof DigestFlushMessage>;

/** Every message of the writes queue (GitHub steps): a cluster's flush, or a digest's. */
export const WritesMessage = v.variant("type", [FlushMessage, DigestFlushMessage]);
export type WritesMessage = v.InferOutput<typeof WritesMessage>;

/**
 * A passing CI run whose stream has open issues (issue 15): each of those clusters is told, and closes its issue
 * (a `resolve` step on the writes queue). Ingest sends it only when the stream's index names open issues.
 */
export const GreenMessage = v.object({
  version: v.literal(1),
  type: v.literal("green"),
  stream: v.pipe(v.string(), v.minLength(1), v.maxLength(1_200)),
  fingerprints: v.pipe(v.array(FingerprintHex), v.minLength(1), v.maxLength(100)),
  workflow: v.pipe(v.string(), v.maxLength(500)),
  branch: v.optional(v.pipe(v.string(), v.maxLength(500))),
  run: CiCommit,
});
export type GreenMessage = v.InferOutput<typeof GreenMessage>;

/** An `issues.closed` / `issues.reopened` of an issue daemon-hotfix filed: its cluster takes GitHub's state (issue 15). */
export const MirrorMessage = v.object({
  version: v.literal(1),
  type: v.literal("mirror"),
  fingerprint: FingerprintHex,
  repo: v.pipe(v.string(), v.regex(/^[^/\s]+\/[^/\s]+$/)),
  issue: v.object({
    number: v.pipe(v.number(), v.integer(), v.minValue(1)),
    state: v.picklist(["open", "closed"]),
    stateReason: v.nullable(v.pipe(v.string(), v.maxLength(50))),
    closedAt: v.nullable(v.pipe(v.string(), v.maxLength(64))),
  }),
});
export type MirrorMessage = v.InferOutput<typeof MirrorMessage>;

/** Every message of the events queue (counting, and the lifecycle events of issue 15). */
export const QueueMessage = v.variant("type", [FailureMessage, ShedMessage, GatheredMessage, FlushMessage, GreenMessage, MirrorMessage]);

/**
 * A CI stream asking for its due step (sent on the CI-context queue, the only place GitHub is read for what broke):
 * read a waiting run, or deliver runs attributed earlier whose counting was never confirmed.
 */
export const CiMessage = v.object({
  version: v.literal(1),
  type: v.literal("ci"),
  stream: v.pipe(v.string(), v.minLength(1), v.maxLength(1_200)),
});
export type CiMessage = v.InferOutput<typeof CiMessage>;
export type QueueMessage = v.InferOutput<typeof QueueMessage>;
