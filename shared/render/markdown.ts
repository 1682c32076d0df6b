/** Markdown helpers that keep untrusted text inert. */

/** A fenced block whose fence is longer than any backtick run inside the text. */
export function fence(text: string, lang = "text"): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = "`".repeat(longest + 1);
  return `${ticks}${lang}\n${text}\n${ticks}`;
}

/** Inline code that survives backticks in the text. */
export function code(text: string): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = "`".repeat(longest + 1);
  return `${ticks}${longest ? " " : ""}${text}${longest ? " " : ""}${ticks}`;
}

/** Text for a table cell or heading: no pipes, no newlines, no mentions or references that ping people. */
export function inline(text: string): string {
  return text
    .replace(/\r?\n/g, " ")
    .replace(/\|/g, "\\|")
    .replace(/@(?=[A-Za-z0-9])/g, "@\u200b")
    .replace(/<!--/g, "&lt;!--");
}

/** Cuts text to at most `max` characters, saying so. */
export function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 20))}\n… (${text.length - max + 20} more characters)`;
}

/** Untrusted text cannot carry a copy of daemon-hotfix's marker (a zero-width space breaks it). */
export function defuse(text: string): string {
  return text.replace(/daemon-hotfix:fingerprint=/gi, "daemon-hotfix:fingerprint\u200b=");
}
