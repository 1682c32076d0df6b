import type { Octokit } from "@octokit/core";
import { RequestError } from "@octokit/request-error";
import { errorAnnotations, firstSpecific } from "../../shared/ci-context/annotations";
import { breakagesOf, type JobRead } from "../../shared/ci-context/breakages";
import { checkRunIdOf, failedJobs, type JobInput } from "../../shared/ci-context/jobs";
import { failedStepExcerpt, logLines } from "../../shared/ci-context/log-excerpt";
import type { CiExcerpt, CiJob } from "../../shared/ci-context/schema";
import type { ReadOutcome } from "../../shared/ci-context/stream-messages";
import type { FailureEvent } from "../../shared/failure-event";
import { classifyGitHubError } from "../github/classify";
import { fetchLog } from "./log-fetch";

/** Failed jobs whose annotations (and, without one, log) are read: the rest are listed from the jobs read alone. */
export const JOBS_READ_IN_DETAIL = 3;

export interface RunReader {
  octokit: Octokit;
  timeoutMs: number;
  redact: (text: string) => string;
}

const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

/** What GitHub (or the log host) answered, in words fit for an issue: redacted, clipped. */
function refusal(reader: RunReader, error: unknown, what: string): string {
  // Our own errors (the log host's status, a missing redirect) say it; GitHub's and the network's are classified.
  const own = error instanceof Error && !(error instanceof RequestError) && error.name === "Error";
  return clip(reader.redact(own ? `${what}: ${error.message}` : classifyGitHubError(error, Date.now(), what).reason), 300);
}

function split(repo: string): { owner: string; repo: string } {
  const [owner = "", name = ""] = repo.split("/");
  return { owner, repo: name };
}

/** The failed step's excerpt of one job's log: 302 to the log host (no token sent there), at most 1 MB read. */
async function excerptOf(reader: RunReader, repo: string, job: CiJob): Promise<CiExcerpt> {
  const { headers, status } = await reader.octokit.request("GET /repos/{owner}/{repo}/actions/jobs/{job_id}/logs", { ...split(repo), job_id: job.id, request: { redirect: "manual" } });
  const location = headers.location;
  if (status !== 302 || typeof location !== "string") throw new Error(`GitHub answered ${status} without a log location`);
  const log = await fetchLog(location, reader.timeoutMs);
  const step = job.failedSteps[0]?.name;
  const excerpt = failedStepExcerpt(logLines(log.text, { partialFirstLine: log.partialStart }), step);
  return {
    job: job.name,
    ...(excerpt.step ?? step ? { step: excerpt.step ?? step } : {}),
    // Redacted as one text, so a secret spanning lines (a PEM key's body) goes whole, then split back into lines.
    lines: reader.redact(excerpt.lines.join("\n")).split("\n").map((line) => clip(line, 500)),
    truncated: log.truncated,
  };
}

/** A failed job's annotations, and its log excerpt when no annotation says what broke. Refusals are noted, not thrown. */
async function readJob(reader: RunReader, repo: string, job: CiJob, checkRunId: number, options: { logs: boolean }): Promise<JobRead> {
  const read: JobRead = { job, annotations: [] };
  const missing: string[] = [];
  try {
    const { data } = await reader.octokit.request("GET /repos/{owner}/{repo}/check-runs/{check_run_id}/annotations", { ...split(repo), check_run_id: checkRunId, per_page: 50 });
    read.annotations = errorAnnotations(data, reader.redact);
  } catch (error) {
    missing.push(refusal(reader, error, `annotations of ${job.name}`));
  }
  if (options.logs && !firstSpecific(read.annotations)) {
    try {
      read.excerpt = await excerptOf(reader, repo, job);
    } catch (error) {
      missing.push(refusal(reader, error, `log of ${job.name}`));
    }
  }
  if (missing.length) read.missing = missing;
  return read;
}

