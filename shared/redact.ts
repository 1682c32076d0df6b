/**
 * Secret redaction, applied to everything before it is enqueued, stored, logged or sent to GitHub.
 * Pure: no I/O. Patterns follow the token formats their issuers document (GitHub, AWS, Slack, JWT, PEM).
 */

export const REDACTED = "[REDACTED]";

/** Keys whose string values are secrets whatever they look like. */
const SECRET_KEY = /^(?:auth[_-]?token|ubiquity[_-]?kernel[_-]?token|access[_-]?token|refresh[_-]?token|id[_-]?token|token|password|passwd|secret|client[_-]?secret|private[_-]?key|api[_-]?key|authorization|cookie|set-cookie|signature|x-api-key)$/i;

/** A credential-looking value: long, or mixing in digits or token punctuation. */
function looksSecret(value: string): boolean {
  return value.length >= 24 || (value.length >= 8 && /[\d._~+/=-]/.test(value));
}

type Replacer = (match: string, ...groups: string[]) => string;
const PATTERNS: ReadonlyArray<readonly [RegExp, string | Replacer]> = [
  // PEM private keys (also cut-off ones without their END line).
  [/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g, REDACTED],
  // JWTs: header.payload.signature, header and payload being base64url JSON.
  [/\beyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, REDACTED],
  // GitHub tokens: classic/OAuth/user/server/refresh, fine-grained PATs.
  [/\bgh[pousr]_[A-Za-z0-9]{20,255}\b/g, REDACTED],
  [/\bgithub_pat_[A-Za-z0-9_]{20,255}\b/g, REDACTED],
  // AWS access key ids.
  [/\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b/g, REDACTED],
  // Slack tokens and incoming-webhook URLs.
  [/\bxox[abposre]-[A-Za-z0-9-]{10,}/g, REDACTED],
  [/https:\/\/hooks\.slack\.com\/services\/[A-Za-z0-9/_-]+/g, REDACTED],
  // Credentials in URLs: scheme://user:password@host.
  [/\b([a-z][a-z0-9+.-]*:\/\/[^\s/:@]+):[^\s/@]+@/gi, (_m, head: string) => `${head}:${REDACTED}@`],
  // Authorization header values.
  [/\b(authorization\s*[:=]\s*)("?)[^\r\n",}]+/gi, (_m, head: string, quote: string) => `${head}${quote}${REDACTED}`],
  // Bearer / Basic / token credentials.
  [
    /\b(Bearer|Basic|token)(\s+)([A-Za-z0-9._~+/=-]+)/gi,
    (match, scheme: string, space: string, value: string) => (looksSecret(value) ? `${scheme}${space}${REDACTED}` : match),
  ],
  // key=value / key: value pairs whose key names a secret (query strings, env dumps, JSON-ish text).
  [
    /\b([A-Za-z0-9_.-]*(?:password|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|client[_-]?secret|credential)[A-Za-z0-9_.-]*)("?'?\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s&,;"'}\])]+)/gi,
    (match, key: string, sep: string, value: string) => {
      if (value.replace(/^["']/, "").startsWith(REDACTED.slice(0, -1))) return match;
      const quoted = value.startsWith('"') || value.startsWith("'");
      return `${key}${sep}${quoted ? `${value[0]}${REDACTED}${value[0]}` : REDACTED}`;
    },
  ],
];

/** A redactor that also removes the given literal secrets (e.g. the input's `authToken`) wherever they appear. */
export interface Redactor {
  string(text: string): string;
  /** Deep copy of a JSON value with every string redacted and every value under a secret-named key replaced. */
  value<T>(input: T): T;
}

export function createRedactor(literalSecrets: ReadonlyArray<string | null | undefined> = []): Redactor {
  const literals = [...new Set(literalSecrets.filter((s): s is string => typeof s === "string" && s.length >= 8))].sort(
    (a, b) => b.length - a.length,
  );
  const redactString = (text: string): string => {
    let out = text;
    for (const literal of literals) {
      if (out.includes(literal)) out = out.split(literal).join(REDACTED);
    }
    for (const [pattern, replacement] of PATTERNS) {
      out = typeof replacement === "string" ? out.replace(pattern, replacement) : out.replace(pattern, replacement as Replacer);
    }
    return out;
  };
  const redactValue = (input: unknown, depth: number): unknown => {
    if (typeof input === "string") return redactString(input);
    if (depth > 64 || input === null || typeof input !== "object") return input;
    if (Array.isArray(input)) return input.map((item) => redactValue(item, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(input)) {
      out[redactString(key)] = SECRET_KEY.test(key) && typeof item === "string" && item.length > 0 ? REDACTED : redactValue(item, depth + 1);
    }
    return out;
  };
  return {
    string: redactString,
    value: <T>(input: T): T => redactValue(input, 0) as T,
  };
}
