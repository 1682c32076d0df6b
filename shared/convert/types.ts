import type { GreenRun } from "../ci-context/stream-key";
import type { FailureEvent } from "../failure-event";
import type { MirroredIssue } from "../lifecycle/issue-event";
import type { Redactor } from "../redact";
import type { Settings } from "../settings";
import type { SettingsWarning } from "../settings-leniency";
import type { FieldIssue } from "../validation";

/** What ingest knows besides the event payload. */
export interface ConvertContext {
  /** The kernel's state id of this dispatch (plugin input `stateId`). */
  kernelStateId: string;
  /** ISO time the request was accepted. */
  receivedAt: string;
  settings: Settings;
  /**
   * Redacts event text before it is clipped (ingest passes one that also knows the input's own `authToken`
   * and kernel token); without it, the known secret formats only.
   */
  redactor?: Redactor;
  /** `HOTFIX_POLICY.targetOwners`: owners besides the reporter's own that failures may be filed in (default none). */
  targetOwners?: readonly string[];
}

/** A failure before its event id (a hash of `deliveryKey`) is filled in. */
export type FailureDraft = Omit<FailureEvent, "eventId">;

export type Conversion =
  /** `warnings`: settings the trust rules ignored (e.g. another owner's `fallbackRepo`). */
  | { outcome: "failure"; failure: FailureDraft; deliveryKey: string; actors: string[]; warnings?: SettingsWarning[] }
  | { outcome: "ignored"; reason: string }
  /** A passing CI run on a watched branch: recorded as its stream's last green commit, nothing enqueued. */
  | { outcome: "green"; green: GreenRun }
  /** `issues.closed` / `issues.reopened` of an issue daemon-hotfix filed: its cluster takes the state at once. */
  | { outcome: "mirror"; mirror: MirroredIssue }
  | { outcome: "invalid"; issues: FieldIssue[] };
