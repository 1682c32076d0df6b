import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { FieldIssue } from "../shared/validation";

export type ErrorCode =
  | "unsupported_media_type"
  | "payload_too_large"
  | "invalid_json"
  | "invalid_body"
  | "invalid_event_payload"
  | "invalid_signature"
  | "wrong_audience"
  | "invalid_kernel_token"
  | "unauthorised"
  | "invalid_query"
  | "not_found"
  | "method_not_allowed"
  | "misconfigured"
  | "unavailable"
  | "internal_error";

/**
 * The one application error: an HTTP status, a stable code, a public message and (for 400s) the field paths
 * at fault. `internal` is logged, never sent.
 */
export class AppError extends Error {
  override readonly name = "AppError";
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: ErrorCode,
    readonly publicMessage: string,
    readonly issues: FieldIssue[] = [],
    readonly internal?: string,
  ) {
    super(publicMessage);
  }
}

export interface ErrorBody {
  error: ErrorCode;
  message: string;
  issues?: FieldIssue[];
}

/** Every error the app throws becomes JSON here, and only here. Unknown errors: 500 without detail. */
export function errorResponse(error: unknown, c: Context): Response {
  if (error instanceof AppError) {
    if (error.internal) console.warn(JSON.stringify({ msg: "request refused", code: error.code, detail: error.internal }));
    const body: ErrorBody = { error: error.code, message: error.publicMessage, ...(error.issues.length ? { issues: error.issues } : {}) };
    return c.json(body, error.status);
  }
  console.error(JSON.stringify({ msg: "unhandled error", error: error instanceof Error ? error.name : typeof error }));
  return c.json({ error: "internal_error", message: "internal error" } satisfies ErrorBody, 500);
}
