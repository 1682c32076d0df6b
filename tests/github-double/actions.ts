/**
 * GitHub Actions and Checks in the double: workflow runs with their jobs and steps, check-run annotations, and job
 * logs — `GET …/actions/jobs/{id}/logs` answers 302 to a short-lived signed URL on a separate log host (as GitHub
 * does), which serves realistic Actions log text: a byte-order mark, a timestamp on every line, `##[group]Run …`
 * sections, colour codes, `##[error]` lines, post-job cleanup. The log host honours `Range: bytes=start-[end]` (the
 * form blob storage accepts) and records a violation when a request to it carries an Authorization header.
 *
 * Runs are put in place by a test (`addRun`, control API `POST /_double/actions/runs`); GitHub answers 404 for a
 * run it does not know, like GitHub for a run that does not exist.
 */
import { error, json, notFound, paginate } from "./http.ts";
import type { Result } from "./http.ts";
import type { Core, Ctx, Handler } from "./operations.ts";
import { API, WEB, hashId, isoSeconds, nodeId, repoKey } from "./state.ts";

export type StepConclusion = "success" | "failure" | "skipped" | "cancelled";
export type JobConclusion = "success" | "failure" | "cancelled" | "skipped" | "timed_out";

export interface AnnotationSpec {
  path: string;
  startLine: number;
  level?: "failure" | "warning" | "notice";
  message: string;
  title?: string;
}

export interface StepSpec {
  name: string;
  /** The command a `run:` step runs (its log section is `##[group]Run <command>`); default: the name without `Run `. */
  command?: string;
  conclusion?: StepConclusion;
  /** The step's output lines (without timestamps). */
  log?: string[];
}

export interface JobSpec {
  name: string;
  /** Default: `failure` when a step failed, else `success`. */
  conclusion?: JobConclusion;
  steps?: StepSpec[];
  annotations?: AnnotationSpec[];
  /** Extra bytes of output before the steps (to make a log longer than a reader's limit). */
  paddingBytes?: number;
}

export interface RunSpec {
  repo: string;
  runId: number;
  attempt?: number;
  headSha?: string;
  headBranch?: string;
  workflowName?: string;
  /** The check suite the run's jobs belong to (for `GET …/check-suites/{id}/check-runs`). */
  checkSuiteId?: number;
  jobs: JobSpec[];
}

/** A check run outside Actions (a check_run event's own run): its annotations and output. */
export interface CheckRunSpec {
  repo: string;
  id: number;
  name: string;
  conclusion?: JobConclusion;
  headSha?: string;
  checkSuiteId?: number;
  title?: string;
  summary?: string;
  annotations?: AnnotationSpec[];
}

interface StepRecord {
  name: string;
  number: number;
  conclusion: StepConclusion;
  header: string | null;
  log: string[];
  startedAt: number;
  completedAt: number;
}

interface JobRecord {
  id: number;
  repo: string;
  runId: number | null;
  attempt: number;
  name: string;
  conclusion: JobConclusion;
  headSha: string;
  headBranch: string | null;
  workflowName: string | null;
  checkSuiteId: number;
  steps: StepRecord[];
  annotations: AnnotationSpec[];
  createdAt: number;
  startedAt: number;
  completedAt: number;
  title: string | null;
  summary: string | null;
  paddingBytes: number;
  /** The log's text, built once. */
  log?: string;
}

interface SignedLog {
  jobId: number;
  expiresAt: number;
}

/** How long a signed log URL stays valid (GitHub documents one minute). */
export const LOG_URL_TTL_MS = 60_000;
export const LOG_PATH = "/_actions-logs/";

const ZERO_SHA = "0000000000000000000000000000000000000000";

