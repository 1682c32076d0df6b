/** Outcomes the kernel can be answered with (contract: `POST /`). All are HTTP 200. */
export type IngestStatus = "queued" | "suppressed" | "ignored" | "rate_limited" | "disabled";

export interface IngestOutput {
  status: IngestStatus;
  reason?: string;
  fingerprint?: string;
  eventId?: string;
  /** What was wrong with the settings and did not cost the event (`settings.<key>: …`): ignored or at its default. */
  warnings?: string[];
}

/** The 200 answer: plugin-sdk workers answer `{ stateId, output }`. */
export interface IngestAnswer {
  stateId: string;
  output: IngestOutput;
}
