/**
 * The one escaping layer between event text and GitHub markdown. Every string that came from an event —
 * messages, log lines, ids, repo names, actors, refs, URLs, a proposer's prose — reaches an issue, comment or
 * PR body (or a title) through one of these functions, so it can never become a live @-mention, link, image,
 * heading or HTML. Links are built only from validated github.com parts (`githubLink`).
 *
 * Every pattern here is a single character class or a literal: linear in the text.
 */

/**
 * Characters that render invisibly or reorder text (C0/C1 controls except tab and newline, zero-width and bidi
 * controls, BOM): stripped so event text cannot hide or disguise what a reader sees ("Trojan source").
 */
const INVISIBLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]/g;
const LINE_BREAKS = /\r\n?|[\n\u2028\u2029\u0085]/g;
const BACKTICK_RUN = /`+/g;
const ZWSP = "\u200b";

/** Event text cannot carry a copy of one of daemon-hotfix's hidden markers (`daemon-hotfix:fingerprint=` …). */
export function defuse(text: string): string {
  return text.replace(/daemon-hotfix:(?=[a-z]{1,16}=)/gi, `daemon-hotfix${ZWSP}:`);
}

/** Text for a fenced block: line breaks normalised to `\n`, invisible characters removed, markers defused. */
function blockText(text: string): string {
  return defuse(text.replace(LINE_BREAKS, "\n").replace(INVISIBLE, ""));
}

/** Text on one line: every line break becomes a space, invisible characters removed, markers defused. */
export function oneLine(text: string): string {
  return defuse(text.replace(LINE_BREAKS, " ").replace(INVISIBLE, ""));
}

function longestBacktickRun(text: string): number {
  let longest = 0;
  for (const match of text.matchAll(BACKTICK_RUN)) if (match[0].length > longest) longest = match[0].length;
  return longest;
}

/**
 * Inline code on one line, its backtick fence one longer than the longest backtick run inside (so the text
 * cannot close it), padded when the text starts or ends with a backtick or a space.
 */
export function code(text: string): string {
  const line = oneLine(text);
  if (line.trim() === "") return "`(empty)`";
  const ticks = "`".repeat(longestBacktickRun(line) + 1);
  const pad = /^[` ]|[` ]$/.test(line) ? " " : "";
  return `${ticks}${pad}${line}${pad}${ticks}`;
}

/** A fenced block whose fence (at least three backticks) is longer than any backtick run inside the text. */
export function fence(text: string, lang: "text" | "json" = "text"): string {
  const body = blockText(text);
  const ticks = "`".repeat(Math.max(3, longestBacktickRun(body) + 1));
  return `${ticks}${lang}\n${body}\n${ticks}`;
}

/**
 * Prose from an event (or from a proposer that read one) outside code: one line, every markdown punctuation
 * character backslash-escaped, and `@`, `://`, `www.` broken with a zero-width space so GitHub sees no mention,
 * autolink, email or `#123` reference.
 */
export function plain(text: string): string {
  return oneLine(text)
    .replace(/[\\`*_{}[\]()<>#+\-.!|~&=:"']/g, "\\$&")
    .replace(/@/g, `@${ZWSP}`)
    .replace(/\\#/g, `\\#${ZWSP}`)
    .replace(/\\:\/\//g, `\\:${ZWSP}//`)
    .replace(/\b(www)\\\./gi, `$1${ZWSP}\\.`);
}

/**
 * An issue or PR title (GitHub shows titles as text, but links references in them): one line, white space
 * folded, `@` and `#` broken with a zero-width space, bounded.
 */
export function title(text: string, max: number): string {
  const line = oneLine(text).replace(/\s+/g, " ").trim().replace(/[@#]/g, `$&${ZWSP}`);
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}

/** A time as ISO 8601 when it is one (the normal case: times are ours), else as inline code. */
export function when(text: string): string {
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?Z$/.test(text) ? text : code(text);
}

/** A table cell: pipes escaped (GFM splits cells on `|`, even inside code spans). */
export function cell(markdown: string): string {
  return markdown.replace(/\|/g, "\\|");
}

/** Cuts text to at most `max` characters, saying so. */
export function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 20))}\n… (${text.length - max + 20} more characters)`;
}

const OWNER = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})";
const REPO = "[A-Za-z0-9._-]{1,100}";
/**
 * The github.com pages a failure may link to: an issue or PR, a workflow run (job, attempt), a check run, a commit,
 * a comparison of two commits (CI's "broken between").
 */
const GITHUB_PAGE = new RegExp(
  `^/(${OWNER})/(${REPO})/(?:(issues|pull)/([1-9][0-9]{0,9})|(actions/runs)/([1-9][0-9]{0,15})(?:/(job|attempts)/([1-9][0-9]{0,15}))?|(runs)/([1-9][0-9]{0,15})|(commit)/([0-9a-f]{7,40})|(compare)/([0-9a-f]{7,40}\\.\\.\\.[0-9a-f]{7,40}))/?$`,
);

/**
 * A link to a github.com page, rebuilt from the validated parts of `url` (owner, repo, kind, number or commit
 * SHA; no query, no fragment), as an autolink; anything else is shown as inline code, never as a link.
 */
export function githubLink(url: string | undefined | null): string {
  if (!url) return "";
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return code(url);
  }
  const page = parsed.protocol === "https:" && parsed.hostname === "github.com" && !parsed.port && !parsed.username && !parsed.password ? GITHUB_PAGE.exec(parsed.pathname) : null;
  const [, owner, repo, ...rest] = page ?? [];
  if (!owner || !repo || repo === "." || repo === "..") return code(url);
  const path = rest.filter((part): part is string => part !== undefined).join("/");
  return `<https://github.com/${owner}/${repo}/${path}>`;
}
