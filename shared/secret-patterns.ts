/**
 * The secret formats redaction knows, as patterns that run in linear time over any input: no nested
 * quantifiers, every open-ended run a single character class that the next token cannot continue, and a
 * lookbehind so a token is only tried where its character run begins (one attempt per run, not per
 * character). Lengths are lower bounds only, kept low, so a token the kernel already truncated is still caught.
 *
 * Hand-written rather than taken from a secret scanner: scanners (secretlint's preset, gitleaks' rules) match
 * complete tokens of exact lengths — a cut token slips through — and some of their patterns nest quantifiers
 * (secretlint's Slack rule `(?:[a-zA-Z0-9]{1,40}-)+`), which is what issue 13 removes. Formats follow the issuers'
 * documentation; the canaries in tests/unit/redact.test.ts are the judge.
 */

export const REDACTED = "[REDACTED]";

/** A replacement function as `String.prototype.replace` calls it: the match, its groups, then offset and text. */
export type Replacer = (match: string, ...groupsOffsetText: never[]) => string;
export type SecretPattern = readonly [name: string, pattern: RegExp, replacement: string | Replacer];

/** Names whose values are secrets whatever they look like. */
const STRONG_NAME = /passw|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|credential|authorization/i;
/** Names whose values are secrets when they look random (`sig=9f8A…` yes, `error code: 1101` no). */
const WEAK_NAME = /key|sig|signature|auth|session|cookie|code|hash|salt|nonce|dsn|webhook/i;
/** URL query parameters whose values are always secret (OAuth codes, signed-URL signatures, API keys). */
const QUERY_NAME = /key|sig|token|code|secret|passw|auth|credential/i;