function fractional(ms: number): string {
  // Actions timestamps carry seven fractional digits.
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 19)}.${iso.slice(20, 23)}${String(ms % 9973).padStart(4, "0")}Z`;
}

export class ActionsStore {
  private readonly jobs = new Map<string, JobRecord>();
  private readonly runs = new Map<string, number[]>();
  private readonly suites = new Map<string, number[]>();
  private readonly signed = new Map<string, SignedLog>();
  private nextJobId = 70_000_001;
  private seq = 0;

  addRun(spec: RunSpec, now: number): Record<string, unknown>[] {
    const runKey = `${repoKey(spec.repo)}#${spec.runId}`;
    const attempt = spec.attempt ?? 1;
    const checkSuiteId = spec.checkSuiteId ?? 30_000_000 + (spec.runId % 10_000_000);
    const ids: number[] = [];
    let clock = now - 120_000;
    for (const jobSpec of spec.jobs) {
      const id = this.nextJobId++;
      const steps: StepRecord[] = [];
      const all: StepSpec[] = [{ name: "Set up job", conclusion: "success" }, ...(jobSpec.steps ?? []), { name: "Complete job", conclusion: "success" }];
      let failed = false;
      all.forEach((step, index) => {
        const conclusion: StepConclusion = step.conclusion ?? (failed && index < all.length - 1 ? "skipped" : "success");
        if (conclusion === "failure") failed = true;
        const startedAt = (clock += 1_000);
        const completedAt = (clock += conclusion === "skipped" ? 0 : 3_000);
        const isRunStep = index > 0 && index < all.length - 1;
        steps.push({ name: step.name, number: index + 1, conclusion, header: isRunStep ? `Run ${step.command ?? step.name.replace(/^Run /, "")}` : null, log: step.log ?? [], startedAt, completedAt });
      });
      const conclusion: JobConclusion = jobSpec.conclusion ?? (failed ? "failure" : "success");
      const job: JobRecord = {
        id,
        repo: spec.repo,
        runId: spec.runId,
        attempt,
        name: jobSpec.name,
        conclusion,
        headSha: spec.headSha ?? ZERO_SHA,
        headBranch: spec.headBranch ?? "main",
        workflowName: spec.workflowName ?? "CI",
        checkSuiteId,
        steps,
        annotations: [...(jobSpec.annotations ?? []), ...(conclusion === "failure" ? [{ path: ".github", startLine: 1, level: "failure" as const, message: "Process completed with exit code 1." }] : [])],
        createdAt: now - 180_000,
        startedAt: steps[0]?.startedAt ?? now,
        completedAt: clock,
        title: null,
        summary: null,
        paddingBytes: jobSpec.paddingBytes ?? 0,
      };
      this.jobs.set(`${repoKey(spec.repo)}#job${id}`, job);
      ids.push(id);
    }
    this.runs.set(runKey, ids);
    this.suites.set(`${repoKey(spec.repo)}#${checkSuiteId}`, ids);
    return ids.map((id) => jobJson(this.job(spec.repo, id) as JobRecord));
  }

  addCheckRun(spec: CheckRunSpec, now: number): Record<string, unknown> {
    const job: JobRecord = {
      id: spec.id,
      repo: spec.repo,
      runId: null,
      attempt: 1,
      name: spec.name,
      conclusion: spec.conclusion ?? "failure",
      headSha: spec.headSha ?? ZERO_SHA,
      headBranch: null,
      workflowName: null,
      checkSuiteId: spec.checkSuiteId ?? 40_000_000 + (spec.id % 10_000_000),
      steps: [],
      annotations: spec.annotations ?? [],
      createdAt: now - 60_000,
      startedAt: now - 60_000,
      completedAt: now,
      title: spec.title ?? null,
      summary: spec.summary ?? null,
      paddingBytes: 0,
    };
    this.jobs.set(`${repoKey(spec.repo)}#job${spec.id}`, job);
    const suiteKey = `${repoKey(spec.repo)}#${job.checkSuiteId}`;
    this.suites.set(suiteKey, [...(this.suites.get(suiteKey) ?? []).filter((id) => id !== spec.id), spec.id]);
    return checkRunJson(job);
  }

  job(repo: string, id: number): JobRecord | undefined {
    return this.jobs.get(`${repoKey(repo)}#job${id}`);
  }

  runJobs(repo: string, runId: number): JobRecord[] | undefined {
    return this.runs.get(`${repoKey(repo)}#${runId}`)?.flatMap((id) => this.job(repo, id) ?? []);
  }

  suiteRuns(repo: string, suiteId: number): JobRecord[] | undefined {
    return this.suites.get(`${repoKey(repo)}#${suiteId}`)?.flatMap((id) => this.job(repo, id) ?? []);
  }

  /** A signed log URL for a job, valid for LOG_URL_TTL_MS. */
  sign(origin: string, job: JobRecord, now: number): string {
    const token = `${hashId(`${job.repo}#${job.id}#${++this.seq}`).toString(36)}${this.seq.toString(36)}`;
    this.signed.set(token, { jobId: job.id, expiresAt: now + LOG_URL_TTL_MS });
    const expires = encodeURIComponent(new Date(now + LOG_URL_TTL_MS).toISOString().replace("Z", "0000Z"));
    return `${origin}${LOG_PATH}${encodeURIComponent(job.repo)}/${job.id}/signedlogcontent?urlExpires=${expires}&urlSigningMethod=HMACV1&urlSignature=${token}`;
  }

  /** Serves a signed log URL (the log host). */
  serveLog(url: URL, headers: Headers, now: number, violations: string[]): Result {
    if (headers.get("authorization")) violations.push(`log host: a request carried an Authorization header (${url.pathname})`);
    const token = url.searchParams.get("urlSignature") ?? "";
    const signed = this.signed.get(token);
    const [, repo = "", id = ""] = /^\/_actions-logs\/([^/]+)\/(\d+)\/signedlogcontent$/.exec(url.pathname) ?? [];
    const job = this.job(decodeURIComponent(repo), Number(id));
    if (!signed || !job || signed.jobId !== job.id) return azureError(403, "AuthenticationFailed", "Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.");
    if (signed.expiresAt < now) return azureError(403, "AuthenticationFailed", "Signed expiry time has to be after signed start time.");
    job.log ??= logText(job);
    const bytes = new TextEncoder().encode(job.log);
    const range = headers.get("range");
    if (!range) return { status: 200, text: job.log, contentType: "text/plain; charset=utf-8", headers: { "content-length": String(bytes.byteLength), "accept-ranges": "bytes" } };
    const m = /^bytes=(\d+)-(\d*)$/.exec(range.trim());
    const start = m ? Number(m[1]) : Number.NaN;
    const end = m && m[2] ? Math.min(Number(m[2]), bytes.byteLength - 1) : bytes.byteLength - 1;
    if (!m || start >= bytes.byteLength || end < start) return { ...azureError(416, "InvalidRange", "The range specified is invalid for the current size of the resource."), headers: { "content-range": `bytes */${bytes.byteLength}` } };
    const slice = bytes.subarray(start, end + 1);
    return {
      status: 206,
      text: new TextDecoder().decode(slice),
      contentType: "text/plain; charset=utf-8",
      headers: { "content-range": `bytes ${start}-${end}/${bytes.byteLength}`, "content-length": String(slice.byteLength), "accept-ranges": "bytes" },
    };
  }
}

