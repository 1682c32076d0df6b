/** What a handler answers, before it becomes a Fetch Response; and GitHub's error bodies. */
import type { ValidationErrorItem } from "./validate.ts";

export const DOCS = "https://docs.github.com/rest";
export const SECONDARY_DOCS = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits";
export const PRIMARY_DOCS = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api";
export const SECONDARY_MESSAGE =
  "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID.";

export interface Result {
  status: number;
  /** JSON body (omitted for 204). */
  body?: unknown;
  /** A non-JSON body (HTML page, plain text). */
  text?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

export function json(status: number, body: unknown, headers?: Record<string, string>): Result {
  return headers ? { status, body, headers } : { status, body };
}

export function error(status: number, message: string, documentationUrl = DOCS, headers?: Record<string, string>): Result {
  return json(status, { message, documentation_url: documentationUrl, status: String(status) }, headers);
}

export function notFound(): Result {
  return json(404, { message: "Not Found", documentation_url: DOCS, status: "404" });
}

export function validationFailed(errors: ValidationErrorItem[], documentationUrl = DOCS): Result {
  return json(422, { message: "Validation Failed", errors, documentation_url: documentationUrl, status: "422" });
}

export function secondaryLimit(retryAfterSeconds: number): Result {
  return error(403, SECONDARY_MESSAGE, SECONDARY_DOCS, { "retry-after": String(retryAfterSeconds) });
}

export function toResponse(result: Result): Response {
  const headers = new Headers(result.headers);
  if (result.status === 204 || result.status === 304) return new Response(null, { status: result.status, headers });
  if (result.text !== undefined) {
    headers.set("content-type", result.contentType ?? "text/plain; charset=utf-8");
    return new Response(result.text, { status: result.status, headers });
  }
  headers.set("content-type", "application/json; charset=utf-8");
  return new Response(JSON.stringify(result.body ?? null), { status: result.status, headers });
}

/** Pages `items` like GitHub (per_page default 30, max 100) and builds the `link` header from the request URL. */
export function paginate<T>(items: readonly T[], requestUrl: URL, maxPerPage = 100): { page: T[]; link: string | null } {
  const perPage = clampInt(requestUrl.searchParams.get("per_page"), 30, 1, maxPerPage);
  const page = clampInt(requestUrl.searchParams.get("page"), 1, 1, Number.MAX_SAFE_INTEGER);
  const last = Math.max(1, Math.ceil(items.length / perPage));
  const at = (n: number) => {
    const url = new URL(requestUrl.href);
    url.searchParams.set("page", String(n));
    return url.href;
  };
  const links: string[] = [];
  if (page > 1) links.push(`<${at(Math.min(page - 1, last))}>; rel="prev"`);
  if (page < last) links.push(`<${at(page + 1)}>; rel="next"`, `<${at(last)}>; rel="last"`);
  if (page > 1) links.push(`<${at(1)}>; rel="first"`);
  return { page: items.slice((page - 1) * perPage, page * perPage), link: links.length > 0 ? links.join(", ") : null };
}

export function clampInt(raw: string | null, fallback: number, min: number, max: number): number {
  if (raw === null || raw.trim() === "") return fallback;
  const n = Number.parseInt(raw, 10);
  if (!Number.isFinite(n)) return fallback;
  return Math.min(max, Math.max(min, n));
}
