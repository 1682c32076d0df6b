import { isRandomToken } from "./identifiers.ts";

/**
 * Grouping v2's message normalisation (issue 18). Like v1 (after Sentry's): what varies between occurrences of one
 * failure becomes a token, what tells failures apart stays. v2 adds the identifier shapes of this ecosystem —
 * Cloudflare ray ids with their colo, GitHub node ids (new `I_kw…` and legacy `MDU6…`), ULIDs, prefixed and
 * random ids (`req_…`, `org-…`, nanoids), GitHub request ids, keyed ids (`Request ID: …`), composite durations,
 * stack-frame line numbers — and keeps `exit code 137`, `os error 104` and a leading `429 …` status.
 *
 * FROZEN once released: a change re-keys every v2 cluster. A better rule belongs in a new grouping version.
 *
 * Linear time: the input is bounded and its white space folded first; every pattern starts only at a token
 * boundary (`\b`, or a consumed non-token character) and scans a bounded or run-once span, with no nested or
 * adjacent overlapping quantifiers. tests/node/grouping-linear.test.ts has a ReDoS checker prove each one.
 */

type Replacer = (match: string, ...groups: string[]) => string;
type Rule = readonly [RegExp, string | Replacer];

/** Longest input normalised (failure messages are clipped to this already). */
export const V2_MAX_INPUT = 4_000;

/** Spans kept verbatim: they tell one failure from another. White space is already one space here. */
export const KEEP: readonly RegExp[] = [
  /\bHTTP(?:\/\d(?:\.\d)?)? ?(?:\(target:[^()]{0,1024}\))? ?:? ?[1-5]\d\d\b/gi, // HTTP (target: …) 502, HTTP/1.1 502
  /\bstatus(?: code)? ?[:=]? ?[1-5]\d\d\b/gi, // status 500, status code: 404
  /\berror(?: code)? ?:? ?\d{3,4}\b/gi, // Cloudflare error code: 1101, Error 1102
  /\bexit(?:ed with)?(?: code| status)? ?:? ?\d{1,3}\b/gi, // exit code 1 vs 137 (killed)
  /\b(?:os error|errno) ?:? ?-?\d{1,5}\b/gi, // (os error 104) vs (os error 111)
  /^[1-5]\d\d(?= [A-Z])/g, // an SDK's "429 You exceeded your current quota"
  /\b[1-5]\d\d (?:Bad Request|Unauthorized|Forbidden|Not Found|Conflict|Gone|Unprocessable Entity|Too Many Requests|Internal Server Error|Bad Gateway|Service Unavailable|Gateway Timeout)\b/gi,
];

