import * as v from "valibot";
import { FailureEvent } from "../failure-event";
import { Settings } from "../settings";
import { Attribution } from "./attribution";

/**
 * A failing run counted in its CI stream (stored while it waits for the read that says what broke, so its queue
 * message is acked). An aggregate of runs ingest shed has its own `id` and stands for `count` runs.
 */
export const PendingRun = v.object({
  failure: FailureEvent,
  settings: Settings,
  replay: v.optional(v.boolean()),
  /** Default: the failure's event id. */
  id: v.optional(v.string()),
  count: v.optional(v.number()),
});
export type PendingRun = v.InferOutput<typeof PendingRun>;

/** A run the stream attributed: the consumer derives its breakage failures and counts them into their clusters. */
export const CiDelivery = v.object({ eventId: v.string(), failure: FailureEvent, settings: Settings, replay: v.optional(v.boolean()), count: v.optional(v.number()), attribution: Attribution });
export type CiDelivery = v.InferOutput<typeof CiDelivery>;

/** What one read of GitHub found for a run (the consumer's CI-context step reports it to the stream). */
export type ReadOutcome =
  | { resolution: "read"; readRunId?: number; breakages: Attribution["breakages"] & object }
  | { resolution: "unreadable"; readRunId?: number; reason: string };
