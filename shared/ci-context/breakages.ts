import { normalizeMessage } from "../normalize-message";
import { firstSpecific, isRunnerMessage } from "./annotations";
import { jobFamily } from "./jobs";
import { errorLine } from "./log-excerpt";
import { type Breakage, CI_LIMITS, type CiAnnotation, type CiExcerpt, type CiJob, type CiSource } from "./schema";

/** What was read about one failed job (or failed check run): redacted already. */
export interface JobRead {
  job: CiJob;
  /** Its error-level annotations, specific ones first (`errorAnnotations`). */
  annotations: CiAnnotation[];
  /** Its failed step's log excerpt, read only when no annotation said what broke. */
  excerpt?: CiExcerpt;
  /** For a check run without annotations: its output title, the check's own summary of what failed. */
  fallbackError?: string;
  /** Reads GitHub refused for this job, in words. */
  missing?: string[];
}

const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

/**
 * The error as a reader sees it (`file:line — message`), and the text the fingerprint keeps (`file: message`: the
 * line moves with every edit above it; the grouping version normalises the rest).
 */
function errorOf(read: JobRead): { shown?: string; key: string } {
  const specific = firstSpecific(read.annotations);
  if (specific) {
    const where = specific.path && specific.path !== ".github" ? specific.path : "";
    return { shown: `${where ? `${where}:${specific.line} — ` : ""}${specific.message}`, key: `${where ? `${where}: ` : ""}${specific.message}` };
  }
  const line = read.excerpt ? errorLine(read.excerpt.lines) : undefined;
  if (line) return { shown: line, key: line };
  if (read.fallbackError && !isRunnerMessage(read.fallbackError)) return { shown: read.fallbackError, key: read.fallbackError };
  const generic = read.annotations[0];
  if (generic) return { shown: generic.message, key: generic.message };
  return { key: "" };
}

function sameAnnotation(a: CiAnnotation, b: CiAnnotation): boolean {
  return a.path === b.path && a.line === b.line && a.message === b.message;
}

/**
 * Groups a run's failed jobs into breakages: jobs whose family (name without matrix values), first failed step
 * and normalised first error agree broke the same way. A run that failed without a failed job (a startup failure,
 * an invalid workflow) is one breakage keyed by its conclusion.
 */
export function breakagesOf(reads: readonly JobRead[], conclusion: string): Breakage[] {
  if (reads.length === 0) return [{ key: { job: "", step: "", error: conclusion }, jobs: [], annotations: [] }];
  const byKey = new Map<string, Breakage>();
  for (const read of reads) {
    const error = errorOf(read);
    const key = {
      job: clip(jobFamily(read.job.name), CI_LIMITS.name),
      step: read.job.failedSteps[0]?.name ?? "",
      error: clip(error.key, CI_LIMITS.annotationMessage),
    };
    const id = JSON.stringify([key.job.toLowerCase(), key.step.toLowerCase(), normalizeMessage(key.error)]);
    const found = byKey.get(id);
    if (!found) {
      byKey.set(id, {
        key,
        jobs: [read.job],
        annotations: read.annotations.slice(0, CI_LIMITS.annotations),
        ...(read.excerpt ? { excerpt: read.excerpt } : {}),
        ...(error.shown ? { error: clip(error.shown, CI_LIMITS.annotationMessage) } : {}),
        ...(read.missing?.length ? { missing: read.missing } : {}),
      });
      continue;
    }
    if (found.jobs.length < CI_LIMITS.jobs) found.jobs.push(read.job);
    for (const a of read.annotations) {
      if (found.annotations.length >= CI_LIMITS.annotations) break;
      if (!found.annotations.some((b) => sameAnnotation(a, b))) found.annotations.push(a);
    }
    if (!found.excerpt && read.excerpt) found.excerpt = read.excerpt;
    if (read.missing?.length) found.missing = [...new Set([...(found.missing ?? []), ...read.missing])].slice(0, 10);
  }
  return [...byKey.values()];
}

/**
 * The one-line summary of a breakage — `CI / test › Run npm test: src/a.ts:12 — expected 1 to be 2` — that
 * titles its issue. A check run is its own job: `test (ubuntu-latest): src/a.ts:12 — …`.
 */
export function breakageHeadline(workflowName: string, breakage: Breakage, conclusionText: string, source: CiSource = "workflow_run"): string {
  const where = source === "check_run" ? "" : [breakage.key.job, breakage.key.step].filter(Boolean).join(" › ");
  const head = where ? `${workflowName} / ${where}` : workflowName;
  return breakage.error ? `${head}: ${breakage.error.split("\n")[0] ?? ""}` : `${head} ${conclusionText}`;
}