// URLs: keep scheme, host and path shape; drop query and fragment, and the port.
const URL_RULE: Rule = [/(^|[^a-z0-9+.-])([a-z][a-z0-9+.-]*:\/\/[^\s/?#:"'<>]+)(?::\d+)?([^\s?#"'<>)]*)(?:\?[^\s#"'<>)]*)?(?:#[^\s"'<>)]*)?/gi, "$1$2$3"];

const HEX = /[0-9a-f]/i;
const DIGIT = /\d/;
const HEX_LETTER = /[a-f]/i;
const LEGACY_NODE_ID = /^0\d{1,2}:[A-Z][A-Za-z]+\d+$/;
const SEPARATOR = /[_-]/;
/** A part of a token that is a word: `Session`, `command`, `HTTPS` (not `kZbX`). */
const WORD_PART = /^(?:[A-Za-z][a-z]{3,}|[A-Z]{4,})$/;
/** The leading lower-case words of a prefixed id: `req_`, `org-`, `command-start-stop-`. */
const PREFIX_WORDS = /^(?:[a-z]{3,}[_-])*/;
const PRIVATE_USE = /[\uE000-\uEFFF]/g;
const WHITE_SPACE = /\s+/g;

/** `MDU6SXNzdWUxMjM=` is base64 of `05:Issue123`: a legacy GitHub node id. */
function legacyNodeId(match: string): string {
  try {
    return LEGACY_NODE_ID.test(atob(match)) ? "<node-id>" : match;
  } catch {
    return match;
  }
}

/**
 * A random token becomes `<id>`; so does the random rest of a prefixed one, whose leading lower-case words stay
 * (`req_<id>`, `org-<id>`, `command-start-stop-<id>`).
 */
function randomParts(token: string): string {
  if (token.length < 10) return token;
  const parts = token.split(SEPARATOR);
  const randomPart = parts.some((part) => isRandomToken(part));
  // No random part on its own: a random token with separators in it (a nanoid), unless a part is a word.
  if (!randomPart && (parts.some((part) => WORD_PART.test(part)) || !isRandomToken(token))) return token;
  const prefix = PREFIX_WORDS.exec(token)?.[0] ?? "";
  return prefix.length < token.length ? `${prefix}<id>` : token;
}

/** Deno Deploy preview hosts: <project>-<deployment id>.deno.dev. */
const DENO_PREVIEW_RULE: Rule = [/-[a-z0-9]{12}\.deno\.dev\b/g, (match) => (DIGIT.test(match.slice(0, 13)) ? "-<deployment>.deno.dev" : match)];

/** Random tokens and the random parts of prefixed ones (nanoids, deployment ids, org-…, chatcmpl-…). */
const TOKEN_RULE: Rule = [/[A-Za-z0-9_-]+/g, randomParts];

const RULES: readonly Rule[] = [
  URL_RULE,
  [/(^|[^A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+/g, "$1<email>"],
  [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, "<uuid>"],
  // ISO 8601 / RFC 3339 date-times and dates (GitHub's "2026-11-24 10:15:30 UTC" too), RFC 2822 dates, clock times.
  [/\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?(?: ?(?:Z|UTC|GMT|[+-]\d{2}:?\d{2}))?)?\b/g, "<date>"],
  [/\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2}(?: (?:GMT|UTC|[+-]\d{4}))?/g, "<date>"],
  [/\b\d{1,2}:\d{2}:\d{2}(?:[.,]\d{1,9})?\b/g, "<time>"],
  // GitHub request ids (E2D4:3F1A:1B2C3D:4E5F60:65A1B2C3), before IPv6 would take part of one.
  [/\b[0-9A-F]{3,5}:[0-9A-F]{3,5}:[0-9A-F]{4,8}:[0-9A-F]{4,8}:[0-9A-F]{6,8}\b/gi, "<gh-request-id>"],
  // Cloudflare ray ids with their data centre (31fdb420ec531fd6-IAD): one worker crash seen from two colos.
  [/\b[0-9a-f]{16}-[A-Z]{3}\b/g, "<cf-ray>"],
  // IPv6 (full and compressed, with a hex digit somewhere) and IPv4, with an optional port.
  [/(^|[^\w:.])([0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7})(?![\w:])/gi, (match, before: string, ip: string) => (HEX.test(ip) ? `${before}<ip>` : match)],
  [/\b(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5})?\b/g, "<ip>"],
  DENO_PREVIEW_RULE,
  // GitHub node ids: I_kwDO…, PR_kwDO…, IC_kwDO… (type kept), and legacy base64 ones (MDU6SXNzdWUx… = 05:Issue1…).
  [/\b([A-Z]{1,8})_k[gwx]D[A-Za-z0-9_-]{4,60}/g, "$1_<node-id>"],
  [/\bMD[A-Za-z0-9+/]{6,80}={0,2}/g, legacyNodeId],
  // ULIDs, bare or prefixed (req_01HZBXH7ZSNKKNSZ7HXBVD1QF9).
  [/(^|[^A-Za-z0-9])[0-7][0-9A-HJKMNP-TV-Z]{25}(?![A-Za-z0-9])/g, "$1<ulid>"],
  // Hashes: SHA-256, SHA-1, MD5, short git SHAs (7–12 hex with a digit and a letter), 0x…, long hex.
  [/\b[0-9a-f]{64}\b/gi, "<sha>"],
  [/\b[0-9a-f]{40}\b/gi, "<sha>"],
  [/\b[0-9a-f]{32}\b/gi, "<sha>"],
  [/\b[0-9a-f]{7,12}\b/gi, (match) => (DIGIT.test(match) && HEX_LETTER.test(match) ? "<sha>" : match)],
  [/\b0x[0-9a-f]{1,128}\b/gi, "<hex>"],
  [/\b[0-9a-f]{16,}\b/gi, "<hex>"],
  // A value after a request/trace/job/… (id) key is an id whatever its shape, when it has a digit (`Session ID expired` stays).
  [
    /\b((?:request|trace|span|correlation|ray|session|deployment|execution|invocation|transaction|job|isolate|worker|region)(?:[ _-]?id)?["']? ?[:=#]? ?["']?)([A-Za-z0-9][A-Za-z0-9_.+=/-]{3,127})/gi,
    (match, key: string, value: string) => (DIGIT.test(value) ? `${key}<id>` : match),
  ],
  // Durations: 30012ms, 1.5s, 2 min, 3h, and Go-style 3h12m5s.
  [/\b(?:\d{1,4}h\d{1,4}m(?:\d{1,4}(?:\.\d{1,9})?s)?|\d{1,4}h\d{1,4}(?:\.\d{1,9})?s|\d{1,4}m\d{1,4}(?:\.\d{1,9})?s)\b/g, "<duration>"],
  [/\b\d{1,15}(?:\.\d{1,9})? ?(?:ns|µs|us|ms|s|sec|secs|seconds?|m|min|mins|minutes?|h|hrs?|hours?|d|days?)\b/gi, "<duration>"],
  // Stack frames: file.ts:42:17 (lines move with every deploy).
  [/(\.(?:[cm]?[jt]sx?|py|go|rs|rb|java)):\d{1,7}(?::\d{1,7})?\b/g, "$1:<line>"],
  // host:port left over (localhost:8787).
  [/(^|[^\w.-])([A-Za-z][\w.-]*):\d{2,5}\b/g, "$1$2:<port>"],
  TOKEN_RULE,
  // Remaining standalone numbers.
  [/(^|[^\w.<])[-+]?\d+(?:\.\d+)?(?![\w>])/g, "$1<n>"],
];

/** Kept spans wait as private-use characters (no digits, no word characters) while the rules run. */
const PLACEHOLDER = /\uE000([\uE100-\uEFFF])/g;
const placeholder = (index: number) => `\uE000${String.fromCharCode(0xe100 + index)}`;

function apply(text: string, [pattern, replacement]: Rule): string {
  return typeof replacement === "string" ? text.replace(pattern, replacement) : text.replace(pattern, replacement);
}

/** The message with its variable parts replaced by tokens and white space folded. */
export function normalizeV2(message: string): string {
  const kept: string[] = [];
  let text = message
    .slice(0, V2_MAX_INPUT)
    .replace(PRIVATE_USE, "")
    .replace(WHITE_SPACE, " ")
    .trim();
  for (const pattern of KEEP) {
    text = text.replace(pattern, (span) => {
      if (kept.length >= 0xeff) return span;
      kept.push(span);
      return placeholder(kept.length - 1);
    });
  }
  for (const rule of RULES) text = apply(text, rule);
  // A kept span may hold a variable URL (HTTP (target: https://x-<deployment>.deno.dev/?q=1) 500): only its URL changes.
  return text.replace(PLACEHOLDER, (_m, mark: string) => [URL_RULE, DENO_PREVIEW_RULE, TOKEN_RULE].reduce(apply, kept[mark.charCodeAt(0) - 0xe100] ?? ""));
}

/** Every pattern v2 runs over input text, for the linear-time check. */
export const V2_PATTERNS: readonly RegExp[] = [
  WHITE_SPACE,
  PRIVATE_USE,
  ...KEEP,
  ...RULES.map(([pattern]) => pattern),
  DENO_PREVIEW_RULE[0],
  PLACEHOLDER,
  HEX,
  DIGIT,
  HEX_LETTER,
  LEGACY_NODE_ID,
  SEPARATOR,
  WORD_PART,
  PREFIX_WORDS,
];