function azureError(status: number, code: string, message: string): Result {
  return { status, text: `\ufeff<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`, contentType: "application/xml" };
}

/** The job's log as the Actions runner writes it. */
function logText(job: JobRecord): string {
  const lines: string[] = [];
  let at = job.startedAt;
  const put = (text: string) => lines.push(`${fractional((at += 7))} ${text}`);
  put(`Current runner version: '2.321.0'`);
  put("##[group]Operating System");
  put("Ubuntu");
  put("24.04.1");
  put("LTS");
  put("##[endgroup]");
  put("##[group]Runner Image");
  put("Image: ubuntu-24.04");
  put("Version: 20261117.1.0");
  put("##[endgroup]");
  put("##[group]GITHUB_TOKEN Permissions");
  put("Contents: read");
  put("Metadata: read");
  put("##[endgroup]");
  put("Secret source: Actions");
  put("Prepare workflow directory");
  put("Prepare all required actions");
  put(`Complete job name: ${job.name}`);
  for (let written = 0; written < job.paddingBytes; written += 80) put(`padding ${"·".repeat(60)} ${written}`);
  for (const step of job.steps) {
    if (step.header === null || step.conclusion === "skipped") continue;
    put(`##[group]${step.header}`);
    put(step.header.replace(/^Run /, ""));
    put("shell: /usr/bin/bash -e {0}");
    put("##[endgroup]");
    for (const line of step.log) put(line);
    if (step.conclusion === "failure") put("##[error]Process completed with exit code 1.");
  }
  put("Post job cleanup.");
  put("[command]/usr/bin/git version");
  put("git version 2.47.1");
  put("Cleaning up orphan processes");
  return `\ufeff${lines.join("\n")}\n`;
}

function runUrls(job: JobRecord) {
  const api = `${API}/repos/${job.repo}`;
  return {
    url: `${api}/actions/jobs/${job.id}`,
    html: job.runId !== null ? `${WEB}/${job.repo}/actions/runs/${job.runId}/job/${job.id}` : `${WEB}/${job.repo}/runs/${job.id}`,
    checkRun: `${api}/check-runs/${job.id}`,
    run: job.runId !== null ? `${api}/actions/runs/${job.runId}` : `${api}/check-runs/${job.id}`,
  };
}

