import type { ClusterView } from "../cluster-view";
import { LIMITS } from "../convert/text";
import { nextActions } from "./advice";
import { ciSections, rerunHint } from "./ci-section";
import { cell, code, cut, fence, githubLink, plain, title, when } from "./inert";
import { placementNote, reportedBy } from "./placement";
import type { Resolution } from "../lifecycle/lifecycle";
import { shortVersion } from "../lifecycle/versions";
import { sparkline } from "../lifecycle/sparkline";

/** GitHub refuses bodies over 65,536 characters; we stay well below. */
export const MAX_BODY = 60_000;
export const MAX_TITLE = 256;

export interface RenderOptions {
  windowMinutes: number;
  updateIntervalSeconds: number;
  /** Handles mentioned in a new issue only (never in updates or comments). */
  notify?: readonly string[];
}

export function marker(fingerprint: string): string {
  return `<!-- daemon-hotfix:fingerprint=${fingerprint} -->`;
}

/** The hidden first line of one comment (the same on every retry of it), so a retry can tell it was posted. */
export function commentMarker(fingerprint: string, key: number): string {
  return `<!-- daemon-hotfix:comment=${fingerprint}:${key} -->`;
}

/** The plugin's short name: its manifest name, repo, or URL host. */
export function pluginName(view: ClusterView): string {
  const { plugin } = view.sample;
  if (plugin.type === "ci") return plugin.repo ?? plugin.id;
  if (plugin.name) return plugin.name;
  if (plugin.url) {
    try {
      return new URL(plugin.url).hostname;
    } catch {
      return plugin.url;
    }
  }
  return plugin.repo ?? plugin.id;
}

function headline(view: ClusterView): string {
  const f = view.sample;
  const firstLine = f.message.split("\n")[0] ?? f.message;
  const text = firstLine.replace(/^HTTP\s*(?:\(target:[^)]*\))?\s*/i, "HTTP ");
  return f.kind === "plugin_error" ? `${f.category} failure: ${text}` : text;
}

/** `[daemon-hotfix] <plugin>: <failure>`, at most 256 characters. */
export function renderTitle(view: ClusterView): string {
  return title(`[daemon-hotfix] ${pluginName(view)}: ${headline(view)}`, MAX_TITLE);
}

/** A summary row; `value` is markdown made by this module (event text in it already went through `inert`). */
function row(label: string, value: string | number | null | undefined): string {
  return value === undefined || value === null || value === "" ? "" : `| ${label} | ${cell(String(value))} |\n`;
}

function replaySteps(view: ClusterView): string {
  const f = view.sample;
  const event = JSON.stringify(f, null, 2);
  const steps = [
    f.kind === "plugin_error"
      ? `1. Re-trigger ${f.trigger.githubEvent ? code(f.trigger.githubEvent) : "the triggering event"}${f.trigger.url ? ` on ${githubLink(f.trigger.url)}` : ""} with the plugin ${code(f.plugin.id)} configured${f.plugin.ref ? ` at ${code(f.plugin.ref)}` : ""}.`
      : `1. Re-run the failed jobs of ${f.trigger.url ? githubLink(f.trigger.url) : "the run"}${f.correlation.headSha ? ` at ${code(f.correlation.headSha)}` : ""}.${rerunHint(view) ? ` ${rerunHint(view)}` : ""}`,
    // Not a kernel payload (the failure as daemon-hotfix extracted and redacted it): it cannot be sent again as one.
    "2. The failure as daemon-hotfix recorded it (redacted) is below: its plugin, ref and correlation ids are what to look for in the kernel's and the plugin's logs.",
  ];
  return `${steps.join("\n")}\n\n<details><summary>Stored event (redacted)</summary>\n\n${fence(cut(event, 20_000), "json")}\n\n</details>`;
}

/**
 * The kernel's log trail: its head as the kernel sent it (the kernel keeps its first 40 lines) and, when the head
 * does not hold it, the kernel's error line found further on — or a note that the trail holds none.
 */
