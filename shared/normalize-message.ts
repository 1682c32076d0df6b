/**
 * Message normalisation for grouping, after Sentry's: the parts that vary between occurrences of one failure
 * (ids, hashes, addresses, times, counts) become tokens; the parts that distinguish failures (an HTTP status
 * `502` vs `500`, a Cloudflare error code, a workflow name) are kept. Pure.
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

/** The message with its variable parts replaced by tokens and white space folded. */
export function normalizeMessage(message: string): string {
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
