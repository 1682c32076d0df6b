import * as v from "valibot";
import { FailureEvent } from "./failure-event";
import { Settings } from "./settings";

/** What ingest puts on the events queue: one redacted failure and the settings it was accepted under. */
export const FailureMessage = v.object({
  version: v.literal(1),
  failure: FailureEvent,
  settings: Settings,
  /** The redacted event payload, only when `settings.keepRawPayload` is true. */
  raw: v.optional(v.unknown()),
});
export type FailureMessage = v.InferOutput<typeof FailureMessage>;
