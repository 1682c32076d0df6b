import { cell, code, when } from "../render/inert";
import { MAX_BODY } from "../render/issue";
import type { DigestEntry } from "./digest-state";

/** The hidden first line of a repo's digest issue for one UTC day (the repo is the issue's own). */
export function digestMarker(day: string): string {
  return `<!-- daemon-hotfix:digest=${day} -->`;
}

export function renderDigestTitle(day: string): string {
  return `[daemon-hotfix] Digest ${day}: new failures over the daily issue limit`;
}

/** Characters of an entry's message shown (its first line); the failure's own issue, on a later day, has it all. */
const MESSAGE_CHARS = 200;
const PLUGIN_CHARS = 120;

function clip(text: string, max: number): string {
  const first = text.split("\n")[0] ?? text;
  return first.length <= max ? first : `${first.slice(0, max - 1)}…`;
}

export interface DigestView {
  repo: string;
  day: string;
  /** The operator's `maxNewIssuesPerRepoPerDay`. */
  limit: number;
  intervalSeconds: number;
  entries: readonly DigestEntry[];
}

/**
 * The digest body: its marker, then one row per failure over the limit (plugin, message, occurrences, first seen,
 * fingerprint), oldest first. Every event string is inert (inline code, pipes escaped). Rows stop before GitHub's
 * body limit; the rest are summed up in one line.
 */
export function renderDigestBody(view: DigestView): string {
  const entries = [...view.entries].sort((a, b) => Date.parse(a.firstSeen) - Date.parse(b.firstSeen) || a.fingerprint.localeCompare(b.fingerprint));
  const occurrences = entries.reduce((sum, e) => sum + e.count, 0);
  const head = [
    digestMarker(view.day),
    `## New failures over the daily limit — ${view.day} (UTC)`,
    `On ${view.day}, more new failures reached ${code(view.repo)} than the ${view.limit} new issues a day daemon-hotfix files per repository (\`HOTFIX_POLICY.maxNewIssuesPerRepoPerDay\`). Each further new failure is counted here instead of getting an issue of its own: **${entries.length}** failure${entries.length === 1 ? "" : "s"}, **${occurrences}** occurrence${occurrences === 1 ? "" : "s"}. A failure listed here that recurs on a later day gets its own issue if that day's limit allows.`,
  ].join("\n\n");
  const tableHead = "| Plugin | Failure | Occurrences | First seen | Fingerprint |\n|---|---|---|---|---|";
  const foot = `<sub>Filed by daemon-hotfix · counts here are edited at most every ${view.intervalSeconds}s (edits notify nobody).</sub>`;
  const rows: string[] = [];
  let length = head.length + foot.length + 400;
  let listed = 0;
  for (const e of entries) {
    const row = `| ${cell(code(clip(e.plugin, PLUGIN_CHARS)))} | ${cell(code(clip(e.message, MESSAGE_CHARS)))} | ${e.count} | ${cell(when(e.firstSeen))} | ${code(e.fingerprint.slice(0, 12))} |`;
    if (length + row.length + 1 > MAX_BODY) break;
    rows.push(row);
    length += row.length + 1;
    listed++;
  }
  const rest = entries.slice(listed);
  const more = rest.length ? `… and **${rest.length}** more failure${rest.length === 1 ? "" : "s"} (${rest.reduce((sum, e) => sum + e.count, 0)} occurrences) not listed: the body is full.` : "";
  return [head, [tableHead, ...rows].join("\n"), more, foot].filter(Boolean).join("\n\n");
}
