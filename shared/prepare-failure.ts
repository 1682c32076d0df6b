import type { GreenRun } from "./ci-context/stream-key";
import { type ConvertContext, toFailure } from "./convert";
import { hashKey } from "./delivery-key";
import type { FailureEvent } from "./failure-event";
import type { MirroredIssue } from "./lifecycle/issue-event";
import { loopReason, type SelfIdentity, selfFailureReason } from "./policy";
import { createRedactor } from "./redact";
import type { SettingsWarning } from "./settings-leniency";
import type { FieldIssue } from "./validation";

export interface PrepareContext extends Omit<ConvertContext, "redactor"> {
  /** The input's own secrets (`authToken`, `ubiquityKernelToken`), redacted wherever they appear. */
  secrets: ReadonlyArray<string | undefined>;
  self: SelfIdentity;
}

export type Prepared =
  | {
      outcome: "failure";
      /** Redacted, with its event id. */
      failure: FailureEvent;
      /** Set for a failure of daemon-hotfix itself: never filed, counted apart. */
      selfFailure: string | null;
      /** Set when filing it would loop (self failures included): it is suppressed. */
      loop: string | null;
      /** Settings the trust rules ignored (another owner's `fallbackRepo`), for the answer's warnings. */
      warnings: SettingsWarning[];
    }
  | { outcome: "ignored"; reason: string }
  /** A passing CI run: its stream's new last green commit (redacted). */
  | { outcome: "green"; green: GreenRun }
  /** An issue daemon-hotfix filed was closed or reopened on GitHub. */
  | { outcome: "mirror"; mirror: MirroredIssue }
  | { outcome: "invalid"; issues: FieldIssue[] };

/**
 * A decoded event on its way in: converted, given its event id, redacted, and judged for loops. Shared by ingest
 * and by the replay of an event that could not be converted when it came (its dead letter).
 */
export async function prepareFailure(eventName: string, payload: unknown, ctx: PrepareContext): Promise<Prepared> {
  // Redaction runs inside the conversion, before any text is clipped; the input's own tokens are known secrets.
  const redactor = createRedactor(ctx.secrets);
  const conversion = toFailure(eventName, payload, { ...ctx, redactor });
  if (conversion.outcome === "green") return { outcome: "green", green: redactor.value(conversion.green) };
  if (conversion.outcome !== "failure") return conversion;
  const eventId = await hashKey(conversion.deliveryKey);
  const failure = redactor.value<FailureEvent>({ ...conversion.failure, eventId });
  return { outcome: "failure", failure, selfFailure: selfFailureReason(failure, ctx.self), loop: loopReason(failure, conversion.actors, ctx.self), warnings: conversion.warnings ?? [] };
}