/** Shannon entropy of the text, in bits per character. */
export function entropy(text: string): number {
  const counts = new Map<string, number>();
  for (const char of text) counts.set(char, (counts.get(char) ?? 0) + 1);
  let bits = 0;
  const length = [...text].length;
  for (const count of counts.values()) {
    const p = count / length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/** A value that looks generated: long enough, letters and digits mixed, and about as random as base64 or hex. */
export function looksRandom(value: string): boolean {
  return value.length >= 16 && /\d/.test(value) && /[A-Za-z]/.test(value) && entropy(value) >= 3.2;
}

/** A credential-looking value after `Bearer`/`Basic`/`token`: long, or mixing in digits or token punctuation. */
function looksSecret(value: string): boolean {
  return value.length >= 24 || (value.length >= 8 && /[\d._~+/=-]/.test(value));
}

/** Whether a value under `name` is to be redacted (the high-entropy rule for weak names). */
export function secretUnder(name: string, value: string): boolean {
  if (value.length === 0 || value.startsWith(REDACTED.slice(0, -1))) return false;
  return STRONG_NAME.test(name) || (WEAK_NAME.test(name) && looksRandom(value));
}

const quoted = (value: string) => value.startsWith('"') || value.startsWith("'");

const KEY_CHAR = /[A-Za-z0-9_.-]/;
/** The key right before `end` (letters, digits, `_`, `.`, `-`; its last 64 characters at most). */
function keyBefore(text: string, end: number): string {
  let start = end;
  while (start > 0 && end - start < 64 && KEY_CHAR.test(text.charAt(start - 1))) start--;
  return text.slice(start, end);
}

export const SECRET_PATTERNS: readonly SecretPattern[] = [
  // PEM private keys, also cut-off ones without their END line (the lazy run stops at the first END).
  ["pem private key", /-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----|$)/g, REDACTED],
  // JWTs: header.payload(.signature), both base64url JSON.
  ["jwt", /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}(?:\.[A-Za-z0-9_-]*)?/g, REDACTED],
  // GitHub: classic/OAuth/user/server/refresh tokens, fine-grained PATs.
  ["github token", /(?<![A-Za-z0-9_])gh[pousr]_[A-Za-z0-9]{8,}/g, REDACTED],
  ["github fine-grained pat", /\bgithub_pat_[A-Za-z0-9_]{8,}/g, REDACTED],
  // OpenAI (sk-…, sk-proj-…, sk-svcacct-…) and Anthropic (sk-ant-api03-…) keys.
  ["openai/anthropic key", /(?<![A-Za-z0-9_-])sk-[A-Za-z0-9_-]{16,}/g, REDACTED],
  // Stripe secret and restricted keys, webhook signing secrets.
  ["stripe key", /(?<![A-Za-z0-9_])(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{8,}/g, REDACTED],
  ["stripe webhook secret", /(?<![A-Za-z0-9_])whsec_[A-Za-z0-9]{16,}/g, REDACTED],
  // Google API keys.
  ["google api key", /(?<![A-Za-z0-9_-])AIza[A-Za-z0-9_-]{16,}/g, REDACTED],
  // AWS access key ids.
  ["aws access key id", /\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{12,}/g, REDACTED],
  // Slack tokens (bot, user, app-level, config…) and webhook URLs.
  ["slack token", /(?<![A-Za-z0-9-])(?:xox[abposre]|xapp)-[A-Za-z0-9-]{10,}/g, REDACTED],
  ["slack webhook", /https:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9/_-]+/g, REDACTED],
  // Discord bot tokens (base64 user id . timestamp . HMAC) and webhook URLs.
  ["discord bot token", /(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{24,28}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,}/g, REDACTED],
  ["discord webhook", /https:\/\/(?:(?:ptb|canary)\.)?discord(?:app)?\.com\/api\/(?:v\d{1,2}\/)?webhooks\/\d{1,20}\/[A-Za-z0-9_-]+/g, REDACTED],
  // Telegram bot tokens: `<bot id>:<35 characters starting with A>` (also inside api.telegram.org/bot… URLs).
  ["telegram bot token", /(?<![0-9])[0-9]{5,16}:A[A-Za-z0-9_-]{30,}/g, REDACTED],
  // npm access tokens.
  ["npm token", /(?<![A-Za-z0-9_])npm_[A-Za-z0-9]{16,}/g, REDACTED],
  // Credentials in URLs: scheme://user:password@host.
  ["url userinfo", /(?<![a-z0-9+.-])([a-z][a-z0-9+.-]{0,31}:\/\/[^\s/:@]{1,256}):[^\s/@]{1,256}@/gi, (_m, head: string) => `${head}:${REDACTED}@`],
  // URL query values named key/sig/signature/token/code/secret/… (and `&name=value` pairs anywhere).
  [
    "url query value",
    /([?&;])([A-Za-z0-9_.[\]-]{1,64})=([^&#\s"'<>]{1,2048})/g,
    (match, sep: string, name: string, value: string) => (QUERY_NAME.test(name) && !value.startsWith(REDACTED.slice(0, -1)) ? `${sep}${name}=${REDACTED}` : match),
  ],
  // Authorization header values.
  ["authorization header", /\b(authorization[ \t]{0,8}[:=][ \t]{0,8})("?)[^\r\n",}]{1,2048}/gi, (_m, head: string, quote: string) => `${head}${quote}${REDACTED}`],
  // Bearer / Basic / token credentials.
  [
    "scheme credential",
    /\b(Bearer|Basic|token)([ \t]{1,8})([A-Za-z0-9._~+/=-]{1,4096})/gi,
    (match, scheme: string, space: string, value: string) => (looksSecret(value) ? `${scheme}${space}${REDACTED}` : match),
  ],
  // key=value / key: value pairs (query strings, env dumps, JSON-ish text) whose key names a secret. The pattern
  // starts at the separator (rare), and the key is read backwards from there (at most 64 characters), so no
  // character of a long word is a start of its own.
  [
    "secret-named value",
    /(["']?[ \t]{0,8}[=:][ \t]{0,8})("[^"\r\n]{0,1024}"|'[^'\r\n]{0,1024}'|[^\s&,;"'}\])]{1,1024})/g,
    (match, sep: string, value: string, offset: number, text: string) => {
      const key = keyBefore(text, offset);
      const bare = quoted(value) ? value.slice(1, -1) : value;
      if (key === "" || !secretUnder(key, bare)) return match;
      return `${sep}${quoted(value) ? `${value[0]}${REDACTED}${value[0]}` : REDACTED}`;
    },
  ],
];
