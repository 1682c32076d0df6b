// The admin API client, and the connection-level error messages every command shares.
// The token only ever goes into the Authorization header: no message, log or error here contains it.
import { CliError, EXIT } from "./errors.mjs";

export const TIMEOUT_MS = 30_000;
/** The most items the CLI asks for in one page; the server may answer fewer. */
export const PAGE_SIZE = 50;

/** The service answered, with a status the operation cannot go on from (exit 1). */
export class ApiError extends CliError {
  /**
   * @param {string} message
   * @param {number} status
   * @param {string | undefined} code the `error` field of the answer
   */
  constructor(message, status, code) {
    super(message, EXIT.FAILED);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }
}

/**
 * Why a fetch did not get an answer, in a word: ECONNREFUSED, ENOTFOUND, timed out after 30 s, …
 * @param {unknown} error
 */
function reason(error) {
  const e = /** @type {any} */ (error);
  if (e?.name === "TimeoutError" || e?.cause?.name === "TimeoutError") return `timed out after ${TIMEOUT_MS / 1000} s`;
  const cause = e?.cause;
  return cause?.code ?? cause?.errors?.[0]?.code ?? cause?.message ?? e?.message ?? String(error);
}

/**
 * `fetch`, with the failure to connect turned into the CLI's message (exit 2). Redirects are not followed, so a
 * bearer token is never carried to another address.
 * @param {string} baseUrl the service's base URL, as shown to the user
 * @param {string} url
 * @param {RequestInit} init
 * @returns {Promise<Response>}
 */
export async function reach(baseUrl, url, init) {
  try {
    return await fetch(url, { ...init, redirect: "manual", signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (error) {
    throw new CliError(`cannot reach ${baseUrl}: ${reason(error)} — is the service running? (--url / DAEMON_HOTFIX_URL)`, EXIT.USAGE);
  }
}

/**
 * The answer's body: parsed JSON, or undefined when it is not JSON.
 * @param {Response} res
 */
export async function readBody(res) {
  const text = await res.text();
  try {
    return { text, json: /** @type {unknown} */ (JSON.parse(text)) };
  } catch {
    return { text, json: undefined };
  }
}

/**
 * Whether a body is one of daemon-hotfix's JSON errors, `{error, message}`.
 * @param {unknown} body
 * @returns {body is { error: string, message?: string }}
 */
export function isServiceError(body) {
  return typeof body === "object" && body !== null && typeof (/** @type {any} */ (body).error) === "string";
}

/** @typedef {Record<string, string | number | boolean | undefined | null>} Query */

export class AdminClient {
  /** Private: never printed by an accidental console.log(client). */
  #token;

  /**
   * @param {{ baseUrl: string, token: string }} options
   */
  constructor({ baseUrl, token }) {
    this.baseUrl = baseUrl;
    this.#token = token;
  }

  /**
   * One admin request; its parsed JSON answer on 2xx, else a CliError with the message for the user.
   * @param {"GET" | "POST" | "DELETE"} method
   * @param {string} path starting with /admin/
   * @param {{ query?: Query, body?: unknown }} [options]
   * @returns {Promise<unknown>}
   */
  async request(method, path, { query, body } = {}) {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined && value !== null) search.set(key, String(value));
    }
    const qs = search.toString();
    /** @type {Record<string, string>} */
    const headers = { authorization: `Bearer ${this.#token}`, accept: "application/json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    const res = await reach(this.baseUrl, `${this.baseUrl}${path}${qs ? `?${qs}` : ""}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const where = `${method} ${path}`;
    if (res.status >= 300 && res.status < 400) {
      const location = res.headers.get("location");
      throw new CliError(
        `${this.baseUrl} redirected ${where} to ${location ?? "elsewhere"}; pass the final address as --url (the token is not sent on redirects)`,
        EXIT.USAGE,
      );
    }
    const { json } = await readBody(res);
    if (res.status === 401) {
      throw new CliError(`the admin token was refused by ${this.baseUrl} (--token / DAEMON_HOTFIX_TOKEN)`, EXIT.USAGE);
    }
    if (!res.ok) {
      if (!isServiceError(json)) {
        if (res.status === 404) {
          throw new CliError(`${this.baseUrl} does not look like daemon-hotfix (${where} answered 404 without a daemon-hotfix error)`, EXIT.USAGE);
        }
        throw new ApiError(`${where} failed: ${res.status} ${res.statusText}`.trim(), res.status, undefined);
      }
      throw new ApiError(json.message || `${json.error} (${res.status})`, res.status, json.error);
    }
    if (json === undefined || typeof json !== "object" || json === null) {
      throw new CliError(`${this.baseUrl} does not look like daemon-hotfix (${where} did not answer JSON)`, EXIT.USAGE);
    }
    return json;
  }

  /**
   * Every item of a paged list, following `nextCursor`, up to `limit` items.
   * @param {string} path
   * @param {string} key the array's name in the answer ("deadLetters", "clusters")
   * @param {Query} query
   * @param {number} [limit]
   * @returns {Promise<{ items: Record<string, unknown>[], more: boolean }>}
   */
  async list(path, key, query, limit) {
    /** @type {any[]} */
    const items = [];
    /** @type {string | null} */
    let cursor = null;
    const seen = new Set();
    for (;;) {
      const pageSize = limit === undefined ? PAGE_SIZE : Math.min(PAGE_SIZE, limit - items.length);
      const page = await this.request("GET", path, { query: { ...query, limit: pageSize, cursor } });
      const batch = page[key];
      if (!Array.isArray(batch)) {
        throw new CliError(`${this.baseUrl} does not look like daemon-hotfix (GET ${path} has no ${key} list)`, EXIT.USAGE);
      }
      items.push(...batch);
      const next = typeof page.nextCursor === "string" && page.nextCursor !== "" ? page.nextCursor : null;
      if (limit !== undefined && items.length >= limit) {
        return { items: items.slice(0, limit), more: next !== null || items.length > limit };
      }
      if (next === null) return { items, more: false };
      if (seen.has(next)) throw new CliError(`GET ${path}: the server returned the cursor ${next} twice; stopping`, EXIT.FAILED);
      seen.add(next);
      cursor = next;
    }
  }
}
