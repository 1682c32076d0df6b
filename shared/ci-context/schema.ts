import * as v from "valibot";

/**
 * What a CI failure carries besides the common FailureEvent fields: the facts its event gave at ingest (`CiFacts`)
 * and, once the consumer's CI-context step has read GitHub, what broke (`CiDetails`). Bounded so a cluster's sample
 * and an issue body stay small whatever a log holds.
 */

const Text = (max: number) => v.pipe(v.string(), v.maxLength(max));

/** Bounds on what is kept of a run's structure. */
export const CI_LIMITS = {
  jobs: 10,
  stepsPerJob: 5,
  annotations: 10,
  annotationMessage: 1_000,
  excerptLines: 50,
  excerptLine: 500,
  name: 300,
} as const;

export const Sha = v.pipe(v.string(), v.regex(/^[0-9a-f]{7,64}$/i));

/** A commit as a CI event names it: its SHA, the first line of its message, when the run on it started. */
export const CiCommit = v.object({
  sha: Sha,
  /** First line of the commit message (redacted, clipped); authors are never kept. */
  title: v.optional(Text(200)),
  /** When the run on this commit was created (ISO 8601): orders passing and failing runs. */
  at: v.string(),
  runId: v.optional(v.number()),
  url: v.optional(Text(500)),
});
export type CiCommit = v.InferOutput<typeof CiCommit>;

/** Which kind of CI event a failure came from: it decides what is read. */
export const CiSource = v.picklist(["workflow_run", "check_run", "check_suite"]);
export type CiSource = v.InferOutput<typeof CiSource>;

/** What the event itself says (known at ingest, before any GitHub read). */
export const CiFacts = v.object({
  source: CiSource,
  /** The event's own one-line account (`Workflow "CI" failed on main`): the message before anything was read. */
  runMessage: Text(4_000),
  /**
   * The run-level key the event is first counted under: repo + source + workflow (or check) + branch. One CI
   * stream Durable Object per key resolves its runs to breakages and keeps the branch's last passing commit.
   */
  stream: Text(1_200),
  /** The workflow file path, the check's name, or the check suite's app. */
  workflow: Text(500),
  workflowName: Text(500),
  branch: v.optional(Text(500)),
  /** True unless `ciBranches` is the default (the repository's default branch): then the branch is in the fingerprint. */
  branchInFingerprint: v.boolean(),
  commit: v.optional(CiCommit),
  /** For check runs: the check's own output title (GitHub's structure, free of charge in the event). */
  outputTitle: v.optional(Text(1_000)),
});
export type CiFacts = v.InferOutput<typeof CiFacts>;

export const CiStep = v.object({ name: Text(CI_LIMITS.name), number: v.number() });
export type CiStep = v.InferOutput<typeof CiStep>;

/** A failed job (or, for check events, a failed check run) and its failed steps. */
export const CiJob = v.object({
  id: v.number(),
  name: Text(CI_LIMITS.name),
  conclusion: Text(50),
  /** The job's page on github.com. */
  url: v.optional(Text(500)),
  failedSteps: v.array(CiStep),
});
export type CiJob = v.InferOutput<typeof CiJob>;

/** A check-run annotation of level `failure` (GitHub's own "file:line — message"). */
export const CiAnnotation = v.object({
  path: Text(500),
  line: v.number(),
  level: Text(20),
  title: v.optional(Text(CI_LIMITS.name)),
  message: Text(CI_LIMITS.annotationMessage),
});
export type CiAnnotation = v.InferOutput<typeof CiAnnotation>;

/** The last lines of the failed step's log (redacted), when GitHub gave no error annotation. */
export const CiExcerpt = v.object({
  job: Text(CI_LIMITS.name),
  step: v.optional(Text(CI_LIMITS.name)),
  lines: v.array(Text(CI_LIMITS.excerptLine)),
  /** The log was longer than what was read (only its tail was kept). */
  truncated: v.boolean(),
});
export type CiExcerpt = v.InferOutput<typeof CiExcerpt>;

/**
 * One breakage: the failed jobs of a run that broke the same way (same job — matrix legs folded —, same failed
 * step, same first error once normalised). Its `key` is what the CI fingerprint is made of (the error normalised by
 * the grouping version when hashed).
 */
export const Breakage = v.object({
  key: v.object({ job: Text(CI_LIMITS.name), step: Text(CI_LIMITS.name), error: Text(CI_LIMITS.annotationMessage) }),
  jobs: v.array(CiJob),
  annotations: v.array(CiAnnotation),
  excerpt: v.optional(CiExcerpt),
  /** The error as shown (first error annotation or error line), before normalisation. */
  error: v.optional(Text(CI_LIMITS.annotationMessage)),
  /** Reads of this run that GitHub refused (annotations, a log), in words. */
  missing: v.optional(v.array(Text(300))),
});
export type Breakage = v.InferOutput<typeof Breakage>;

/**
 * How a failing run was tied to its breakage: `read` — its own jobs were read; `inferred` — counted into the
 * breakage(s) of the newest run read for its stream (at most one read per window); `unreadable` — GitHub refused
 * the read, so it is grouped by its event alone.
 */
export const CiResolution = v.picklist(["read", "inferred", "unreadable"]);
export type CiResolution = v.InferOutput<typeof CiResolution>;

export const CiDetails = v.object({
  resolution: CiResolution,
  /** Set when `unreadable`: what GitHub answered. */
  reason: v.optional(Text(300)),
  /** The run whose jobs were read (this one when `read`, an earlier one when `inferred`). */
  readRunId: v.optional(v.number()),
  breakage: v.optional(Breakage),
  /** The stream's last passing commit before this run (for "broken between"). */
  lastGreen: v.optional(CiCommit),
});
export type CiDetails = v.InferOutput<typeof CiDetails>;

export const CiContext = v.object({ facts: CiFacts, details: v.optional(CiDetails) });
export type CiContext = v.InferOutput<typeof CiContext>;
