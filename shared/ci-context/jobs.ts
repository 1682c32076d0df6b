import { CI_LIMITS, type CiJob, type CiStep } from "./schema";

/** The fields of a job of `GET /repos/{o}/{r}/actions/runs/{id}/jobs` (or a check run) that are read. */
export interface JobInput {
  /** GitHub's int64 ids arrive as bigint when they exceed 2^53 (they never do for jobs today). */
  id: number | bigint;
  name: string;
  conclusion: string | null;
  html_url?: string | null;
  check_run_url?: string | null;
  steps?: ReadonlyArray<{ name: string; number: number; conclusion: string | null }> | null;
}

/** Job conclusions that are the failure itself (a `cancelled` job was stopped because another one failed). */
const FAILED_JOB = new Set(["failure", "timed_out"]);

const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

/**
 * The steps that failed: those concluded `failure`; for a job that timed out, the step that was cancelled by the
 * timeout (the first `cancelled` one) when none failed.
 */
export function failedSteps(job: JobInput): CiStep[] {
  const steps = job.steps ?? [];
  let failed = steps.filter((s) => s.conclusion === "failure" || s.conclusion === "timed_out");
  if (failed.length === 0 && job.conclusion === "timed_out") failed = steps.filter((s) => s.conclusion === "cancelled").slice(0, 1);
  return failed.slice(0, CI_LIMITS.stepsPerJob).map((s) => ({ name: clip(s.name, CI_LIMITS.name), number: s.number }));
}

/** The failed jobs of a run (at most `CI_LIMITS.jobs`, in GitHub's order), each with its failed steps. */
export function failedJobs(jobs: readonly JobInput[]): CiJob[] {
  return jobs
    .filter((job) => job.conclusion !== null && FAILED_JOB.has(job.conclusion))
    .slice(0, CI_LIMITS.jobs)
    .map((job) => ({
      id: Number(job.id),
      name: clip(job.name, CI_LIMITS.name),
      conclusion: job.conclusion ?? "failure",
      ...(job.html_url ? { url: job.html_url } : {}),
      failedSteps: failedSteps(job),
    }));
}

/**
 * The check run behind a job (its annotations live there): the id at the end of `check_run_url`, which for GitHub
 * Actions is the job's own id.
 */
export function checkRunIdOf(job: Pick<JobInput, "id" | "check_run_url">): number {
  const tail = job.check_run_url?.split("/").pop() ?? "";
  return /^[1-9][0-9]{0,15}$/.test(tail) ? Number(tail) : Number(job.id);
}

/**
 * A job's name without its matrix values — `test (ubuntu-latest, 20)` → `test` — so one breakage on every leg of
 * a matrix is one breakage. (String operations only: no pattern over the name.)
 */
export function jobFamily(name: string): string {
  const trimmed = name.trim();
  if (!trimmed.endsWith(")")) return trimmed;
  const open = trimmed.lastIndexOf("(");
  if (open <= 0) return trimmed;
  const inner = trimmed.slice(open + 1, -1);
  if (inner.includes("(") || inner.includes(")")) return trimmed;
  return trimmed.slice(0, open).trimEnd() || trimmed;
}
