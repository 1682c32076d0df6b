import * as v from "valibot";
import { Settings } from "./settings";

/**
 * A signed event ingest could not convert into a failure (answered `400 invalid_event_payload`), as its dead letter
 * keeps it: the decoded event (redacted) and the settings it came with, so that an operator can replay it once the
 * conversion is fixed. When the payload could not even be decoded (or is too large to keep), only the refusal is
 * recorded (`payloadMissing`), and the letter cannot be replayed.
 */
export const UnconvertedEvent = v.object({
  version: v.literal(1),
  type: v.literal("unconverted"),
  eventName: v.string(),
  /** The kernel's state id of the dispatch (plugin input `stateId`). */
  kernelStateId: v.string(),
  receivedAt: v.string(),
  settings: Settings,
  /** What made it unconvertible, by field path. */
  issues: v.array(v.object({ path: v.string(), message: v.string() })),
  payload: v.optional(v.unknown()),
  payloadMissing: v.optional(v.string()),
});
export type UnconvertedEvent = v.InferOutput<typeof UnconvertedEvent>;

/** D1 keeps rows up to 2 MB: a payload larger than this (as JSON) is not kept. */
export const MAX_KEPT_PAYLOAD_BYTES = 1_000_000;
