import * as v from "valibot";
import { FailureEvent } from "./failure-event";
import { Settings } from "./settings";

/** What ingest puts on the events queue: one redacted failure and the settings it was accepted under. */
export const FailureMessage = v.object({
  version: v.literal(1),
  type: v.literal("failure"),
  failure: FailureEvent,
  settings: Settings,
  /** The redacted event payload, only when `settings.keepRawPayload` is true. */
  raw: v.optional(v.unknown()),
  /** Put back by an operator from the dead letters: the cluster tries GitHub again even if it was refused. */
  replay: v.optional(v.boolean()),
});
export type FailureMessage = v.InferOutput<typeof FailureMessage>;

/** A cluster asking the consumer to bring its issue up to date (sent by the cluster's alarm). */
export const FlushMessage = v.object({
  version: v.literal(1),
  type: v.literal("flush"),
  fingerprint: v.pipe(v.string(), v.regex(/^[0-9a-f]{40}$/)),
  repo: v.string(),
});
export type FlushMessage = v.InferOutput<typeof FlushMessage>;

/** Every message of the events queue. */
export const QueueMessage = v.variant("type", [FailureMessage, FlushMessage]);
export type QueueMessage = v.InferOutput<typeof QueueMessage>;
