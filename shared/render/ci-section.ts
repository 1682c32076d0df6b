import { compareUrl } from "../ci-context/broken-between";
import type { CiCommit, CiDetails } from "../ci-context/schema";
import type { ClusterView } from "../cluster-view";
import { cell, code, cut, fence, githubLink } from "./inert";

/**
 * The CI part of an issue body: what broke (failed jobs and steps, linked), GitHub's error annotations, the failed
 * step's log excerpt, "broken between" with a compare link, and the run. Every event string goes through the inert
 * layer; links are rebuilt from validated github.com parts only.
 */

/** Bounds of the CI sections (the whole body is still cut to GitHub's limit). */
const SIZES = { annotations: 6_000, excerpt: 12_000 } as const;

function commitLine(label: string, commit: CiCommit): string {
  const run = commit.url ? ` · ${githubLink(commit.url)}` : "";
  return `- ${label}: ${code(commit.sha.slice(0, 12))}${commit.title ? ` ${code(commit.title)}` : ""}${run}`;
}

function whatBroke(details: CiDetails): string {
  const breakage = details.breakage;
  if (!breakage) return "";
  if (breakage.jobs.length === 0) return `### What broke\n\nThe run failed before any job ran (conclusion ${code(breakage.key.error || "failure")}).`;
  const rows = breakage.jobs
    .map((job) => `| ${cell(code(job.name))} | ${cell(job.failedSteps.map((s) => `${code(s.name)} (step ${s.number})`).join(", ") || "—")} | ${cell(code(job.conclusion))} | ${cell(githubLink(job.url))} |`)
    .join("\n");
  return `### What broke\n\n| failed job | failed step | conclusion | job |\n|---|---|---|---|\n${rows}`;
}

function annotations(details: CiDetails): string {
  const list = details.breakage?.annotations ?? [];
  if (list.length === 0) return "";
  const lines = list.map((a) => `${a.path}:${a.line} — ${a.title ? `${a.title}: ` : ""}${a.message}`).join("\n");
  return `### Error annotations\n\n${fence(cut(lines, SIZES.annotations))}`;
}

function excerpt(details: CiDetails): string {
  const e = details.breakage?.excerpt;
  if (!e || e.lines.length === 0) return "";
  const where = `${code(e.job)}${e.step ? ` › ${code(e.step)}` : ""}`;
  const note = e.truncated ? " The log was longer than what was read (1 MB): this is from its tail." : "";
  return `### Log excerpt\n\nThe last ${e.lines.length} lines of ${where}, redacted.${note}\n\n${fence(cut(e.lines.join("\n"), SIZES.excerpt))}`;
}

function brokenBetween(view: ClusterView): string {
  const between = view.brokenBetween;
  if (!between) return "";
  const url = compareUrl(view.repo, between);
  const lines = [
    between.lastGreen ? commitLine("Last passing", between.lastGreen) : "- Last passing: none seen yet (daemon-hotfix records passing runs of this workflow and branch as they come)",
    commitLine("First failing", between.firstRed),
    url ? `- Compare: ${githubLink(url)}` : "",
  ].filter(Boolean);
  return `### Broken between\n\n${lines.join("\n")}`;
}

function readNote(details: CiDetails): string {
  const missing = details.breakage?.missing ?? [];
  const parts: string[] = [];
  if (details.resolution === "unreadable") parts.push(`> [!WARNING]\n> The run's details could not be read from GitHub, so this issue is filed from the event alone: ${code(details.reason ?? "unknown reason")}.`);
  if (details.resolution === "inferred" && details.readRunId !== undefined) parts.push(`This run's jobs were not read: it was counted into the breakage read from run ${details.readRunId} (daemon-hotfix reads a workflow's runs at most once per window).`);
  if (missing.length) parts.push(`Not read: ${missing.map((m) => code(m)).join("; ")}.`);
  return parts.join("\n\n");
}

/** The sections for a CI failure's body, in order (empty strings for what it does not have). */
export function ciSections(view: ClusterView): string[] {
  const details = view.sample.ci?.details;
  if (!details) return [];
  return [whatBroke(details), annotations(details), excerpt(details), brokenBetween(view), readNote(details)];
}

/** "Re-run" hint: the GitHub CLI command that re-runs the failed jobs of the run (its id and repo validated). */
export function rerunHint(view: ClusterView): string {
  const f = view.sample;
  const runId = f.correlation.runId;
  if (f.kind !== "workflow_run" || runId === undefined || !/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/.test(view.repo)) return "";
  const attempt = f.correlation.runAttempt ?? 1;
  return `Re-run its failed jobs once to rule out a flake: ${code(`gh run rerun ${runId} --failed --repo ${view.repo}`)} (attempt ${attempt} failed).`;
}