async function readWorkflowRun(reader: RunReader, failure: FailureEvent, runId: number): Promise<ReadOutcome> {
  const repo = failure.target.repo;
  let jobs: JobInput[];
  try {
    const { data } = await reader.octokit.request("GET /repos/{owner}/{repo}/actions/runs/{run_id}/jobs", { ...split(repo), run_id: runId, filter: "latest", per_page: 100 });
    jobs = data.jobs;
  } catch (error) {
    return { resolution: "unreadable", readRunId: runId, reason: refusal(reader, error, "the run's jobs") };
  }
  const failed = failedJobs(jobs);
  const detailed = failed.slice(0, JOBS_READ_IN_DETAIL);
  const checkRunIds = new Map(jobs.map((job) => [Number(job.id), checkRunIdOf(job)]));
  const reads = await Promise.all(detailed.map((job) => readJob(reader, repo, job, checkRunIds.get(job.id) ?? job.id, { logs: true })));
  const rest: JobRead[] = failed.slice(detailed.length).map((job) => ({ job, annotations: [] }));
  return { resolution: "read", readRunId: runId, breakages: breakagesOf([...reads, ...rest], failure.conclusion ?? "failure") };
}

async function readCheckRun(reader: RunReader, failure: FailureEvent, checkRunId: number): Promise<ReadOutcome> {
  const facts = failure.ci?.facts;
  const job: CiJob = { id: checkRunId, name: facts?.workflowName ?? "check", conclusion: failure.conclusion ?? "failure", ...(failure.trigger.url ? { url: failure.trigger.url } : {}), failedSteps: [] };
  const read = await readJob(reader, failure.target.repo, job, checkRunId, { logs: false });
  if (read.missing && read.annotations.length === 0 && !facts?.outputTitle) return { resolution: "unreadable", reason: read.missing[0] ?? "annotations could not be read" };
  return { resolution: "read", breakages: breakagesOf([{ ...read, ...(facts?.outputTitle ? { fallbackError: facts.outputTitle } : {}) }], failure.conclusion ?? "failure") };
}

async function readCheckSuite(reader: RunReader, failure: FailureEvent, suiteId: number): Promise<ReadOutcome> {
  const repo = failure.target.repo;
  let runs: Array<JobInput & { output?: { title?: string | null } | null }>;
  try {
    const { data } = await reader.octokit.request("GET /repos/{owner}/{repo}/check-suites/{check_suite_id}/check-runs", { ...split(repo), check_suite_id: suiteId, filter: "latest", per_page: 100 });
    runs = data.check_runs;
  } catch (error) {
    return { resolution: "unreadable", reason: refusal(reader, error, "the suite's check runs") };
  }
  const failed = failedJobs(runs);
  const titles = new Map(runs.map((run) => [Number(run.id), run.output?.title ?? undefined]));
  const reads = await Promise.all(
    failed.slice(0, JOBS_READ_IN_DETAIL).map(async (job) => {
      const read = await readJob(reader, repo, job, job.id, { logs: false });
      const title = titles.get(job.id);
      return title ? { ...read, fallbackError: clip(reader.redact(title), 1_000) } : read;
    }),
  );
  const rest: JobRead[] = failed.slice(JOBS_READ_IN_DETAIL).map((job) => ({ job, annotations: [] }));
  return { resolution: "read", breakages: breakagesOf([...reads, ...rest], failure.conclusion ?? "failure") };
}

/**
 * Reads what broke in a failing run from GitHub's own structure: a workflow run's jobs (failed jobs and steps), the
 * failed jobs' check-run annotations and, without an error annotation, the failed step's log excerpt; a check run's
 * annotations; a check suite's failed check runs and their annotations. Never throws: a refused or failed read of
 * the run itself is `unreadable` (the issue is filed from the event alone, saying why).
 */
export async function readRun(reader: RunReader, failure: FailureEvent): Promise<ReadOutcome> {
  const source = failure.ci?.facts.source;
  const c = failure.correlation;
  try {
    if (source === "workflow_run" && c.runId !== undefined) return await readWorkflowRun(reader, failure, c.runId);
    if (source === "check_run" && c.checkRunId !== undefined) return await readCheckRun(reader, failure, c.checkRunId);
    if (source === "check_suite" && c.checkSuiteId !== undefined) return await readCheckSuite(reader, failure, c.checkSuiteId);
  } catch (error) {
    return { resolution: "unreadable", reason: refusal(reader, error, "the run") };
  }
  return { resolution: "unreadable", reason: "the event names no run, check run or check suite to read" };
}
