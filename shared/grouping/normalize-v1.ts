/**
 * Grouping v1's message normalisation, FROZEN: this is the code every v1 fingerprint was hashed with, kept so that
 * v1 fingerprints stay computable while a newer version is phased in (see ./versions.ts). Do not edit a byte of
 * the rules below: any change re-keys every v1 cluster and splits ongoing failures. A better rule belongs in a new
 * grouping version.
 */

type Rule = readonly [RegExp, string];

/** Spans kept verbatim: they tell one failure from another. */
const KEEP: readonly RegExp[] = [
  /\bHTTP(?:\/[\d.]+)?\s*(?:\(target:[^)]*\))?\s*:?\s*[1-5]\d\d\b/gi, // HTTP (target: …) 502 / HTTP 502
  /\bstatus(?:\s+code)?\s*[:=]?\s*[1-5]\d\d\b/gi, // status 500, status code: 404
  /\berror\s+code:?\s*\d{3,4}\b/gi, // Cloudflare error code: 1101
  /\b[1-5]\d\d\s+(?:Bad Request|Unauthorized|Forbidden|Not Found|Conflict|Gone|Unprocessable Entity|Too Many Requests|Internal Server Error|Bad Gateway|Service Unavailable|Gateway Timeout)\b/gi,
];

const RULES: readonly Rule[] = [
  // URLs: keep scheme, host and path shape; drop query and fragment, and the port.
  [/\b([a-z][a-z0-9+.-]*:\/\/[^\s/?#:"'<>]+)(?::\d+)?([^\s?#"'<>)]*)(?:\?[^\s#"'<>)]*)?(?:#[^\s"'<>)]*)?/gi, "$1$2"],
  [/\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b/g, "<email>"],
  [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, "<uuid>"],
  // ISO 8601 / RFC 3339 date-times and dates, RFC 2822 dates, clock times.
  [/\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?\b/g, "<date>"],
  [/\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun),\s+\d{1,2}\s+(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\s+\d{4}\s+\d{2}:\d{2}:\d{2}(?:\s+(?:GMT|UTC|[+-]\d{4}))?/g, "<date>"],
  [/\b\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?\b/g, "<time>"],
  // IPv6 (full and compressed forms with at least two colons) and IPv4, with an optional port.
  [/(?<![\w:.])(?=[0-9a-f:]*[0-9a-f])(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}(?![\w:])/gi, "<ip>"],
  [/\b(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5})?\b/g, "<ip>"],
  // Hashes: SHA-256, SHA-1, MD5, then short git SHAs (7–12 hex with a digit and a letter).
  [/\b[0-9a-f]{64}\b/gi, "<sha>"],
  [/\b[0-9a-f]{40}\b/gi, "<sha>"],
  [/\b[0-9a-f]{32}\b/gi, "<sha>"],
  [/\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{7,12}\b/gi, "<sha>"],
  [/\b0x[0-9a-f]+\b/gi, "<hex>"],
  [/\b[0-9a-f]{16,}\b/gi, "<hex>"],
  // Durations: 30012ms, 1.5s, 2 min, 3h.
  [/\b\d+(?:\.\d+)?\s*(?:ns|µs|us|ms|s|sec|secs|seconds?|m|min|mins|minutes?|h|hrs?|hours?)\b/gi, "<duration>"],
  // host:port left over (localhost:8787).
  [/\b([A-Za-z][\w.-]*):\d{2,5}\b/g, "$1:<port>"],
  // Remaining standalone numbers.
  [/(?<![\w.<])[-+]?\d+(?:\.\d+)?(?![\w>])/g, "<n>"],
];

/** Kept spans wait as private-use characters (no digits, no word characters) while the rules run. */
const PLACEHOLDER = /\uE000([\uE100-\uEFFF])/g;
const placeholder = (index: number) => `\uE000${String.fromCharCode(0xe100 + index)}`;

/**
 * v1 exactly as it was released. Its three KEEP/URL/e-mail patterns backtrack (cubic on a long run of white
 * space after `HTTP`, quadratic on runs like `a.a.a.`): call it only through `normalizeV1`.
 */
export function normalizeV1Exact(message: string): string {
  const kept: string[] = [];
  let text = message;
  for (const pattern of KEEP) {
    text = text.replace(pattern, (span) => {
      if (kept.length >= 0xeff) return span;
      kept.push(span.replace(/\s+/g, " "));
      return placeholder(kept.length - 1);
    });
  }
  for (const [pattern, replacement] of RULES) text = text.replace(pattern, replacement);
  // A kept span may itself hold a variable URL (HTTP (target: https://x/?q=1) 500): normalise its URL part only.
  const urlRule = RULES[0];
  return text
    .replace(PLACEHOLDER, (_m, mark: string) => {
      const span = kept[mark.charCodeAt(0) - 0xe100] ?? "";
      return urlRule ? span.replace(urlRule[0], urlRule[1]) : span;
    })
    .replace(/\s+/g, " ")
    .trim();
}

/** Longest message v1 is computed for (the kernel's messages are at most 280 characters). */
export const V1_MAX_INPUT = 4_000;

/**
 * v1's output, computed in bounded time. Runs of two or more white-space characters become two spaces first: every
 * v1 pattern treats such a run alike (`\s*` / `\s+` take it whole, the date's `[T ]` needs exactly one space before
 * a digit, kept spans and the result are folded to one space), so the output is `normalizeV1Exact`'s
 * (tests/unit/grouping-versions.test.ts checks it on generated text), without its cubic case. What is left is at
 * most quadratic, on at most `V1_MAX_INPUT` characters (failure messages are clipped to that already).
 */
export function normalizeV1(message: string): string {
  return normalizeV1Exact(message.slice(0, V1_MAX_INPUT).replace(/\s{2,}/g, "  "));
}
