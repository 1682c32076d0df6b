/**
 * Secret redaction, applied to everything before it is enqueued, stored, logged or sent to GitHub — and before
 * any text is clipped, so a token on a clip boundary is removed whole, never half-kept. Pure: no I/O.
 * Every pattern runs in linear time (see secret-patterns.ts), and no pattern sees more than `MAX_SCAN`
 * characters of one string.
 */
import { REDACTED, SECRET_PATTERNS, secretUnder, type SecretPattern } from "./secret-patterns";

export { REDACTED } from "./secret-patterns";

/** Longest string the patterns scan; the rest of a longer string is dropped (and said so) before they run. */
export const MAX_SCAN = 64 * 1024;

/** Keys whose string values are secrets whatever they look like. */
const SECRET_KEY = /^(?:auth[_-]?token|ubiquity[_-]?kernel[_-]?token|access[_-]?token|refresh[_-]?token|id[_-]?token|token|password|passwd|secret|client[_-]?secret|private[_-]?key|api[_-]?key|authorization|cookie|set-cookie|signature|x-api-key)$/i;

/** Token characters: a cut that lands inside a run of them drops the run's head too, so no token half survives. */
const TOKEN_CHAR = /[A-Za-z0-9_+/=.~-]/;

/** The first `max` characters, backed off to the start of a token run that the cut would split (at most 512 back). */
export function boundForScan(text: string, max = MAX_SCAN): string {
  if (text.length <= max) return text;
  let end = max;
  const floor = Math.max(0, max - 512);
  while (end > floor && TOKEN_CHAR.test(text.charAt(end - 1)) && TOKEN_CHAR.test(text.charAt(end))) end--;
  return `${text.slice(0, end)}… (${text.length - end} more characters dropped before redaction)`;
}

const isPemBegin = (line: string) => line.includes("-----BEGIN ") && line.includes("PRIVATE KEY");
const isPemEnd = (line: string) => line.includes("-----END ") && line.includes("PRIVATE KEY");

/**
 * Lines of a log with every PEM private key block blanked whole: a key printed across lines (or log lines kept
 * as array items) has body lines that say nothing secret on their own, so a line-by-line redaction would keep them.
 * From a line opening a private key to the line closing it (or the end, for a key cut off) each line becomes
 * `[REDACTED]`. String operations only: linear in the lines.
 */
export function blankPemBlocks(lines: readonly string[]): string[] {
  let inside = false;
  return lines.map((line) => {
    if (inside) {
      if (isPemEnd(line)) inside = false;
      return REDACTED;
    }
    if (!isPemBegin(line)) return line;
    inside = !isPemEnd(line.slice(line.indexOf("-----BEGIN ") + 11));
    return REDACTED;
  });
}

/** A redactor that also removes the given literal secrets (e.g. the input's `authToken`) wherever they appear. */
export interface Redactor {
  /** The text with every known secret replaced by `[REDACTED]` (bounded to `MAX_SCAN` first). */
  string(text: string): string;
  /** Deep copy of a JSON value with every string redacted and every value under a secret-named key replaced. */
  value<T>(input: T): T;
}

/**
 * `text.replace(pattern, replacement)`, with function replacements called from an `exec` loop: V8's replace
 * calls a function replacement several times slower per match, and a hostile text can hold thousands of matches.
 */
function apply(text: string, [, pattern, replacement]: SecretPattern): string {
  if (typeof replacement === "string") return text.replace(pattern, replacement);
  const replace = replacement as (match: string, ...groupsOffsetText: Array<string | number>) => string;
  pattern.lastIndex = 0;
  let out = "";
  let last = 0;
  for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
    out += text.slice(last, m.index) + replace(m[0], ...m.slice(1).map((group) => group ?? ""), m.index, text);
    last = m.index + m[0].length;
    if (m[0].length === 0) pattern.lastIndex++;
  }
  return last === 0 ? text : out + text.slice(last);
}

/**
 * Strings the patterns found nothing in, remembered per isolate (a storm repeats its failure's text event after
 * event): such a string is returned as it is without running the patterns again. Only strings with nothing
 * redacted are kept, so no secret is ever held here; the literal secrets of each redactor are still replaced first.
 * Bounded: at most `CLEAN_MAX` strings of at most `CLEAN_MAX_LENGTH` characters, the oldest forgotten first.
 */
const clean = new Set<string>();
const CLEAN_MAX = 4096;
const CLEAN_MAX_LENGTH = 512;

function redactPatterns(text: string): string {
  if (text.length > CLEAN_MAX_LENGTH) return SECRET_PATTERNS.reduce(apply, text);
  if (clean.has(text)) return text;
  const out = SECRET_PATTERNS.reduce(apply, text);
  if (out === text) {
    if (clean.size >= CLEAN_MAX) clean.delete(clean.values().next().value as string);
    clean.add(text);
  }
  return out;
}

export function createRedactor(literalSecrets: ReadonlyArray<string | null | undefined> = []): Redactor {
  const literals = [...new Set(literalSecrets.filter((s): s is string => typeof s === "string" && s.length >= 8))].sort(
    (a, b) => b.length - a.length,
  );
  const redactString = (text: string): string => {
    let out = boundForScan(text);
    for (const literal of literals) {
      if (out.includes(literal)) out = out.split(literal).join(REDACTED);
    }
    return redactPatterns(out);
  };
  const redactValue = (input: unknown, depth: number): unknown => {
    if (typeof input === "string") return redactString(input);
    if (depth > 64 || input === null || typeof input !== "object") return input;
    if (Array.isArray(input)) {
      // Log lines as array items: a PEM key across items goes whole (see `blankPemBlocks`).
      const items = input.every((item) => typeof item === "string") ? blankPemBlocks(input as string[]) : input;
      return items.map((item) => redactValue(item, depth + 1));
    }
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(input)) {
      const secret = typeof item === "string" && item.length > 0 && (SECRET_KEY.test(key) || secretUnder(key, item));
      out[redactString(key)] = secret ? REDACTED : redactValue(item, depth + 1);
    }
    return out;
  };
  return {
    string: redactString,
    value: <T>(input: T): T => redactValue(input, 0) as T,
  };
}