export function jobJson(job: JobRecord): Record<string, unknown> {
  const urls = runUrls(job);
  return {
    id: job.id,
    run_id: job.runId ?? 0,
    run_url: urls.run,
    run_attempt: job.attempt,
    node_id: nodeId("CR", job.id),
    head_sha: job.headSha,
    url: urls.url,
    html_url: urls.html,
    status: "completed",
    conclusion: job.conclusion,
    created_at: isoSeconds(job.createdAt),
    started_at: isoSeconds(job.startedAt),
    completed_at: isoSeconds(job.completedAt),
    name: job.name,
    steps: job.steps.map((s) => ({ name: s.name, status: "completed", conclusion: s.conclusion, number: s.number, started_at: isoSeconds(s.startedAt), completed_at: isoSeconds(s.completedAt) })),
    check_run_url: urls.checkRun,
    labels: ["ubuntu-latest"],
    runner_id: 1,
    runner_name: "GitHub Actions 1",
    runner_group_id: 2,
    runner_group_name: "GitHub Actions",
    workflow_name: job.workflowName,
    head_branch: job.headBranch,
  };
}

export function checkRunJson(job: JobRecord): Record<string, unknown> {
  const urls = runUrls(job);
  const failures = job.annotations.length;
  return {
    id: job.id,
    node_id: nodeId("CR", job.id),
    head_sha: job.headSha,
    external_id: null,
    url: urls.checkRun,
    html_url: urls.html,
    details_url: urls.html,
    status: "completed",
    conclusion: job.conclusion,
    started_at: isoSeconds(job.startedAt),
    completed_at: isoSeconds(job.completedAt),
    output: { title: job.title, summary: job.summary, text: null, annotations_count: failures, annotations_url: `${urls.checkRun}/annotations` },
    name: job.name,
    check_suite: { id: job.checkSuiteId },
    app: null,
    pull_requests: [],
  };
}

function annotationJson(job: JobRecord, a: AnnotationSpec): Record<string, unknown> {
  return {
    path: a.path,
    blob_href: `${WEB}/${job.repo}/blob/${job.headSha}/${a.path}`,
    start_line: a.startLine,
    end_line: a.startLine,
    start_column: null,
    end_column: null,
    annotation_level: a.level ?? "failure",
    title: a.title ?? null,
    message: a.message,
    raw_details: null,
  };
}

function repoOf(ctx: Ctx): string {
  return `${ctx.params.owner ?? ""}/${ctx.params.repo ?? ""}`;
}

function idParam(ctx: Ctx, name: string): number | null {
  const raw = ctx.params[name] ?? "";
  return /^\d+$/.test(raw) ? Number(raw) : null;
}

function actionsOf(core: Core): ActionsStore {
  if (!core.actions) throw new Error("github-double: no Actions store");
  return core.actions;
}

const listJobs: Handler = (core, ctx) => {
  const runId = idParam(ctx, "run_id");
  const jobs = runId === null ? undefined : actionsOf(core).runJobs(repoOf(ctx), runId);
  if (!jobs) return notFound();
  const filter = ctx.url.searchParams.get("filter") ?? "latest";
  if (filter !== "latest" && filter !== "all") return error(422, `Invalid filter: ${filter}`);
  const latest = Math.max(...jobs.map((j) => j.attempt));
  const selected = filter === "latest" ? jobs.filter((j) => j.attempt === latest) : jobs;
  const { page, link } = paginate(selected.map(jobJson), ctx.url);
  return json(200, { total_count: selected.length, jobs: page }, link ? { link } : undefined);
};

const listAnnotations: Handler = (core, ctx) => {
  const id = idParam(ctx, "check_run_id");
  const job = id === null ? undefined : actionsOf(core).job(repoOf(ctx), id);
  if (!job) return notFound();
  const { page, link } = paginate(job.annotations.map((a) => annotationJson(job, a)), ctx.url, 50);
  return json(200, page, link ? { link } : undefined);
};

const listForSuite: Handler = (core, ctx) => {
  const id = idParam(ctx, "check_suite_id");
  const runs = id === null ? undefined : actionsOf(core).suiteRuns(repoOf(ctx), id);
  if (!runs) return notFound();
  const { page, link } = paginate(runs.map(checkRunJson), ctx.url);
  return json(200, { total_count: runs.length, check_runs: page }, link ? { link } : undefined);
};

const downloadJobLogs: Handler = (core, ctx) => {
  const id = idParam(ctx, "job_id");
  const job = id === null ? undefined : actionsOf(core).job(repoOf(ctx), id);
  if (!job || job.runId === null) return notFound();
  return { status: 302, text: "", headers: { location: actionsOf(core).sign(core.logOrigin ?? ctx.url.origin, job, ctx.now) } };
};

export const ACTIONS_HANDLERS: Record<string, Handler> = {
  "actions/list-jobs-for-workflow-run": listJobs,
  "actions/download-job-logs-for-workflow-run": downloadJobLogs,
  "checks/list-annotations": listAnnotations,
  "checks/list-for-suite": listForSuite,
};