function logTrailSection(f: ClusterView["sample"]): string {
  const head = f.logTrail.length ? fence(cut(f.logTrail.join("\n"), 21_000)) : "";
  const errorLine = f.logErrorLine !== undefined && !f.logTrail.includes(f.logErrorLine) ? `The kernel's error line, after the lines above:\n\n${fence(cut(f.logErrorLine, 2_000))}` : "";
  const missing = f.logErrorLine === undefined && f.logTrail.length >= LIMITS.logLines ? "_No error line among these: the kernel keeps only the first lines of its trail._" : "";
  const parts = [head, errorLine, missing].filter((part) => part !== "");
  return parts.length ? `### Log trail\n\n${parts.join("\n\n")}` : "";
}

/** A sparkline with its total and peak, e.g. `··▁▃█ ` — 14 in 14 days, at most 9 a day. */
function activityCell(series: readonly number[], unit: "day" | "hour"): string {
  const total = series.reduce((sum, n) => sum + n, 0);
  return `${code(sparkline(series))} ${total} (peak ${Math.max(0, ...series)} per ${unit}; oldest left)`;
}

/** The CI commits (or plugin commit refs) the failure was seen on, newest last, at most five. */
function commitsSeen(view: ClusterView): string | undefined {
  const commits = (view.versions ?? []).filter((version) => version.kind === "commit" || (version.kind === "ref" && version.gating)).slice(-5);
  return commits.length ? commits.map((version) => code(shortVersion(version))).join(", ") : undefined;
}

/** The issue body: marker, summary, counts, correlation ids, trigger, error, log trail, repro, next actions. */
export function renderBody(view: ClusterView, options: RenderOptions & { isNew: boolean }): string {
  const f = view.sample;
  const recent = [...view.recent].reverse();
  const correlation = recent
    .map((o) => `| ${cell(when(o.at))} | ${cell([o.stateId && `stateId ${code(o.stateId)}`, o.deliveryId && `delivery ${code(o.deliveryId)}`, o.requestId && `request ${code(o.requestId)}`, o.runId !== undefined && `run ${o.runId}`].filter(Boolean).join(", ") || code(o.eventId))} | ${cell(githubLink(o.url))} |`)
    .join("\n");
  const error = [f.message, f.detail ? `\n${f.detail}` : ""].join("");
  const summary =
    `| | |\n|---|---|\n` +
    row("Plugin", `${code(f.plugin.id)} (${f.plugin.type})`) +
    row("Category", code(f.category)) +
    row("HTTP status", f.status) +
    row("Conclusion", f.conclusion ? code(f.conclusion) : undefined) +
    row("Refs seen", view.refs.length ? view.refs.map(code).join(", ") : undefined) +
    row("First seen", when(view.firstSeen)) +
    row("Last seen", when(view.lastSeen)) +
    row("Occurrences", `**${view.total}**`) +
    row("Grouping", `${code(view.grouping)} (how messages are normalised into this issue's fingerprint)`) +
    row("Reported by", reportedBy(view.reporters, view.repos)) +
    row("Last 14 days", view.activity ? activityCell(view.activity.daily, "day") : undefined) +
    row("Last 24 hours", view.activity ? activityCell(view.activity.hourly, "hour") : undefined) +
    row("Commits seen", commitsSeen(view)) +
    row("Environment", f.environment ? code(f.environment) : undefined) +
    row("Kernel commit", f.kernelCommit ? code(f.kernelCommit) : undefined);

  const sections = [
    marker(view.fingerprint),
    `## ${code(pluginName(view))} is failing`,
    `daemon-hotfix saw this failure **${view.total}** time${view.total === 1 ? "" : "s"} in ${code(view.repo)}'s plugin. Latest: ${when(view.latest.occurredAt)}.`,
    summary,
    f.trigger.url ? `**Triggered by:** ${f.trigger.githubEvent ? `${code(f.trigger.githubEvent)} on ` : ""}${githubLink(f.trigger.url)}${f.trigger.actor ? ` (by ${code(f.trigger.actor)})` : ""}` : "",
    f.trimmed?.length ? `> [!NOTE]\n> Trimmed to fit the queue: ${f.trimmed.map((t) => code(t)).join(", ")}.` : "",
    placementNote(f.target),
    `### Error\n\n${fence(cut(error, 12_000))}`,
    view.latest.message !== f.message ? `Latest occurrence:\n\n${fence(cut(view.latest.message, 4_000))}` : "",
    ...ciSections(view),
    logTrailSection(f),
    `### Correlation ids (latest first)\n\n| seen | ids | link |\n|---|---|---|\n${correlation}`,
    `### Reproduce\n\n${replaySteps(view)}`,
    `### Suggested next actions\n\n${nextActions(f).map((a) => `- ${a}`).join("\n")}`,
    options.isNew && options.notify?.length ? `cc ${options.notify.map((h) => (h.startsWith("@") ? h : `@${h}`)).join(" ")}` : "",
    `<sub>Filed by daemon-hotfix · fingerprint ${code(view.fingerprint)} (grouping ${code(view.grouping)}) · counts here are edited at most every ${options.updateIntervalSeconds}s (edits notify nobody); a recurrence adds at most one comment per ${options.windowMinutes} min. Close as *completed* when fixed (a recurrence reopens it) or as *not planned* to silence it.</sub>`,
  ].filter((part) => part !== "");
  let body = sections.join("\n\n");
  if (body.length > MAX_BODY) body = `${body.slice(0, MAX_BODY - 40)}\n\n… (body cut to fit GitHub's limit)`;
  return body;
}

/** The one comment of a new window: how often it recurred since the last comment or since the issue was filed. */
export function renderRecurrenceComment(view: ClusterView): string {
  return [
    `Seen **${view.sinceComment}** more time${view.sinceComment === 1 ? "" : "s"} since ${when(view.sinceCommentFrom)} (total **${view.total}**, last ${when(view.lastSeen)}).`,
    view.latest.message !== view.sample.message ? `Latest:\n\n${fence(cut(view.latest.message, 4_000))}` : "",
  ]
    .filter(Boolean)
    .join("\n\n");
}

/** The comment that goes with reopening an issue closed as completed (a regression: which version, which run). */
export function renderReopenComment(view: ClusterView, regression?: { version: string | null; url?: string }): string {
  const where = regression?.version ? ` — regressed in ${code(shortVersion({ kind: "commit", value: regression.version }))}${regression.url ? ` (${githubLink(regression.url)})` : ""}` : "";
  return `Reopened by daemon-hotfix: this failure came back after the issue was closed as completed${where} — seen at ${when(view.lastSeen)} (total **${view.total}**). If it is expected, close the issue as *not planned* to stop tracking it.`;
}

/** The one comment of a close daemon-hotfix makes: the passing run, or the quiet spell after the plugin moved on. */
export function renderResolvedComment(view: ClusterView, resolution: Resolution): string {
  if (resolution.by === "green") {
    const run = resolution.run;
    const link = run.url ? githubLink(run.url) : run.runId !== undefined ? `run ${run.runId}` : "a passing run";
    return `Resolved by daemon-hotfix: ${code(resolution.workflow)}${resolution.branch ? ` on ${code(resolution.branch)}` : ""} passed again — ${link} at ${code(run.sha.slice(0, 12))}${run.title ? ` (${plain(run.title)})` : ""}. Closing as completed (total **${view.total}**, last failure ${when(view.lastSeen)}); a later failure reopens it. Set \`autoClose: false\` to keep such issues open.`;
  }
  return `Resolved by daemon-hotfix: no recurrence since ${code(resolution.ref)} on ${when(resolution.since)} (last failure ${when(view.lastSeen)}, total **${view.total}**). Closing as completed; a recurrence reopens it.`;
}

/** The comment on a closed issue when the failure came back only on a version it was closed at (a re-run). */
export function renderMentionComment(view: ClusterView, old?: { version: string; url?: string }): string {
  const on = old ? ` on ${code(shortVersion({ kind: "commit", value: old.version }))}${old.url ? ` (${githubLink(old.url)})` : ""}` : "";
  return `Seen again${on}, a version from before this issue was closed (a re-run of an old commit?): counted (total **${view.total}**, last ${when(view.lastSeen)}), not reopened. A failure on a newer version reopens it.`;
}
